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

"""SlidingWindow (count and time policies) and its EventBuffer storage."""

from __future__ import annotations

from collections.abc import Callable
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest

from asynet_core.errors import ConfigError, EventFormatError, EventOrderError
from asynet_core.events import concatenate_events, empty_events, make_events, SensorSize
from asynet_core.window import EventBuffer, SlidingWindow, WindowChange

EventFactory = Callable[..., np.ndarray]
SENSOR = SensorSize(width=16, height=12)


def expected_window(stream: np.ndarray, window: SlidingWindow) -> np.ndarray:
    """What the window must hold after ``stream`` was pushed: the rule, computed from scratch."""
    if window.window_events is not None:
        return stream[max(0, len(stream) - window.window_events) :]
    assert window.window_us is not None
    if not len(stream):
        return stream
    return stream[stream['t'] > stream['t'][-1] - window.window_us]


def check_push(window: SlidingWindow, before: np.ndarray, change: WindowChange) -> None:
    """``removed`` is a prefix of the old window; old - removed + added is the new window."""
    assert np.array_equal(change.removed, before[: len(change.removed)])
    kept = before[len(change.removed) :]
    assert np.array_equal(window.events(), concatenate_events([kept, change.added]))


def slide(
    window: SlidingWindow, events: np.ndarray, cuts: list[int]
) -> list[tuple[np.ndarray, WindowChange]]:
    """Push ``events`` in chunks ending at ``cuts``; check every push against the rule."""
    history = []
    start = 0
    for end in [*sorted(cuts), len(events)]:
        before = window.events()
        chunk = events[start:end]
        chunk_copy = chunk.copy()
        change = window.push(chunk)
        assert np.array_equal(chunk, chunk_copy)
        check_push(window, before, change)
        assert np.array_equal(window.events(), expected_window(events[:end], window))
        history.append((chunk, change))
        start = max(start, end)
    return history


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('kwargs', 'match'),
    [
        ({}, r'exactly one of window_events or window_us, got window_events=None, window_us=None'),
        ({'window_events': 5, 'window_us': 7}, r'got window_events=5, window_us=7'),
        ({'window_events': 0}, r'window_events must be a positive int, got 0'),
        ({'window_us': -3}, r'window_us must be a positive int, got -3'),
        ({'window_us': 2.5}, r'window_us must be a positive int, got 2\.5'),
        ({'window_events': True}, r'window_events must be a positive int, got True'),
    ],
)
def test_window_rejects_configuration(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SlidingWindow(**kwargs)  # type: ignore[arg-type]


def test_window_policy_properties() -> None:
    by_count, by_time = SlidingWindow(window_events=5), SlidingWindow(window_us=1000)
    assert (by_count.window_events, by_count.window_us) == (5, None)
    assert (by_time.window_events, by_time.window_us) == (None, 1000)
    assert repr(by_time) == 'SlidingWindow(window_us=1000, held=0)'


# --- count policy -----------------------------------------------------------------------------


def test_count_policy_hand_example() -> None:
    events = make_events(range(6), [0] * 6, [0, 1, 2, 3, 4, 5], [1] * 6)
    window = SlidingWindow(window_events=3)
    first = window.push(events[:2])
    assert first.added['x'].tolist() == [0, 1]
    assert len(first.removed) == 0
    second = window.push(events[2:4])
    assert second.added['x'].tolist() == [2, 3]
    assert second.removed['x'].tolist() == [0]
    assert window.events()['x'].tolist() == [1, 2, 3]
    assert len(window) == 3


def test_count_policy_push_larger_than_window_skips_passing_events() -> None:
    events = make_events(range(7), [0] * 7, range(7), [0] * 7)
    window = SlidingWindow(window_events=3)
    window.push(events[:2])
    change = window.push(events[2:])
    assert change.removed['x'].tolist() == [0, 1]
    assert change.added['x'].tolist() == [4, 5, 6]
    assert window.events()['x'].tolist() == [4, 5, 6]


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(1, 40),
    cuts=st.lists(st.integers(0, 150), max_size=12),
)
def test_count_policy_random_slides(
    event_factory: EventFactory, seed: int, size: int, cuts: list[int]
) -> None:
    events = event_factory(np.random.default_rng(seed), SENSOR, 150, max_dt_us=3)
    slide(SlidingWindow(window_events=size), events, cuts)


