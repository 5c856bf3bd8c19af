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

"""Vectorised, stateful decoder of the Prophesee EVT 3.0 (``evt3``) encoding.

The payload is a stream of little-endian 16-bit words; the word type is bits 15..12:

====  ===============  ==============================================================
type  name             payload (bits 11..0)
====  ===============  ==============================================================
0x0   EVT_ADDR_Y       y[10:0], system type [11]: sets the current row
0x2   EVT_ADDR_X       x[10:0], polarity [11]: one CD event at (x, y, t)
0x3   VECT_BASE_X      x[10:0], polarity [11]: vector base column and polarity
0x4   VECT_12          valid mask [11:0]: events at base_x + i; then base_x += 12
0x5   VECT_8           valid mask [7:0]: events at base_x + i; then base_x += 8
0x6   EVT_TIME_LOW     bits 11..0 of the 24-bit microsecond time
0x7   CONTINUED_4      ignored
0x8   EVT_TIME_HIGH    bits 23..12 of the 24-bit microsecond time
0x9   padding          ignored
0xA   EXT_TRIGGER      edge [0] (1 rising, 0 falling), id [11:8]: counted
0xE   OTHERS           monitoring, ignored
0xF   CONTINUED_12     ignored
====  ===============  ==============================================================

Time: ``t_us = rollovers * 2**24 + (TIME_HIGH << 12 | TIME_LOW)``, in sensor **microseconds**.
A rollover is counted when a TIME_HIGH is lower than the previous one by more than 10, so ``t``
keeps increasing past the 16.77 s period of the 24-bit counter. The message's ``time_base`` is
undefined for evt3 and ignored. Decoding starts after the first TIME_HIGH followed by a TIME_LOW;
events before that are dropped (counted in :attr:`Evt3Decoder.dropped_before_time`), as are
events outside the sensor (:attr:`Evt3Decoder.dropped_out_of_range`).

Every word is decoded with numpy array operations: the running state (time, row, vector base) is
forward-filled from the index of the last word that set it, and vector masks are expanded with
``np.unpackbits``. The state at the end of a packet carries over to the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders._payload import check_size, payload_bytes
from asynet_ros.decoders.errors import DecodeError

__all__ = ['TRIGGER_DTYPE', 'Evt3Decoder']

#: External-trigger events: edge ``p`` (1 rising, 0 falling), time ``t`` in µs, channel ``id``.
TRIGGER_DTYPE = np.dtype([('p', '<i2'), ('t', '<i8'), ('id', '<i2')])

_ADDR_Y = 0x0
_ADDR_X = 0x2
_VECT_BASE_X = 0x3
_VECT_12 = 0x4
_VECT_8 = 0x5
_TIME_LOW = 0x6
_CONTINUED_4 = 0x7
_TIME_HIGH = 0x8
_PADDING = 0x9
_EXT_TRIGGER = 0xA
_OTHERS = 0xE
_CONTINUED_12 = 0xF

_KNOWN_TYPES = np.array(
    [
        _ADDR_Y,
        _ADDR_X,
        _VECT_BASE_X,
        _VECT_12,
        _VECT_8,
        _TIME_LOW,
        _CONTINUED_4,
        _TIME_HIGH,
        _PADDING,
        _EXT_TRIGGER,
        _OTHERS,
        _CONTINUED_12,
    ],
    dtype=np.int64,
)

#: Period of the 24-bit microsecond counter.
TIME_PERIOD_US = 1 << 24
#: A TIME_HIGH lower than the previous one by more than this counts as a rollover.
ROLLOVER_TOLERANCE = 10

_COORD_MASK = 0x7FF
_PAYLOAD_MASK = 0xFFF
_UNSET = -1


@dataclass
class _State:
    """Decoder state carried from one packet to the next (``-1`` = not seen yet)."""

    time_high_us: int = _UNSET  # (TIME_HIGH << 12) plus the rollovers, in µs
    last_high_raw: int = _UNSET  # last raw 12-bit TIME_HIGH, for rollover detection
    rollover_us: int = 0
    time_low: int = _UNSET
    started: bool = False
    y: int = _UNSET
    base_x: int = _UNSET  # vector base column after the increments of the vectors seen
    vect_p: int = 0


class Evt3Decoder:
    """Decode ``evt3`` payloads packet after packet into :data:`EVENT_DTYPE` arrays.

    Use one instance per event stream and feed it the packets in order; :meth:`reset` starts a
    new stream.

    Attributes:
        triggers_rising: external-trigger words with edge 1 seen since the last reset.
        triggers_falling: external-trigger words with edge 0 seen since the last reset.
        dropped_out_of_range: CD events dropped for ``x >= width`` or ``y >= height``.
        dropped_before_time: CD events dropped because no time (or no row, or no vector base)
            was known yet.
        last_triggers: the external-trigger events of the last decoded packet
            (:data:`TRIGGER_DTYPE`).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the stream state and zero the counters."""
        self._state = _State()
        self.triggers_rising = 0
        self.triggers_falling = 0
        self.dropped_out_of_range = 0
        self.dropped_before_time = 0
        self.last_triggers = np.zeros(0, dtype=TRIGGER_DTYPE)

    @property
    def time_us(self) -> int | None:
        """Current sensor time in µs (with rollovers), or None before decoding started."""
        if not self._state.started:
            return None
        return self._state.time_high_us + self._state.time_low

    def decode(
        self, payload: bytes | np.ndarray, width: int, height: int, time_base: int = 0
    ) -> np.ndarray:
        """Decode one packet.

        Args:
            payload: the message's ``events`` bytes (or a 1-D ``uint8`` array), little-endian.
            width: sensor width; events with ``x >= width`` are dropped.
            height: sensor height; events with ``y >= height`` are dropped.
            time_base: the message's ``time_base``; undefined for evt3 and ignored.

        Returns:
            The CD events of the packet, of :data:`EVENT_DTYPE`, ``t`` in sensor µs.

        Raises:
            DecodeError: the payload is not bytes / 1-D uint8, has an odd length, holds a word
                of an unknown type, or the sensor size is not positive.
        """
        del time_base  # evt3 carries absolute sensor time; time_base is "content undefined"
        check_size(width, height)
        words = _as_words(payload)
        types = (words >> 12).astype(np.int64)
        data = (words & _PAYLOAD_MASK).astype(np.int64)
        _check_types(types, words)
        if words.size == 0:
            self.last_triggers = np.zeros(0, dtype=TRIGGER_DTYPE)
            return np.zeros(0, dtype=EVENT_DTYPE)
        t_us, valid = self._decode_time(types, data)
        y = self._decode_rows(types, data)
        base_x, vect_p = self._decode_vector_base(types, data)
        self._decode_triggers(types, data, valid, t_us)
        events = self._emit(types, data, valid, t_us, y, base_x, vect_p)
        return self._crop(events, width, height)

    def _decode_time(self, types: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-word current time in µs and the mask of words after decoding started."""
        st = self._state
        is_high = types == _TIME_HIGH
        raw_high = data[is_high]
        high_us = np.zeros(types.size, dtype=np.int64)
        if raw_high.size:
            prev = np.concatenate(([st.last_high_raw], raw_high[:-1]))
            wraps = np.cumsum((prev - raw_high > ROLLOVER_TOLERANCE) & (prev >= 0))
            high_us[is_high] = st.rollover_us + wraps * TIME_PERIOD_US + (raw_high << 12)
            st.rollover_us += int(wraps[-1]) * TIME_PERIOD_US
            st.last_high_raw = int(raw_high[-1])
        is_low = types == _TIME_LOW
        cur_high = _forward_fill(is_high, high_us, st.time_high_us)
        cur_low = _forward_fill(is_low, data, st.time_low)
        start = self._start_index(is_high, is_low)
        valid = np.arange(types.size) >= start
        st.time_high_us = int(cur_high[-1])
        st.time_low = int(cur_low[-1])
        st.started = st.started or start < types.size
        return cur_high + cur_low, valid

    def _start_index(self, is_high: np.ndarray, is_low: np.ndarray) -> int:
        """Index of the first word decoded: after a TIME_HIGH followed by a TIME_LOW."""
        n = is_high.size
        if self._state.started:
            return 0
        if self._state.time_high_us >= 0:
            first_high = -1
        else:
            highs = np.flatnonzero(is_high)
            if highs.size == 0:
                return n
            first_high = int(highs[0])
        lows = np.flatnonzero(is_low[first_high + 1 :])
        return n if lows.size == 0 else first_high + 1 + int(lows[0])

    def _decode_rows(self, types: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Per-word current row (``-1`` before any EVT_ADDR_Y)."""
        y = _forward_fill(types == _ADDR_Y, data & _COORD_MASK, self._state.y)
        self._state.y = int(y[-1])
        return y

    def _decode_vector_base(
        self, types: np.ndarray, data: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-word vector base column (before the word's own increment) and vector polarity."""
        st = self._state
        is_base = types == _VECT_BASE_X
        incr = np.where(types == _VECT_12, 12, np.where(types == _VECT_8, 8, 0))
        before = np.cumsum(incr) - incr  # increments of the vectors before each word
        idx = _last_index(is_base)
        has_base = idx >= 0
        safe = np.maximum(idx, 0)
        from_packet = (data[safe] & _COORD_MASK) + before - before[safe]
        from_state = st.base_x + before if st.base_x >= 0 else np.full(types.size, _UNSET)
        base_x = np.where(has_base, from_packet, from_state)
        vect_p = _forward_fill(is_base, (data >> 11) & 1, st.vect_p)
        st.base_x = int(base_x[-1] + incr[-1]) if base_x[-1] >= 0 else _UNSET
        st.vect_p = int(vect_p[-1])
        return base_x, vect_p

    def _decode_triggers(
        self, types: np.ndarray, data: np.ndarray, valid: np.ndarray, t_us: np.ndarray
    ) -> None:
        """Keep the external triggers after the decoding start and count their edges."""
        is_trigger = (types == _EXT_TRIGGER) & valid
        word = data[is_trigger]
        triggers = np.empty(word.size, dtype=TRIGGER_DTYPE)
        triggers['p'] = word & 1
        triggers['t'] = t_us[is_trigger]
        triggers['id'] = (word >> 8) & 0xF
        rising = int(np.count_nonzero(triggers['p']))
        self.triggers_rising += rising
        self.triggers_falling += word.size - rising
        self.last_triggers = triggers

    def _emit(
        self,
        types: np.ndarray,
        data: np.ndarray,
        valid: np.ndarray,
        t_us: np.ndarray,
        y: np.ndarray,
        base_x: np.ndarray,
        vect_p: np.ndarray,
    ) -> np.ndarray:
        """Expand EVT_ADDR_X and vector words into events, in stream order."""
        is_x = types == _ADDR_X
        is_vect = (types == _VECT_12) | (types == _VECT_8)
        mask = np.where(is_x, 1, np.where(types == _VECT_12, data, data & 0xFF))
        ok = valid & (y >= 0) & (is_x | (is_vect & (base_x >= 0)))
        self.dropped_before_time += _popcount(mask[(is_x | is_vect) & ~ok])
        rows = np.flatnonzero(ok)
        bits = np.unpackbits(
            mask[rows].astype('<u2').view(np.uint8).reshape(-1, 2), axis=1, bitorder='little'
        )
        which, offset = np.nonzero(bits)
        word = rows[which]
        first_x = np.where(is_x[word], data[word] & _COORD_MASK, base_x[word])
        polarity = np.where(is_x[word], (data[word] >> 11) & 1, vect_p[word])
        events = np.empty(word.size, dtype=EVENT_DTYPE)
        events['x'] = first_x + offset
        events['y'] = y[word]
        events['p'] = polarity
        events['t'] = t_us[word]
        return events

    def _crop(self, events: np.ndarray, width: int, height: int) -> np.ndarray:
        """Drop (and count) the events outside the sensor."""
        inside = (events['x'] < width) & (events['y'] < height)
        dropped = events.size - int(np.count_nonzero(inside))
        if dropped == 0:
            return events
        self.dropped_out_of_range += dropped
        return events[inside]


def _as_words(payload: object) -> np.ndarray:
    """The payload as little-endian 16-bit words (a view where possible)."""
    return payload_bytes(payload, 'evt3', 2).view('<u2')


def _check_types(types: np.ndarray, words: np.ndarray) -> None:
    unknown = np.flatnonzero(~np.isin(types, _KNOWN_TYPES))
    if unknown.size:
        i = int(unknown[0])
        raise DecodeError(
            f'evt3 word {i} (0x{int(words[i]):04x}) has unknown type 0x{int(types[i]):x} '
            f'({unknown.size} unknown words in the packet)'
        )


def _last_index(mask: np.ndarray) -> np.ndarray:
    """For each position, the index of the last True at or before it (``-1`` if none)."""
    idx = np.where(mask, np.arange(mask.size), -1)
    return np.maximum.accumulate(idx)


def _forward_fill(mask: np.ndarray, values: np.ndarray, initial: int) -> np.ndarray:
    """``values`` at the last True of ``mask`` at or before each position, else ``initial``."""
    idx = _last_index(mask)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], initial).astype(np.int64)


def _popcount(masks: np.ndarray) -> int:
    """Number of set bits in an array of 16-bit masks."""
    if masks.size == 0:
        return 0
    return int(np.unpackbits(masks.astype('<u2').view(np.uint8)).sum())
