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

"""EventStream: window, representation and engine in one equal spconv on the window."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from asynet_core.errors import EventRangeError
from asynet_core.events import SensorSize
from asynet_core.stream import EventStream
from asynet_core.synthetic import moving_edges
from model_factory import (
    make_model,
    spconv_forward,
)


@pytest.mark.parametrize('window', [{'window_events': 1500}, {'window_us': 20_000}])
def test_event_stream_equals_spconv_on_the_window(window: dict[str, int]) -> None:
    model = make_model('ncars', torch.float64, seed=28)
    sensor = SensorSize(120, 100)
    stream = EventStream.from_model(model, sensor, dtype=torch.float64, **window)
    for chunk in np.array_split(moving_edges(sensor, 5000, seed=29), 12):
        out = stream.push(chunk)
        ref = spconv_forward(model, torch.from_numpy(stream.current_input()).double())
        assert float((out - ref).abs().max()) <= 1e-9
    stream.reset()
    assert len(stream.window) == 0


def test_event_stream_holds_the_window_once() -> None:
    model = make_model('ncars', torch.float64, seed=28)
    sensor = SensorSize(120, 100)
    stream = EventStream.from_model(model, sensor, dtype=torch.float64, window_events=700)
    events = moving_edges(sensor, 2000, seed=29)
    for chunk in np.array_split(events, 5):
        stream.push(chunk)
        assert stream.window._buffer is stream.rep_state.window  # one buffer, shared
    assert np.array_equal(stream.window.events(), events[-700:])
    assert np.array_equal(stream.rep_state.events(), events[-700:])
    stream.reset()
    assert stream.window._buffer is stream.rep_state.window
    assert len(stream.window) == len(stream.rep_state.window) == 0


def test_a_rejected_push_changes_nothing_and_the_stream_goes_on() -> None:
    """Before: the window moved, then the representation refused, and every later push failed."""
    model = make_model('ncars', torch.float64, seed=28)
    sensor = SensorSize(120, 100)
    stream = EventStream.from_model(model, sensor, dtype=torch.float64, window_events=500)
    events = moving_edges(sensor, 1500, seed=30)
    stream.push(events[:1000])
    out, held, rep = stream.output().clone(), stream.window.events(), stream.current_input()
    bad = events[1000:1010].copy()
    bad['x'][5] = sensor.width  # outside the sensor
    with pytest.raises(EventRangeError, match='must be < width 120'):
        stream.push(bad)
    assert torch.equal(stream.output(), out)
    assert np.array_equal(stream.window.events(), held)
    assert np.array_equal(stream.current_input(), rep)
    assert stream.window.last_t_us == int(events['t'][999])
    after = stream.push(events[1000:])
    ref = spconv_forward(model, torch.from_numpy(stream.current_input()).double())
    assert float((after - ref).abs().max()) <= 1e-9
    assert np.array_equal(stream.window.events(), events[-500:])