# --- time policy ------------------------------------------------------------------------------


def test_time_policy_hand_example() -> None:
    events = make_events(range(5), [0] * 5, [0, 10, 10, 25, 40], [1] * 5)
    window = SlidingWindow(window_us=15)
    window.push(events[:3])
    assert window.events()['x'].tolist() == [0, 1, 2]  # 0 > 10 - 15
    change = window.push(events[3:4])  # keeps t > 25 - 15 = 10
    assert change.removed['x'].tolist() == [0, 1, 2]
    assert window.events()['x'].tolist() == [3]
    change = window.push(events[4:])  # keeps t > 25
    assert change.removed['x'].tolist() == [3]
    assert change.added['x'].tolist() == [4]


def test_time_policy_jump_empties_window_and_skips_old_pushed_events() -> None:
    events = make_events(range(4), [0] * 4, [0, 1, 100, 200], [0] * 4)
    window = SlidingWindow(window_us=50)
    window.push(events[:2])
    change = window.push(events[2:])
    assert change.removed['x'].tolist() == [0, 1]
    assert change.added['x'].tolist() == [3]
    assert window.events()['x'].tolist() == [3]


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    window_us=st.integers(1, 300),
    cuts=st.lists(st.integers(0, 150), max_size=12),
)
def test_time_policy_random_slides(
    event_factory: EventFactory, seed: int, window_us: int, cuts: list[int]
) -> None:
    events = event_factory(np.random.default_rng(seed), SENSOR, 150, max_dt_us=20)
    slide(SlidingWindow(window_us=window_us), events, cuts)


# --- both policies ----------------------------------------------------------------------------


@pytest.fixture(params=[{'window_events': 50}, {'window_us': 500}], ids=['count', 'time'])
def window(request: pytest.FixtureRequest) -> SlidingWindow:
    return SlidingWindow(**request.param)


def test_removed_and_window_together_cover_the_stream(
    window: SlidingWindow, rng: np.random.Generator, event_factory: EventFactory
) -> None:
    events = event_factory(rng, SENSOR, 2000, max_dt_us=10)
    history = slide(window, events, list(rng.integers(0, 2000, 40)))
    removed = concatenate_events([change.removed for _, change in history])
    added = concatenate_events([change.added for _, change in history])
    assert np.array_equal(concatenate_events([removed, window.events()]), added)


def test_empty_push_changes_nothing(window: SlidingWindow) -> None:
    events = make_events([1, 2], [1, 1], [5, 6], [0, 1])
    window.push(events)
    change = window.push(empty_events())
    assert len(change.added) == len(change.removed) == 0
    assert np.array_equal(window.events(), events)
    assert window.last_t_us == 6


def test_returned_arrays_are_independent_of_the_window(window: SlidingWindow) -> None:
    events = make_events([1, 2], [1, 1], [5, 6], [0, 1])
    change = window.push(events)
    change.added['x'][:] = 9
    contents = window.events()
    contents['x'][:] = 7
    assert np.array_equal(window.events(), events)


def test_time_going_backwards_across_pushes_raises_and_keeps_window(
    window: SlidingWindow,
) -> None:
    window.push(make_events([1, 2], [1, 1], [5, 9], [0, 1]))
    before = window.events()
    with pytest.raises(EventOrderError, match=r'event 0 has t_us=8 < previous t_us=9'):
        window.push(make_events([3], [1], [8], [0]))
    assert np.array_equal(window.events(), before)
    assert window.last_t_us == 9


