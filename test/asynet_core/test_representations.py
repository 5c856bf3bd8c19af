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

"""Sensor-to-input mapping, histogram, event queue, activity and their incremental updates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest
import torch

from asynet_core.errors import (
    ConfigError,
    EventFormatError,
    EventOrderError,
    EventRangeError,
    ShapeError,
)
from asynet_core.events import concatenate_events, empty_events, make_events, SensorSize
from asynet_core.models.config import REPRESENTATION_CHANNELS
from asynet_core.representations import (
    active_mask,
    event_queue,
    EventQueue,
    EventRepresentation,
    Histogram,
    histogram,
    InputMapping,
    make_representation,
    REPRESENTATIONS,
    RepresentationState,
    SiteUpdate,
)
from asynet_core.window import SlidingWindow

EventFactory = Callable[..., np.ndarray]

SMALL = InputMapping(SensorSize(width=8, height=6), (4, 10))  # rows merge 6 -> 4, cols identity

# (sensor width, height), model input (height, width): the paper's datasets and a VGA sensor.
MAPPINGS = {
    'ncars_100x120_to_95x127': (SensorSize(width=120, height=100), (95, 127)),
    'ncaltech_180x240_to_191x255': (SensorSize(width=240, height=180), (191, 255)),
    'gen1_240x304_to_223x287': (SensorSize(width=304, height=240), (223, 287)),
    'vga_640x480_to_191x255': (SensorSize(width=640, height=480), (191, 255)),
    'tall_100x300_to_191x255': (SensorSize(width=100, height=300), (191, 255)),
}


def events_of(*rows: tuple[int, int, int, int]) -> np.ndarray:
    """Events from (x, y, t_us, p) tuples."""
    x, y, t_us, p = (np.array(column) for column in zip(*rows, strict=True))
    return make_events(x, y, t_us, p)


def every_pixel(sensor: SensorSize) -> np.ndarray:
    """One ON event per sensor pixel, row-major."""
    y, x = np.divmod(np.arange(sensor.width * sensor.height), sensor.width)
    return make_events(x, y, np.zeros_like(x), np.ones_like(x))


# --- InputMapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('name', 'pixels', 'cells'),
    [
        # 100 rows -> 95: floor(y * 95 / 100); 120 columns <= 127: identity.
        (
            'ncars_100x120_to_95x127',
            [(0, 0), (119, 19), (5, 20), (119, 99)],
            [(0, 0), (18, 119), (19, 5), (94, 119)],
        ),
        # 180 x 240 fits in 191 x 255: identity on both axes.
        ('ncaltech_180x240_to_191x255', [(0, 0), (239, 179)], [(0, 0), (179, 239)]),
        # 240 rows -> 223 and 304 columns -> 287.
        (
            'gen1_240x304_to_223x287',
            [(16, 1), (17, 2), (303, 239)],
            [(0, 15), (1, 16), (222, 286)],
        ),
        # 480 rows -> 191 and 640 columns -> 255.
        ('vga_640x480_to_191x255', [(3, 2), (639, 479)], [(0, 1), (190, 254)]),
        # 300 rows -> 191 (merged); 100 columns <= 255 (identity).
        ('tall_100x300_to_191x255', [(99, 299), (50, 2)], [(190, 99), (1, 50)]),
    ],
)
def test_mapping_hand_cases(
    name: str, pixels: list[tuple[int, int]], cells: list[tuple[int, int]]
) -> None:
    mapping = InputMapping(*MAPPINGS[name])
    x, y = np.array(pixels).T
    rows, cols = mapping.cells(make_events(x, y, np.zeros_like(x), np.zeros_like(x)))
    assert rows.dtype == cols.dtype == np.int64
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == cells


@pytest.mark.parametrize('name', sorted(MAPPINGS))
def test_mapping_rule_per_axis(name: str) -> None:
    sensor, (height, width) = MAPPINGS[name]
    mapping = InputMapping(sensor, (height, width))
    rows, cols = mapping.cells(every_pixel(sensor))
    for coords, cells, sensor_len, input_len in (
        (np.arange(sensor.height), rows[:: sensor.width], sensor.height, height),
        (np.arange(sensor.width), cols[: sensor.width], sensor.width, width),
    ):
        if sensor_len <= input_len:
            assert np.array_equal(cells, coords)  # identity, top-left
        else:
            assert np.array_equal(cells, coords * input_len // sensor_len)
            assert np.array_equal(np.unique(cells), np.arange(input_len))  # every cell used
            assert np.bincount(cells).max() <= -(-sensor_len // input_len)  # ceil


@pytest.mark.parametrize('name', sorted(MAPPINGS))
def test_mapping_drops_and_duplicates_nothing(name: str) -> None:
    sensor, size = MAPPINGS[name]
    mapping = InputMapping(sensor, size)
    counts = histogram(every_pixel(sensor), mapping)
    assert counts.sum() == sensor.width * sensor.height
    assert counts[..., 0].sum() == 0
    assert active_mask(every_pixel(sensor), mapping).sum() == min(sensor.height, size[0]) * min(
        sensor.width, size[1]
    )


def test_mapping_identity_leaves_the_rest_of_the_input_empty() -> None:
    mapping = InputMapping(*MAPPINGS['ncaltech_180x240_to_191x255'])
    active = active_mask(every_pixel(mapping.sensor), mapping)
    assert active[:180, :240].all()
    assert not active[180:].any()
    assert not active[:, 240:].any()


def test_mapping_properties_and_list_input_size() -> None:
    mapping = InputMapping(SensorSize(width=3, height=2), [5, 7])  # type: ignore[arg-type]
    assert mapping.input_size == (5, 7)
    assert (mapping.height, mapping.width) == (5, 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mapping.input_size = (1, 1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ('sensor', 'size', 'match'),
    [
        ((4, 4), (4, 4), r'sensor must be a SensorSize, got tuple'),
        (SensorSize(4, 4), (4,), r'input_size must be \(height, width\), got \(4,\)'),
        (SensorSize(4, 4), 'ab', r"input_size height must be a positive int, got 'a'"),
        (SensorSize(4, 4), (0, 5), r'input_size height must be a positive int, got 0'),
        (SensorSize(4, 4), (5, 2.0), r'input_size width must be a positive int, got 2\.0'),
        (SensorSize(4, 4), 7, r'input_size must be \(height, width\), got 7'),
    ],
)
def test_mapping_rejects(sensor: object, size: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        InputMapping(sensor, size)  # type: ignore[arg-type]


def test_mapping_rejects_events_outside_the_sensor() -> None:
    with pytest.raises(EventRangeError, match=r'event 1 has x=8, must be < width 8'):
        SMALL.cells(events_of((7, 0, 0, 1), (8, 0, 1, 1)))
    with pytest.raises(EventRangeError, match=r'event 0 has y=6, must be < height 6'):
        SMALL.flat_cells(events_of((0, 6, 0, 1)))


def test_boxes_map_back_to_sensor_pixels() -> None:
    mapping = InputMapping(SensorSize(304, 240), (120, 152))  # both axes halved
    boxes = np.array([[10.0, 20.0, 30.0, 40.0], [0.0, 0.0, 160.0, 130.0]], dtype=np.float32)
    got = mapping.boxes_to_sensor(boxes)
    np.testing.assert_allclose(got[0], [20, 40, 60, 80])
    np.testing.assert_allclose(got[1], [0, 0, 304, 240])  # clipped to the sensor
    same = InputMapping(SensorSize(100, 80), (120, 152))  # smaller sensor: identity
    np.testing.assert_allclose(same.boxes_to_sensor(boxes[:1]), boxes[:1])


# --- reference implementations (plain loops, independent of the kernels) ------------------------


def reference_histogram(events: np.ndarray, mapping: InputMapping) -> np.ndarray:
    out = np.zeros((mapping.height, mapping.width, 2), dtype=np.float32)
    rows, cols = mapping.cells(events)
    for row, col, p in zip(rows, cols, events['p'], strict=True):
        out[row, col, p] += 1
    return out


def reference_event_queue(events: np.ndarray, mapping: InputMapping, k: int) -> np.ndarray:
    out = np.zeros((mapping.height, mapping.width, 2 * k), dtype=np.float32)
    rows, cols = mapping.cells(events)
    per_cell = defaultdict(list)
    for i, (row, col) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        per_cell[row, col].append((int(events['t'][i]), i, int(events['p'][i])))
    for (row, col), cell_events in per_cell.items():
        newest = sorted(cell_events, reverse=True)[:k]  # by time, then array position
        ages = [newest[0][0] - t for t, _, _ in newest]
        max_age = max(ages) or 1
        for j, ((_, _, p), age) in enumerate(zip(newest, ages, strict=True)):
            out[row, col, j] = age / max_age
            out[row, col, k + j] = 1.0 if p else -1.0
    return out


# --- histogram --------------------------------------------------------------------------------


def test_histogram_hand_case() -> None:
    # rows: y * 4 // 6, so y = 0, 1 -> 0 and y = 5 -> 3; cols identity
    events = events_of((2, 0, 0, 1), (2, 1, 1, 1), (2, 1, 2, 0), (7, 5, 3, 0))
    out = histogram(events, SMALL)
    assert out.shape == (4, 10, 2)
    assert out.dtype == np.float32
    assert out[0, 2].tolist() == [1.0, 2.0]
    assert out[3, 7].tolist() == [1.0, 0.0]
    assert out.sum() == 4


def test_histogram_matches_reference_and_invariants(
    rng: np.random.Generator, event_factory: EventFactory
) -> None:
    mapping = InputMapping(*MAPPINGS['vga_640x480_to_191x255'])
    events = event_factory(rng, mapping.sensor, 5000)
    copy = events.copy()
    out = histogram(events, mapping)
    assert np.array_equal(events, copy)
    assert np.array_equal(out, reference_histogram(events, mapping))
    assert out.sum() == len(events)
    assert out[..., 0].sum() == np.count_nonzero(events['p'] == 0)
    assert out[..., 1].sum() == np.count_nonzero(events['p'] == 1)


def test_histogram_of_no_events_is_zero() -> None:
    out = histogram(empty_events(), SMALL)
    assert out.shape == (4, 10, 2)
    assert not out.any()


def test_histogram_rejects_bad_polarity() -> None:
    events = events_of((1, 1, 0, 1))
    events['p'][0] = 3
    with pytest.raises(EventFormatError, match=r'event 0 has p=3, polarity must be 0'):
        histogram(events, SMALL)


# --- event queue ------------------------------------------------------------------------------


def test_event_queue_hand_case() -> None:
    # cell (0, 2) gets 4 events, two at the same time; k = 3 keeps the newest three.
    events = events_of((2, 0, 0, 1), (2, 1, 10, 0), (2, 0, 30, 1), (2, 1, 30, 0), (5, 3, 7, 1))
    out = event_queue(events, SMALL, k=3)
    assert out.shape == (4, 10, 6)
    # newest first: t=30 (p=0, later in the array), t=30 (p=1), t=10 (p=0); max age 20
    assert out[0, 2].tolist() == [0.0, 0.0, 1.0, -1.0, 1.0, -1.0]
    # a single event: age 0, one polarity, empty slots are 0 (not 1 as in the original)
    assert out[2, 5].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert np.count_nonzero(np.abs(out).sum(axis=-1)) == 2


def test_event_queue_ages_are_normalised_by_the_largest_filled_age() -> None:
    events = events_of((0, 0, 0, 0), (0, 0, 25, 1), (0, 0, 100, 1))
    assert event_queue(events, SMALL, k=4)[0, 0].tolist() == [
        0.0, 0.75, 1.0, 0.0, 1.0, 1.0, -1.0, 0.0,
    ]  # fmt: skip


@pytest.mark.parametrize('k', [1, 3, 15])
def test_event_queue_matches_reference(
    k: int, rng: np.random.Generator, event_factory: EventFactory
) -> None:
    mapping = InputMapping(SensorSize(width=24, height=20), (10, 30))
    events = event_factory(rng, mapping.sensor, 3000, max_dt_us=4)
    copy = events.copy()
    out = event_queue(events, mapping, k)
    assert np.array_equal(events, copy)
    assert np.array_equal(out, reference_event_queue(events, mapping, k))


def test_event_queue_invariants(rng: np.random.Generator, event_factory: EventFactory) -> None:
    mapping = InputMapping(*MAPPINGS['gen1_240x304_to_223x287'])
    events = event_factory(rng, mapping.sensor, 20_000, max_dt_us=2)
    out = event_queue(events, mapping)
    ages, polarities = out[..., :15], out[..., 15:]
    active = active_mask(events, mapping)
    assert out.dtype == np.float32
    assert ((ages >= 0) & (ages <= 1)).all()
    assert set(np.unique(polarities).tolist()) <= {-1.0, 0.0, 1.0}
    assert np.array_equal(np.abs(polarities[..., 0]) == 1, active)  # newest slot filled
    assert not ages[..., 0].any()  # the newest event has age 0
    filled = polarities != 0
    assert not ages[~filled].any()  # empty slots are 0 in both planes
    assert np.array_equal(filled.sum(-1), np.minimum(histogram(events, mapping).sum(-1), 15))
    assert (np.abs(out).sum(axis=-1) > 0)[active].all()


@pytest.mark.parametrize('k', [0, -1, 2.5, True])
def test_event_queue_rejects_k(k: object) -> None:
    match = r'event queue length k must be a positive int, got'
    with pytest.raises(ConfigError, match=match):
        event_queue(empty_events(), SMALL, k)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=match):
        EventQueue(SMALL, k)  # type: ignore[arg-type]


# --- activity ---------------------------------------------------------------------------------


def test_active_mask_agrees_with_both_representations(
    rng: np.random.Generator, event_factory: EventFactory
) -> None:
    mapping = InputMapping(*MAPPINGS['ncars_100x120_to_95x127'])
    events = event_factory(rng, mapping.sensor, 2000)
    active = active_mask(events, mapping)
    assert active.dtype == np.bool_
    assert active.shape == (95, 127)
    assert np.array_equal(active, histogram(events, mapping).sum(-1) > 0)
    assert np.array_equal(active, np.abs(event_queue(events, mapping)).sum(-1) > 0)


# --- callables, contracts and registry --------------------------------------------------------


def test_representation_contracts(rng: np.random.Generator, event_factory: EventFactory) -> None:
    events = event_factory(rng, SMALL.sensor, 300)
    copy = events.copy()
    for rep, shape in ((Histogram(SMALL), (4, 10, 2)), (EventQueue(SMALL, k=4), (4, 10, 8))):
        out = rep(events)
        assert rep.get_shape() == shape == out.shape
        assert rep.channels == shape[2]
        assert out.dtype == rep.get_numpy_dtype() == np.float32
        assert torch.from_numpy(out).dtype == rep.get_torch_dtype() == torch.float32
        assert np.array_equal(rep(events), out)  # no state kept between calls
        assert np.array_equal(events, copy)
    assert np.array_equal(Histogram(SMALL)(events), histogram(events, SMALL))
    assert np.array_equal(EventQueue(SMALL, k=4)(events), event_queue(events, SMALL, 4))


def test_representations_are_frozen_and_comparable() -> None:
    rep = EventQueue(SMALL)
    assert rep == EventQueue(SMALL, k=15)
    assert rep.k == 15
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.k = 3  # type: ignore[misc]


@pytest.mark.parametrize('name', sorted(REPRESENTATIONS))
def test_registry_builds_each_representation(name: str) -> None:
    rep = make_representation(name, SMALL)
    assert isinstance(rep, REPRESENTATIONS[name])
    assert rep.name == name
    assert rep.mapping == SMALL
    assert rep.channels == REPRESENTATION_CHANNELS[name]  # agrees with the model config


def test_registry_rejects_unknown_names() -> None:
    match = r"unknown representation 'voxel_grid', valid names: event_queue, histogram"
    with pytest.raises(ConfigError, match=match):
        make_representation('voxel_grid', SMALL)


# --- incremental updates ----------------------------------------------------------------------


def check_update(
    rep: EventRepresentation,
    state: RepresentationState,
    window_events: np.ndarray,
    before: tuple[np.ndarray, np.ndarray],
    update: SiteUpdate,
) -> None:
    """The update contract: equal to batch, lists exactly the changed sites, row-major, applies."""
    previous_map, previous_active = before
    width = rep.mapping.width
    assert np.array_equal(state.events(), window_events)
    assert np.array_equal(state.map, rep(window_events))
    assert np.array_equal(state.active, active_mask(window_events, rep.mapping))
    assert update.rows.dtype == update.cols.dtype == np.int64
    assert update.values.dtype == np.float32
    assert update.values.shape == (len(update), rep.channels)
    assert update.active.dtype == np.bool_
    changed = np.any(state.map != previous_map, axis=-1) | (state.active != previous_active)
    assert np.array_equal(update.rows * width + update.cols, np.flatnonzero(changed))
    assert np.array_equal(update.active, state.active[update.rows, update.cols])
    update.apply_to(previous_map)
    assert np.array_equal(previous_map, state.map)


def snapshot(state: RepresentationState) -> tuple[np.ndarray, np.ndarray]:
    return state.map.copy(), state.active.copy()


REPS = {
    'histogram': Histogram(SMALL),
    'event_queue_k1': EventQueue(SMALL, k=1),
    'event_queue_k3': EventQueue(SMALL, k=3),
    'event_queue_k15': EventQueue(SMALL),
}


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rep_name=st.sampled_from(sorted(REPS)),
    steps=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 40)), min_size=1, max_size=15),
)
def test_update_matches_batch_for_any_slide(
    event_factory: EventFactory, seed: int, rep_name: str, steps: list[tuple[int, int]]
) -> None:
    """Random add/remove sizes, including removing the whole window, on a tiny grid."""
    rep = REPS[rep_name]
    events = event_factory(np.random.default_rng(seed), rep.mapping.sensor, 400, max_dt_us=2)
    state = rep.init_state()
    start = end = 0
    for n_add, n_remove in steps:
        added = events[end : end + n_add]
        end += len(added)
        removed = events[start : min(start + n_remove, end)]
        start += len(removed)
        before = snapshot(state)
        update = rep.update(state, added, removed)
        check_update(rep, state, events[start:end], before, update)
    update = rep.update(state, empty_events(), events[start:end])  # everything switches off
    assert not state.map.any()
    assert not update.active.any()
    assert len(update) == len(np.unique(SMALL.flat_cells(events[start:end])))


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rep_name=st.sampled_from(sorted(REPS)),
    by_time=st.booleans(),
    length=st.integers(1, 120),
    cuts=st.lists(st.integers(0, 400), max_size=15),
)
def test_update_follows_a_sliding_window(
    event_factory: EventFactory,
    seed: int,
    rep_name: str,
    by_time: bool,
    length: int,
    cuts: list[int],
) -> None:
    rep = REPS[rep_name]
    events = event_factory(np.random.default_rng(seed), rep.mapping.sensor, 400, max_dt_us=3)
    window = SlidingWindow(window_us=length) if by_time else SlidingWindow(window_events=length)
    state = rep.init_state()
    start = 0
    for end in [*sorted(cuts), len(events)]:
        change = window.push(events[start:end])
        before = snapshot(state)
        check_update(
            rep, state, window.events(), before, rep.update(state, change.added, change.removed)
        )
        start = max(start, end)


@pytest.mark.parametrize('rep', [Histogram(SMALL), EventQueue(SMALL, k=4)], ids=['hist', 'eq'])
def test_update_on_a_realistic_stream(
    rep: EventRepresentation, rng: np.random.Generator, event_factory: EventFactory
) -> None:
    mapping = InputMapping(*MAPPINGS['gen1_240x304_to_223x287'])
    rep = dataclasses.replace(rep, mapping=mapping)
    events = event_factory(rng, mapping.sensor, 30_000, max_dt_us=5)
    window = SlidingWindow(window_events=5000)
    state = rep.init_state()
    for start in range(0, len(events), 1000):
        change = window.push(events[start : start + 1000])
        before = snapshot(state)
        check_update(
            rep, state, window.events(), before, rep.update(state, change.added, change.removed)
        )


def test_histogram_swap_on_one_cell_is_not_listed_but_event_queue_is() -> None:
    window = events_of((1, 0, 0, 1), (1, 0, 5, 1), (1, 0, 6, 1))
    newcomer = events_of((1, 1, 9, 1))  # same cell (rows 0 and 1 merge), same polarity
    for rep, listed in ((Histogram(SMALL), 0), (EventQueue(SMALL, k=3), 1)):
        state = rep.init_state(window)
        update = rep.update(state, newcomer, window[:1])
        assert len(update) == listed
        assert np.array_equal(state.map, rep(concatenate_events([window[1:], newcomer])))


def test_init_state_with_events_equals_batch(
    rng: np.random.Generator, event_factory: EventFactory
) -> None:
    events = event_factory(rng, SMALL.sensor, 200)
    for rep in REPS.values():
        state = rep.init_state(events)
        assert np.array_equal(state.map, rep(events))
        assert np.array_equal(state.counts, histogram(events, SMALL).sum(-1).astype(np.int64))
        assert np.array_equal(state.events(), events)


def test_update_does_not_mutate_its_inputs(
    rng: np.random.Generator, event_factory: EventFactory
) -> None:
    events = event_factory(rng, SMALL.sensor, 100)
    for rep in REPS.values():
        state = rep.init_state(events[:60])
        added, removed = events[60:], events[:30]
        copies = added.copy(), removed.copy()
        rep.update(state, added, removed)
        assert np.array_equal(added, copies[0])
        assert np.array_equal(removed, copies[1])


WINDOW = events_of((0, 0, 5, 1), (3, 2, 6, 0))


@pytest.mark.parametrize(
    ('added', 'removed', 'error', 'match'),
    [
        (
            empty_events(),
            WINDOW[1:],
            EventOrderError,
            r'removed\[0\] = \(x=3, y=2, p=0, t_us=6\) is not the oldest event of the window, '
            r'expected \(x=0, y=0, p=1, t_us=5\)',
        ),
        (
            events_of((1, 1, 7, 1)),
            concatenate_events([WINDOW, events_of((1, 1, 7, 1), (1, 1, 8, 1))]),
            EventOrderError,
            r'cannot remove 4 events: the window holds 2 plus 1 added',
        ),
        (
            events_of((1, 1, 5, 1)),
            empty_events(),
            EventOrderError,
            r'event 0 has t_us=5 < previous t_us=6',
        ),
        (
            events_of((9, 1, 7, 1)),
            empty_events(),
            EventRangeError,
            r'event 0 has x=9, must be < width 8',
        ),
        (
            np.zeros(2),
            empty_events(),
            EventFormatError,
            r'must have dtype EVENT_DTYPE',
        ),
        (
            empty_events(),
            WINDOW['t'],
            EventFormatError,
            r'must have dtype EVENT_DTYPE .* got int64',
        ),
    ],
)
@pytest.mark.parametrize('rep', [Histogram(SMALL), EventQueue(SMALL)], ids=['hist', 'eq'])
def test_update_rejects_and_leaves_state_unchanged(
    rep: EventRepresentation,
    added: np.ndarray,
    removed: np.ndarray,
    error: type[Exception],
    match: str,
) -> None:
    state = rep.init_state(WINDOW)
    before = state.map.copy(), state.counts.copy(), state.events()
    with pytest.raises(error, match=match):
        rep.update(state, added, removed)
    for kept, now in zip(before, (state.map, state.counts, state.events()), strict=True):
        assert np.array_equal(kept, now)


def test_removed_may_include_events_added_in_the_same_update() -> None:
    rep = Histogram(SMALL)
    state = rep.init_state(WINDOW)
    added = events_of((1, 1, 7, 1), (2, 2, 8, 0))
    update = rep.update(state, added, concatenate_events([WINDOW, added[:1]]))
    assert np.array_equal(state.events(), added[1:])
    assert np.array_equal(state.map, rep(added[1:]))
    # (0, 0) and (1, 3) switch off, (1, 2) switches on; (0, 1) comes and goes, so it is not listed
    assert list(zip(update.rows.tolist(), update.cols.tolist(), strict=True)) == [
        (0, 0),
        (1, 2),
        (1, 3),
    ]
    assert update.active.tolist() == [False, True, False]


def test_update_rejects_a_state_of_another_representation() -> None:
    state = Histogram(SMALL).init_state()
    match = (
        r'state map has shape \(4, 10, 2\) and dtype float32 \(C-contiguous: True\), '
        r'needs C-contiguous \(4, 10, 30\) float32'
    )
    with pytest.raises(ShapeError, match=match):
        EventQueue(SMALL).update(state, empty_events(), empty_events())


def test_update_rejects_non_contiguous_state_arrays() -> None:
    state = Histogram(SMALL).init_state()
    state.counts = np.zeros((10, 4), dtype=np.int64).T
    match = r'state counts has .* \(C-contiguous: False\), needs C-contiguous \(4, 10\) int64'
    with pytest.raises(ShapeError, match=match):
        Histogram(SMALL).update(state, empty_events(), empty_events())


def test_site_update_rejects_unequal_lengths() -> None:
    match = r'equal lengths, got rows 2, cols 2, values 1, active 2'
    with pytest.raises(ShapeError, match=match):
        SiteUpdate(
            np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros((1, 2)), np.zeros(2, bool)
        )
