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

"""Encoders of :data:`~asynet_core.events.EVENT_DTYPE` arrays into ``event_camera_msgs`` payloads.

Each is the exact inverse of its decoder in :mod:`asynet_ros.decoders`, for tests, fuzzing and
synthetic bags: decoding the bytes gives back the events (``t`` in µs).

* :class:`Evt3Encoder` / :func:`encode_evt3`: Prophesee EVT 3.0. TIME_HIGH, TIME_LOW and ADDR_Y
  words are written only when the time or row changes, then one ADDR_X per event or, with
  ``vectors=True``, VECT_BASE_X and VECT_12 / VECT_8 words for runs of events of one time, row and
  polarity at increasing columns within an aligned 32-column span (when that takes fewer words).
  The encoder keeps the stream state, so consecutive packets continue one stream: feed them to
  one :class:`~asynet_ros.decoders.Evt3Decoder` in order. In long gaps TIME_HIGH words are
  repeated every 2048 * 4096 µs so that the decoder counts every 24-bit rollover. The decoder's
  time origin is the first TIME_HIGH modulo 2**24 µs: it returns ``t`` exactly when the stream
  starts before 2**24 µs (16.8 s), else ``t`` minus a multiple of 2**24.
* :func:`encode_mono`: the 64-bit ``mono`` words.
* :func:`encode_libcaer`: uncompressed ``libcaer`` records (valid bit set, 31-bit timestamps
  that wrap, as the sensor's do).
* :func:`encode_libcaer_cmp`: ``libcaer_cmp`` tokens for one message (ADDR_X first, then
  TIME_HIGH / TIME_LOW / ADDR_X when they change, ADDR_Y or VECT_BASE_Y + VECT_8 per event run).

Everything is vectorised with numpy; events that cannot be represented raise :class:`EncodeError`.
"""

from __future__ import annotations

import numpy as np

from asynet_core.errors import AsynetError
from asynet_core.events import EVENT_DTYPE

__all__ = [
    'EncodeError',
    'Evt3Encoder',
    'encode_evt3',
    'encode_libcaer',
    'encode_libcaer_cmp',
    'encode_mono',
]

#: Largest step, in TIME_HIGH units (4096 µs), between consecutive evt3 TIME_HIGH words. The
#: decoder takes a TIME_HIGH lower than the previous one by more than 10 for a rollover, so any
#: forward step below 4096 - 10 is decoded correctly.
EVT3_MAX_HIGH_STEP = 2048
_EVT3_COORD_LIMIT = 1 << 11
_EVT3_SPAN = 32  # vector runs stay inside an aligned span of this many columns: <= 3 words


class EncodeError(AsynetError, ValueError):
    """Events cannot be represented in the requested encoding (range, order or dtype)."""