def test_time_going_backwards_inside_a_push_raises(window: SlidingWindow) -> None:
    with pytest.raises(EventOrderError, match=r'event 1 has t_us=4 < t_us=5 of event 0'):
        window.push(make_events([1, 2], [1, 1], [5, 4], [0, 1]))
    assert len(window) == 0


def test_push_rejects_other_dtypes(window: SlidingWindow) -> None:
    with pytest.raises(EventFormatError, match=r'must have dtype EVENT_DTYPE'):
        window.push(np.zeros((4, 4)))


def test_order_is_checked_even_after_the_window_emptied() -> None:
    window = SlidingWindow(window_us=10)
    window.push(make_events([1, 2], [1, 1], [5, 100], [0, 1]))
    assert window.events()['t'].tolist() == [100]
    with pytest.raises(EventOrderError, match=r'previous t_us=100'):
        window.push(make_events([1], [1], [99], [0]))


def test_reset_empties_and_allows_earlier_times(window: SlidingWindow) -> None:
    window.push(make_events([1, 2], [1, 1], [5, 9], [0, 1]))
    window.reset()
    assert len(window) == 0
    assert window.last_t_us is None
    change = window.push(make_events([3], [1], [0], [0]))
    assert change.added['t'].tolist() == [0]


# --- EventBuffer ------------------------------------------------------------------------------


def test_buffer_is_a_fifo(rng: np.random.Generator, event_factory: EventFactory) -> None:
    events = event_factory(rng, SENSOR, 300)
    buffer = EventBuffer(capacity=4)
    buffer.append(events[:100])
    assert np.array_equal(buffer.pop_front(30), events[:30])
    buffer.append(events[100:])
    assert np.array_equal(buffer.view(), events[30:])
    assert buffer.last_t_us() == events['t'][-1]
    buffer.clear()
    assert len(buffer) == 0
    assert buffer.last_t_us() is None


def test_buffer_view_is_read_only(rng: np.random.Generator, event_factory: EventFactory) -> None:
    buffer = EventBuffer()
    buffer.append(event_factory(rng, SENSOR, 5))
    with pytest.raises(ValueError, match='read-only'):
        buffer.view()['x'][0] = 1


def test_buffer_capacity_stays_bounded_on_a_long_stream(
    rng: np.random.Generator, event_factory: EventFactory
) -> None:
    events = event_factory(rng, SENSOR, 20_000)
    window = SlidingWindow(window_events=500)
    for start in range(0, len(events), 37):
        window.push(events[start : start + 37])
    assert np.array_equal(window.events(), events[-500:])
    assert window._buffer.capacity <= 4 * (500 + 37)


def test_buffer_compacts_instead_of_growing() -> None:
    events = make_events(range(8), [0] * 8, range(8), [0] * 8)
    buffer = EventBuffer(capacity=8)
    buffer.append(events[:6])
    buffer.pop_front(5)
    buffer.append(events[6:])  # 1 live + 2 new fit in half of 8: compacted, not grown
    assert buffer.capacity == 8
    assert buffer.view()['x'].tolist() == [5, 6, 7]


@pytest.mark.parametrize(
    ('n', 'match'),
    [(4, r'cannot remove 4 events from a window holding 3'), (-1, r'cannot remove -1 events')],
)
def test_buffer_pop_front_rejects(n: int, match: str) -> None:
    buffer = EventBuffer()
    buffer.append(make_events([1, 2, 3], [0] * 3, [0] * 3, [0] * 3))
    with pytest.raises(EventOrderError, match=match):
        buffer.pop_front(n)
    assert len(buffer) == 3


@pytest.mark.parametrize('capacity', [0, -5, 2.0, True])
def test_buffer_rejects_capacity(capacity: object) -> None:
    with pytest.raises(ConfigError, match=r'EventBuffer capacity must be a positive int, got'):
        EventBuffer(capacity=capacity)  # type: ignore[arg-type]


