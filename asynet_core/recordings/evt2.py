# Copyright 2026 asynet_ros contributors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Vectorised, stateful decoders of Prophesee EVT 2.0 (32-bit) and EVT 2.1 (64-bit) words.

Written from the Prophesee format pages (``evt2.html``, ``evt21.html``).

EVT 2.0, one little-endian uint32 per word, type in bits 31..28:

====  =============  ===============================================================
type  name           payload
====  =============  ===============================================================
0x0   CD_OFF         ts[27:22] (6 LSB of the µs time), x[21:11], y[10:0]; polarity 0
0x1   CD_ON          as CD_OFF, polarity 1
0x8   EVT_TIME_HIGH  [27:0] = bits 33..6 of the 34-bit µs time
0xA   EXT_TRIGGER    value[0], id[12:8], ts[27:22]: skipped
0xE   OTHERS         skipped
0xF   CONTINUED      skipped
====  =============  ===============================================================

EVT 2.1, one 64-bit word, type in bits 63..60: 0x0 EVT_NEG / 0x1 EVT_POS carry ts[59:54],
x[53:43] (a base column), y[42:32] and a valid mask[31:0]: bit ``i`` set is one event at
``x + i``; 0x8 EVT_TIME_HIGH has the time's bits 33..6 in [59:32]; 0xA, 0xE, 0xF are skipped.

**EVT 2.1 byte order.** IMX636 sends each 64-bit word as two little-endian 32-bit halves, the
upper half (type, time, x, y) first, then the mask; Metavision writes these bytes to the file as
they come and marks them ``% endianness legacy`` (older files have no ``endianness`` line and come
from the same sensors). GenX320 sends the whole word little-endian (``% endianness little``:
mask first). :class:`Evt21Decoder` takes the order as an argument; the reader picks ``legacy``
unless the header says ``little`` or the sensor is a GenX320 (``_evt21_order`` in the reader).

Time: ``t_us = wraps * 2**34 + (TIME_HIGH << 6 | ts)``. A TIME_HIGH lower than the previous one by
more than half its 28-bit range is a wrap of the 34-bit counter (every 4.77 h); a smaller drop is
kept as a step back (see :class:`~asynet_core.recordings.TimeOrder`). CD words before the first
TIME_HIGH have no time and are skipped (counted in ``skipped_before_time``), like the evt3
decoder does.
"""

from __future__ import annotations

import numpy as np

from asynet_core.events import EVENT_DTYPE
from asynet_core.recordings.decoding import check_types, forward_fill, unwrap_counter

__all__ = ['EVT2_TIME_PERIOD_US', 'EVT21_ORDERS', 'Evt2Decoder', 'Evt21Decoder']

#: Period of the 34-bit microsecond time of EVT 2.0 / 2.1.
EVT2_TIME_PERIOD_US = 1 << 34
#: EVT 2.1 byte orders: ``'legacy'`` (two LE uint32, upper half first), ``'little'`` (LE uint64).
EVT21_ORDERS = ('legacy', 'little')
_HIGH_PERIOD = 1 << 28
_CD_OFF, _CD_ON, _TIME_HIGH = 0x0, 0x1, 0x8
_KNOWN = (_CD_OFF, _CD_ON, _TIME_HIGH, 0xA, 0xE, 0xF)


class _TimeHigh:
    """The running EVT 2.x time: last TIME_HIGH (raw and in µs) and the wraps so far."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.last_raw = -1
        self.wraps = 0
        self.high_us = -1

    def per_word(self, is_high: np.ndarray, raw_high: np.ndarray) -> np.ndarray:
        """Per word, the time high in µs in force there (-1 before the first TIME_HIGH)."""
        values = np.zeros(is_high.size, dtype=np.int64)
        raw = raw_high[is_high].astype(np.int64)
        if raw.size:
            wraps = unwrap_counter(raw, self.last_raw, self.wraps, _HIGH_PERIOD)
            values[is_high] = wraps * EVT2_TIME_PERIOD_US + (raw << 6)
            self.last_raw, self.wraps = int(raw[-1]), int(wraps[-1])
        filled = forward_fill(is_high, values, self.high_us)
        if filled.size:
            self.high_us = int(filled[-1])
        return filled


