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

"""The asynchronous engine equals the spconv training model at every step of a stream.

Streams switch sites on and off; float64 must agree to 1e-9 absolute, float32 to 1e-4 relative.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest
import torch

from asynet_core.engine import AsyncEngine, AsyncTrunk
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
