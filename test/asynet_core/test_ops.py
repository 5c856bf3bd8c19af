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

"""The compiled backend equals the torch reference twin, layer by layer and network by network.

Layer kernels (submanifold conv, stride-2 conv, max-pool) get the same random stream of input
changes (sites switching on and off) through :mod:`asynet_core.ops_ref` and through the compiled
kernels on separate copies of their state; every result and the full state tensors must agree
after every step. Whole networks (all four architectures, both representations) run once per
backend and are also checked against the spconv training model.

Tolerances: float64 1e-12 absolute between backends and 1e-9 against spconv; float32 1e-5 relative
between backends and 1e-4 against spconv. Sites, activity and work counts must be equal.

Skipped when the extension is not built, unless ``ASYNET_REQUIRE_CPP=1`` (``make test`` sets it):
then a missing extension fails the module.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import os
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest
import torch

from asynet_core import ops, ops_ref
from asynet_core.engine import AsyncEngine, AsyncState, AsyncTrunk, LayerStats
from asynet_core.engine.geometry import Geometry
from asynet_core.engine.layers import AsyncConvBNReLU
from asynet_core.engine.state import ACC_DTYPE, ConvState, HeadState, MapState
from asynet_core.errors import ConfigError
from asynet_core.models.config import ARCHS
from asynet_core.ops_ref import ConvWeights, LayerUpdate
from model_factory import (
    make_model,
    make_trunk,
    random_updates,
    randomise_batchnorm,
    spconv_forward,
)

pytestmark = pytest.mark.usefixtures('cpp_ext')

ATOL_F64 = 1e-12  # between backends
RTOL_F32 = 1e-5
ATOL_F64_SPCONV = 1e-9  # against the spconv training model
RTOL_F32_SPCONV = 1e-4
DTYPES = [torch.float64, torch.float32]
SIZES = [(9, 11), (16, 16)]
# (C_in, C_out): tails (C_out not a multiple of the 8/16-lane blocks) and the 2- and 4-block paths.
CONV_CHANNELS = [
    (1, 1),
    (2, 5),
    (3, 8),
    (7, 16),
    (16, 17),
    (5, 33),
    (40, 40),
    (17, 64),
    (64, 64),
    (32, 128),
    (128, 24),
]
POOL_CHANNELS = [1, 3, 16, 40, 64, 128]
Change = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def _exact(message: str) -> str:
    return '^' + re.escape(message) + '$'


def _assert_close(
    got: torch.Tensor,
    ref: torch.Tensor,
    what: str,
    atol_f64: float = ATOL_F64,
    rtol_f32: float = RTOL_F32,
    scale: float = 0.0,
    precision: torch.dtype | None = None,
) -> None:
    """float64: max abs error <= atol; float32: max abs error <= rtol * max(|ref|, scale).

    ``precision``: the engine's dtype when it differs from the tensors' (float64 accumulators of a
    float32 engine hold float32 products).
    """
    assert got.dtype == ref.dtype, what
    assert got.shape == ref.shape, f'{what}: shape {tuple(got.shape)} != {tuple(ref.shape)}'
    if not ref.numel():
        return
    err = float((got - ref).abs().max())
    if (precision or ref.dtype) == torch.float64:
        assert err <= atol_f64, f'{what}: max abs error {err:.3g} > {atol_f64}'
        return
    bound = rtol_f32 * max(float(ref.abs().max()), scale)
    assert err <= bound, f'{what}: max abs error {err:.3g} > {bound:.3g} (relative {rtol_f32})'


# --- backend selection ---------------------------------------------------------------------------


def test_cpp_is_the_default_backend_when_the_extension_imports() -> None:
    requested = os.environ.get('ASYNET_BACKEND', 'auto')
    assert ops.available_backends() == ['cpp', 'torch']
    assert ops.backend() == ('torch' if requested == 'torch' else 'cpp')
    with ops.use_backend('auto'):
        assert ops.backend() == 'cpp'


def test_use_backend_switches_and_restores() -> None:
    before = ops.backend()
    with ops.use_backend('torch'):
        assert ops.backend() == 'torch'
        with ops.use_backend('cpp'):
            assert ops.backend() == 'cpp'
        assert ops.backend() == 'torch'
    assert ops.backend() == before
    with pytest.raises(RuntimeError, match=_exact('boom')), ops.use_backend('torch'):
        raise RuntimeError('boom')
    assert ops.backend() == before


def test_unknown_backend_is_a_config_error() -> None:
    before = ops.backend()
    message = _exact("unknown backend 'nope'; valid choices: ['auto', 'cpp', 'torch']")
    with pytest.raises(ConfigError, match=message):
        ops.set_backend('nope')
    assert ops.backend() == before
    with pytest.raises(ConfigError, match=message), contextlib.ExitStack() as stack:
        stack.enter_context(ops.use_backend('nope'))
    assert ops.backend() == before


def test_kernels_follow_the_backend_and_the_device() -> None:
    geometry = Geometry.build((4, 5), 1, 1)
    weights = _conv_weights(2, 3, torch.float64, geometry, True, seed=0)
    args = (weights, geometry.inputs, geometry.outputs, True)
    with ops.use_backend('torch'):
        assert isinstance(ops.conv_kernel(*args), ops_ref.ConvKernel)
        assert isinstance(ops.pool_kernel(geometry.inputs, geometry.outputs), ops_ref.PoolKernel)
    with ops.use_backend('cpp'):
        assert not isinstance(ops.conv_kernel(*args), ops_ref.ConvKernel)
        assert not isinstance(
            ops.pool_kernel(geometry.inputs, geometry.outputs), ops_ref.PoolKernel
        )
        meta = ConvWeights(*(t.to('meta') for t in weights))
        kernel = ops.conv_kernel(
            meta, geometry.inputs.to('meta'), geometry.outputs.to('meta'), True
        )
        assert isinstance(kernel, ops_ref.ConvKernel)  # non-CPU tensors always use the reference


# --- layer kernels -------------------------------------------------------------------------------


@dataclass
class _LayerState:
    """One copy of a layer's state tensors (``y`` is ``None`` for a pool)."""

    y: torch.Tensor | None
    z: torch.Tensor
    out_active: torch.Tensor
    x: torch.Tensor
    in_active: torch.Tensor

    @classmethod
    def zeros(
        cls, kind: str, geometry: Geometry, c_in: int, c_out: int, dtype: torch.dtype
    ) -> _LayerState:
        s_in, s_out = geometry.in_sites, geometry.out_sites
        x = torch.zeros(s_in + 1, c_in, dtype=dtype)
        in_active = torch.zeros(s_in + 1, dtype=torch.bool)
        out_active = in_active if kind == 'subm' else torch.zeros(s_out + 1, dtype=torch.bool)
        y = None if kind == 'pool' else torch.zeros(s_out + 1, c_out, dtype=ACC_DTYPE)
        return cls(y, torch.zeros(s_out + 1, c_out, dtype=dtype), out_active, x, in_active)

    def update(self, kernel: Any, change: Change) -> LayerUpdate:
        head = () if self.y is None else (self.y,)
        arrays = (*head, self.z, self.out_active, self.x, self.in_active)
        result: LayerUpdate = kernel.update(*arrays, change, True)
        return result


