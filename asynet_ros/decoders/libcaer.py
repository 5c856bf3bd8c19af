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

"""Decoders of the iniVation encodings of ``event_camera_msgs``: ``libcaer`` and ``libcaer_cmp``.

``libcaer`` (uncompressed; libcaer's ``PolarityEvent``, 8 little-endian bytes per event):

* ``uint32 data``: valid [0], polarity [1], y [16:2] (15 bits), x [31:17] (15 bits);
* ``int32 timestamp``: µs, a 31-bit counter.

The event time is ``time_base + timestamp * 1000`` ns, plus ``2**31 * 1000`` ns for every wrap of
the counter inside the packet (a timestamp lower than the one before; the first is compared with
0). Events with the valid bit clear are dropped and counted (libcaer marks filtered events so).

``libcaer_cmp`` (the libcaer_driver default; 16-bit little-endian tokens, code in bits 15..12):

====  ===========  ===========================================================================
code  token        payload (bits 11..0)
====  ===========  ===========================================================================
0     TIME_HIGH    t[11:0]: bits 23..12 of the µs time since ``time_base``
1     TIME_LOW     t[11:0]: bits 11..0
2     ADDR_X       x[10:0]: sets the current column (no event)
3     ADDR_Y       y[10:0], polarity [11]: one event at (current x, y)
4     VECT_BASE_Y  y[10:0], polarity [11]: vector base row and polarity
5     VECT_8       mask [7:0]: events at (current x, base_y + i); then base_y += 8
====  ===========  ===========================================================================

The event time is ``time_base + (TIME_HIGH << 12 | TIME_LOW) * 1000`` ns (the formula of
event_camera_codecs >= 2.0.1; 2.0.0 and older added ``time_base`` before scaling). TIME_HIGH and
TIME_LOW restart at 0 with every message; the column, the vector base row and the vector
polarity carry over to the next message (all 0 at the start, as upstream). Other codes (6 is
VECT_12, defined but never generated) raise :class:`DecodeError`.

Both decoders return ``t`` in **microseconds**, ``floor(ns / 1000)``, and drop events outside the
sensor (:attr:`dropped_out_of_range`). Every packet is decoded with numpy array operations.
"""

from __future__ import annotations

import numpy as np

from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders._payload import check_size, check_time_base, payload_bytes
from asynet_ros.decoders.errors import DecodeError

__all__ = ['LIBCAER_DTYPE', 'LIBCAER_PERIOD_US', 'LibcaerCmpDecoder', 'LibcaerDecoder']

#: One ``libcaer`` record: the packed ``data`` word and the 31-bit µs ``timestamp``.
LIBCAER_DTYPE = np.dtype([('data', '<u4'), ('timestamp', '<i4')])
#: Period of the 31-bit libcaer timestamp, in µs.
LIBCAER_PERIOD_US = 1 << 31

_TIME_HIGH, _TIME_LOW, _ADDR_X, _ADDR_Y, _VECT_BASE_Y, _VECT_8 = range(6)
_COORD_MASK = 0x7FF


class LibcaerDecoder:
    """Decode uncompressed ``libcaer`` payloads into :data:`EVENT_DTYPE` arrays.

    The format carries no state from one packet to the next; the decoder keeps counters only.

    Attributes:
        dropped_out_of_range: events dropped for ``x >= width`` or ``y >= height``.
        dropped_invalid: events dropped because their valid bit is clear.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero the counters."""
        self.dropped_out_of_range = 0
        self.dropped_invalid = 0

    def decode(
        self, payload: bytes | np.ndarray, width: int, height: int, time_base: int = 0
    ) -> np.ndarray:
        """Decode one packet.

        Args:
            payload: the message's ``events`` bytes (or a 1-D ``uint8`` array), little-endian.
            width: sensor width; events with ``x >= width`` are dropped.
            height: sensor height; events with ``y >= height`` are dropped.
            time_base: the message's ``time_base`` in ns.

        Returns:
            The valid events inside the sensor, of :data:`EVENT_DTYPE`, ``t`` in µs.

        Raises:
            DecodeError: the payload is not bytes / 1-D uint8 or not a multiple of 8 bytes, a
                timestamp is negative, the sensor size is not positive or ``time_base`` is not
                in ``[0, 2**63)`` ns.
        """
        check_size(width, height)
        base_us = check_time_base(time_base, 'libcaer') // 1000
        records = payload_bytes(payload, 'libcaer', LIBCAER_DTYPE.itemsize).view(LIBCAER_DTYPE)
        data = records['data'].astype(np.int64)
        stamp = records['timestamp'].astype(np.int64)
        _check_timestamps(stamp)
        wraps = np.cumsum(stamp < np.concatenate(([0], stamp[:-1])))
        events = np.empty(data.size, dtype=EVENT_DTYPE)
        events['x'] = (data >> 17) & 0x7FFF
        events['y'] = (data >> 2) & 0x7FFF
        events['p'] = (data >> 1) & 1
        events['t'] = base_us + stamp + wraps * LIBCAER_PERIOD_US
        valid = (data & 1) == 1
        inside = (events['x'] < width) & (events['y'] < height)
        self.dropped_invalid += data.size - int(np.count_nonzero(valid))
        self.dropped_out_of_range += int(np.count_nonzero(valid & ~inside))
        return events[valid & inside]


