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

"""Compiled histogram and event-queue updates equal their numpy twins; bad arrays are rejected."""

from __future__ import annotations

import re

import numpy as np
import pytest

from asynet_core import ops
from asynet_core.events import SensorSize
from asynet_core.representations import EventQueue, Histogram, InputMapping, SiteUpdate
from asynet_core.synthetic import moving_edges
from asynet_core.window import SlidingWindow
from checkout import require_cpp_ext

_ext = require_cpp_ext()

SENSOR = SensorSize(40, 30)
MAPPING = InputMapping(SENSOR, (23, 31))  # down-sampling: several pixels per cell
REPRESENTATIONS = [Histogram(MAPPING), EventQueue(MAPPING, k=4), EventQueue(MAPPING, k=15)]


def _stream(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(added, removed) slides of a sliding window, window sizes and chunk sizes varying."""
    events = moving_edges(SENSOR, 3000, seed, edges=3)
    window = SlidingWindow(window_events=int(np.random.default_rng(seed).integers(5, 400)))
    cuts = np.sort(np.random.default_rng(seed + 1).choice(np.arange(1, 3000), 40, replace=False))
    slides = []
    for chunk in np.split(events, cuts):
        change = window.push(chunk)
        slides.append((change.added, change.removed))
    return slides


def _same(a: SiteUpdate, b: SiteUpdate) -> None:
    for name in ('rows', 'cols', 'values', 'active'):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize('rep', REPRESENTATIONS, ids=lambda r: f'{r.name}-{r.channels}')
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_compiled_updates_equal_the_numpy_twin_and_the_batch_function(
    rep: object, seed: int
) -> None:
    assert isinstance(rep, Histogram | EventQueue)
    states = {b: rep.init_state() for b in ('cpp', 'torch')}
    for added, removed in _stream(seed):
        updates = {}
        for backend, state in states.items():
            with ops.use_backend(backend):
                updates[backend] = rep.update(state, added, removed)
        _same(updates['cpp'], updates['torch'])
        assert np.array_equal(states['cpp'].map, states['torch'].map)
        assert np.array_equal(states['cpp'].map, rep(states['cpp'].events()))
        assert np.array_equal(states['cpp'].counts, states['torch'].counts)


def _hist_args() -> dict[str, np.ndarray]:
    counts = np.zeros(6, dtype=np.int64)
    counts[2] = 1
    hist = np.zeros((6, 2), dtype=np.float32)
    hist[2, 1] = 1.0
    return {
        'counts': counts,
        'map': hist,
        'added': np.array([1, 2], dtype=np.int64),
        'added_p': np.array([0, 1], dtype=np.int16),
        'removed': np.array([2], dtype=np.int64),
        'removed_p': np.array([1], dtype=np.int16),
    }


def test_histogram_update_reports_exactly_the_changed_cells() -> None:
    args = _hist_args()
    cells, values, active = _ext.histogram_update(**args)
    assert cells.tolist() == [1]  # cell 2: one ON event in and one out, so it is unchanged
    assert values.tolist() == [[1.0, 0.0]]
    assert active.tolist() == [True]
    assert args['counts'].tolist() == [0, 1, 1, 0, 0, 0]


H = 'histogram_update'
HIST_ERRORS = [
    (
        'counts',
        np.zeros(6, dtype=np.int32),
        TypeError,
        f'{H}: counts must have dtype int64, got int32',
    ),
    (
        'map',
        np.zeros((6, 3), np.float32),
        ValueError,
        f'{H}: map must have shape (6, 2), got (6, 3)',
    ),
    ('added', np.array([1, 6]), ValueError, f'{H}: added[1] = 6 is outside [0, 6)'),
    (
        'added_p',
        np.array([0, 2], np.int16),
        ValueError,
        f'{H}: added_p[1] = 2 is not a polarity (0 or 1)',
    ),
    (
        'removed',
        np.array([3]),
        ValueError,
        f'{H}: removing events from cell 3 would leave -1 events there',
    ),
    ('added', [1, 2], TypeError, f'{H}: added must be a numpy array, got list'),
]


@pytest.mark.parametrize(
    ('name', 'bad', 'exc', 'message'), HIST_ERRORS, ids=[e[0] for e in HIST_ERRORS]
)
def test_histogram_update_rejects_bad_arrays(
    name: str, bad: object, exc: type, message: str
) -> None:
    args = _hist_args()
    before = {k: np.copy(v) for k, v in args.items()}
    args[name] = bad  # type: ignore[assignment]
    with pytest.raises(exc, match='^' + re.escape(message) + '$'):
        _ext.histogram_update(**args)
    for key in ('counts', 'map'):
        if key != name:
            assert np.array_equal(args[key], before[key]), key


def _queue_args(k: int = 2) -> dict[str, np.ndarray]:
    return {
        'counts': np.zeros(4, dtype=np.int64),
        'map': np.zeros((4, 2 * k), dtype=np.float32),
        'queue_t': np.zeros((4, k), dtype=np.int64),
        'queue_p': np.zeros((4, k), dtype=np.int16),
        'added': np.array([1, 1, 1], dtype=np.int64),
        'added_t': np.array([10, 20, 40], dtype=np.int64),
        'added_p': np.array([1, 0, 1], dtype=np.int16),
        'removed': np.array([1], dtype=np.int64),
    }


def test_event_queue_update_keeps_the_newest_events_of_each_cell() -> None:
    args = _queue_args()
    cells, values, active = _ext.event_queue_update(**args)
    assert cells.tolist() == [1]
    assert args['queue_t'][1].tolist() == [40, 20]  # 10 fell off the 2-slot queue, then left
    assert values.tolist() == [[0.0, 1.0, 1.0, -1.0]]  # ages (40-40, 40-20) / 20, polarities
    assert active.tolist() == [True]
    assert args['counts'][1] == 2


Q = 'event_queue_update'
QUEUE_ERRORS = [
    (
        'queue_p',
        np.zeros((4, 2), np.int64),
        TypeError,
        f'{Q}: queue_p must have dtype int16, got int64',
    ),
    (
        'map',
        np.zeros((4, 3), np.float32),
        ValueError,
        f'{Q}: map must have shape (4, 4), got (4, 3)',
    ),
    ('added_t', np.zeros(2, np.int64), ValueError, f'{Q}: added_t must have shape (3,), got (2,)'),
    (
        'removed',
        np.array([2]),
        ValueError,
        f'{Q}: removing events from cell 2 would leave -1 events there',
    ),
    (
        'queue_t',
        np.zeros((4, 0), np.int64),
        ValueError,
        f'{Q}: queue_t needs at least one slot per cell',
    ),
]


@pytest.mark.parametrize(
    ('name', 'bad', 'exc', 'message'), QUEUE_ERRORS, ids=[e[0] for e in QUEUE_ERRORS]
)
def test_event_queue_update_rejects_bad_arrays(
    name: str, bad: object, exc: type, message: str
) -> None:
    args = _queue_args()
    before = {k: np.copy(v) for k, v in args.items()}
    args[name] = bad  # type: ignore[assignment]
    with pytest.raises(exc, match='^' + re.escape(message) + '$'):
        _ext.event_queue_update(**args)
    for key in ('counts', 'map', 'queue_t', 'queue_p'):
        if key != name:
            assert np.array_equal(args[key], before[key]), key
