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

"""FLOPs of one update in the four modes of the paper, counted per layer.

Counting rules (additions and multiplications are counted separately, as the paper does):

* **Sparse conv** (``async_sparse``, ``batch_sparse``): a *rule* is one (input site, output site,
tap)
  triple with an active output. Each rule costs ``2 * C_in * C_out`` (a matrix-vector product and
  the accumulation into the output); a rule applied to an input *difference* costs ``C_in`` more
  for the subtraction ``x_new - x_old``. ``async_sparse`` counts the rules the engine applies in
  the update (rules from changed inputs into outputs that stay active, plus full rules of outputs
  that switch on); ``batch_sparse`` counts every rule of the current active set (a fresh engine fed
  the whole window).
* **Dense conv** (``async_dense``, ``batch_dense``): ``(2 * 9 * C_in - 1) * C_out`` per recomputed
output
  site. ``async_dense`` recomputes the 3x3 dilation of the changed sites at every conv (stride-2
  layers: the outputs whose window holds a changed site), ignoring sparsity; ``batch_dense``
      recomputes every site, so its
  count depends only on the architecture.
* **BatchNorm + ReLU**: BN is folded into the conv (0 FLOPs); ReLU costs 1 per channel of every
output site
  recomputed (changed sites for the async modes, active sites for ``batch_sparse``, all for
  ``batch_dense``).
* **Max-pool 3x3/2**: ``9 * C`` per recomputed output site (8 comparisons and the zero floor).
* **Linear layers**: ``2 * in * out`` (bias ignored) when computed in full (all modes but
``async_sparse``,
  and the detection head's second layer, which follows a ReLU); ``async_sparse`` updates the first
  linear layer by differences: ``2 * changed_inputs * out``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from asynet_core.engine.engine import AsyncSparseVGG
from asynet_core.engine.layers import AsyncConvBNReLU, AsyncLinearHead
from asynet_core.engine.state import LayerStats

__all__ = ['MODES', 'LayerFlops', 'dense_flops', 'sparse_flops', 'update_flops']

MODES = ('async_sparse', 'async_dense', 'batch_sparse', 'batch_dense')


@dataclass(frozen=True)
class LayerFlops:
    """FLOPs of one layer (conv entries include their folded BN and ReLU)."""

    name: str
    kind: str
    flops: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {'name': self.name, 'kind': self.kind, 'flops': self.flops}


def _sparse_entry(s: LayerStats, full_linear: bool) -> LayerFlops:
    if s.kind == 'conv':
        flops = s.rules * 2 * s.c_in * s.c_out + s.delta_rules * s.c_in + s.sites * s.c_out
    elif s.kind == 'pool':
        flops = 9 * s.sites * s.c_out
    else:
        rows = s.c_in if full_linear else s.rules
        flops = 2 * rows * s.c_out
    return LayerFlops(s.name, s.kind, flops)


def sparse_flops(stats: list[LayerStats], full_linear: bool = False) -> list[LayerFlops]:
    """Per-layer FLOPs of the work an engine recorded (``track_stats=True``)."""
    return [_sparse_entry(s, full_linear) for s in stats]


def _head_linear(head: AsyncLinearHead) -> list[LayerFlops]:
    sites = head.grid[0] * head.grid[1]
    out = [LayerFlops(head.name, 'linear', 2 * sites * head.channels * head.features)]
    if head.second:
        w2: torch.Tensor = head.w2
        out.append(LayerFlops(head.name + '/2', 'linear', 2 * head.features * int(w2.shape[0])))
    return out


def _dense(net: AsyncSparseVGG, changed: torch.Tensor) -> list[LayerFlops]:
    """Dense FLOPs recomputing the sites reached by ``changed`` ``[1, 1, H, W]`` (float 0/1)."""
    out: list[LayerFlops] = []
    for layer in net.trunk.layer_list:
        if isinstance(layer, AsyncConvBNReLU):
            changed = (
                F.max_pool2d(changed, 3, 1, 1)
                if layer.submanifold
                else F.max_pool2d(changed, 3, 2)
            )
            per_site = (2 * 9 * layer.c_in - 1) * layer.c_out + layer.c_out
            out.append(LayerFlops(layer.name, 'conv', int(changed.sum()) * per_site))
        else:
            changed = F.max_pool2d(changed, 3, 2)
            out.append(LayerFlops(layer.name, 'pool', 9 * int(changed.sum()) * layer.channels))
    return out + _head_linear(net.head)


def dense_flops(net: AsyncSparseVGG, changed: torch.Tensor | None = None) -> int:
    """Total dense FLOPs of recomputing what ``changed`` reaches (``None``: every site).

    Args:
        net: the converted network.
        changed: ``[H, W]`` bool or 0/1 mask of the input sites that change; ``None`` gives the
            ``batch_dense`` count of a full recompute. With a mask this is ``async_dense``, the
            upper bound of an asynchronous update's cost that ignores sparsity.
    """
    h, w = net.config.input_size
    if changed is None:
        mask = torch.ones(1, 1, h, w)
    else:
        mask = changed.reshape(1, 1, h, w).to(torch.float32)
    return sum(f.flops for f in _dense(net, mask))


def _batch_sparse(
    net: AsyncSparseVGG, sites: torch.Tensor, values: torch.Tensor
) -> list[LayerFlops]:
    state = net.init_state(track_stats=True)
    with torch.no_grad():
        net.trunk(state, sites, values)
    return sparse_flops(state.stats or [], True) + _head_linear(net.head)


def _site_mask(size: tuple[int, int], sites: torch.Tensor) -> torch.Tensor:
    mask = torch.zeros(1, 1, *size)
    mask[0, 0, sites[:, 0], sites[:, 1]] = 1.0
    return mask


def update_flops(
    net: AsyncSparseVGG,
    before: tuple[torch.Tensor, torch.Tensor],
    update: tuple[torch.Tensor, torch.Tensor],
) -> dict[str, list[LayerFlops]]:
    """Per-layer FLOPs of applying ``update`` to the window ``before``, in every mode.

    Args:
        net: the converted network (weights only matter through the activity they cause).
        before: (sites ``[N, 2]``, values ``[N, C]``) of the window before the update.
        update: (sites, new values) of the input sites that change (a value of 0 switches a site
            off).
    """
    state = net.init_state(track_stats=True)
    with torch.no_grad():
        net(state, *before)
        net(state, *update)
    async_sparse = sparse_flops(state.stats or [])
    h, w = net.config.input_size
    active = state.input.active[: h * w].view(h, w).nonzero()  # [N, 2] sites after the update
    values = state.input.values[: h * w].view(h, w, -1)[active[:, 0], active[:, 1]]
    return {
        'async_sparse': async_sparse,
        'async_dense': _dense(net, _site_mask((h, w), update[0])),
        'batch_sparse': _batch_sparse(net, active, values),
        'batch_dense': _dense(net, torch.ones(1, 1, h, w)),
    }