class Evt3Encoder:
    """Encode events into evt3 packets that continue one stream.

    Args:
        vectors: write VECT_BASE_X + VECT_12 / VECT_8 words for runs of neighbouring events.
        start_time_us: if given, the stream starts with this time (TIME_HIGH + TIME_LOW words)
            before the first event; else with the first event's time.
    """

    def __init__(self, *, vectors: bool = True, start_time_us: int | None = None) -> None:
        if start_time_us is not None and start_time_us < 0:
            raise EncodeError(f'evt3 start_time_us must be >= 0, got {start_time_us}')
        self.vectors = vectors
        self.start_time_us = start_time_us
        self.reset()

    def reset(self) -> None:
        """Start a new stream: the next packet begins with TIME_HIGH and TIME_LOW again."""
        self._high = -1  # absolute TIME_HIGH (t >> 12) of the last TIME_HIGH word, -1: none
        self._low = -1
        self._y = -1
        self._last_t = -1

    def encode(self, events: np.ndarray) -> bytes:
        """The evt3 bytes of the next packet of the stream, holding ``events``.

        Raises:
            EncodeError: not a 1-D :data:`EVENT_DTYPE` array, a polarity other than 0 / 1,
                ``x`` or ``y`` >= 2048, a negative time, or times that decrease (within the
                array, from the previous packet, or below ``start_time_us``).
        """
        _check_events(events, 'evt3')
        _check_limit(events, 'x', _EVT3_COORD_LIMIT, 'evt3')
        _check_limit(events, 'y', _EVT3_COORD_LIMIT, 'evt3')
        t = events['t']
        first_t = int(t[0]) if t.size else None
        floor = self._last_t if self._high >= 0 else (self.start_time_us or 0)
        _check_sorted(t, floor, 'evt3')
        prefix = self._start(first_t)
        if t.size == 0:
            return prefix.astype('<u2').tobytes()
        words = self._words(events)
        self._last_t = int(t[-1])
        return np.concatenate((prefix, words)).astype('<u2').tobytes()

    def _start(self, first_t: int | None) -> np.ndarray:
        """TIME_HIGH + TIME_LOW for ``start_time_us`` at the start of a stream, else nothing."""
        start = self.start_time_us
        if self._high >= 0 or start is None or first_t is None:
            return np.zeros(0, dtype=np.int64)
        self._high, self._low = start >> 12, start & 0xFFF
        self._last_t = start
        return np.array([0x8000 | (self._high & 0xFFF), 0x6000 | self._low], dtype=np.int64)

    def _words(self, events: np.ndarray) -> np.ndarray:
        x, y, p, t = (events[f].astype(np.int64) for f in 'xypt')
        cont = np.zeros(x.size, dtype=bool)
        if self.vectors:
            cont[1:] = _same_run(t, y, p, x, _EVT3_SPAN)
        groups = _Groups(cont)
        g0 = groups.first
        high, low, row = t[g0] >> 12, t[g0] & 0xFFF, y[g0]
        prev_high = np.concatenate(([self._high], high[:-1]))
        n_high = np.where(prev_high < 0, 1, -(-(high - prev_high) // EVT3_MAX_HIGH_STEP))
        span = x[groups.last] - x[g0] + 1
        chunks = -(-span // 12)  # VECT_12 words, the last one a VECT_8 when it needs <= 8 bits
        use_vec = (1 + chunks) < groups.size if self.vectors else np.zeros(len(g0), dtype=bool)
        need_low = low != np.concatenate(([self._low], low[:-1]))
        need_y = row != np.concatenate(([self._y], row[:-1]))
        body = np.where(use_vec, 1 + chunks, groups.size)
        layout = _Layout(n_high + need_low + need_y + body)
        layout.put_time_high(n_high, prev_high, high)
        layout.put(need_low, 0x6000 | low)
        layout.put(need_y, row)  # EVT_ADDR_Y, system type 0
        single = ~use_vec[groups.of]
        layout.put_events(groups, single, 0x2000 | p << 11 | x)
        layout.put_vectors(groups, use_vec, (x, p), span)
        self._high, self._low, self._y = int(high[-1]), int(low[-1]), int(row[-1])
        return layout.words


def encode_evt3(
    events: np.ndarray, *, vectors: bool = True, start_time_us: int | None = None
) -> bytes:
    """The evt3 bytes of a whole stream (see :class:`Evt3Encoder`)."""
    return Evt3Encoder(vectors=vectors, start_time_us=start_time_us).encode(events)


def encode_mono(events: np.ndarray, time_base_ns: int) -> bytes:
    """The ``mono`` payload of ``events``: ``dt = t * 1000 - time_base_ns`` must fit 32 bits.

    Raises:
        EncodeError: bad events, ``y >= 2**15``, or a ``dt`` outside ``[0, 2**32)`` ns.
    """
    _check_events(events, 'mono')
    _check_limit(events, 'y', 1 << 15, 'mono')
    dt = events['t'].astype(np.int64) * 1000 - _time_base(time_base_ns, 'mono')
    _check_range(dt, 1 << 32, 'mono', 'dt = t * 1000 - time_base_ns')
    p, y, x = (events[f].astype(np.uint64) for f in 'pyx')
    words = p << np.uint64(63) | y << np.uint64(48) | x << np.uint64(32) | dt.astype(np.uint64)
    return words.astype('<u8').tobytes()


def encode_libcaer(events: np.ndarray, time_base_ns: int) -> bytes:
    """The uncompressed ``libcaer`` payload of ``events`` (every valid bit set).

    Timestamps are ``t - time_base_ns // 1000`` modulo 2**31; the decoder counts a wrap where a
    timestamp decreases, so times must not decrease and no gap may reach 2**31 µs.

    Raises:
        EncodeError: bad events, ``x`` or ``y >= 2**15``, a time before the time base, times
            that decrease, or a gap the 31-bit counter cannot represent.
    """
    _check_events(events, 'libcaer')
    for field in 'xy':
        _check_limit(events, field, 1 << 15, 'libcaer')
    base_us = _time_base(time_base_ns, 'libcaer') // 1000
    rel = events['t'].astype(np.int64) - base_us
    _check_range(rel, 1 << 62, 'libcaer', 't - time_base_ns // 1000')
    _check_sorted(events['t'], 0, 'libcaer')
    stamp = rel & ((1 << 31) - 1)
    wraps = np.cumsum(stamp < np.concatenate(([0], stamp[:-1])))
    if not np.array_equal(wraps, rel >> 31):
        i = int(np.flatnonzero(wraps != rel >> 31)[0])
        raise EncodeError(
            f'libcaer cannot encode event {i}: its time is 2**31 us or more after the previous '
            'event (or the time base), past what the 31-bit timestamp can count'
        )
    records = np.empty(events.size, dtype=[('data', '<u4'), ('timestamp', '<i4')])
    x, y, p = (events[f].astype(np.int64) for f in 'xyp')
    records['data'] = 1 | p << 1 | y << 2 | x << 17
    records['timestamp'] = stamp
    return records.tobytes()


def encode_libcaer_cmp(events: np.ndarray, time_base_ns: int, *, vectors: bool = True) -> bytes:
    """The ``libcaer_cmp`` payload of one message holding ``events``.

    With ``vectors``, runs of three or more events of one time, column and polarity at
    increasing rows within an aligned group of 8 rows become VECT_BASE_Y + VECT_8.

    Raises:
        EncodeError: bad events, ``x`` or ``y >= 2048``, or a time outside
            ``[time_base_ns // 1000, + 2**24)`` µs.
    """
    _check_events(events, 'libcaer_cmp')
    for field in 'xy':
        _check_limit(events, field, _EVT3_COORD_LIMIT, 'libcaer_cmp')
    x, y, p, t = (events[f].astype(np.int64) for f in 'xypt')
    dt = t - _time_base(time_base_ns, 'libcaer_cmp') // 1000
    _check_range(dt, 1 << 24, 'libcaer_cmp', 't - time_base_ns // 1000')
    if x.size == 0:
        return b''
    cont = np.zeros(x.size, dtype=bool)
    if vectors:
        cont[1:] = _same_run(dt, x, p, y, 8)
    groups = _Groups(cont)
    g0 = groups.first
    high, low, col = dt[g0] >> 12, dt[g0] & 0xFFF, x[g0]
    need_high = high != np.concatenate(([0], high[:-1]))  # the decoder starts at 0, 0
    need_low = low != np.concatenate(([0], low[:-1]))
    need_x = col != np.concatenate(([-1], col[:-1]))  # the column persists: always set first
    use_vec = groups.size >= 3 if vectors else np.zeros(len(g0), dtype=bool)
    header = need_high.astype(np.int64) + need_low + need_x
    layout = _Layout(header + np.where(use_vec, 2, groups.size))
    layout.put(need_high, high)  # TIME_HIGH (code 0)
    layout.put(need_low, 0x1000 | low)
    layout.put(need_x, 0x2000 | col)
    layout.put_events(groups, ~use_vec[groups.of], 0x3000 | p << 11 | y)
    vec = use_vec[groups.of]
    layout.put(use_vec, 0x4000 | p[g0] << 11 | y[g0])  # VECT_BASE_Y at the run's first row
    mask = np.zeros(len(g0), dtype=np.int64)
    np.add.at(mask, groups.of[vec], 1 << (y - y[g0][groups.of])[vec])
    layout.put(use_vec, 0x5000 | mask)
    return layout.words.astype('<u2').tobytes()


class _Groups:
    """Runs of consecutive events: ``cont[i]`` says event i continues the run of event i - 1."""

    def __init__(self, cont: np.ndarray) -> None:
        self.first = np.flatnonzero(~cont)  # [G] first event of each run
        self.size = np.diff(np.append(self.first, cont.size))  # [G]
        self.last = self.first + self.size - 1
        self.of = np.repeat(np.arange(self.first.size), self.size)  # [n] run of each event
        self.rank = np.arange(cont.size) - self.first[self.of]  # [n] index inside its run


class _Layout:
    """The words of a packet, placed run by run: each run's words, in order, from its offset."""

    def __init__(self, count: np.ndarray) -> None:
        self.pos = np.cumsum(count) - count  # [G] next free word of each run
        self.words = np.zeros(int(count.sum()), dtype=np.int64)

    def put(self, need: np.ndarray, values: np.ndarray) -> None:
        """One word ``values[g]`` for each run g where ``need[g]``."""
        self.words[self.pos[need]] = values[need]
        self.pos += need

    def put_time_high(self, count: np.ndarray, prev: np.ndarray, high: np.ndarray) -> None:
        """``count[g]`` evt3 TIME_HIGH words stepping from ``prev[g]`` up to ``high[g]``."""
        run = np.repeat(np.arange(count.size), count)
        k = np.arange(run.size) - np.repeat(np.cumsum(count) - count, count)
        last = k == count[run] - 1
        value = np.where(last, high[run], prev[run] + EVT3_MAX_HIGH_STEP * (k + 1))
        self.words[self.pos[run] + k] = 0x8000 | (value & 0xFFF)
        self.pos += count

    def put_events(self, groups: _Groups, single: np.ndarray, values: np.ndarray) -> None:
        """One word per event where ``single``: in the runs that are written event by event."""
        self.words[(self.pos[groups.of] + groups.rank)[single]] = values[single]
        self.pos += np.bincount(groups.of[single], minlength=groups.first.size)

    def put_vectors(
        self, groups: _Groups, use: np.ndarray, xp: tuple[np.ndarray, np.ndarray], span: np.ndarray
    ) -> None:
        """evt3 VECT_BASE_X, then VECT_12 words (the last a VECT_8 if it fits) per run ``use``."""
        x, p = xp
        g0 = groups.first
        self.put(use, 0x3000 | p[g0] << 11 | x[g0])
        chunks = np.where(use, -(-span // 12), 0)
        run = np.repeat(np.arange(chunks.size), chunks)
        c = np.arange(run.size) - np.repeat(np.cumsum(chunks) - chunks, chunks)
        short = (c == chunks[run] - 1) & (span[run] - 12 * c <= 8)
        at = self.pos[run] + c
        self.words[at] = np.where(short, 0x5000, 0x4000)
        vec = use[groups.of]
        offset = (x - x[g0][groups.of])[vec]
        np.add.at(self.words, self.pos[groups.of[vec]] + offset // 12, 1 << (offset % 12))
        self.pos += chunks


def _same_run(t: np.ndarray, a: np.ndarray, p: np.ndarray, v: np.ndarray, span: int) -> np.ndarray:
    """For events 1.., whether event i extends the run of i - 1: same t, a, p; v up in its span."""
    return (
        (t[1:] == t[:-1])
        & (a[1:] == a[:-1])
        & (p[1:] == p[:-1])
        & (v[1:] > v[:-1])
        & (v[1:] // span == v[:-1] // span)
    )


def _check_events(events: object, encoding: str) -> None:
    if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE or events.ndim != 1:
        got = f'{events.dtype} {events.shape}' if isinstance(events, np.ndarray) else type(events)
        raise EncodeError(f'{encoding}: events must be a 1-D EVENT_DTYPE array, got {got}')
    bad = np.flatnonzero((events['p'] != 0) & (events['p'] != 1))
    if bad.size:
        i = int(bad[0])
        raise EncodeError(f'{encoding}: event {i} has p={events["p"][i]}, not 0 or 1')


def _check_limit(events: np.ndarray, field: str, limit: int, encoding: str) -> None:
    bad = np.flatnonzero(events[field] >= limit)
    if bad.size:
        i = int(bad[0])
        raise EncodeError(
            f'{encoding}: event {i} has {field}={events[field][i]}, the encoding needs < {limit}'
        )


def _check_range(values: np.ndarray, limit: int, encoding: str, what: str) -> None:
    bad = np.flatnonzero((values < 0) | (values >= limit))
    if bad.size:
        i = int(bad[0])
        raise EncodeError(f'{encoding}: event {i} has {what} = {values[i]}, outside [0, {limit})')


def _check_sorted(t: np.ndarray, floor: int, encoding: str) -> None:
    if t.size and t[0] < floor:
        raise EncodeError(f'{encoding}: event 0 has t={t[0]} us, before the stream time {floor}')
    bad = np.flatnonzero(t[1:] < t[:-1])
    if bad.size:
        i = int(bad[0]) + 1
        raise EncodeError(f'{encoding}: event {i} has t={t[i]} us < t={t[i - 1]} of event {i - 1}')


def _time_base(time_base_ns: int, encoding: str) -> int:
    if not 0 <= int(time_base_ns) < 1 << 63:
        raise EncodeError(f'{encoding}: time_base_ns must be in [0, 2**63), got {time_base_ns}')
    return int(time_base_ns)