def _geometry(kind: str, size: tuple[int, int]) -> Geometry:
    return Geometry.build(size, 1, 1) if kind == 'subm' else Geometry.build(size, 2, 0)


def _conv_weights(
    c_in: int, c_out: int, dtype: torch.dtype, geometry: Geometry, submanifold: bool, seed: int
) -> ConvWeights:
    """Random weights and folded BN in the layouts the engine's layer produces."""
    g = torch.Generator().manual_seed(seed)
    f64 = torch.float64
    weight = torch.randn(c_out, 3, 3, c_in, generator=g, dtype=f64) / (9 * c_in) ** 0.5
    scale = torch.rand(c_out, generator=g, dtype=f64) + 0.5
    shift = torch.rand(c_out, generator=g, dtype=f64) * 0.4 - 0.2
    args = (weight.to(dtype), scale.to(dtype), shift.to(dtype))
    return AsyncConvBNReLU('conv', *args, geometry, submanifold).weights()


def _kernels(kind: str, geometry: Geometry, c_in: int, c_out: int, dtype: torch.dtype) -> Any:
    """(reference kernel, compiled kernel) of one random layer."""
    if kind == 'pool':
        ref: Any = ops_ref.PoolKernel(geometry.inputs, geometry.outputs)
        with ops.use_backend('cpp'):
            cpp: Any = ops.pool_kernel(geometry.inputs, geometry.outputs)
        assert not isinstance(cpp, ops_ref.PoolKernel)
        return ref, cpp
    weights = _conv_weights(c_in, c_out, dtype, geometry, kind == 'subm', seed=c_in * 131 + c_out)
    ref = ops_ref.ConvKernel(weights, geometry.inputs, geometry.outputs, kind == 'subm')
    with ops.use_backend('cpp'):
        cpp = ops.conv_kernel(weights, geometry.inputs, geometry.outputs, kind == 'subm')
    assert not isinstance(cpp, ops_ref.ConvKernel)
    return ref, cpp


