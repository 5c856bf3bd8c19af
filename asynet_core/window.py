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

"""Sliding windows over an event stream.

:class:`SlidingWindow` keeps either the newest ``window_events`` events (count policy) or the
events of the last ``window_us`` microseconds (time policy) and reports, for every push, which
events entered and which left, so a representation can be updated incrementally (see
``update`` in :mod:`asynet_core.representations`).

Storage is an :class:`EventBuffer`: one contiguous numpy array used as a queue (append at the end,
pop at the front), compacted or doubled only when full, so a push costs O(len(events)) amortised,
not O(window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from asynet_core.errors import ConfigError, EventOrderError
from asynet_core.events import check_event_array, check_time_order, empty_events, EVENT_DTYPE

__all__ = ['EventBuffer', 'SlidingWindow', 'WindowChange', 'WindowSpec']


class EventBuffer:
    """A FIFO queue of events stored contiguously in one growable numpy array.

    Live events are ``storage[start:end]``. Appending past the end first compacts the live events
    to the front when they fill at most half of the storage, else grows the storage to twice what
    is needed. Each event is therefore copied O(1) times on average.
    """

    def __init__(self, capacity: int = 1024) -> None:
        """Create an empty buffer with room for ``capacity`` events before reallocating."""
        if not _is_positive_int(capacity):
            raise ConfigError(f'EventBuffer capacity must be a positive int, got {capacity!r}')
        self._storage = np.zeros(capacity, dtype=EVENT_DTYPE)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        """Number of events held."""
        return self._end - self._start

    @property
    def capacity(self) -> int:
        """Number of events the storage can hold without reallocating."""
        return len(self._storage)

    def view(self) -> np.ndarray:
        """Read-only view of the held events, oldest first; invalid after the next change."""
        live = self._storage[self._start : self._end]
        live.flags.writeable = False
        return live

    def last_t_us(self) -> int | None:
        """Time of the newest held event, ``None`` when empty."""
        return int(self._storage['t'][self._end - 1]) if len(self) else None

    def append(self, events: np.ndarray) -> None:
        """Copy ``events`` (already validated, :data:`EVENT_DTYPE`) to the end of the queue."""
        n = len(events)
        if self._end + n > len(self._storage):
            self._make_room(n)
        self._storage[self._end : self._end + n] = events
        self._end += n

    def pop_front(self, n: int) -> np.ndarray:
        """Remove the ``n`` oldest events and return them (a copy), oldest first.

        Raises:
            EventOrderError: ``n`` is negative or larger than the number of held events.
        """
        if not 0 <= n <= len(self):
            raise EventOrderError(f'cannot remove {n} events from a window holding {len(self)}')
        popped = self._storage[self._start : self._start + n].copy()
        self._start += n
        if self._start == self._end:
            self._start = self._end = 0
        return popped

    def clear(self) -> None:
        """Drop every held event (the storage is kept)."""
        self._start = self._end = 0

    def _make_room(self, n: int) -> None:
        live = len(self)
        needed = live + n
        if needed <= len(self._storage) // 2:
            storage = self._storage
        else:
            storage = np.zeros(2 * needed, dtype=EVENT_DTYPE)
        storage[:live] = self._storage[self._start : self._end]
        self._storage, self._start, self._end = storage, 0, live


@dataclass(frozen=True, eq=False)
class WindowChange:
    """What one :meth:`SlidingWindow.push` changed.

    Attributes:
        added: events that entered the window, oldest first (new arrays, never views of the input).
        removed: events that left the window: the oldest it held before the push, oldest first.

    Pushed events that would leave again within the same push (more new events than the window
    holds) are in neither array: they never were in the window.
    """

    added: np.ndarray
    removed: np.ndarray


@dataclass(frozen=True)
class WindowSpec:
    """How long a window is: the newest ``events`` events, or the events of the last ``us`` µs.

    The project's one window type, validated here once: :class:`SlidingWindow`, the pipeline's
    config, training's data config and the checkpoint's model args
    (:attr:`~asynet_core.models.ModelConfig.window`) all hold one.

    Raises:
        ConfigError: neither or both given, or a length that is not a positive int.
    """

    events: int | None = None
    us: int | None = None

    def __post_init__(self) -> None:
        if (self.events is None) == (self.us is None):
            raise ConfigError(
                'give exactly one of window_events or window_us, '
                f'got window_events={self.events!r}, window_us={self.us!r}'
            )
        _check_positive('window_events', self.events)
        _check_positive('window_us', self.us)
        object.__setattr__(self, 'events', None if self.events is None else int(self.events))
        object.__setattr__(self, 'us', None if self.us is None else int(self.us))

    def to_dict(self) -> dict[str, int | None]:
        """``{'window_events': ..., 'window_us': ...}`` (for checkpoints and configs)."""
        return {'window_events': self.events, 'window_us': self.us}

    @classmethod
    def from_dict(cls, d: Any) -> WindowSpec:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ConfigError: not such a dict, or an invalid window.
        """
        if not isinstance(d, dict) or set(d) - {'window_events', 'window_us'}:
            raise ConfigError(f'a window must be {{window_events, window_us}}, got {d!r}')
        return cls(d.get('window_events'), d.get('window_us'))


