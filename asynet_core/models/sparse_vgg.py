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

"""Sparse VGG on spconv 2.x: the training model the asynchronous engine is built from.

Layer names are stable (``conv{level}_{i}``, ``bn{level}_{i}``, ``pool{level}``, ``head_conv``,
``head_bn``, then ``fc`` or ``linear_1``/``linear_2``): the engine converts weights by these names
and checks that every parameter and buffer was used.
"""

from __future__ import annotations

from collections import OrderedDict
import contextlib
from typing import Any

import torch
from torch import nn
import torch.nn.functional as F

from asynet_core.errors import ShapeError
from asynet_core.models.base import VGGBase
from asynet_core.models.config import ModelConfig
from asynet_core.spconv_compat import (
    quiet_spconv_forward,
    sparse_tensor,
    spconv,
    spconv_single_thread,
)

__all__ = ['SparseVGG', 'to_sparse_input']


def _trunk_layers(config: ModelConfig) -> OrderedDict[str, nn.Module]:
    spec = config.spec
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    cin = config.in_channels
    for li, channels in enumerate(spec.levels):
        for ci, cout in enumerate(channels):
            layers[f'conv{li}_{ci}'] = spconv.SubMConv2d(
                cin, cout, 3, padding=1, bias=False, indice_key=f'subm{li}'
            )
            layers[f'bn{li}_{ci}'] = nn.BatchNorm1d(cout, eps=config.bn_eps, momentum=0.1)
            layers[f'relu{li}_{ci}'] = nn.ReLU()
            cin = cout
        if li < len(spec.levels) - 1:
            layers[f'pool{li}'] = spconv.SparseMaxPool2d(3, 2)
    layers['head_conv'] = spconv.SparseConv2d(cin, spec.head_channels, 3, 2, bias=False)
    layers['head_bn'] = nn.BatchNorm1d(spec.head_channels, eps=config.bn_eps, momentum=0.1)
    layers['head_relu'] = nn.ReLU()
    layers['to_dense'] = spconv.ToDense()
    return layers


class SparseVGG(VGGBase):
    """Sparse VGG classifier or YOLO detector.

    ``forward`` takes a ``spconv.SparseConvTensor`` of spatial shape ``config.input_size`` and
    returns logits ``[B, num_classes]`` (classification) or ``[B, Hg, Wg, num_classes + 5 *
    num_boxes]`` (detection).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config, spconv.SparseSequential(_trunk_layers(config)))

    def forward(self, x: Any) -> torch.Tensor:
        """Run the network on a sparse input (see :func:`to_sparse_input`).

        Two guards around spconv: an input none of whose sites reaches the head map (an empty
        input, or only border sites that a valid pooling or strided conv drops, where spconv
        raises "tensor must not empty") gets the exact output of an empty input; on CPU the trunk
        runs on one torch thread, since spconv's CPU submanifold conv is wrong with more
        (traveller59/spconv#679).
        """
        shape = tuple(int(s) for s in x.spatial_shape)
        if shape != self.config.input_size:
            raise ShapeError(
                f'input spatial shape {shape} != model input size {self.config.input_size}'
            )
        if x.features.shape[1] != self.config.in_channels:
            raise ShapeError(
                f'input has {x.features.shape[1]} channels, '
                f'model expects {self.config.in_channels}'
            )
        if not self._reaches_head(x):
            dense = self._empty_head_map(x.batch_size, x.features)
        else:
            cpu = x.features.device.type == 'cpu'
            threads = spconv_single_thread() if cpu else contextlib.nullcontext()
            with quiet_spconv_forward(), threads:
                dense = self.trunk(x)  # [B, C, Hg, Wg]
        return self.head(dense.flatten(1))

    def _reaches_head(self, x: Any) -> bool:
        """Whether any active input site has an active head-map site above it.

        Each 3x3 stride-2 valid pooling or conv makes an output active iff its window holds an
        active input (spconv's rule, and the engine's), so the activity of every level follows
        from the input's by max-pooling its mask; once a level is empty, all later ones are.
        """
        if x.features.shape[0] == 0:
            return False
        h, w = self.config.input_size
        mask = torch.zeros(1, 1, h, w, device=x.indices.device)
        rows, cols = x.indices[:, 1].long(), x.indices[:, 2].long()
        mask[0, 0, rows, cols] = 1.0  # the batch's union: a site reaching the head in one sample
        for _ in self.config.spec.levels:  # a max-pool after each level but the last, head conv
            mask = F.max_pool2d(mask, 3, 2)
        return bool(mask.any())

    def _empty_head_map(self, batch_size: int, like: torch.Tensor) -> torch.Tensor:
        """Head map of an input without active sites: every site inactive, so all zeros."""
        gh, gw = self.config.spec.grid_size()
        return like.new_zeros(batch_size, self.config.spec.head_channels, gh, gw)


def to_sparse_input(maps: torch.Tensor, active: torch.Tensor | None = None) -> Any:
    """Dense NHWC input maps ``[B, H, W, C]`` -> ``SparseConvTensor`` of the active sites.

    ``active`` ``[B, H, W]`` (bool) defaults to the sites with a nonzero feature vector.
    """
    if maps.dim() != 4:
        raise ShapeError(f'expected input maps [B, H, W, C], got shape {tuple(maps.shape)}')
    if active is None:
        active = (maps != 0).any(dim=-1)
    elif active.shape != maps.shape[:3]:
        raise ShapeError(
            f'active mask shape {tuple(active.shape)} != maps shape {tuple(maps.shape[:3])}'
        )
    b, y, x = torch.nonzero(active, as_tuple=True)
    indices = torch.stack([b, y, x], dim=1).to(torch.int32)  # [N, 3] (batch, row, col)
    features = maps[b, y, x]  # [N, C]
    return sparse_tensor(features, indices, (maps.shape[1], maps.shape[2]), maps.shape[0])
