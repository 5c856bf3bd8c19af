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

"""The dataset kernels: shifts and flips of events and boxes, the window start."""

from __future__ import annotations

import numpy as np

from asynet_core.events import EVENT_DTYPE, make_events, SensorSize
from asynet_training.datasets import (
    augment_sample,
    flip_boxes,
    flip_events,
    shift_events,
    Window,
)


def test_kernels_never_mutate_and_drop_outside() -> None:
    sensor = SensorSize(10, 8)
    events = make_events([0, 5, 9], [0, 7, 3], [1, 2, 3], [0, 1, 1])
    copy = events.copy()
    shifted = shift_events(events, 2, -1, sensor)
    assert shifted.tolist() == [(7, 6, 1, 2)]
    assert flip_events(events, sensor)['x'].tolist() == [9, 4, 0]
    boxes = np.array([[1.0, 2.0, 3.0, 4.0, 0.0]], dtype=np.float32)
    box_copy = boxes.copy()
    assert flip_boxes(boxes, sensor).tolist() == [[6.0, 2.0, 3.0, 4.0, 0.0]]
    out_events, out_boxes = augment_sample(events, boxes, sensor, np.random.default_rng(0), 3)
    assert out_boxes is not None
    assert out_events.dtype == EVENT_DTYPE
    assert np.array_equal(events, copy)
    assert np.array_equal(boxes, box_copy)


def test_flip_keeps_events_inside_their_box() -> None:
    sensor = SensorSize(20, 10)
    events = make_events([4, 5, 6], [2, 3, 4], [0, 1, 2], [1, 1, 1])  # inside box x 4..6
    boxes = np.array([[4.0, 2.0, 3.0, 3.0, 1.0]], dtype=np.float32)
    fe, fb = flip_events(events, sensor), flip_boxes(boxes, sensor)
    assert np.all((fe['x'] >= fb[0, 0]) & (fe['x'] < fb[0, 0] + fb[0, 2]))


def test_window_start() -> None:
    t = np.array([0, 10, 20, 30, 40])
    assert Window(events=2).start(t, 5) == 3
    assert Window(events=-1).start(t, 5) == 0
    assert Window(us=15).start(t, 5) == 3  # 25 < t <= 40
    assert Window(us=15).start(t, 0) == 0