def test_change_moves_nothing_and_push_is_change_then_move() -> None:
    events = make_events([1, 2, 3, 4, 5], [0] * 5, [10, 20, 30, 40, 50], [1] * 5)
    window = SlidingWindow(window_events=3)
    window.push(events[:2])
    change = window.change(events[2:])
    assert window.events()['x'].tolist() == [1, 2]  # nothing moved
    assert window.last_t_us == 20
    assert change.added['x'].tolist() == [3, 4, 5]
    assert change.removed['x'].tolist() == [1, 2]
    pushed = window.push(events[2:])
    assert np.array_equal(pushed.added, change.added)
    assert np.array_equal(pushed.removed, change.removed)
    with pytest.raises(EventOrderError):
        window.change(events[:1])  # the same checks as push


def test_a_window_over_a_shared_buffer_starts_from_its_events() -> None:
    buffer = EventBuffer()
    buffer.append(make_events([1, 2], [0, 0], [10, 20], [1, 1]))
    window = SlidingWindow(window_events=3, buffer=buffer)
    assert len(window) == 2
    assert window.last_t_us == 20
    change = window.change(make_events([3, 4], [0, 0], [30, 40], [1, 1]))
    assert change.removed['x'].tolist() == [1]
    buffer.append(change.added)  # the buffer's other user moves it...
    buffer.pop_front(len(change.removed))
    window.mark(change.added)  # ...and the window records the time
    assert window.events()['x'].tolist() == [2, 3, 4]
    assert window.last_t_us == 40
    cleared = window.cleared()
    assert cleared.removed['x'].tolist() == [2, 3, 4]
    assert len(window) == 3


# --- entering: the tail of a coalesced push ---------------------------------------------------


def _split(events: np.ndarray, cuts: list[int]) -> list[np.ndarray]:
    bounds = [0, *sorted(c % (len(events) + 1) for c in cuts), len(events)]
    return [events[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    by_time=st.booleans(),
    length=st.integers(1, 60),
    held=st.integers(0, 80),
    cuts=st.lists(st.integers(0, 200), max_size=10),
)
def test_pushing_the_entering_tail_changes_the_window_as_pushing_everything(
    event_factory: EventFactory, seed: int, by_time: bool, length: int, held: int, cuts: list[int]
) -> None:
    events = event_factory(np.random.default_rng(seed), SENSOR, 200 + held, max_dt_us=3)
    spec = {'window_us': length} if by_time else {'window_events': length}
    whole, tail = SlidingWindow(**spec), SlidingWindow(**spec)
    whole.push(events[:held])
    tail.push(events[:held])
    chunks = _split(events[held:], cuts)
    kept = tail.entering(chunks)
    expected = whole.push(concatenate_events(chunks))
    got = tail.push(concatenate_events(kept))
    assert np.array_equal(got.added, expected.added)
    assert np.array_equal(got.removed, expected.removed)
    assert np.array_equal(tail.events(), whole.events())
    assert tail.last_t_us == whole.last_t_us
    assert all(len(k) for k in kept)
    assert sum(map(len, kept)) == len(expected.added)  # nothing that leaves again is kept


def test_entering_keeps_views_of_the_newest_events() -> None:
    events = make_events(range(10), [0] * 10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 20], [1] * 10)
    chunks = [events[:4], events[4:4], events[4:8], events[8:]]
    kept = SlidingWindow(window_events=5).entering(chunks)
    assert [k['x'].tolist() for k in kept] == [[5, 6, 7], [8, 9]]
    assert all(np.shares_memory(k, events) for k in kept)
    kept = SlidingWindow(window_us=14).entering(chunks)  # enter: t > 20 - 14 = 6
    assert [k['x'].tolist() for k in kept] == [[7], [8, 9]]
    kept = SlidingWindow(window_us=12).entering(chunks)  # t > 8: only the last chunk's 20
    assert [k['x'].tolist() for k in kept] == [[9]]
    assert SlidingWindow(window_events=3).entering([events[:0]]) == []