def _input_stream(
    sites: int,
    channels: int,
    dtype: torch.dtype,
    steps: int,
    seed: int,
    nonnegative: bool,
    zero_share: float = 0.0,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, Change]]:
    """Yield (x, active, change): the input map after each random change, and the change.

    Changed sites are unique and unsorted; some switch on, some off, some change value, some are
    active with an all-zero vector, some steps change nothing; the last step switches all off.
    Inactive rows (and the sentinel row) stay zero.
    """
    rng = np.random.default_rng(seed)
    x = torch.zeros(sites + 1, channels, dtype=dtype)
    active = torch.zeros(sites + 1, dtype=torch.bool)
    for step in range(steps):
        if step == steps - 1:
            flat = active[:-1].nonzero().flatten()
            on = torch.zeros(flat.numel(), dtype=torch.bool)
        else:
            n = int(rng.integers(0, min(sites, 24) + 1)) if step else min(sites, 60)
            flat = torch.from_numpy(rng.choice(sites, size=n, replace=False)).long()
            on = torch.from_numpy(rng.random(n) < 0.65)
        vals = torch.from_numpy(rng.normal(size=(flat.numel(), channels))).to(dtype)
        vals = vals.abs() if nonnegative else vals
        vals[torch.from_numpy(rng.random(flat.numel()) < 0.1)] = 0  # active, all zero
        vals[torch.from_numpy(rng.random(tuple(vals.shape)) < zero_share)] = 0  # post-ReLU-like
        vals = vals * on.unsqueeze(1).to(dtype)
        delta = vals - x[flat]  # [n, C]
        before = active[flat]
        x[flat], active[flat] = vals, on
        moved = (delta != 0).any(dim=1)
        change = (flat[moved], delta[moved], flat[on & ~before], flat[before & ~on])
        yield x.clone(), active.clone(), change


def _assert_same_update(cpp: LayerUpdate, ref: LayerUpdate, z_scale: float, step: int) -> None:
    where = f'step {step}'
    assert torch.equal(cpp.sites, ref.sites), where
    assert bool((ref.sites[1:] > ref.sites[:-1]).all()), where  # sorted, unique
    assert torch.equal(cpp.born, ref.born), where
    assert torch.equal(cpp.died, ref.died), where
    assert (cpp.rules, cpp.delta_rules, cpp.touched) == (ref.rules, ref.delta_rules, ref.touched)
    _assert_close(cpp.delta, ref.delta, f'{where} delta', scale=z_scale)


def _assert_same_state(cpp: _LayerState, ref: _LayerState, step: int) -> None:
    where = f'step {step}'
    if ref.y is not None:
        assert cpp.y is not None
        # Raw sums of O(1) contributions: float32 residues of cancelled terms differ by order of
        # accumulation, so the scale is the contributions' (1), not the (possibly tiny) result's.
        _assert_close(cpp.y, ref.y, f'{where} y', scale=1.0, precision=ref.z.dtype)
        assert not bool(cpp.y[-1].any()), f'{where}: y sentinel row'
    _assert_close(cpp.z, ref.z, f'{where} z', scale=1.0)
    assert torch.equal(cpp.out_active, ref.out_active), f'{where} out_active'
    assert not bool(cpp.out_active[-1]), f'{where}: active sentinel'
    assert not bool(cpp.z[~cpp.out_active].any()), f'{where}: z is nonzero at an inactive site'


