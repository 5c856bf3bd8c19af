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

"""The moving-shapes generator: classification and detection samples, seeds, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

from asynet_core.events import EVENT_DTYPE, SensorSize, validate_events
from asynet_training import formats
from asynet_training.errors import DatasetConfigError
from asynet_training.synthetic import (
    make_background_sample,
    make_classification_sample,
    make_detection_sample,
    SHAPE_CLASSES,
)
from training_helpers import inside

SENSOR = SensorSize(64, 48)
LABEL_TIMES = [20_000, 40_000, 60_000]


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_class_names_are_sorted_and_distinct():
    assert list(SHAPE_CLASSES) == sorted(set(SHAPE_CLASSES))
    assert len(SHAPE_CLASSES) == 5


@pytest.mark.parametrize('cls_index', range(len(SHAPE_CLASSES)))
def test_classification_sample_is_valid(cls_index):
    events = make_classification_sample(cls_index, SENSOR, 1500, _rng(cls_index))
    assert events.dtype == EVENT_DTYPE
    assert len(events) == 1500
    validate_events(events, SENSOR)  # inside the sensor, polarity 0/1, time-sorted
    assert events['t'].min() >= 0
    assert events['t'].max() < 50_000
    assert 0.3 <= events['p'].mean() <= 0.7  # leading edges ON, trailing edges OFF


@pytest.mark.parametrize('cls_index', range(len(SHAPE_CLASSES)))
def test_leading_edge_is_on_and_trailing_edge_off(cls_index):
    events = make_classification_sample(cls_index, SENSOR, 3000, _rng(7), noise_fraction=0.0)
    t = events['t'].astype(np.float64)
    xy = np.stack([events['x'], events['y']], axis=1).astype(np.float64)
    design = np.stack([np.ones_like(t), t], axis=1)
    coef = np.linalg.lstsq(design, xy, rcond=None)[0]  # [2, 2]: centre(t) = c0 + v t
    ahead = (xy - design @ coef) @ coef[1]  # offset from the centre along the velocity
    on = events['p'] == 1
    assert ahead[on].mean() > 0 > ahead[~on].mean()


def test_same_seed_same_samples_and_different_seed_differs():
    first = make_classification_sample(2, SENSOR, 1000, _rng(3))
    again = make_classification_sample(2, SENSOR, 1000, _rng(3))
    other = make_classification_sample(2, SENSOR, 1000, _rng(4))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    det = make_detection_sample(SENSOR, 2, 2000, LABEL_TIMES, _rng(3))
    det_again = make_detection_sample(SENSOR, 2, 2000, LABEL_TIMES, _rng(3))
    det_other = make_detection_sample(SENSOR, 2, 2000, LABEL_TIMES, _rng(4))
    assert all(np.array_equal(a, b) for a, b in zip(det, det_again, strict=True))
    assert not np.array_equal(det[1], det_other[1])


def test_background_sample_is_valid():
    events = make_background_sample(SENSOR, 1200, _rng())
    assert len(events) == 1200
    validate_events(events, SENSOR)
    assert 0.2 <= events['p'].mean() <= 0.8


@pytest.mark.parametrize('num_objects', [1, 3])
def test_detection_boxes_cover_events_at_label_times(num_objects):
    events, boxes = make_detection_sample(SENSOR, num_objects, 6000, LABEL_TIMES, _rng(5))
    validate_events(events, SENSOR)
    assert len(events) == 6000
    assert boxes.dtype == formats.BBOX_DTYPE
    assert len(boxes) == num_objects * len(LABEL_TIMES)
    assert np.array_equal(np.unique(boxes['t']), LABEL_TIMES)
    assert sorted(set(boxes['track_id'].tolist())) == list(range(num_objects))
    assert np.all(boxes['class_id'] < len(SHAPE_CLASSES))
    assert np.all((boxes['x'] >= 0) & (boxes['x'] + boxes['w'] <= SENSOR.width + 1e-4))
    assert np.all((boxes['y'] >= 0) & (boxes['y'] + boxes['h'] <= SENSOR.height + 1e-4))
    assert np.all((boxes['w'] > 0) & (boxes['h'] > 0))
    for t in LABEL_TIMES:
        near = events[np.abs(events['t'] - t) <= 1000]
        assert len(near) > 50
        assert inside(near, boxes[boxes['t'] == t], margin=2.0).mean() >= 0.9


def test_detection_boxes_track_their_own_object():
    events, boxes = make_detection_sample(SENSOR, 1, 4000, LABEL_TIMES, _rng(9), noise_fraction=0)
    for t in LABEL_TIMES:
        near = events[np.abs(events['t'] - t) <= 1000]
        assert inside(near, boxes[boxes['t'] == t], margin=2.0).mean() >= 0.97
        others = boxes[boxes['t'] != t]
        moved = np.abs(others['x'] - boxes[boxes['t'] == t]['x']) + np.abs(
            others['y'] - boxes[boxes['t'] == t]['y']
        )
        assert np.all(moved > 0)  # the object moves between label times


def test_detection_fixed_classes_and_saccade():
    events, boxes = make_detection_sample(
        SENSOR, 1, 2000, [0, 150_000], _rng(), class_ids=[4], motion='saccade'
    )
    assert np.all(boxes['class_id'] == 4)
    assert events['t'].max() < 300_000
    shift = (boxes['x'][1] - boxes['x'][0], boxes['y'][1] - boxes['y'][0])
    assert shift == pytest.approx((5.25, 3.5), abs=1e-3)  # the N-Caltech101 saccade


@pytest.mark.parametrize(
    ('call', 'match'),
    [
        (lambda: make_classification_sample(5, SENSOR, 10, _rng()), r'class index 5 is not in'),
        (lambda: make_classification_sample(0, SensorSize(8, 40), 10, _rng()), 'too small'),
        (lambda: make_classification_sample(0, SENSOR, 0, _rng()), 'num_events must be'),
        (
            lambda: make_classification_sample(0, SENSOR, 10, _rng(), noise_fraction=1.0),
            r'noise_fraction must be in \[0, 1\)',
        ),
        (lambda: make_detection_sample(SENSOR, 0, 10, [5], _rng()), 'num_objects must be'),
        (
            lambda: make_detection_sample(SENSOR, 1, 10, [5, 100], _rng(), duration_us=50),
            r'label_times_us must lie in \[0, duration_us=50\]',
        ),
        (lambda: make_detection_sample(SENSOR, 1, 10, [], _rng()), 'non-empty'),
        (
            lambda: make_detection_sample(SENSOR, 2, 10, [5], _rng(), class_ids=[1]),
            'class_ids has 1 entries for num_objects=2',
        ),
        (lambda: make_detection_sample(SENSOR, 1, 10, [5], _rng(), motion='zigzag'), 'motion'),
    ],
)
def test_bad_sample_arguments_raise(call, match):
    with pytest.raises(DatasetConfigError, match=match):
        call()


@pytest.mark.parametrize(
    'sensor', [SensorSize(120, 100), SensorSize(16, 16), SensorSize(16, 200), SensorSize(304, 240)]
)
def test_every_seed_gives_a_sample_inside_the_sensor(sensor):
    """Large shapes moving far used to be refused on small sensors ('does not fit')."""
    for seed in range(60):
        for cls_index in range(len(SHAPE_CLASSES)):
            events = make_classification_sample(cls_index, sensor, 200, _rng(seed))
            validate_events(events, sensor)
        for motion in ('linear', 'saccade'):
            times = LABEL_TIMES if motion == 'linear' else [300_000]
            events, boxes = make_detection_sample(sensor, 3, 300, times, _rng(seed), motion=motion)
            validate_events(events, sensor)
            assert np.all((boxes['w'] > 0) & (boxes['h'] > 0))
