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

"""Bad arrays at the boundary of ``asynet_core_cpp._ext`` raise Python exceptions, never crash.

Every message is pinned in full. A rejected call must leave every state array unchanged (checked
with ``np.array_equal`` against copies taken before the call). The last section pins defects
found in review (use after free, half-copied weights, byte order, dtype aliases), now fixed.

Skipped when the extension is not built, unless ``ASYNET_REQUIRE_CPP=1`` (``make test`` sets it):
then a missing extension fails the module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import gc
import re
from typing import Any
import weakref

import numpy as np
import pytest
import torch

from asynet_core.engine.geometry import Geometry
from checkout import require_cpp_ext

_ext = require_cpp_ext()

SIZE = (5, 6)  # input grid: S = 30 sites; a stride-2 layer maps it to 2 x 2 (4 sites)
S = SIZE[0] * SIZE[1]
S_POOL = 4
C_IN, C_OUT = 3, 4
SEED = 20200823
CONV_ARGS = ('y', 'z', 'out_active', 'x', 'in_active', 'sites', 'delta', 'born', 'died')
POOL_ARGS = ('z', 'out_active', 'x', 'in_active', 'sites', 'born', 'died')
STATE = ('y', 'z', 'out_active', 'x', 'in_active')


def _exact(message: str) -> str:
    return '^' + re.escape(message) + '$'


def _tables(stride: int, padding: int) -> tuple[np.ndarray, np.ndarray]:
    g = Geometry.build(SIZE, stride, padding)
    return g.inputs.numpy().copy(), g.outputs.numpy().copy()


def _readonly(a: np.ndarray) -> np.ndarray:
    b = a.copy()
    b.setflags(write=False)
    return b


def _fortran(a: np.ndarray) -> np.ndarray:
    return np.asfortranarray(a)  # same shape, not C-contiguous


def _strided(a: np.ndarray) -> np.ndarray:
    return np.repeat(a, 2, axis=0)[::2]  # same values, a strided view


def _set(index: Any, value: Any) -> Callable[[np.ndarray], np.ndarray]:
    def make(a: np.ndarray) -> np.ndarray:
        b = a.copy()
        b[index] = value
        return b

    return make


def _ids(cases: list[Any]) -> list[str]:
    """Test ids: the argument name and the case number."""
    names = [c.values[0] if isinstance(c, type(pytest.param(0))) else c[0] for c in cases]
    return [f'{name}-{i}' for i, name in enumerate(names)]


def _outcome(fn: Callable[..., Any], *args: Any) -> str:
    """``ok``, or the exception a call raised as ``Type: message``."""
    try:
        fn(*args)
    except Exception as err:  # reported to the caller, not swallowed
        return f'{type(err).__name__}: {err}'
    return 'ok'


def _cast(dtype: Any) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: a.astype(dtype)


@dataclass
class _Call:
    """A valid call of an ``update`` (or ``linear_update``) and the arrays it must not corrupt."""

    fn: Callable[..., Any]
    arrays: dict[str, np.ndarray]  # in call order
    state: tuple[str, ...]  # names of the arrays the call reads or writes as state
    kernel: Any = None

    def args(self, **replace: Any) -> list[Any]:
        return [replace.get(name, a) for name, a in self.arrays.items()]

    def snapshot(self) -> dict[str, np.ndarray]:
        return {name: self.arrays[name].copy() for name in self.state}

    def assert_unchanged(self, before: dict[str, np.ndarray]) -> None:
        for name, copy in before.items():
            assert np.array_equal(self.arrays[name], copy), f'{name} changed'

    def assert_rejected(self, name: str, bad: Any, exc: type[Exception], message: str) -> None:
        """Calling with ``name`` replaced by ``bad`` raises and leaves every array as it was."""
        before = self.snapshot()
        bad_before = bad.copy() if isinstance(bad, np.ndarray) else None
        with pytest.raises(exc, match=_exact(message)):
            self.fn(*self.args(**{name: bad}))
        self.assert_unchanged(before)
        if bad_before is not None:
            assert np.array_equal(bad, bad_before)


def _conv_params(submanifold: bool = True, dtype: Any = np.float64) -> dict[str, Any]:
    """Valid ``ConvKernel`` arguments: random taps, BN scale 1 and shift 0.5."""
    inputs, outputs = _tables(1, 1) if submanifold else _tables(2, 0)
    return {
        'inputs': inputs,
        'outputs': outputs,
        'taps': np.random.default_rng(SEED).normal(size=(9, C_IN, C_OUT)).astype(dtype),
        'scale': np.ones(C_OUT, dtype),
        'shift': np.full(C_OUT, 0.5, dtype),
        'submanifold': submanifold,
    }


def _conv_call(submanifold: bool = True, dtype: Any = np.float64) -> _Call:
    """A conv layer with three active inputs and a change that switches them on."""
    params = _conv_params(submanifold, dtype)
    kernel = _ext.ConvKernel(**params)
    s_out = params['inputs'].shape[0] - 1
    sites = np.array([7, 8, 14], dtype=np.int64)
    x = np.zeros((S + 1, C_IN), dtype)
    x[sites] = np.random.default_rng(SEED + 1).normal(size=(3, C_IN))
    in_active = np.zeros(S + 1, dtype=bool)
    in_active[sites] = True
    arrays = {
        'y': np.zeros((s_out + 1, C_OUT), np.float64),  # the accumulator, whatever dtype
        'z': np.zeros((s_out + 1, C_OUT), dtype),
        'out_active': in_active if submanifold else np.zeros(s_out + 1, dtype=bool),
        'x': x,
        'in_active': in_active,
        'sites': sites,
        'delta': x[sites].copy(),
        'born': sites.copy(),
        'died': np.zeros(0, dtype=np.int64),
    }
    return _Call(kernel.update, arrays, STATE, kernel)


def _pool_call() -> _Call:
    rng = np.random.default_rng(SEED)
    kernel = _ext.PoolKernel(*_tables(2, 0))
    sites = np.array([0, 7, 29], dtype=np.int64)
    x = np.zeros((S + 1, C_IN))
    x[sites] = rng.random((3, C_IN)) + 0.5
    in_active = np.zeros(S + 1, dtype=bool)
    in_active[sites] = True
    arrays = {
        'z': np.zeros((S_POOL + 1, C_IN)),
        'out_active': np.zeros(S_POOL + 1, dtype=bool),
        'x': x,
        'in_active': in_active,
        'sites': sites,
        'born': sites.copy(),
        'died': np.zeros(0, dtype=np.int64),
    }
    return _Call(kernel.update, arrays, ('z', 'out_active', 'x', 'in_active'))


def _linear_call() -> _Call:
    rng = np.random.default_rng(SEED)
    arrays = {
        'acc': rng.normal(size=5),
        'sites': np.array([0, 3], dtype=np.int64),
        'delta': rng.normal(size=(2, C_IN)),
        'w_site': rng.normal(size=(4, C_IN, 5)),
    }
    return _Call(_ext.linear_update, arrays, ('acc', 'w_site'))


# --- the valid calls change the state (so "unchanged after a rejection" means something) ------


def test_valid_calls_update_their_state() -> None:
    for call in (_conv_call(), _conv_call(submanifold=False), _pool_call(), _linear_call()):
        before = call.snapshot()
        call.fn(*call.args())
        changed = [name for name, a in before.items() if not np.array_equal(call.arrays[name], a)]
        assert changed, call.fn


def test_read_only_inputs_are_accepted() -> None:
    call = _conv_call(submanifold=False)
    inputs = {name: _readonly(call.arrays[name]) for name in CONV_ARGS[3:]}
    sites, delta, born, died, rules, delta_rules, touched = call.fn(*call.args(**inputs))
    assert sites.dtype == np.int64
    assert delta.shape == (sites.shape[0], C_OUT)
    assert born.tolist() == [0, 1, 2, 3]  # every 3x3 window of the 2 x 2 output holds an input
    assert died.shape == (0,)
    assert (rules, delta_rules, touched) == (7, 0, 4)  # 1 + 2 + 4 windows hold the inputs


# --- ConvKernel.update ---------------------------------------------------------------------------

F = 'ConvKernel.update'
CONV_CASES = [
    ('y', _cast(np.float32), TypeError, f'{F}: y must have dtype float64, got float32'),
    ('z', _cast(np.int64), TypeError, f'{F}: z must have dtype float64, got int64'),
    ('x', _cast(np.float32), TypeError, f'{F}: x must have dtype float64, got float32'),
    ('delta', _cast(np.float32), TypeError, f'{F}: delta must have dtype float64, got float32'),
    ('sites', _cast(np.int32), TypeError, f'{F}: sites must have dtype int64, got int32'),
    ('born', _cast(np.uint64), TypeError, f'{F}: born must have dtype int64, got uint64'),
    ('died', _cast(np.float64), TypeError, f'{F}: died must have dtype int64, got float64'),
    ('out_active', _cast(np.uint8), TypeError, f'{F}: out_active must have dtype bool, got uint8'),
    ('in_active', _cast(np.int64), TypeError, f'{F}: in_active must have dtype bool, got int64'),
    ('y', lambda a: a[:, :3].copy(), ValueError, f'{F}: y must have shape (31, 4), got (31, 3)'),
    ('z', lambda a: a[:-1].copy(), ValueError, f'{F}: z must have shape (31, 4), got (30, 4)'),
    ('x', lambda a: a.ravel(), ValueError, f'{F}: x must have shape (31, 3), got (93,)'),
    (
        'out_active',
        lambda a: a[None],
        ValueError,
        f'{F}: out_active must have shape (31,), got (1, 31)',
    ),
    (
        'in_active',
        lambda a: a[:-1],
        ValueError,
        f'{F}: in_active must have shape (31,), got (30,)',
    ),
    ('sites', lambda a: a[:, None], ValueError, f'{F}: sites must have shape (?,), got (3, 1)'),
    ('delta', lambda a: a[:2], ValueError, f'{F}: delta must have shape (3, 3), got (2, 3)'),
    ('died', lambda a: np.asarray(0), ValueError, f'{F}: died must have shape (?,), got ()'),
    ('y', _fortran, ValueError, f'{F}: y must be C-contiguous'),
    ('z', _fortran, ValueError, f'{F}: z must be C-contiguous'),
    ('x', lambda a: np.ascontiguousarray(a.T).T, ValueError, f'{F}: x must be C-contiguous'),
    ('delta', _fortran, ValueError, f'{F}: delta must be C-contiguous'),
    ('sites', _strided, ValueError, f'{F}: sites must be C-contiguous'),
    ('in_active', _strided, ValueError, f'{F}: in_active must be C-contiguous'),
    ('y', _readonly, ValueError, f'{F}: y must be writable'),
    ('z', _readonly, ValueError, f'{F}: z must be writable'),
    ('out_active', _readonly, ValueError, f'{F}: out_active must be writable'),
    ('sites', _set(0, -1), ValueError, f'{F}: sites[0] = -1 is outside [0, 30)'),
    ('sites', _set(2, S), ValueError, f'{F}: sites[2] = 30 is outside [0, 30)'),
    ('born', _set(1, S + 5), ValueError, f'{F}: born[1] = 35 is outside [0, 30)'),
    ('died', lambda a: np.array([3, -5]), ValueError, f'{F}: died[1] = -5 is outside [0, 30)'),
    (
        'in_active',
        _set(-1, True),
        ValueError,
        f'{F}: in_active sentinel (last entry) must be False',
    ),
    ('sites', lambda a: a.tolist(), TypeError, f'{F}: sites must be a numpy array, got list'),
]


@pytest.mark.parametrize(
    ('name', 'make_bad', 'exc', 'message'),
    CONV_CASES,
    ids=_ids(CONV_CASES),
)
def test_conv_update_rejects_bad_arrays(
    name: str, make_bad: Callable[[np.ndarray], Any], exc: type[Exception], message: str
) -> None:
    call = _conv_call()
    call.assert_rejected(name, make_bad(call.arrays[name]), exc, message)


@pytest.mark.parametrize('name', CONV_ARGS)
def test_conv_update_rejects_torch_tensors(name: str) -> None:
    call = _conv_call()
    tensor = torch.from_numpy(call.arrays[name].copy())
    call.assert_rejected(name, tensor, TypeError, f'{F}: {name} must be a numpy array, got Tensor')


@pytest.mark.parametrize(
    ('name', 'make_bad', 'message'),
    [
        ('out_active', _set(-1, True), f'{F}: out_active sentinel (last entry) must be False'),
        ('out_active', _readonly, f'{F}: out_active must be writable'),
        ('out_active', lambda a: a[:-1], f'{F}: out_active must have shape (5,), got (4,)'),
        ('y', lambda a: np.zeros((S + 1, C_OUT)), f'{F}: y must have shape (5, 4), got (31, 4)'),
    ],
)
def test_strided_conv_update_rejects_bad_output_arrays(
    name: str, make_bad: Callable[[np.ndarray], Any], message: str
) -> None:
    call = _conv_call(submanifold=False)
    call.assert_rejected(name, make_bad(call.arrays[name]), ValueError, message)


def test_float32_conv_update_rejects_float64_maps() -> None:
    call = _conv_call(dtype=np.float32)
    call.assert_rejected(
        'x',
        call.arrays['x'].astype(np.float64),
        TypeError,
        f'{F}: x must have dtype float32, got float64',
    )


def test_float32_conv_update_needs_a_float64_accumulator() -> None:
    call = _conv_call(dtype=np.float32)
    call.assert_rejected(
        'y',
        call.arrays['y'].astype(np.float32),
        TypeError,
        f'{F}: y must have dtype float64, got float32',
    )


# --- PoolKernel.update ---------------------------------------------------------------------------

P = 'PoolKernel.update'
POOL_CASES = [
    ('z', _cast(np.int64), TypeError, f'{P}: z must be float32 or float64, got int64'),
    ('x', _cast(np.float32), TypeError, f'{P}: x must have dtype float64, got float32'),
    ('sites', _cast(np.int32), TypeError, f'{P}: sites must have dtype int64, got int32'),
    ('z', lambda a: a[:, 0].copy(), ValueError, f'{P}: z must have shape (5, ?), got (5,)'),
    ('x', lambda a: a[:, :2].copy(), ValueError, f'{P}: x must have shape (31, 3), got (31, 2)'),
    ('z', _fortran, ValueError, f'{P}: z must be C-contiguous'),
    ('born', _strided, ValueError, f'{P}: born must be C-contiguous'),
    ('z', _readonly, ValueError, f'{P}: z must be writable'),
    ('out_active', _readonly, ValueError, f'{P}: out_active must be writable'),
    ('sites', _set(0, S), ValueError, f'{P}: sites[0] = 30 is outside [0, 30)'),
    ('died', lambda a: np.array([-1]), ValueError, f'{P}: died[0] = -1 is outside [0, 30)'),
    (
        'out_active',
        _set(-1, True),
        ValueError,
        f'{P}: out_active sentinel (last entry) must be False',
    ),
    (
        'in_active',
        _set(-1, True),
        ValueError,
        f'{P}: in_active sentinel (last entry) must be False',
    ),
    ('x', torch.from_numpy, TypeError, f'{P}: x must be a numpy array, got Tensor'),
    ('died', torch.from_numpy, TypeError, f'{P}: died must be a numpy array, got Tensor'),
    pytest.param(
        'z',
        torch.from_numpy,
        TypeError,
        f'{P}: z must be a numpy array, got Tensor',
    ),
]


@pytest.mark.parametrize(
    ('name', 'make_bad', 'exc', 'message'),
    POOL_CASES,
    ids=_ids(POOL_CASES),
)
def test_pool_update_rejects_bad_arrays(
    name: str, make_bad: Callable[[np.ndarray], Any], exc: type[Exception], message: str
) -> None:
    call = _pool_call()
    call.assert_rejected(name, make_bad(call.arrays[name].copy()), exc, message)


# --- linear_update -------------------------------------------------------------------------------

L = 'linear_update'
LINEAR_CASES = [
    ('w_site', _cast(np.int64), TypeError, f'{L}: w_site must be float32 or float64, got int64'),
    ('acc', _cast(np.float32), TypeError, f'{L}: acc must have dtype float64, got float32'),
    ('delta', _cast(np.float32), TypeError, f'{L}: delta must have dtype float64, got float32'),
    ('sites', _cast(np.int32), TypeError, f'{L}: sites must have dtype int64, got int32'),
    (
        'w_site',
        lambda a: a.reshape(4, -1),
        ValueError,
        f'{L}: w_site must have shape (?, ?, ?), got (4, 15)',
    ),
    ('acc', lambda a: np.zeros(6), ValueError, f'{L}: acc must have shape (5,), got (6,)'),
    (
        'delta',
        lambda a: np.zeros((2, 4)),
        ValueError,
        f'{L}: delta must have shape (2, 3), got (2, 4)',
    ),
    ('w_site', _fortran, ValueError, f'{L}: w_site must be C-contiguous'),
    ('acc', _strided, ValueError, f'{L}: acc must be C-contiguous'),
    ('acc', _readonly, ValueError, f'{L}: acc must be writable'),
    ('sites', _set(1, 4), ValueError, f'{L}: sites[1] = 4 is outside [0, 4)'),
    ('sites', _set(0, -4), ValueError, f'{L}: sites[0] = -4 is outside [0, 4)'),
    ('delta', torch.from_numpy, TypeError, f'{L}: delta must be a numpy array, got Tensor'),
    pytest.param(
        'acc',
        torch.from_numpy,
        TypeError,
        f'{L}: acc must be a numpy array, got Tensor',
    ),
]


@pytest.mark.parametrize(
    ('name', 'make_bad', 'exc', 'message'),
    LINEAR_CASES,
    ids=_ids(LINEAR_CASES),
)
def test_linear_update_rejects_bad_arrays(
    name: str, make_bad: Callable[[np.ndarray], Any], exc: type[Exception], message: str
) -> None:
    call = _linear_call()
    call.assert_rejected(name, make_bad(call.arrays[name].copy()), exc, message)


# --- kernel construction -------------------------------------------------------------------------


K = 'ConvKernel'
KERNEL_CASES = [
    ('inputs', _set((3, 4), S + 1), ValueError, f'{K}: inputs[3, 4] = 31 is outside [0, 30]'),
    ('inputs', _set((30, 8), -1), ValueError, f'{K}: inputs[30, 8] = -1 is outside [0, 30]'),
    ('outputs', _set((0, 0), -2), ValueError, f'{K}: outputs[0, 0] = -2 is outside [0, 30]'),
    ('inputs', _cast(np.int32), TypeError, f'{K}: inputs must have dtype int64, got int32'),
    (
        'outputs',
        lambda a: a[:, :8].copy(),
        ValueError,
        f'{K}: outputs must have shape (?, 9), got (31, 8)',
    ),
    ('inputs', _fortran, ValueError, f'{K}: inputs must be C-contiguous'),
    ('inputs', lambda a: a[:0], ValueError, f'{K}: tables need at least the sentinel row'),
    (
        'taps',
        lambda a: a[:, :, 0].copy(),
        ValueError,
        f'{K}: taps must have shape (9, ?, ?), got (9, 3)',
    ),
    (
        'taps',
        lambda a: a[:8].copy(),
        ValueError,
        f'{K}: taps must have shape (9, ?, ?), got (8, 3, 4)',
    ),
    ('taps', _cast(np.int64), TypeError, f'{K}: taps must be float32 or float64, got int64'),
    ('taps', _fortran, ValueError, f'{K}: taps must be C-contiguous'),
    ('scale', _cast(np.float32), TypeError, f'{K}: scale must have dtype float64, got float32'),
    ('shift', lambda a: np.zeros(5), ValueError, f'{K}: shift must have shape (4,), got (5,)'),
    ('inputs', torch.from_numpy, TypeError, f'{K}: inputs must be a numpy array, got Tensor'),
    ('scale', torch.from_numpy, TypeError, f'{K}: scale must be a numpy array, got Tensor'),
    pytest.param(
        'taps',
        torch.from_numpy,
        TypeError,
        f'{K}: taps must be a numpy array, got Tensor',
    ),
]


@pytest.mark.parametrize(
    ('name', 'make_bad', 'exc', 'message'),
    KERNEL_CASES,
    ids=_ids(KERNEL_CASES),
)
def test_conv_kernel_rejects_bad_parameters(
    name: str, make_bad: Callable[[np.ndarray], Any], exc: type[Exception], message: str
) -> None:
    params = _conv_params()
    params[name] = make_bad(params[name])
    with pytest.raises(exc, match=_exact(message)):
        _ext.ConvKernel(**params)


def test_submanifold_conv_kernel_needs_equal_sites() -> None:
    params = _conv_params(submanifold=False)
    params['submanifold'] = True
    message = f'{K}: a submanifold layer needs equal input and output sites'
    with pytest.raises(ValueError, match=_exact(message)):
        _ext.ConvKernel(**params)


@pytest.mark.parametrize(
    ('name', 'make_bad', 'exc', 'message'),
    [
        (
            'inputs',
            _set((0, 0), S + 1),
            ValueError,
            'PoolKernel: inputs[0, 0] = 31 is outside [0, 30]',
        ),
        (
            'outputs',
            _set((2, 1), 5),
            ValueError,
            'PoolKernel: outputs[2, 1] = 5 is outside [0, 4]',
        ),
        (
            'outputs',
            _cast(np.int32),
            TypeError,
            'PoolKernel: outputs must have dtype int64, got int32',
        ),
        (
            'outputs',
            torch.from_numpy,
            TypeError,
            'PoolKernel: outputs must be a numpy array, got Tensor',
        ),
    ],
)
def test_pool_kernel_rejects_bad_tables(
    name: str, make_bad: Callable[[np.ndarray], Any], exc: type[Exception], message: str
) -> None:
    tables = dict(zip(('inputs', 'outputs'), _tables(2, 0), strict=True))
    tables[name] = make_bad(tables[name])
    with pytest.raises(exc, match=_exact(message)):
        _ext.PoolKernel(**tables)


def test_kernels_copy_their_tables() -> None:
    params = _conv_params()
    kernel = _ext.ConvKernel(**params)
    call, fresh = _conv_call(), _conv_call()
    params['inputs'][:] = 10**9  # would be out of range if the kernel still read these
    params['outputs'][:] = -(10**9)
    got, want = kernel.update(*call.args()), fresh.fn(*fresh.args())
    assert all(np.array_equal(a, b) for a, b in zip(got[:4], want[:4], strict=True))
    for name in ('y', 'z'):
        assert np.array_equal(call.arrays[name], fresh.arrays[name])


# --- TrunkRunner ---------------------------------------------------------------------------------


@dataclass
class _Trunk:
    """A submanifold conv followed by a max-pool, with their state arrays."""

    conv: Any
    pool: Any
    conv_arrays: tuple[np.ndarray, ...]
    pool_arrays: tuple[np.ndarray, ...]
    change: tuple[np.ndarray, ...]

    def arrays(self) -> list[np.ndarray]:
        return [*self.conv_arrays, *self.pool_arrays]


def _trunk() -> _Trunk:
    call = _conv_call()
    a = call.arrays
    pooled = (np.zeros((S_POOL + 1, C_OUT)), np.zeros(S_POOL + 1, dtype=bool))
    pooled += (a['z'], a['out_active'])  # the pool reads the conv's output map
    change = tuple(a[name] for name in CONV_ARGS[5:])
    conv_arrays = tuple(a[name] for name in STATE)
    return _Trunk(call.kernel, _ext.PoolKernel(*_tables(2, 0)), conv_arrays, pooled, change)


R = 'TrunkRunner'


def test_trunk_runner_runs_a_valid_trunk() -> None:
    t = _trunk()
    runner = _ext.TrunkRunner([t.conv, t.pool], [t.conv_arrays, t.pool_arrays])
    sites, delta, born, died, work = runner.update(*t.change)
    assert born.tolist() == [0, 1, 2, 3]
    assert died.shape == (0,)
    assert delta.shape == (sites.shape[0], C_OUT)
    assert len(work) == 2
    assert work[1] == (0, 0, 4)


@pytest.mark.parametrize(
    ('make', 'exc', 'message'),
    [
        (
            lambda t: ([], []),
            ValueError,
            f'{R}: need one state-array tuple per kernel, got 0 kernels and 0',
        ),
        (
            lambda t: ([t.conv, t.pool], [t.conv_arrays]),
            ValueError,
            f'{R}: need one state-array tuple per kernel, got 2 kernels and 1',
        ),
        (
            lambda t: ([t.pool], [t.pool_arrays]),
            ValueError,
            f'{R}: the first layer must be a ConvKernel',
        ),
        (
            lambda t: ([t.conv, 'pool'], [t.conv_arrays, t.pool_arrays]),
            TypeError,
            f'{R}: kernels[1] is not a ConvKernel or PoolKernel',
        ),
        (
            lambda t: (
                [t.conv, t.pool],
                [t.conv_arrays, (*t.pool_arrays[:2], t.pool_arrays[2].copy(), t.pool_arrays[3])],
            ),
            ValueError,
            f'{R}: layer 1 must read the output map of layer 0',
        ),
        (
            lambda t: (
                [t.conv, t.pool],
                [t.conv_arrays, (*t.pool_arrays[:3], t.pool_arrays[3].copy())],
            ),
            ValueError,
            f'{R}: layer 1 must read the output map of layer 0',
        ),
        (
            lambda t: (
                [t.conv, t.conv],
                [
                    t.conv_arrays,
                    (
                        np.zeros((S + 1, C_OUT)),
                        np.zeros((S + 1, C_OUT)),
                        *t.conv_arrays[2:0:-1],
                        t.conv_arrays[2],
                    ),
                ],
            ),
            ValueError,
            f'{R}: x must have shape (31, 3), got (31, 4)',
        ),
        (
            lambda t: ([t.conv], [t.conv_arrays[:4]]),
            ValueError,
            f'{R}: a conv layer needs 5 state arrays (y, z, out_active, x, in_active), got 4',
        ),
        (
            lambda t: ([t.conv, t.pool], [t.conv_arrays, (*t.pool_arrays, t.pool_arrays[0])]),
            ValueError,
            f'{R}: a pool layer needs 4 state arrays (z, out_active, x, in_active), got 5',
        ),
        (
            lambda t: (
                [t.conv, t.pool],
                [t.conv_arrays, (t.pool_arrays[0].astype(np.float32), *t.pool_arrays[1:])],
            ),
            TypeError,
            f'{R}: z must have dtype float64, got float32',
        ),
        (
            lambda t: ([t.conv], [(_readonly(t.conv_arrays[0]), *t.conv_arrays[1:])]),
            ValueError,
            f'{R}: y must be writable',
        ),
        (
            lambda t: ([t.conv], [(*t.conv_arrays[:4], _set(-1, True)(t.conv_arrays[4]))]),
            ValueError,
            f'{R}: in_active sentinel (last entry) must be False',
        ),
        (
            lambda t: ([t.conv], [(torch.from_numpy(t.conv_arrays[0]), *t.conv_arrays[1:])]),
            TypeError,
            f'{R}: y must be a numpy array, got Tensor',
        ),
    ],
)
def test_trunk_runner_rejects_misuse(
    make: Callable[[_Trunk], tuple[list[Any], list[Any]]], exc: type[Exception], message: str
) -> None:
    t = _trunk()
    before = [a.copy() for a in t.arrays()]
    with pytest.raises(exc, match=_exact(message)):
        _ext.TrunkRunner(*make(t))
    assert all(np.array_equal(a, b) for a, b in zip(t.arrays(), before, strict=True))


def test_trunk_runner_rejects_mixed_dtypes() -> None:
    t, t32 = _trunk(), _conv_call(dtype=np.float32)
    arrays32 = tuple(t32.arrays[name] for name in STATE)
    with pytest.raises(TypeError, match=_exact(f'{R}: every layer must have dtype float64')):
        _ext.TrunkRunner([t.conv, t32.kernel], [t.conv_arrays, arrays32])


@pytest.mark.parametrize(
    ('index', 'make_bad', 'exc', 'message'),
    [
        (0, _set(0, S), ValueError, f'{R}.update: sites[0] = 30 is outside [0, 30)'),
        (2, _set(0, -1), ValueError, f'{R}.update: born[0] = -1 is outside [0, 30)'),
        (
            1,
            _cast(np.float32),
            TypeError,
            f'{R}.update: delta must have dtype float64, got float32',
        ),
        (
            1,
            lambda a: np.zeros((3, 4)),
            ValueError,
            f'{R}.update: delta must have shape (3, 3), got (3, 4)',
        ),
        (3, torch.from_numpy, TypeError, f'{R}.update: died must be a numpy array, got Tensor'),
        (0, _strided, ValueError, f'{R}.update: sites must be C-contiguous'),
    ],
)
def test_trunk_runner_update_rejects_bad_changes(
    index: int, make_bad: Callable[[np.ndarray], Any], exc: type[Exception], message: str
) -> None:
    t = _trunk()
    runner = _ext.TrunkRunner([t.conv, t.pool], [t.conv_arrays, t.pool_arrays])
    change = list(t.change)
    change[index] = make_bad(change[index])
    before = [a.copy() for a in t.arrays()]
    with pytest.raises(exc, match=_exact(message)):
        runner.update(*change)
    assert all(np.array_equal(a, b) for a, b in zip(t.arrays(), before, strict=True))


U = 'TrunkRunner.update_input'


def _input_update() -> list[np.ndarray]:
    """New input vectors: site 9 switches on, 7 changes value, 14 switches off (values ignored)."""
    values = np.random.default_rng(SEED + 2).normal(size=(3, C_IN))
    return [np.array([9, 7, 14], dtype=np.int64), values, np.array([True, True, False])]


def test_trunk_runner_update_input_writes_the_input_map() -> None:
    t = _trunk()
    runner = _ext.TrunkRunner([t.conv, t.pool], [t.conv_arrays, t.pool_arrays])
    runner.update(*t.change)
    sites, values, active = _input_update()
    runner.update_input(sites, values, active)
    x, in_active = t.conv_arrays[3], t.conv_arrays[4]
    assert np.array_equal(x[[9, 7]], values[:2])
    assert not x[14].any()
    assert in_active.nonzero()[0].tolist() == [7, 8, 9]


@pytest.mark.parametrize(
    ('index', 'make_bad', 'exc', 'message'),
    [
        (0, _set(1, S), ValueError, f'{U}: sites[1] = 30 is outside [0, 30)'),
        (0, _set(2, 9), ValueError, f'{U}: sites must be unique, site 9 appears twice'),
        (0, _cast(np.int32), TypeError, f'{U}: sites must have dtype int64, got int32'),
        (1, _cast(np.float32), TypeError, f'{U}: values must have dtype float64, got float32'),
        (
            1,
            lambda a: a[:, :2].copy(),
            ValueError,
            f'{U}: values must have shape (3, 3), got (3, 2)',
        ),
        (1, _fortran, ValueError, f'{U}: values must be C-contiguous'),
        (2, _cast(np.int64), TypeError, f'{U}: active must have dtype bool, got int64'),
        (2, lambda a: a[:2], ValueError, f'{U}: active must have shape (3,), got (2,)'),
        (2, torch.from_numpy, TypeError, f'{U}: active must be a numpy array, got Tensor'),
    ],
)
def test_trunk_runner_update_input_rejects_bad_updates(
    index: int, make_bad: Callable[[np.ndarray], Any], exc: type[Exception], message: str
) -> None:
    t = _trunk()
    runner = _ext.TrunkRunner([t.conv, t.pool], [t.conv_arrays, t.pool_arrays])
    runner.update(*t.change)
    update = _input_update()
    update[index] = make_bad(update[index])
    before = [a.copy() for a in t.arrays()]
    with pytest.raises(exc, match=_exact(message)):
        runner.update_input(*update)
    assert all(np.array_equal(a, b) for a, b in zip(t.arrays(), before, strict=True))


def test_trunk_runner_update_input_needs_a_writable_input_map() -> None:
    t = _trunk()
    x = _readonly(t.conv_arrays[3])  # a read-only input map is fine for update()
    runner = _ext.TrunkRunner([t.conv], [(*t.conv_arrays[:3], x, t.conv_arrays[4])])
    before = [a.copy() for a in t.arrays()]
    message = f'{U}: the input map and its activity must be writable'
    with pytest.raises(ValueError, match=_exact(message)):
        runner.update_input(*_input_update())
    assert all(np.array_equal(a, b) for a, b in zip(t.arrays(), before, strict=True))


# --- regressions: defects found in review, each fixed ------------------------------------------


def test_trunk_runner_keeps_its_kernels_alive() -> None:
    t = _trunk()
    kernels = [t.conv, t.pool]
    alive = weakref.ref(t.conv)
    runner = _ext.TrunkRunner(kernels, [t.conv_arrays, t.pool_arrays])
    del t.conv, t.pool
    kernels.clear()
    gc.collect()
    assert alive() is not None  # checked before update(), which would read freed memory
    assert runner.update(*t.change)[2].tolist() == [0, 1, 2, 3]


def test_byte_swapped_arrays_are_rejected_or_read_correctly() -> None:
    call, native = _linear_call(), _linear_call()
    outcome = _outcome(call.fn, *call.args(w_site=call.arrays['w_site'].astype('>f8')))
    native.fn(*native.args())
    rejected = outcome.startswith(f'TypeError: {L}: w_site must ')
    assert rejected or np.allclose(call.arrays['acc'], native.arrays['acc']), outcome


def test_every_int64_array_is_accepted_or_named_apart() -> None:
    call = _linear_call()
    outcome = _outcome(call.fn, *call.args(sites=call.arrays['sites'].astype(np.longlong)))
    assert 'must have dtype int64, got int64' not in outcome


def test_trunk_runner_state_must_be_a_tuple_or_accepted() -> None:
    t = _trunk()
    outcome = _outcome(_ext.TrunkRunner, [t.conv], [list(t.conv_arrays)])
    assert outcome == 'TypeError: TrunkRunner: arrays[0] must be a tuple of arrays, got list'


def test_conv_kernel_sees_its_weights_consistently() -> None:
    g = Geometry.build((3, 3), 1, 1)
    c_out = 20  # float64: 16 blocked columns and a 4-column tail
    taps = np.ones((9, 1, c_out))
    kernel = _ext.ConvKernel(
        g.inputs.numpy(), g.outputs.numpy(), taps, np.ones(c_out), np.zeros(c_out), True
    )
    taps[:] = 2.0  # in place, after construction
    y, z, x = np.zeros((10, c_out)), np.zeros((10, c_out)), np.zeros((10, 1))
    active = np.zeros(10, dtype=bool)
    x[4], active[4] = 1.0, True
    site = np.array([4], dtype=np.int64)
    kernel.update(y, z, active, x, active, site, x[4:5].copy(), site, np.zeros(0, np.int64))
    assert np.unique(y[4]).size == 1, y[4]  # all old weights or all new ones