def _check_layer(
    kind: str,
    size: tuple[int, int],
    c_in: int,
    c_out: int,
    dtype: torch.dtype,
    seed: int,
    steps: int,
    zero_share: float = 0.0,
) -> int:
    """Run one random layer under both backends; return the work done (rules + touched)."""
    geometry = _geometry(kind, size)
    ref_kernel, cpp_kernel = _kernels(kind, geometry, c_in, c_out, dtype)
    ref = _LayerState.zeros(kind, geometry, c_in, c_out, dtype)
    cpp = _LayerState.zeros(kind, geometry, c_in, c_out, dtype)
    stream = _input_stream(geometry.in_sites, c_in, dtype, steps, seed, kind == 'pool', zero_share)
    rules = 0
    for step, (x, active, change) in enumerate(stream):
        for state in (ref, cpp):
            state.x.copy_(x)
            state.in_active.copy_(active)
        r_ref = ref.update(ref_kernel, change)
        r_cpp = cpp.update(cpp_kernel, change)
        # z = relu(y * scale + shift) with BN scales in [0.5, 1.5]: its rounding is y's (scale 1)
        _assert_same_update(r_cpp, r_ref, max(float(ref.z.abs().max()), 1.0), step)
        _assert_same_state(cpp, ref, step)
        assert torch.equal(cpp.x, x)  # the kernels never write their input
        assert torch.equal(cpp.in_active, active)
        rules += r_ref.rules + r_ref.touched
    assert not bool(cpp.out_active.any())  # everything switched off
    assert not bool(cpp.z.any())
    return rules


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize('size', SIZES, ids=str)
@pytest.mark.parametrize(('c_in', 'c_out'), CONV_CHANNELS, ids=lambda c: str(c))
@pytest.mark.parametrize('kind', ['subm', 'strided'])
def test_conv_kernel_equals_reference(
    kind: str, c_in: int, c_out: int, size: tuple[int, int], dtype: torch.dtype
) -> None:
    work = _check_layer(kind, size, c_in, c_out, dtype, seed=c_in + 7 * c_out + size[0], steps=14)
    assert work > 0


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize(('c_in', 'c_out'), [(64, 64), (48, 128), (33, 256)], ids=str)
@pytest.mark.parametrize('kind', ['subm', 'strided'])
def test_conv_kernel_with_mostly_zero_channels_equals_reference(
    kind: str, c_in: int, c_out: int, dtype: torch.dtype
) -> None:
    """Sources about 80 % zero, as post-ReLU maps (the case a zero-skipping kernel would take)."""
    work = _check_layer(
        kind, (9, 11), c_in, c_out, dtype, seed=c_in + c_out, steps=8, zero_share=0.8
    )
    assert work > 0


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize('size', SIZES, ids=str)
@pytest.mark.parametrize('channels', POOL_CHANNELS)
def test_pool_kernel_equals_reference(
    channels: int, size: tuple[int, int], dtype: torch.dtype
) -> None:
    work = _check_layer('pool', size, channels, channels, dtype, seed=channels + size[1], steps=14)
    assert work > 0


