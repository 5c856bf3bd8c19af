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

"""Asynchronous layers: ``nn.Module``s holding converted weights; all stream state is passed in.

Each layer's ``forward(change, state, stats)`` takes the :class:`LevelChange` of its input map,
updates its own state (a :class:`ConvState`, :class:`MapState` or :class:`HeadState`) and returns
the change of its output. ``dense_forward`` recomputes the same state from scratch with dense torch
ops (the exact resync path). Weights are buffers: the engine is an inference copy of a trained
model, nothing here is trained.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
import torch.nn.functional as F

from asynet_core import ops
from asynet_core.engine.geometry import Geometry, TAPS
from asynet_core.engine.state import (
    ACC_DTYPE,
    ConvState,
    HeadState,
    LayerStats,
    LevelChange,
    MapState,
)
from asynet_core.ops_ref import ConvWeights

__all__ = ['AsyncConvBNReLU', 'AsyncLinearHead', 'AsyncMaxPool']


class AsyncConvBNReLU(nn.Module):
    """3x3 conv (submanifold, or strided with geometric output activity) + eval BatchNorm + ReLU.

    Exactness: the conv is linear and BN/ReLU act per site, so ``y[o] += W^T (x_new - x_old)``
    over the rules from changed inputs updates every output that stayed active; outputs that
    switch on are recomputed from all their active inputs, outputs that switch off are zeroed
    (:func:`asynet_core.ops_ref.conv_update`).
    """

    w_taps: torch.Tensor  # [9, C_in, C_out]
    w_cat: torch.Tensor  # [C_in, 9 * C_out]
    w_col: torch.Tensor  # [9 * C_in, C_out]
    scale: torch.Tensor  # [C_out] folded BatchNorm
    shift: torch.Tensor  # [C_out]
    inputs: torch.Tensor  # [S_out + 1, 9] geometry tables
    outputs: torch.Tensor  # [S_in + 1, 9]

    def __init__(
        self,
        name: str,
        weight: torch.Tensor,
        scale: torch.Tensor,
        shift: torch.Tensor,
        geometry: Geometry,
        submanifold: bool,
    ) -> None:
        super().__init__()
        self.name = name
        self.geometry = geometry
        self.submanifold = submanifold
        c_out, _, _, c_in = weight.shape  # spconv layout [out, ky, kx, in]
        self.c_in, self.c_out = c_in, c_out
        taps = weight.reshape(c_out, TAPS, c_in)  # [out, 9, in]
        self.register_buffer('w_taps', taps.permute(1, 2, 0).contiguous())
        self.register_buffer(
            'w_cat', taps.permute(2, 1, 0).reshape(c_in, TAPS * c_out).contiguous()
        )
        self.register_buffer(
            'w_col', taps.permute(1, 2, 0).reshape(TAPS * c_in, c_out).contiguous()
        )
        self.register_buffer('scale', scale.clone())
        self.register_buffer('shift', shift.clone())
        self.register_buffer('inputs', geometry.inputs, persistent=False)
        self.register_buffer('outputs', geometry.outputs, persistent=False)
        self._kernels: dict[tuple[str, int], ops.ConvKernel] = {}
        self._epoch = 0
        hook = self.register_load_state_dict_post_hook
        hook(self.weights_changed)  # type: ignore[no-untyped-call]

    def init_state(self, source: MapState) -> ConvState:
        """Zero state; a submanifold layer shares ``source.active`` (same active set)."""
        sites = self.geometry.out_sites
        values = source.values
        y = torch.zeros(sites + 1, self.c_out, dtype=ACC_DTYPE, device=values.device)
        out = MapState.zeros(sites, self.c_out, values.dtype, values.device)
        if self.submanifold:
            out.active = source.active
        return ConvState(y, out)

    def state_arrays(
        self, state: ConvState, source: MapState
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The tensors one update reads and writes, in the kernels' order."""
        return (state.y, state.out.values, state.out.active, source.values, source.active)

    def layer_stats(self, rules: int, delta_rules: int, touched: int) -> LayerStats:
        """Work record of one update."""
        return LayerStats(self.name, 'conv', self.c_in, self.c_out, rules, delta_rules, touched)

    def weights(self) -> ConvWeights:
        """The converted weights in the layouts the kernels use."""
        return ConvWeights(self.w_taps, self.w_cat, self.w_col, self.scale, self.shift)

    def kernel(self) -> ops.ConvKernel:
        """This layer prepared for the active backend (built once per backend and weights).

        Kernels copy the weights, so they are rebuilt after ``load_state_dict`` and ``.to()``;
        after editing the buffers in place by hand, call :meth:`weights_changed`.
        """
        key = (ops.backend(), self._epoch)
        if key not in self._kernels:
            for stale in [k for k in self._kernels if k[0] == key[0]]:
                del self._kernels[stale]
            self._kernels[key] = ops.conv_kernel(
                self.weights(), self.inputs, self.outputs, self.submanifold
            )
        return self._kernels[key]

    def weights_changed(self, *_: object) -> None:
        """Forget the prepared kernels (their weight copies are stale)."""
        self._epoch += 1

    def _apply(self, fn: Any, recurse: bool = True) -> Any:
        out = super()._apply(fn, recurse)  # type: ignore[no-untyped-call]  # .to(), .double()
        self.weights_changed()
        return out

    def forward(
        self, change: LevelChange, state: ConvState, stats: list[LayerStats] | None = None
    ) -> LevelChange:
        """Apply one update (a single layer; :class:`AsyncTrunk` runs whole trunks)."""
        arrays = self.state_arrays(state, change.current)
        r = self.kernel().update(*arrays, change.parts(), stats is not None)
        if stats is not None:
            stats.append(self.layer_stats(r.rules, r.delta_rules, r.touched))
        return LevelChange(r.sites, r.delta, state.out, r.born, r.died)

    def weight_nchw(self) -> torch.Tensor:
        """Weights as a ``conv2d`` kernel ``[out, in, 3, 3]``."""
        w = self.w_col
        return w.view(3, 3, self.c_in, self.c_out).permute(3, 2, 0, 1)

    def dense_forward(
        self, x: torch.Tensor, a: torch.Tensor, state: ConvState
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact recompute on dense ``x [1, C, H, W]``, activity ``a [1, 1, H, W]``; fill state."""
        stride, pad = (1, 1) if self.submanifold else (2, 0)
        a_out = a if self.submanifold else F.max_pool2d(a, 3, 2)
        y = F.conv2d(x, self.weight_nchw(), stride=stride, padding=pad) * a_out  # [1, C, Ho, Wo]
        scale = self.scale
        shift: torch.Tensor = self.shift
        z = torch.relu(y * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)) * a_out
        sites = self.geometry.out_sites
        state.y[:sites] = y[0].permute(1, 2, 0).reshape(sites, self.c_out)
        state.out.values[:sites] = z[0].permute(1, 2, 0).reshape(sites, self.c_out)
        if not self.submanifold:
            state.out.active[:sites] = a_out.reshape(sites) > 0
        return z, a_out


class AsyncMaxPool(nn.Module):
    """3x3 stride-2 valid max-pool of a post-ReLU map with geometric activity.

    Touched outputs (a changed or switched input in their window) are recomputed from their 9
    inputs.
    """

    inputs: torch.Tensor  # [S_out + 1, 9]
    outputs: torch.Tensor  # [S_in + 1, 9]

    def __init__(self, name: str, channels: int, geometry: Geometry) -> None:
        super().__init__()
        self.name = name
        self.channels = channels
        self.geometry = geometry
        self.register_buffer('inputs', geometry.inputs, persistent=False)
        self.register_buffer('outputs', geometry.outputs, persistent=False)
        self._kernels: dict[tuple[str, torch.device], ops.PoolKernel] = {}

    def state_arrays(
        self, state: MapState, source: MapState
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The tensors one update reads and writes, in the kernels' order."""
        return (state.values, state.active, source.values, source.active)

    def layer_stats(self, rules: int, delta_rules: int, touched: int) -> LayerStats:
        """Work record of one update."""
        return LayerStats(
            self.name, 'pool', self.channels, self.channels, rules, delta_rules, touched
        )

    def kernel(self) -> ops.PoolKernel:
        """This layer prepared for the active backend (built once per backend and device)."""
        key = (ops.backend(), self.inputs.device)
        if key not in self._kernels:
            self._kernels[key] = ops.pool_kernel(self.inputs, self.outputs)
        return self._kernels[key]

    def init_state(self, source: MapState) -> MapState:
        """All-zero, all-inactive pooled map."""
        return MapState.zeros(
            self.geometry.out_sites, self.channels, source.values.dtype, source.values.device
        )

    def forward(
        self, change: LevelChange, state: MapState, stats: list[LayerStats] | None = None
    ) -> LevelChange:
        """Recompute the touched pooled sites (a single layer); return the pooled map's change."""
        r = self.kernel().update(*self.state_arrays(state, change.current), change.parts())
        if stats is not None:
            stats.append(self.layer_stats(r.rules, r.delta_rules, r.touched))
        return LevelChange(r.sites, r.delta, state, r.born, r.died)

    def dense_forward(
        self, x: torch.Tensor, a: torch.Tensor, state: MapState
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Full recompute (see :meth:`AsyncConvBNReLU.dense_forward`)."""
        z, a_out = F.max_pool2d(x, 3, 2), F.max_pool2d(a, 3, 2)
        sites = self.geometry.out_sites
        state.values[:sites] = z[0].permute(1, 2, 0).reshape(sites, self.channels)
        state.active[:sites] = a_out.reshape(sites) > 0
        return z, a_out


class AsyncLinearHead(nn.Module):
    """Linear head on the flattened (C, H, W) head map, updated by changed sites only.

    Classification: ``fc``. Detection: ``linear_1`` incrementally, then ReLU and ``linear_2`` in
    full (a ReLU separates them, so the second layer cannot be updated by differences).
    """

    w_site: torch.Tensor  # [S, C, F] first linear layer, per head site
    bias: torch.Tensor  # [F]
    w2: torch.Tensor  # [out, F] second linear layer (detection)
    b2: torch.Tensor  # [out]

    def __init__(
        self,
        name: str,
        weight: torch.Tensor,
        bias: torch.Tensor,
        grid: tuple[int, int],
        second: tuple[torch.Tensor, torch.Tensor] | None,
        out_channels: int,
    ) -> None:
        super().__init__()
        self.name = name
        self.grid = grid
        sites = grid[0] * grid[1]
        features = weight.shape[0]
        self.channels = weight.shape[1] // sites
        self.features = features
        self.out_channels = out_channels
        per_site = weight.view(features, self.channels, sites).permute(2, 1, 0)  # [S, C, F]
        self.register_buffer('w_site', per_site.contiguous())
        self.register_buffer('bias', bias.clone())
        self.second = second is not None
        if second is not None:
            self.register_buffer('w2', second[0].clone())
            self.register_buffer('b2', second[1].clone())

    def init_state(self, source: MapState) -> HeadState:
        """Accumulator at the bias (the output for an all-zero head map)."""
        bias = self.bias
        return HeadState(bias.to(ACC_DTYPE, copy=True), bias)

    def forward(
        self, change: LevelChange, state: HeadState, stats: list[LayerStats] | None = None
    ) -> torch.Tensor:
        """Add the changed sites' contribution; return the network output ``[1, ...]``.

        Once no head-map site is active the accumulator is set to the bias, the exact output of
        an empty input, instead of keeping the rounding residue of every difference added.
        """
        ops.linear_update(state.acc, change.sites, change.delta, self.w_site)
        if change.died.numel() and not bool(change.current.active.any()):
            state.reset()
        if stats is not None:
            changed = int(change.sites.numel()) * self.channels
            stats.append(
                LayerStats(
                    self.name,
                    'linear',
                    self.w_site.shape[0] * self.channels,
                    self.features,
                    changed,
                    changed,
                    0,
                )
            )
            if self.second:
                stats.append(
                    LayerStats(
                        self.name + '/2',
                        'linear',
                        self.features,
                        int(self.w2.shape[0]),
                        self.features,
                        0,
                        0,
                    )
                )
        return self.output(state)

    def output(self, state: HeadState) -> torch.Tensor:
        """Network output: logits ``[1, K]`` or YOLO map ``[1, Hg, Wg, C]``."""
        if not self.second:  # one copy, whatever the dtype
            return state.acc.to(self.bias.dtype, copy=True).unsqueeze(0)
        acc = state.acc.to(self.bias.dtype)  # a copy in float32, the same tensor in float64
        hidden = torch.relu(acc)  # [F]
        out = F.linear(hidden, self.w2, self.b2)  # [Hg * Wg * C]
        return out.view(1, self.grid[0], self.grid[1], self.out_channels)

    def dense_forward(self, x: torch.Tensor, state: HeadState) -> None:
        """Recompute the accumulator from the dense head map ``[1, C, Hg, Wg]``."""
        sites = self.grid[0] * self.grid[1]
        flat = x[0].reshape(self.channels, sites).t()  # [S, C]
        bias = self.bias
        state.acc.copy_(torch.einsum('sc,scf->f', flat, self.w_site) + bias)
