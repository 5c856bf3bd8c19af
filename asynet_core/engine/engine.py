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

"""The exact asynchronous sparse VGG, built from a trained SparseVGG and updated by sites.

Typical use::

    engine = AsyncEngine.from_model(model, resync_every=1000)
    out = engine.update(sites, values)  # sites [N, 2] (row, col); values [N, C], new vectors
    engine.reset()  # a new stream

At every update the output equals ``model(x)`` in eval mode on the full current input ``x``.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from typing import Any

import numpy as np
import torch
from torch import nn

from asynet_core import ops
from asynet_core.engine.convert import convert_model, convert_trunk
from asynet_core.engine.layers import AsyncConvBNReLU, AsyncLinearHead, AsyncMaxPool
from asynet_core.engine.state import (
    ACC_DTYPE,
    AsyncState,
    ConvState,
    HeadState,
    LayerStats,
    LevelChange,
    MapState,
)
from asynet_core.errors import ConfigError, ShapeError
from asynet_core.models.config import ModelConfig

__all__ = ['AsyncEngine', 'AsyncSparseVGG', 'AsyncTrunk']

TrunkLayer = AsyncConvBNReLU | AsyncMaxPool


_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    if previous != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if previous != 1:
            torch.set_num_threads(previous)


def _as_numpy(array: Any) -> np.ndarray:
    """A numpy view of a CPU tensor, or ``np.asarray`` of anything else."""
    if torch.is_tensor(array):
        return array.detach().cpu().numpy()
    return np.asarray(array)


class AsyncTrunk(nn.Module):
    """The sparse trunk (convs, pools, strided head conv) updated by changed input sites.

    Stateless: the stream state is an :class:`AsyncState` argument. Its output is the change of the
        last
    layer's map, a dense ``[S + 1, C]`` site map (``state.layers[-1]``).
    """

    def __init__(
        self,
        layers: list[TrunkLayer],
        input_size: tuple[int, int],
        in_channels: int,
        dtype: torch.dtype,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layer_list: list[TrunkLayer] = list(layers)  # same modules, typed
        self.input_size = input_size
        self.in_channels = in_channels
        self.dtype = dtype

    @classmethod
    def from_sequential(
        cls,
        trunk: nn.Module,
        input_size: tuple[int, int],
        in_channels: int,
        dtype: torch.dtype = torch.float32,
    ) -> AsyncTrunk:
        """Convert a ``spconv.SparseSequential`` ending with ``ToDense`` (``convert_trunk``)."""
        layers, _, _ = convert_trunk(trunk, input_size, in_channels, dtype)
        return cls(layers, input_size, in_channels, dtype)

    def init_state(
        self, track_stats: bool = False, device: torch.device | None = None
    ) -> AsyncState:
        """Fresh state of an empty stream (no active site)."""
        h, w = self.input_size
        source = MapState.zeros(h * w, self.in_channels, self.dtype, device or torch.device('cpu'))
        states: list[Any] = []
        current = source
        for layer in self.layer_list:
            st = layer.init_state(current)
            states.append(st)
            current = st.out if isinstance(st, ConvState) else st
        return AsyncState(source, states, stats=[] if track_stats else None)

    def output_map(self, state: AsyncState) -> MapState:
        """The last layer's map in ``state``."""
        last = state.layers[len(self.layers) - 1]
        out: MapState = last.out if isinstance(last, ConvState) else last
        return out

    def forward(
        self, state: AsyncState, sites: Any, values: Any, active: Any = None
    ) -> LevelChange:
        """Apply one input update through every layer; return the change of the last map.

        Args:
            state: the stream's state (updated in place).
            sites: ``[N, 2]`` integer (row, col) of the input sites that changed, unique.
            values: ``[N, C]`` their new full input vectors.
            active: optional ``[N]`` bool new activity; default: the value vector is nonzero.
                Inactive sites hold 0 whatever ``values`` says.
        """
        flat, vals, act = self._check(sites, values, active)
        if state.stats is not None:
            state.stats.clear()
        last, work = self._runner(state).update_input(flat, vals, act, state.stats is not None)
        if state.stats is not None:
            state.stats.extend(
                layer.layer_stats(*w) for layer, w in zip(self.layer_list, work, strict=True)
            )
        state.updates += 1
        return LevelChange(last.sites, last.delta, self.output_map(state), last.born, last.died)

    def _runner(self, state: AsyncState) -> ops.TrunkRunner:
        """The state's trunk runner for the active backend and the current layer kernels."""
        kernels = [layer.kernel() for layer in self.layer_list]
        key = (ops.backend(), *map(id, kernels))
        if key not in state.runners:  # first use, or new kernels for this backend
            for stale in [k for k in state.runners if k[0] == key[0]]:
                del state.runners[stale]
            arrays, source = [], state.input
            for layer, st in zip(self.layer_list, state.layers, strict=False):
                arrays.append(layer.state_arrays(st, source))
                source = st.out if isinstance(st, ConvState) else st
            state.runners[key] = ops.trunk_runner(kernels, arrays)
        runner: ops.TrunkRunner = state.runners[key]
        return runner

    def _check(
        self, sites: Any, values: Any, active: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validate an update at the boundary; return flat sites, values and activity (numpy)."""
        h, w = self.input_size
        s = _as_numpy(sites)
        if s.ndim != 2 or s.shape[1] != 2 or s.dtype.kind not in 'iu':
            raise ShapeError(
                f'sites must be an integer array [N, 2] of (row, col), got '
                f'{s.dtype} {tuple(s.shape)}'
            )
        s = s.astype(np.int64, copy=False)
        v = np.ascontiguousarray(_as_numpy(values), dtype=_NUMPY_DTYPES[self.dtype])
        c = self.in_channels
        if v.ndim != 2 or v.shape[0] != s.shape[0] or v.shape[1] != c:
            raise ShapeError(
                f'values must be [N={s.shape[0]}, C={c}] (the model expects {c} input '
                f'channels), got {tuple(v.shape)}'
            )
        bad = (s[:, 0] < 0) | (s[:, 0] >= h) | (s[:, 1] < 0) | (s[:, 1] >= w)
        if bad.any():
            r, col = (int(i) for i in s[bad][0])
            raise ShapeError(f'site (row={r}, col={col}) is outside the {h}x{w} model input')
        flat = np.ascontiguousarray(s[:, 0] * w + s[:, 1])
        if flat.size > 1 and np.unique(flat).size != flat.size:  # one site: nothing to sort
            raise ShapeError('sites must be unique within one update')
        act = (v != 0).any(axis=1) if active is None else _as_numpy(active)
        if act.dtype != np.bool_ or act.shape != (s.shape[0],):
            raise ShapeError(
                f'active must be a bool array [N={s.shape[0]}], got {act.dtype} {tuple(act.shape)}'
            )
        return flat, v, np.ascontiguousarray(act)

    def set_input(self, state: AsyncState, sites: Any, values: Any, active: Any = None) -> None:
        """Write an input update into ``state`` without propagating it (call :meth:`resync`).

        Arguments as :meth:`forward`; until the resync the deeper layers are stale.
        """
        flat, vals, act = self._check(sites, values, active)
        index = torch.from_numpy(flat).to(state.input.values.device)
        new = torch.from_numpy(vals).to(state.input.values)
        mask = torch.from_numpy(act).to(state.input.active.device)
        state.input.values[index] = new * mask.unsqueeze(1).to(new.dtype)
        state.input.active[index] = mask
        state.updates += 1

    def resync(self, state: AsyncState) -> tuple[torch.Tensor, torch.Tensor]:
        """Rebuild every layer's state from the current input with dense ops (exact).

        Returns the last map ``[1, C, H, W]`` and its activity ``[1, 1, H, W]``.
        """
        h, w = self.input_size
        c = self.in_channels
        x = state.input.values[: h * w].view(h, w, c).permute(2, 0, 1).unsqueeze(0)  # [1, C, H, W]
        a = state.input.active[: h * w].view(1, 1, h, w).to(x.dtype)  # [1, 1, H, W]
        for layer, st in zip(self.layer_list, state.layers, strict=False):
            x, a = layer.dense_forward(x, a, st)
        return x, a


class AsyncSparseVGG(nn.Module):
    """Stateless asynchronous network: converted trunk and head; stream state is an argument."""

    def __init__(self, config: ModelConfig, trunk: AsyncTrunk, head: AsyncLinearHead) -> None:
        super().__init__()
        self.config = config
        self.trunk = trunk
        self.head = head

    @classmethod
    def from_model(cls, model: nn.Module, dtype: torch.dtype = torch.float32) -> AsyncSparseVGG:
        """Convert a trained :class:`~asynet_core.models.SparseVGG` (every parameter is used)."""
        config, layers, head = convert_model(model, dtype)
        return cls(config, AsyncTrunk(layers, config.input_size, config.in_channels, dtype), head)

    @property
    def dtype(self) -> torch.dtype:
        """The computation dtype: float32 or float64."""
        return self.trunk.dtype

    def init_state(self, track_stats: bool = False) -> AsyncState:
        """Fresh state of an empty stream; the head state is the last entry of ``layers``."""
        bias: torch.Tensor = self.head.bias
        state = self.trunk.init_state(track_stats, bias.device)
        state.layers.append(self.head.init_state(self.trunk.output_map(state)))
        return state

    def forward(
        self, state: AsyncState, sites: Any, values: Any, active: Any = None
    ) -> torch.Tensor:
        """Apply one input update (see :meth:`AsyncTrunk.forward`); return the output."""
        change = self.trunk(state, sites, values, active)
        out: torch.Tensor = self.head(change, state.layers[-1], state.stats)
        return out

    def resync(self, state: AsyncState) -> torch.Tensor:
        """Rebuild the whole state from the current input (exact); return the output."""
        x, _ = self.trunk.resync(state)
        self.head.dense_forward(x, state.layers[-1])
        return self.head.output(state.layers[-1])

    def output(self, state: AsyncState) -> torch.Tensor:
        """Current output without applying any update."""
        return self.head.output(state.layers[-1])

    def empty_output(self) -> torch.Tensor:
        """The output of an empty input (no active site): the head's biases alone."""
        bias: torch.Tensor = self.head.bias
        return self.head.output(HeadState(bias.to(ACC_DTYPE, copy=True), bias))


class AsyncEngine:
    """One event stream through an :class:`AsyncSparseVGG`: its state, reset and scheduled resync.

    Args:
        net: the converted network.
        resync_every: rebuild the state exactly every this many updates (bounds float32 drift);
            ``None`` or 0 disables the schedule. :meth:`resync` can always be called on demand.
        track_stats: record per-layer work of the last update in :attr:`stats` (for FLOPs
            counting).
    """

    def __init__(
        self, net: AsyncSparseVGG, resync_every: int | None = None, track_stats: bool = False
    ) -> None:
        if resync_every is not None and resync_every < 0:
            raise ConfigError(f'resync_every must be >= 0 or None, got {resync_every}')
        self.net = net
        self.resync_every = resync_every or 0
        self.state = net.init_state(track_stats)
        self.resyncs = 0

    @classmethod
    def from_model(
        cls,
        model: nn.Module,
        dtype: torch.dtype = torch.float32,
        resync_every: int | None = None,
        track_stats: bool = False,
    ) -> AsyncEngine:
        """Convert ``model`` and start an empty stream."""
        return cls(AsyncSparseVGG.from_model(model, dtype), resync_every, track_stats)

    @property
    def stats(self) -> list[LayerStats]:
        """Per-layer work of the last update (empty unless ``track_stats``)."""
        return list(self.state.stats or [])

    def reset(self) -> None:
        """Start a new stream: no active site, output of an empty input."""
        self.state.reset()
        self.resyncs = 0

    def update(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """Apply changed input sites (see :meth:`AsyncTrunk.forward`); resync when scheduled."""
        with torch.no_grad():
            out: torch.Tensor = self.net(self.state, sites, values, active)
            if self.resync_every and self.state.updates % self.resync_every == 0:
                out = self.resync()
        return out

    def resync(self) -> torch.Tensor:
        """Exact full recompute of the state from the current input; returns the output.

        Runs on one torch thread: on a loaded machine OpenMP's spin-waiting made the dense
        recompute of a small model 50x slower with two threads (0.58 s against 0.011 s).
        """
        with torch.no_grad(), _one_torch_thread():
            self.resyncs += 1
            return self.net.resync(self.state)

    def recompute(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """Apply an input update by a full dense recompute instead of propagating it.

        Gives the output :meth:`update` gives (up to float rounding) at the cost of a dense
        forward pass, which is cheaper when a large share of the input changes at once.
        """
        with torch.no_grad():
            self.net.trunk.set_input(self.state, sites, values, active)
            return self.resync()

    def output(self) -> torch.Tensor:
        """Current output."""
        with torch.no_grad():
            return self.net.output(self.state)

    def empty_output(self) -> torch.Tensor:
        """The output of an empty input: the floor of :func:`~asynet_core.engine.output_error`."""
        with torch.no_grad():
            return self.net.empty_output()