@settings(max_examples=50, deadline=None)
@given(
    kind=st.sampled_from(['subm', 'strided', 'pool']),
    size=st.tuples(st.integers(1, 13), st.integers(1, 13)),
    c_in=st.integers(1, 40),
    c_out=st.integers(1, 40),
    f64=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_layers_equal_reference(
    kind: str, size: tuple[int, int], c_in: int, c_out: int, f64: bool, seed: int
) -> None:
    dtype = torch.float64 if f64 else torch.float32
    c_out = c_in if kind == 'pool' else c_out
    _check_layer(kind, size, c_in, c_out, dtype, seed, steps=6)


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize(
    ('n', 'channels', 'features'),
    [(0, 3, 5), (1, 1, 1), (7, 16, 33), (12, 64, 128), (20, 5, 1024)],
)
def test_linear_update_equals_reference(
    n: int, channels: int, features: int, dtype: torch.dtype
) -> None:
    g = torch.Generator().manual_seed(n + channels + features)
    head_sites = 13
    w_site = torch.randn(head_sites, channels, features, generator=g, dtype=dtype)
    sites = torch.randint(0, head_sites, (n,), generator=g)  # repeats allowed: both sum them
    delta = torch.randn(n, channels, generator=g, dtype=dtype)
    delta[torch.rand(n, channels, generator=g) < 0.3] = 0
    delta[:1, :1] = 1.5  # at least one nonzero difference
    acc = torch.randn(features, generator=g, dtype=ACC_DTYPE)
    ref, cpp = acc.clone(), acc.clone()
    ops_ref.linear_update(ref, sites, delta, w_site)
    with ops.use_backend('cpp'):
        ops.linear_update(cpp, sites, delta, w_site)
    # float32 sums of the update's terms, each added once to the float64 accumulator
    terms = torch.einsum('nc,ncf->f', delta.abs(), w_site[sites].abs()).to(ACC_DTYPE) + acc.abs()
    _assert_close(cpp, ref, 'acc', scale=float(terms.max()), precision=dtype)
    if n:
        assert not torch.equal(ref, acc)


def test_cpp_linear_update_rejects_a_strided_accumulator() -> None:
    acc = torch.zeros(8, dtype=torch.float64)[::2]  # never silently copied (see ops._np)
    args = (torch.tensor([0]), torch.ones(1, 2, dtype=torch.float64), torch.ones(1, 2, 4).double())
    with (
        ops.use_backend('cpp'),
        pytest.raises(ValueError, match=_exact('linear_update: acc must be C-contiguous')),
    ):
        ops.linear_update(acc, *args)
    assert not bool(acc.any())
    with ops.use_backend('torch'):
        ops.linear_update(acc, *args)
    assert torch.equal(acc, torch.full((4,), 2.0, dtype=torch.float64))


# --- whole trunks and networks -------------------------------------------------------------------


def _state_tensors(state: AsyncState) -> list[torch.Tensor]:
    """Every tensor of an engine state, input first."""
    tensors = [state.input.values, state.input.active]
    for layer in state.layers:
        if isinstance(layer, ConvState):
            tensors += [layer.y, layer.out.values, layer.out.active]
        elif isinstance(layer, MapState):
            tensors += [layer.values, layer.active]
        else:
            assert isinstance(layer, HeadState)
            tensors.append(layer.acc)
    return tensors


def _assert_same_states(
    cpp: AsyncState, ref: AsyncState, what: str, head_scale: float = 0.0
) -> None:
    a, b = _state_tensors(cpp), _state_tensors(ref)
    assert len(a) == len(b)
    for i, (got, want) in enumerate(zip(a, b, strict=True)):
        if want.dtype == torch.bool:
            assert torch.equal(got, want), f'{what}: state tensor {i}'
        else:
            scale = head_scale if i == len(b) - 1 else 0.0
            precision = b[0].dtype  # the input map's: the engine's dtype
            _assert_close(got, want, f'{what}: state tensor {i}', scale=scale, precision=precision)


def _head_scale(engine: AsyncEngine) -> float:
    """Largest sum of absolute contributions to a head feature: the scale of its rounding.

    The head accumulates thousands of products that mostly cancel, so float32 rounding is relative
    to this sum, not to the accumulated value.
    """
    head = engine.net.head
    z = engine.net.trunk.output_map(engine.state).values[:-1]  # [S, C]
    terms = torch.einsum('sc,scf->f', z.abs(), head.w_site.abs())  # [F]
    return float((terms + head.bias.abs()).max())


@dataclass
class _Run:
    outputs: list[torch.Tensor]
    stats: list[list[LayerStats]]
    engine: AsyncEngine


def _run_engine(
    model: Any, dtype: torch.dtype, backend: str, stream: list[tuple[torch.Tensor, torch.Tensor]]
) -> _Run:
    """One engine created and run entirely under ``backend`` (its state caches the runner)."""
    with ops.use_backend(backend):
        engine = AsyncEngine.from_model(model, dtype, track_stats=True)
        outputs, stats = [], []
        for sites, values in stream:
            outputs.append(engine.update(sites, values))
            stats.append(engine.stats)
    assert [key[0] for key in engine.state.runners] == [backend]
    (runner,) = engine.state.runners.values()
    assert isinstance(runner, ops_ref.TrunkRunner) == (backend == 'torch')
    return _Run(outputs, stats, engine)


def _check_network(model: Any, dtype: torch.dtype, stream: list[Any], inputs: list[Any]) -> None:
    ref = _run_engine(model, dtype, 'torch', stream)
    cpp = _run_engine(model, dtype, 'cpp', stream)
    for step, x in enumerate(inputs):
        _assert_close(cpp.outputs[step], ref.outputs[step], f'step {step} output')
        _assert_close(
            cpp.outputs[step],
            spconv_forward(model, x),
            f'step {step} output vs spconv',
            ATOL_F64_SPCONV,
            RTOL_F32_SPCONV,
        )
    assert cpp.stats == ref.stats
    assert all(len(s) > 0 for s in cpp.stats)
    assert sum(s.rules for s in cpp.stats[-1]) > 0
    head_scale = _head_scale(ref.engine)
    _assert_same_states(cpp.engine.state, ref.engine.state, 'final state', head_scale)


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_network_cpp_equals_torch_and_spconv(arch: str, dtype: torch.dtype) -> None:
    model = make_model(arch, dtype, seed=21)
    updates = list(random_updates(model.config.input_size, 2, steps=5, seed=22, dtype=dtype))
    _check_network(model, dtype, [(s, v) for s, v, _ in updates], [x for *_, x in updates])


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
def test_event_queue_cpp_equals_torch_and_spconv(dtype: torch.dtype) -> None:
    model = make_model('ncars', dtype, seed=23, representation='event_queue')
    size = model.config.input_size
    g = torch.Generator().manual_seed(24)
    x = torch.zeros(*size, 30, dtype=dtype)
    stream, inputs = [], []
    for sites, values, _ in random_updates(size, 30, steps=5, seed=25, dtype=dtype):
        signed = values * (torch.rand(values.shape, generator=g, dtype=dtype) - 0.5)
        x[sites[:, 0], sites[:, 1]] = signed
        stream.append((sites, signed))
        inputs.append(x.clone())
    _check_network(model, dtype, stream, inputs)


def test_switching_backends_mid_stream_stays_exact() -> None:
    model = make_model('ncars', torch.float64, seed=26)
    engine = AsyncEngine.from_model(model, torch.float64)
    size = model.config.input_size
    updates = random_updates(size, 2, steps=4, seed=27, dtype=torch.float64, first=100)
    for step, (sites, values, x) in enumerate(updates):
        with ops.use_backend(('cpp', 'torch')[step % 2]):
            out = engine.update(sites, values)
        _assert_close(out, spconv_forward(model, x), f'step {step}', ATOL_F64_SPCONV)
    assert sorted(key[0] for key in engine.state.runners) == ['cpp', 'torch']


TRUNKS = [['c4', 'p', 'c6'], ['c3', 'c4', 'p', 'c5', 'p', 'c6', 's4'], ['c17', 's33', 'p']]


@pytest.mark.parametrize('dtype', DTYPES, ids=str)
@pytest.mark.parametrize('spec', TRUNKS, ids=['-'.join(s) for s in TRUNKS])
def test_trunk_changes_equal_between_backends(spec: list[str], dtype: torch.dtype) -> None:
    torch.manual_seed(28)
    trunk = make_trunk(spec, 2)
    randomise_batchnorm(trunk, 29)
    trunk = trunk.to(dtype).eval()
    size = (15, 18)
    stream = list(random_updates(size, 2, steps=12, seed=30, dtype=dtype, first=60))
    g = torch.Generator().manual_seed(31)
    trunks, states = {}, {}
    for backend in ('torch', 'cpp'):
        with ops.use_backend(backend):
            trunks[backend] = AsyncTrunk.from_sequential(trunk, size, 2, dtype)
            states[backend] = trunks[backend].init_state(track_stats=True)
    for step, (sites, values, _) in enumerate(stream):
        # Explicit activity: some inactive sites carry nonzero values (ignored, stored as 0), some
        # active sites are all zero.
        active = (values != 0).any(dim=1) ^ (torch.rand(len(values), generator=g) < 0.2)
        values = values + (torch.rand(values.shape, generator=g) < 0.3).to(dtype)
        changes = {}
        for backend in ('torch', 'cpp'):
            with ops.use_backend(backend), torch.no_grad():
                changes[backend] = trunks[backend](states[backend], sites, values, active)
        ref, cpp = changes['torch'], changes['cpp']
        assert torch.equal(cpp.sites, ref.sites)
        assert torch.equal(cpp.born, ref.born)
        assert torch.equal(cpp.died, ref.died)
        scale = float(ref.current.values.abs().max())
        _assert_close(cpp.delta, ref.delta, f'step {step} delta', scale=scale)
        assert states['cpp'].stats == states['torch'].stats
        _assert_same_states(states['cpp'], states['torch'], f'step {step}')
        flat = sites[:, 0] * size[1] + sites[:, 1]
        assert torch.equal(states['cpp'].input.active[flat], active)
        assert not bool(states['cpp'].input.values[flat][~active].any())


def test_weights_loaded_in_place_are_used_by_the_cpp_backend() -> None:
    first, second = (make_model('ncars', torch.float64, seed=s) for s in (32, 33))
    stream = list(
        random_updates(first.config.input_size, 2, steps=2, seed=34, dtype=torch.float64)
    )
    with ops.use_backend('cpp'):
        engine = AsyncEngine.from_model(first, torch.float64)
        engine.update(*stream[0][:2])
        engine.net.load_state_dict(AsyncEngine.from_model(second, torch.float64).net.state_dict())
        engine.resync()  # the state is exact for the new weights again
        out = engine.update(*stream[1][:2])
    _assert_close(out, spconv_forward(second, stream[1][2]), 'output', ATOL_F64_SPCONV)