class _TimedDecoder:
    """The state both EVT 2.x decoders carry across words.

    The time high, and the CD events skipped because no TIME_HIGH came before them.
    """

    def __init__(self) -> None:
        self._time = _TimeHigh()
        self.skipped_before_time = 0

    def reset(self) -> None:
        """Start again from the first word of a payload."""
        self._time.reset()
        self.skipped_before_time = 0


class Evt2Decoder(_TimedDecoder):
    """Stateful EVT 2.0 decoder: one uint32 word per CD event, the time high carried over."""

    word_dtype = np.dtype('<u4')
    max_events_per_word = 1

    def decode(self, words: np.ndarray, first_word: int) -> np.ndarray:
        """Decode the next words (see :class:`~asynet_core.recordings.decoding.WordDecoder`)."""
        w = words.astype(np.int64)
        types = w >> 28
        check_types(types, words, _KNOWN, first_word, 'EVT 2.0')
        high_us = self._time.per_word(types == _TIME_HIGH, w & 0xFFFFFFF)
        is_cd = types <= _CD_ON
        timed = is_cd & (high_us >= 0)
        self.skipped_before_time += int(np.count_nonzero(is_cd)) - int(np.count_nonzero(timed))
        cd = w[timed]
        events = np.empty(cd.size, dtype=EVENT_DTYPE)
        events['x'] = (cd >> 11) & 0x7FF
        events['y'] = cd & 0x7FF
        events['p'] = cd >> 28
        events['t'] = high_us[timed] + ((cd >> 22) & 0x3F)
        return events


class Evt21Decoder(_TimedDecoder):
    """Stateful EVT 2.1 decoder: 64-bit words, each a row of up to 32 same-polarity events."""

    word_dtype = np.dtype([('first', '<u4'), ('second', '<u4')])
    max_events_per_word = 32

    def __init__(self, order: str = 'legacy') -> None:
        """A decoder for one byte order.

        Args:
            order: ``'legacy'`` (upper 32 bits first) or ``'little'`` (a LE uint64), see above.

        Raises:
            ValueError: an unknown order.
        """
        if order not in EVT21_ORDERS:
            raise ValueError(f'EVT 2.1 byte order {order!r} is not one of {EVT21_ORDERS}')
        super().__init__()
        self.order = order

    def decode(self, words: np.ndarray, first_word: int) -> np.ndarray:
        """Decode the next words (see :class:`~asynet_core.recordings.decoding.WordDecoder`)."""
        legacy = self.order == 'legacy'
        upper = words['first' if legacy else 'second'].astype(np.int64)
        lower = words['second' if legacy else 'first']
        types = upper >> 28
        full = (upper << 32) | lower.astype(np.int64)
        check_types(types, full.astype(np.uint64), _KNOWN, first_word, 'EVT 2.1')
        high_us = self._time.per_word(types == _TIME_HIGH, upper & 0xFFFFFFF)
        is_cd = types <= _CD_ON
        timed = is_cd & (high_us >= 0)
        masks = lower[timed]
        untimed = lower[is_cd & ~timed]
        self.skipped_before_time += _popcount32(untimed)
        return _expand_rows(upper[timed], masks, high_us[timed])


def _expand_rows(upper: np.ndarray, masks: np.ndarray, high_us: np.ndarray) -> np.ndarray:
    """Events of EVT 2.1 CD words: one per set mask bit, in word order, x increasing."""
    bits = np.unpackbits(
        masks.astype('<u4').view(np.uint8).reshape(-1, 4), axis=1, bitorder='little'
    )
    row, offset = np.nonzero(bits)  # row-major: word order, then bit 0..31
    u = upper[row]
    events = np.empty(row.size, dtype=EVENT_DTYPE)
    events['x'] = ((u >> 11) & 0x7FF) + offset
    events['y'] = u & 0x7FF
    events['p'] = u >> 28
    events['t'] = high_us[row] + ((u >> 22) & 0x3F)
    return events


def _popcount32(masks: np.ndarray) -> int:
    if masks.size == 0:
        return 0
    return int(np.unpackbits(masks.astype('<u4').view(np.uint8)).sum())
