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

"""Engine behaviour beyond equivalence: the original's bugs, resync, events in, errors out."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from asynet_core.engine import AsyncEngine, AsyncTrunk
from asynet_core.errors import ConfigError, ShapeError
from asynet_core.events import SensorSize
from asynet_core.stream import EventStream
from asynet_core.synthetic import moving_edges
from model_factory import (
    make_model,
    make_trunk,
    masked_dense_oracle,
    random_updates,
    randomise_batchnorm,
    spconv_forward,
)


def _ncars64() -> tuple[nn.Module, AsyncEngine]:
    model = make_model('ncars', torch.float64, seed=21)
    return model, AsyncEngine.from_model(model, torch.float64)


def test_zero_update_site_next_to_active_sites_stays_inactive() -> None:
    """Original bug: a site updated with zero input before and after became NEW_ACTIVE."""
    model, engine = _ncars64()
    block = torch.tensor(
        [[r, c] for r in range(10, 13) for c in range(10, 13) if (r, c) != (11, 11)]
    )
    engine.update(block, torch.ones(len(block), 2, dtype=torch.float64))
    out = engine.update(torch.tensor([[11, 11]]), torch.zeros(1, 2, dtype=torch.float64))
    site = 11 * model.config.input_size[1] + 11
    first = engine.state.layers[0]
    assert not bool(first.out.active[site])
    assert float(first.y[site].abs().max()) == 0.0
    assert float(first.out.values[site].abs().max()) == 0.0
    x = torch.zeros(*model.config.input_size, 2, dtype=torch.float64)
    x[block[:, 0], block[:, 1]] = 1.0
    assert float((out - spconv_forward(model, x)).abs().max()) <= 1e-9


def test_all_zero_site_after_relu_stays_active_after_pooling() -> None:
    """Original bug: pooled activity was 'feature != 0', so all-zero active windows vanished."""
    torch.manual_seed(22)
    trunk = make_trunk(['c4', 'p', 'c5'], 2)
    randomise_batchnorm(trunk, 23)
    trunk.bn0.bias.data.fill_(-100.0)  # every first-level site is 0 after ReLU
    trunk.bn2.bias.data.fill_(1.0)  # active second-level sites are clearly nonzero
    trunk = trunk.double().eval()
    net = AsyncTrunk.from_sequential(trunk, (9, 9), 2, torch.float64)
    state = net.init_state()
    net(state, torch.tensor([[0, 0], [8, 8]]), torch.ones(2, 2, dtype=torch.float64))
    pooled = state.layers[1]
    assert float(pooled.values.abs().max()) == 0.0
    assert pooled.active[:16].view(4, 4).nonzero().tolist() == [[0, 0], [3, 3]]
    x = torch.zeros(1, 2, 9, 9, dtype=torch.float64)
    a = torch.zeros(1, 1, 9, 9, dtype=torch.float64)
    x[0, :, 0, 0] = x[0, :, 8, 8] = 1.0
    a[0, 0, 0, 0] = a[0, 0, 8, 8] = 1.0
    out = net.output_map(state).values[:16].view(4, 4, 5).permute(2, 0, 1)
    oracle = masked_dense_oracle(trunk, x, a)[0]
    assert float((out - oracle).abs().max()) <= 1e-12
    assert float(out[:, 0, 0].min()) > 0.0


def test_scheduled_resync_bounds_float32_drift() -> None:
    model = make_model('ncars', torch.float32, seed=24)
    free = AsyncEngine.from_model(model)
    synced = AsyncEngine.from_model(model, resync_every=10)
    stream = list(random_updates(model.config.input_size, 2, 30, seed=25, dtype=torch.float32))
    for sites, values, _ in stream:
        free.update(sites, values)
        out = synced.update(sites, values)
    assert synced.resyncs == 3
    ref = spconv_forward(model, stream[-1][2])
    assert float((out - ref).abs().max() / ref.abs().max()) <= 1e-5
    assert float((free.output() - ref).abs().max() / ref.abs().max()) <= 1e-4


def test_resync_on_demand_equals_incremental_state() -> None:
    model, engine = _ncars64()
    for sites, values, _ in random_updates(
        model.config.input_size, 2, 6, seed=26, dtype=torch.float64
    ):
        out = engine.update(sites, values)
    ys = [st.y.clone() for st in engine.state.layers if hasattr(st, 'y')]
    assert float((engine.resync() - out).abs().max()) <= 1e-12
    after = [st.y for st in engine.state.layers if hasattr(st, 'y')]
    assert max(float((a - b).abs().max()) for a, b in zip(ys, after, strict=True)) <= 1e-12


def test_reset_forgets_the_stream() -> None:
    model, engine = _ncars64()
    for sites, values, _ in random_updates(
        model.config.input_size, 2, 3, seed=27, dtype=torch.float64
    ):
        engine.update(sites, values)
    engine.reset()
    assert engine.state.updates == 0
    assert not bool(engine.state.input.active.any())
    empty = spconv_forward(model, torch.zeros(*model.config.input_size, 2, dtype=torch.float64))
    assert float((engine.output() - empty).abs().max()) <= 1e-12


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


@pytest.mark.parametrize(
    ('sites', 'values', 'active', 'match'),
    [
        (
            torch.zeros(2, 3, dtype=torch.long),
            torch.zeros(2, 2),
            None,
            r'sites must be an integer array \[N, 2\] of \(row, col\), got int64 \(2, 3\)',
        ),
        (torch.zeros(1, 2), torch.zeros(1, 2), None, r'sites must be an integer array'),
        (
            torch.zeros(1, 2, dtype=torch.long),
            torch.zeros(1, 3),
            None,
            r'values must be \[N=1, C=2\] \(the model expects 2 input channels\), got \(1, 3\)',
        ),
        (
            torch.tensor([[95, 0]]),
            torch.ones(1, 2),
            None,
            r'site \(row=95, col=0\) is outside the 95x127 model input',
        ),
        (torch.tensor([[0, -1]]), torch.ones(1, 2), None, r'site \(row=0, col=-1\) is outside'),
        (
            torch.tensor([[1, 1], [1, 1]]),
            torch.ones(2, 2),
            None,
            'sites must be unique within one update',
        ),
        (
            torch.tensor([[1, 1]]),
            torch.ones(1, 2),
            torch.ones(1),
            r'active must be a bool array \[N=1\], got float32 \(1,\)',
        ),
    ],
)
def test_bad_updates_raise_shape_errors(
    sites: torch.Tensor, values: torch.Tensor, active: torch.Tensor | None, match: str
) -> None:
    engine = AsyncEngine.from_model(make_model('ncars', torch.float32, seed=30))
    with pytest.raises(ShapeError, match=match):
        engine.update(sites, values, active)
    assert engine.state.updates == 0
    assert not bool(engine.state.input.active.any())


def test_conversion_errors_name_the_problem() -> None:
    model = make_model('ncars', torch.float32, seed=31)
    with pytest.raises(
        ConfigError, match=r'engine dtype must be float32 or float64, got torch.float16'
    ):
        AsyncEngine.from_model(model, torch.float16)
    model.extra = nn.Linear(2, 2)
    with pytest.raises(
        ConfigError,
        match=r"weight conversion left model entries unused: \['extra.bias', "
        r"'extra.weight'\]",
    ):
        AsyncEngine.from_model(model)
    del model.extra
    model.trunk.pool0 = nn.Identity()
    with pytest.raises(ConfigError, match=r"layer 'pool0': unsupported trunk layer Identity"):
        AsyncEngine.from_model(model)
    with pytest.raises(
        ConfigError, match=r'expected a SparseVGG with .config and .trunk, got Linear'
    ):
        AsyncEngine.from_model(nn.Linear(2, 2))
    with pytest.raises(ConfigError, match=r'resync_every must be >= 0 or None, got -1'):
        AsyncEngine.from_model(make_model('ncars', torch.float32), resync_every=-1)
