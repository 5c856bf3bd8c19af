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

"""Numpy reference of the evt3 decoder, the twin of the compiled ``evt3_decode``.

Every word of a packet is decoded with numpy array operations. The running state (time, row,
vector base) is forward-filled from the index of the last word that set it, vector masks are
expanded with ``np.unpackbits``, and the state at the end of the packet is returned for the next
call: an explicit int64 array, passed in and returned. :mod:`asynet_core.ops` picks this or the
compiled decoder; :mod:`asynet_core.ops_ref` re-exports it with the engine's reference.
"""

from __future__ import annotations

import numpy as np

from asynet_core.errors import EventFormatError, ShapeError
from asynet_core.events import EVENT_DTYPE, MAX_COORD

__all__ = [
    'EVT3_ROLLOVER_TOLERANCE',
    'EVT3_STATE_FIELDS',
    'EVT3_TIME_PERIOD_US',
    'EVT3_TRIGGER_DTYPE',
    'check_evt3_args',
    'evt3_clip_size',
    'evt3_decode',
    'evt3_initial_state',
]

#: Names of the entries of an evt3 decoder state (an int64 array, ``-1`` = not seen yet).
EVT3_STATE_FIELDS = (
    'time_high_us',  # (TIME_HIGH << 12) plus the rollovers, in µs
    'last_high_raw',  # last raw 12-bit TIME_HIGH, for rollover detection
    'rollover_us',  # rollovers so far times 2**24
    'time_low',  # last TIME_LOW
    'started',  # 1 once a TIME_HIGH was followed by a TIME_LOW
    'y',  # current row
    'base_x',  # vector base column after the increments of the vectors seen
    'vect_p',  # vector polarity
    'triggers_rising',  # counters since the initial state ...
    'triggers_falling',
    'dropped_out_of_range',
    'dropped_before_time',
)
_EVT3_INITIAL = (-1, -1, 0, -1, 0, -1, -1, 0, 0, 0, 0, 0)
(
    _S_TIME_HIGH,
    _S_LAST_HIGH,
    _S_ROLLOVER,
    _S_TIME_LOW,
    _S_STARTED,
    _S_Y,
    _S_BASE_X,
    _S_VECT_P,
    _S_RISING,
    _S_FALLING,
    _S_DROPPED_OUT,
    _S_DROPPED_BEFORE,
) = range(len(EVT3_STATE_FIELDS))
#: External-trigger events: edge ``p`` (1 rising, 0 falling), time ``t`` in µs, channel ``id``.
EVT3_TRIGGER_DTYPE = np.dtype([('p', '<i2'), ('t', '<i8'), ('id', '<i2')])
#: Period of the 24-bit microsecond counter.
EVT3_TIME_PERIOD_US = 1 << 24
#: A TIME_HIGH lower than the previous one by more than this counts as a rollover.
EVT3_ROLLOVER_TOLERANCE = 10

_ADDR_Y, _ADDR_X, _VECT_BASE_X, _VECT_12, _VECT_8 = 0x0, 0x2, 0x3, 0x4, 0x5
_TIME_LOW, _TIME_HIGH, _EXT_TRIGGER = 0x6, 0x8, 0xA
_EVT3_UNKNOWN = (0x1, 0xB, 0xC, 0xD)
_COORD_MASK = 0x7FF


def evt3_initial_state() -> np.ndarray:
    """A fresh evt3 decoder state: ``int64 [len(EVT3_STATE_FIELDS)]``, nothing seen yet."""
    return np.array(_EVT3_INITIAL, dtype=np.int64)