class SlidingWindow:
    """The newest ``window_events`` events, or the events with ``t > t_newest - window_us``.

    Exactly one policy must be given. The window only moves when events are pushed: with the time
    policy, ``t_newest`` is the newest event held, not a wall clock. Times must never decrease
    across pushes; this class raises rather than resets (the caller decides, e.g. by
    :meth:`reset`).

    Raises:
        ConfigError: neither or both policies given, or a non-positive length.
    """

    def __init__(
        self,
        *,
        window_events: int | None = None,
        window_us: int | None = None,
        buffer: EventBuffer | None = None,
    ) -> None:
        """Create a window with a count or a time policy (see :class:`WindowSpec`).

        Args:
            window_events: count policy.
            window_us: time policy.
            buffer: where the window's events live, shared with their other user (the
                representation state of an :class:`~asynet_core.stream.EventStream`, so the
                window is held once); a new empty buffer by default.
        """
        self.spec = WindowSpec(window_events, window_us)
        self._window_events = self.spec.events
        self._window_us = self.spec.us
        self._buffer = EventBuffer() if buffer is None else buffer
        self._last_t_us: int | None = self._buffer.last_t_us()

    def __len__(self) -> int:
        """Number of events in the window."""
        return len(self._buffer)

    @classmethod
    def of(cls, spec: WindowSpec, buffer: EventBuffer | None = None) -> SlidingWindow:
        """A window of ``spec`` over ``buffer`` (a new empty one by default)."""
        return cls(window_events=spec.events, window_us=spec.us, buffer=buffer)

    def __repr__(self) -> str:
        """Policy and fill level."""
        policy = (
            f'window_events={self.window_events}'
            if self.window_us is None
            else f'window_us={self.window_us}'
        )
        return f'SlidingWindow({policy}, held={len(self)})'

    @property
    def window_events(self) -> int | None:
        """Count policy: the number of newest events kept, ``None`` under the time policy."""
        return self._window_events

    @property
    def window_us(self) -> int | None:
        """Time policy: the window length in microseconds, ``None`` under the count policy."""
        return self._window_us

    @property
    def last_t_us(self) -> int | None:
        """Time of the newest event pushed since construction or :meth:`reset`, else ``None``."""
        return self._last_t_us

    def events(self) -> np.ndarray:
        """The events in the window, oldest first (a new array)."""
        return self._buffer.view().copy()

    def reset(self) -> None:
        """Empty the window and forget the last time, so the next push may start at any time."""
        self._buffer.clear()
        self._last_t_us = None

    def clear(self) -> WindowChange:
        """Empty the window but keep the last time (later pushes must not be older than it).

        Returns:
            The change: nothing added, every held event removed (oldest first).
        """
        change = self.cleared()
        self._buffer.pop_front(len(change.removed))
        return change

    def cleared(self) -> WindowChange:
        """What :meth:`clear` would change, without changing anything."""
        return WindowChange(added=empty_events(), removed=self._buffer.view().copy())

    def push(self, events: np.ndarray) -> WindowChange:
        """Add ``events`` (times non-decreasing, none older than the last push) and slide.

        Args:
            events: a 1-D array of :data:`EVENT_DTYPE`; never modified.

        Returns:
            The events that entered and the events that left.

        Raises:
            EventFormatError: ``events`` has the wrong type, dtype or shape.
            EventOrderError: time decreases inside ``events`` or relative to the previous push.
                The window is then unchanged.
        """
        change = self.change(events)
        self._buffer.pop_front(len(change.removed))
        self._buffer.append(change.added)
        self.mark(events)
        return change

    def change(self, events: np.ndarray) -> WindowChange:
        """What :meth:`push` would change, without changing anything (same checks and errors).

        A caller that moves a shared buffer itself (the representation's update does, in an
        :class:`~asynet_core.stream.EventStream`) then calls :meth:`mark`.
        """
        check_event_array(events)
        check_time_order(events, after_t_us=self._last_t_us)
        if not len(events):
            return WindowChange(added=empty_events(), removed=empty_events())
        n_out, n_skip = self._count_leaving(events)
        return WindowChange(
            added=events[n_skip:].copy(), removed=self._buffer.view()[:n_out].copy()
        )

    def entering(self, chunks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The tail of ``chunks`` that a push of all of them would let into the window.

        For a caller that gathers events in chunks and pushes them together (a live backlog
        coalesced into one update): pushing the concatenation of the returned chunks changes the
        window exactly as pushing that of ``chunks`` would (same events added and removed), but
        without first copying and checking the events that would leave again within the push:
        all but the newest ``window_events``, or those at or before ``window_us`` before the
        newest event. Chunks are kept whole or cut at their front (views, nothing copied).

        Only the tail returned is checked when it is pushed, so the caller must already know that
        the chunks are :data:`EVENT_DTYPE`, time-sorted and in order (the pipeline orders every
        message's events).

        Args:
            chunks: 1-D arrays of :data:`EVENT_DTYPE`, oldest first, each time-sorted.
        """
        chunks = [c for c in chunks if len(c)]
        if not chunks:
            return []
        if self._window_us is not None:
            return _entering_by_time(chunks, self._window_us)
        return _entering_by_count(chunks, self._window_events or 0)

    def mark(self, events: np.ndarray) -> None:
        """Record that ``events`` (validated by :meth:`change`) were pushed: their newest time."""
        if len(events):
            self._last_t_us = int(events['t'][-1])

    def _count_leaving(self, events: np.ndarray) -> tuple[int, int]:
        """(held events that leave, pushed events that never enter)."""
        held_t = self._buffer.view()['t']
        if self._window_us is not None:
            return _leaving_by_time(held_t, events['t'], self._window_us)
        return _leaving_by_count(len(held_t), len(events), self._window_events or 0)


def _leaving_by_time(held_t: np.ndarray, new_t: np.ndarray, window_us: int) -> tuple[int, int]:
    cutoff = int(new_t[-1]) - window_us  # keep t > cutoff
    n_out = int(np.searchsorted(held_t, cutoff, side='right'))
    return n_out, int(np.searchsorted(new_t, cutoff, side='right'))


def _leaving_by_count(n_held: int, n_new: int, window_events: int) -> tuple[int, int]:
    excess = max(0, n_held + n_new - window_events)
    return min(excess, n_held), max(0, excess - n_held)


def _entering_by_time(chunks: list[np.ndarray], window_us: int) -> list[np.ndarray]:
    cutoff = int(chunks[-1]['t'][-1]) - window_us  # those with t > cutoff enter
    first = len(chunks) - 1
    while first > 0 and int(chunks[first]['t'][0]) > cutoff:
        first -= 1
    head = chunks[first]
    head = head[int(np.searchsorted(head['t'], cutoff, side='right')) :]
    return [head, *chunks[first + 1 :]] if len(head) else chunks[first + 1 :]


def _entering_by_count(chunks: list[np.ndarray], window_events: int) -> list[np.ndarray]:
    kept: list[np.ndarray] = []
    need = window_events
    for chunk in reversed(chunks):
        if need <= 0:
            break
        kept.append(chunk[max(len(chunk) - need, 0) :])
        need -= len(kept[-1])
    return kept[::-1]


def _is_positive_int(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return False
    return bool(value >= 1)


def _check_positive(name: str, value: object) -> None:
    if value is not None and not _is_positive_int(value):
        raise ConfigError(f'{name} must be a positive int, got {value!r}')
