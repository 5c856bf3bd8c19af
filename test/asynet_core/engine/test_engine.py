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

"""The asynchronous engine: equal to the spconv training model at every step, and its behaviour.

Streams switch sites on and off; float64 must agree to 1e-9 absolute, float32 to 1e-4 relative.
Beyond equivalence: the original's bugs, resync, reset, and the errors of bad updates and
conversions.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest
import torch
from torch import nn

from asynet_core.engine import AsyncEngine, AsyncTrunk
from asynet_core.errors import ConfigError, ShapeError
from asynet_core.models import to_sparse_input
from asynet_core.models.config import ARCHS
from asynet_core.spconv_compat import spconv_single_thread
from model_factory import (
    make_model,
    make_trunk,
    masked_dense_oracle,
    random_updates,
    randomise_batchnorm,
    spconv_forward,
)

ATOL_F64 = 1e-9
RTOL_F32 = 1e-4


def _rel_err(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).abs().max() / ref.abs().max().clamp_min(1e-12))


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_network_equals_spconv_float64(arch: str) -> None:
    model = make_model(arch, torch.float64, seed=1)
    engine = AsyncEngine.from_model(model, torch.float64)
    size = model.config.input_size
    for sites, values, x in random_updates(size, 2, steps=8, seed=2, dtype=torch.float64):
        out = engine.update(sites, values)
        ref = spconv_forward(model, x)
        assert out.shape == ref.shape
        assert float((out - ref).abs().max()) <= ATOL_F64


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_network_equals_spconv_float32(arch: str) -> None:
    model = make_model(arch, torch.float32, seed=3)
    engine = AsyncEngine.from_model(model)
    for sites, values, x in random_updates(
        model.config.input_size, 2, steps=8, seed=4, dtype=torch.float32
    ):
        out = engine.update(sites, values)
        assert _rel_err(out, spconv_forward(model, x)) <= RTOL_F32


def test_event_queue_channels() -> None:
    model = make_model('ncars', torch.float64, seed=5, representation='event_queue')
    engine = AsyncEngine.from_model(model, torch.float64)
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(*model.config.input_size, 30, dtype=torch.float64)
    for sites, values, _ in random_updates(
        model.config.input_size, 30, steps=5, seed=6, dtype=torch.float64
    ):
        signed = values * (torch.rand(values.shape, generator=g, dtype=torch.float64) - 0.5)
        x[sites[:, 0], sites[:, 1]] = signed
        out = engine.update(sites, signed)
        assert float((out - spconv_forward(model, x)).abs().max()) <= ATOL_F64


def test_everything_switches_off_then_on() -> None:
    model = make_model('ncars', torch.float64, seed=7)
    engine = AsyncEngine.from_model(model, torch.float64)
    stream = list(random_updates(model.config.input_size, 2, steps=3, seed=8, dtype=torch.float64))
    for sites, values, _ in stream:
        engine.update(sites, values)
    x = stream[-1][2]
    active = (x != 0).any(dim=-1).nonzero()
    out = engine.update(active, torch.zeros(active.shape[0], 2, dtype=torch.float64))
    empty = spconv_forward(model, torch.zeros_like(x))
    assert float((out - empty).abs().max()) <= ATOL_F64
    assert not bool(engine.state.input.active.any())
    out = engine.update(active, x[active[:, 0], active[:, 1]])
    assert float((out - spconv_forward(model, x)).abs().max()) <= ATOL_F64


TRUNKS = [
    ['c4'],
    ['c3', 'c5'],
    ['c4', 'p'],
    ['c4', 'p', 'c6'],
    ['c4', 's5'],
    ['c3', 'c4', 'p', 'c5', 'p', 'c6', 's4'],
]


@pytest.mark.parametrize('spec', TRUNKS, ids=['-'.join(s) for s in TRUNKS])
@pytest.mark.parametrize('size', [(16, 16), (15, 18)])
def test_layers_equal_spconv_and_masked_dense(spec: list[str], size: tuple[int, int]) -> None:
    torch.manual_seed(11)
    trunk = make_trunk(spec, 2)
    randomise_batchnorm(trunk, 12)
    trunk = trunk.double().eval()
    async_trunk = AsyncTrunk.from_sequential(trunk, size, 2, torch.float64)
    state = async_trunk.init_state()
    for sites, values, x in random_updates(
        size, 2, steps=12, seed=13, dtype=torch.float64, first=60, max_changes=12
    ):
        async_trunk(state, sites, values)
        last = async_trunk.output_map(state)
        active = (x != 0).any(dim=-1)
        oracle = masked_dense_oracle(
            trunk, x.permute(2, 0, 1).unsqueeze(0), active.view(1, 1, *size).double()
        )
        ho, wo = oracle.shape[2:]
        got = last.values[:-1].view(ho, wo, -1).permute(2, 0, 1).unsqueeze(0)
        assert float((got - oracle).abs().max()) <= ATOL_F64
        if active.any():
            with torch.no_grad(), spconv_single_thread():
                ref = trunk(to_sparse_input(x.unsqueeze(0)))
            assert float((got - ref).abs().max()) <= ATOL_F64


_SIZE = (9, 11)
_update = st.lists(
    st.tuples(
        st.integers(0, _SIZE[0] - 1),
        st.integers(0, _SIZE[1] - 1),
        st.sampled_from([0.0, 0.0, 1.0, 2.0, -1.5, 3.0]),
        st.sampled_from([0.0, 1.0, 0.5]),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda u: (u[0], u[1]),
)


@settings(max_examples=40, deadline=None)
@given(stream=st.lists(_update, min_size=1, max_size=8))
def test_random_streams_equal_masked_dense(
    stream: list[list[tuple[int, int, float, float]]],
) -> None:
    torch.manual_seed(41)
    trunk = make_trunk(['c3', 'c4', 'p', 'c3', 's4'], 2)
    randomise_batchnorm(trunk, 42)
    trunk = trunk.double().eval()
    net = AsyncTrunk.from_sequential(trunk, _SIZE, 2, torch.float64)
    state = net.init_state()
    x = torch.zeros(1, 2, *_SIZE, dtype=torch.float64)
    for update in stream:
        sites = torch.tensor([[r, c] for r, c, _, _ in update])
        values = torch.tensor([[a, b] for _, _, a, b in update], dtype=torch.float64)
        x[0, :, sites[:, 0], sites[:, 1]] = values.t()
        net(state, sites, values)
        active = (x != 0).any(dim=1, keepdim=True).double()
        oracle = masked_dense_oracle(trunk, x, active)
        got = net.output_map(state).values[:-1].view(*oracle.shape[2:], -1).permute(2, 0, 1)
        assert float((got - oracle[0]).abs().max()) <= ATOL_F64


# -- behaviour beyond equivalence: the original's bugs, resync, reset, errors ---------------------


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