def evt3_decode(
    words: np.ndarray, width: int, height: int, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode one packet of evt3 words, continuing the stream described by ``state``.

    Args:
        words: ``[n]`` uint16 little-endian evt3 words (see :mod:`asynet_ros.decoders.evt3`).
        width: events with ``x >= width`` are dropped (and counted); a width above 65536 acts
            as 65536 (see :func:`evt3_clip_size`).
        height: events with ``y >= height`` are dropped (and counted).
        state: ``int64 [12]`` the state after the previous packet (see
            :data:`EVT3_STATE_FIELDS`; :func:`evt3_initial_state` for a new stream); not modified.

    Returns:
        (events of :data:`~asynet_core.events.EVENT_DTYPE` with ``t`` in µs, external triggers of
        :data:`EVT3_TRIGGER_DTYPE`, the new state).

    Raises:
        EventFormatError: a word has an unknown type (the state is then unchanged).
        ShapeError: ``words`` or ``state`` has the wrong dtype or shape.
    """
    check_evt3_args(words, state)
    width, height = evt3_clip_size(width, height)
    types = (words >> 12).astype(np.int64)
    data = (words & 0xFFF).astype(np.int64)
    _check_evt3_types(types, words)
    st = state.copy()
    if words.size == 0:
        return np.zeros(0, dtype=EVENT_DTYPE), np.zeros(0, dtype=EVT3_TRIGGER_DTYPE), st
    t_us, valid = _evt3_time(st, types, data)
    y = _evt3_fill(st, _S_Y, types == _ADDR_Y, data & _COORD_MASK)
    base_x, vect_p = _evt3_vector_base(st, types, data)
    triggers = _evt3_triggers(st, types, data, valid, t_us)
    x, rows, p, t = _evt3_emit(st, types, data, valid, (t_us, y, base_x, vect_p))
    inside = (x < width) & (rows < height)  # on int64: a wrapped uint16 must not slip in
    st[_S_DROPPED_OUT] += x.size - int(np.count_nonzero(inside))
    events = np.empty(int(np.count_nonzero(inside)), dtype=EVENT_DTYPE)
    for name, values in zip('xypt', (x, rows, p, t), strict=True):
        events[name] = values[inside]
    return events, triggers, st


def check_evt3_args(words: object, state: object) -> None:
    """Raise :class:`ShapeError` unless ``words`` is 1-D uint16 and ``state`` int64 ``[12]``."""
    if not (
        isinstance(words, np.ndarray)
        and words.ndim == 1
        and words.dtype.kind == 'u'
        and words.dtype.itemsize == 2
    ):
        raise ShapeError(f'evt3_decode: words must be a 1-D uint16 array, got {_describe(words)}')
    shape = (len(EVT3_STATE_FIELDS),)
    if not (isinstance(state, np.ndarray) and state.dtype == np.int64 and state.shape == shape):
        raise ShapeError(f'evt3_decode: state must be int64 {shape}, got {_describe(state)}')


def evt3_clip_size(width: int, height: int) -> tuple[int, int]:
    """``(width, height)`` clipped to ``[0, 65536]``.

    Vector words advance the base column without bound, so a column may pass 65535; with a wider
    sensor it would wrap in the ``uint16`` field instead of being dropped. The clipped sizes also
    fit the compiled decoder's int64 arguments.
    """
    limit = MAX_COORD + 1
    return min(max(int(width), 0), limit), min(max(int(height), 0), limit)


def _describe(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f'{a.dtype} {a.shape}'
    return type(a).__name__


def _check_evt3_types(types: np.ndarray, words: np.ndarray) -> None:
    unknown = np.flatnonzero(np.isin(types, _EVT3_UNKNOWN))
    if unknown.size:
        i = int(unknown[0])
        raise EventFormatError(
            f'evt3 word {i} (0x{int(words[i]):04x}) has unknown type 0x{int(types[i]):x} '
            f'({unknown.size} unknown words in the packet)'
        )


def _evt3_time(
    st: np.ndarray, types: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-word current time in µs and the mask of words after decoding started."""
    is_high = types == _TIME_HIGH
    raw_high = data[is_high]
    high_us = np.zeros(types.size, dtype=np.int64)
    if raw_high.size:
        prev = np.concatenate(([st[_S_LAST_HIGH]], raw_high[:-1]))
        wraps = np.cumsum((prev - raw_high > EVT3_ROLLOVER_TOLERANCE) & (prev >= 0))
        high_us[is_high] = st[_S_ROLLOVER] + wraps * EVT3_TIME_PERIOD_US + (raw_high << 12)
        st[_S_ROLLOVER] += int(wraps[-1]) * EVT3_TIME_PERIOD_US
        st[_S_LAST_HIGH] = int(raw_high[-1])
    is_low = types == _TIME_LOW
    start = _evt3_start(st, is_high, is_low)
    cur_high = _evt3_fill(st, _S_TIME_HIGH, is_high, high_us)
    cur_low = _evt3_fill(st, _S_TIME_LOW, is_low, data)
    st[_S_STARTED] |= int(start < types.size)
    return cur_high + cur_low, np.arange(types.size) >= start


def _evt3_start(st: np.ndarray, is_high: np.ndarray, is_low: np.ndarray) -> int:
    """Index of the first word decoded: after a TIME_HIGH followed by a TIME_LOW."""
    n = is_high.size
    if st[_S_STARTED]:
        return 0
    first_high = -1
    if st[_S_TIME_HIGH] < 0:
        highs = np.flatnonzero(is_high)
        if highs.size == 0:
            return n
        first_high = int(highs[0])
    lows = np.flatnonzero(is_low[first_high + 1 :])
    return n if lows.size == 0 else first_high + 1 + int(lows[0])


def _evt3_fill(st: np.ndarray, field: int, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Forward-fill ``values`` where ``mask`` from ``st[field]``; store the last value there."""
    idx = np.maximum.accumulate(np.where(mask, np.arange(mask.size), -1))
    filled = np.where(idx >= 0, values[np.maximum(idx, 0)], st[field]).astype(np.int64)
    st[field] = int(filled[-1])
    return filled


def _evt3_vector_base(
    st: np.ndarray, types: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-word vector base column (before the word's own increment) and vector polarity."""
    is_base = types == _VECT_BASE_X
    incr = np.where(types == _VECT_12, 12, np.where(types == _VECT_8, 8, 0))
    before = np.cumsum(incr) - incr  # increments of the vectors before each word
    idx = np.maximum.accumulate(np.where(is_base, np.arange(types.size), -1))
    safe = np.maximum(idx, 0)
    from_packet = (data[safe] & _COORD_MASK) + before - before[safe]
    old = int(st[_S_BASE_X])
    from_state = old + before if old >= 0 else np.full(types.size, -1)
    base_x = np.where(idx >= 0, from_packet, from_state)
    st[_S_BASE_X] = int(base_x[-1] + incr[-1]) if base_x[-1] >= 0 else -1
    vect_p = _evt3_fill(st, _S_VECT_P, is_base, (data >> 11) & 1)
    return base_x, vect_p


def _evt3_triggers(
    st: np.ndarray, types: np.ndarray, data: np.ndarray, valid: np.ndarray, t_us: np.ndarray
) -> np.ndarray:
    """The external triggers after the decoding start; counts their edges in ``st``."""
    is_trigger = (types == _EXT_TRIGGER) & valid
    word = data[is_trigger]
    triggers = np.empty(word.size, dtype=EVT3_TRIGGER_DTYPE)
    triggers['p'] = word & 1
    triggers['t'] = t_us[is_trigger]
    triggers['id'] = (word >> 8) & 0xF
    rising = int(np.count_nonzero(triggers['p']))
    st[_S_RISING] += rising
    st[_S_FALLING] += word.size - rising
    return triggers


def _evt3_emit(
    st: np.ndarray,
    types: np.ndarray,
    data: np.ndarray,
    valid: np.ndarray,
    per_word: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand EVT_ADDR_X and vector words into int64 (x, y, p, t), in stream order."""
    t_us, y, base_x, vect_p = per_word
    is_x = types == _ADDR_X
    is_vect = (types == _VECT_12) | (types == _VECT_8)
    mask = np.where(is_x, 1, np.where(types == _VECT_12, data, data & 0xFF))
    ok = valid & (y >= 0) & (is_x | (is_vect & (base_x >= 0)))
    st[_S_DROPPED_BEFORE] += _popcount(mask[(is_x | is_vect) & ~ok])
    rows = np.flatnonzero(ok)
    bits = np.unpackbits(
        mask[rows].astype('<u2').view(np.uint8).reshape(-1, 2), axis=1, bitorder='little'
    )  # [r, 16]
    which, offset = np.nonzero(bits)
    word = rows[which]
    x = np.where(is_x[word], data[word] & _COORD_MASK, base_x[word] + offset)
    p = np.where(is_x[word], (data[word] >> 11) & 1, vect_p[word])
    return x, y[word], p, t_us[word]


def _popcount(masks: np.ndarray) -> int:
    """Number of set bits in an array of 16-bit masks."""
    if masks.size == 0:
        return 0
    return int(np.unpackbits(masks.astype('<u2').view(np.uint8)).sum())
