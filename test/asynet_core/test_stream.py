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