class LibcaerCmpDecoder:
    """Decode ``libcaer_cmp`` payloads, message after message, into :data:`EVENT_DTYPE` arrays.

    Use one instance per event stream: the current column and the vector base row and polarity
    carry over from one message to the next; :meth:`reset` starts a new stream.

    Attributes:
        dropped_out_of_range: events dropped for ``x >= width`` or ``y >= height``.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the stream state (column, vector base, polarity) and zero the counter."""
        self._x = 0
        self._base_y = 0
        self._vect_p = 0
        self.dropped_out_of_range = 0

    def decode(
        self, payload: bytes | np.ndarray, width: int, height: int, time_base: int = 0
    ) -> np.ndarray:
        """Decode one message's payload.

        Args:
            payload: the message's ``events`` bytes (or a 1-D ``uint8`` array), little-endian.
            width: sensor width; events with ``x >= width`` are dropped.
            height: sensor height; events with ``y >= height`` are dropped.
            time_base: the message's ``time_base`` in ns, the time of TIME_HIGH = TIME_LOW = 0.

        Returns:
            The events inside the sensor, of :data:`EVENT_DTYPE`, ``t`` in µs.

        Raises:
            DecodeError: the payload is not bytes / 1-D uint8 or has an odd length, a token has
                an unknown code (then nothing changes), the sensor size is not positive or
                ``time_base`` is not in ``[0, 2**63)`` ns.
        """
        check_size(width, height)
        base_us = check_time_base(time_base, 'libcaer_cmp') // 1000
        words = payload_bytes(payload, 'libcaer_cmp', 2).view('<u2')
        code = (words >> 12).astype(np.int64)
        data = (words & 0xFFF).astype(np.int64)
        _check_codes(code, words)
        if words.size == 0:
            return np.zeros(0, dtype=EVENT_DTYPE)
        high = _forward_fill(code == _TIME_HIGH, data, 0)
        low = _forward_fill(code == _TIME_LOW, data, 0)
        x = _forward_fill(code == _ADDR_X, data & _COORD_MASK, self._x)
        base_y, vect_p = self._vector_base(code, data)
        mask = np.where(code == _ADDR_Y, 1, np.where(code == _VECT_8, data & 0xFF, 0))
        word, offset = _expand(mask)
        is_single = code[word] == _ADDR_Y
        events = np.empty(word.size, dtype=EVENT_DTYPE)
        y = np.where(is_single, data[word] & _COORD_MASK, (base_y[word] + offset) & 0xFFFF)
        events['x'] = x[word]
        events['y'] = y
        events['p'] = np.where(is_single, (data[word] >> 11) & 1, vect_p[word])
        events['t'] = base_us + (high[word] << 12 | low[word])
        self._x = int(x[-1])
        return self._crop(events, width, height)

    def _vector_base(self, code: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-token vector base row (before the token's own increment) and vector polarity."""
        is_base = code == _VECT_BASE_Y
        incr = np.where(code == _VECT_8, 8, 0)
        before = np.cumsum(incr) - incr  # increments of the VECT_8 tokens before each token
        idx = _last_index(is_base)
        safe = np.maximum(idx, 0)
        from_packet = (data[safe] & _COORD_MASK) + before - before[safe]
        base_y = np.where(idx >= 0, from_packet, self._base_y + before) & 0xFFFF  # uint16
        vect_p = _forward_fill(is_base, (data >> 11) & 1, self._vect_p)
        self._base_y = int(base_y[-1] + incr[-1]) & 0xFFFF
        self._vect_p = int(vect_p[-1])
        return base_y, vect_p

    def _crop(self, events: np.ndarray, width: int, height: int) -> np.ndarray:
        inside = (events['x'] < width) & (events['y'] < height)
        self.dropped_out_of_range += events.size - int(np.count_nonzero(inside))
        return events[inside]


def _check_timestamps(stamp: np.ndarray) -> None:
    bad = np.flatnonzero(stamp < 0)
    if bad.size:
        i = int(bad[0])
        raise DecodeError(
            f'libcaer event {i} has a negative timestamp {int(stamp[i])} '
            '(expected a 31-bit µs counter)'
        )


def _check_codes(code: np.ndarray, words: np.ndarray) -> None:
    unknown = np.flatnonzero(code > _VECT_8)
    if unknown.size:
        i = int(unknown[0])
        raise DecodeError(
            f'libcaer_cmp word {i} (0x{int(words[i]):04x}) has unknown code {int(code[i])} '
            f'({unknown.size} unknown words in the packet; codes 0-5 are defined)'
        )


def _last_index(mask: np.ndarray) -> np.ndarray:
    """For each position, the index of the last True at or before it (``-1`` if none)."""
    return np.maximum.accumulate(np.where(mask, np.arange(mask.size), -1))


def _forward_fill(mask: np.ndarray, values: np.ndarray, initial: int) -> np.ndarray:
    """``values`` at the last True of ``mask`` at or before each position, else ``initial``."""
    idx = _last_index(mask)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], initial).astype(np.int64)


def _expand(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(token index, bit index) of every set bit of 16-bit ``mask``, in stream order."""
    rows = np.flatnonzero(mask)
    bits = np.unpackbits(
        mask[rows].astype('<u2').view(np.uint8).reshape(-1, 2), axis=1, bitorder='little'
    )  # [r, 16]
    which, offset = np.nonzero(bits)
    return rows[which], offset
