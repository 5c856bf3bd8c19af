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

"""Dense VGG: the torch ``Conv2d`` counterpart of :class:`~asynet_core.models.SparseVGG`.

Same topology and the same parameter names as the sparse model (``trunk.conv{level}_{i}``,
``trunk.bn{level}_{i}``, ``trunk.pool{level}``, ``trunk.head_conv``, ``trunk.head_bn``, then ``fc``
or ``linear_1``/``linear_2``), so a sparse state dict maps onto it one to one
(:func:`load_sparse_weights_into_dense`). On a fully active input both models compute the same
function; on a sparse input they differ, because a dense conv also writes to the sites that a
submanifold conv keeps inactive.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from asynet_core.errors import ConfigError, ShapeError
from asynet_core.models.base import VGGBase
from asynet_core.models.config import ModelConfig
from asynet_core.models.sparse_vgg import SparseVGG

__all__ = ['DenseVGG', 'load_sparse_weights_into_dense', 'sparse_to_dense_state_dict']


def _trunk_layers(config: ModelConfig) -> OrderedDict[str, nn.Module]:
    spec = config.spec
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    cin = config.in_channels
    for li, channels in enumerate(spec.levels):
        for ci, cout in enumerate(channels):
            layers[f'conv{li}_{ci}'] = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
            layers[f'bn{li}_{ci}'] = nn.BatchNorm2d(cout, eps=config.bn_eps, momentum=0.1)
            layers[f'relu{li}_{ci}'] = nn.ReLU()
            cin = cout
        if li < len(spec.levels) - 1:
            layers[f'pool{li}'] = nn.MaxPool2d(3, 2)
    layers['head_conv'] = nn.Conv2d(cin, spec.head_channels, 3, stride=2, bias=False)
    layers['head_bn'] = nn.BatchNorm2d(spec.head_channels, eps=config.bn_eps, momentum=0.1)
    layers['head_relu'] = nn.ReLU()
    return layers


class DenseVGG(VGGBase):
    """Dense VGG classifier or YOLO detector with the topology of :class:`SparseVGG`.

    ``forward`` takes NCHW maps ``[B, in_channels, H, W]`` with ``(H, W) == config.input_size``
    and returns logits ``[B, num_classes]`` (classification) or
    ``[B, Hg, Wg, num_classes + 5 * num_boxes]`` (detection).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config, nn.Sequential(_trunk_layers(config)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the network on dense NCHW input maps ``[B, C, H, W]``."""
        self._check_input(x)
        dense = self.trunk(x)  # [B, head_channels, Hg, Wg]
        return self.head(dense.flatten(1))

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4:
            raise ShapeError(f'expected input maps [B, C, H, W], got shape {tuple(x.shape)}')
        size = (int(x.shape[2]), int(x.shape[3]))
        if size != self.config.input_size:
            raise ShapeError(
                f'input spatial shape {size} != model input size {self.config.input_size}'
            )
        if x.shape[1] != self.config.in_channels:
            raise ShapeError(
                f'input has {x.shape[1]} channels, model expects {self.config.in_channels}'
            )


def _convert_tensor(key: str, value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """One sparse-model tensor in the dense model's layout (conv kernels are permuted)."""
    if value.dim() != 4 and value.shape == target.shape:
        return value
    if value.dim() == 4 and value.permute(0, 3, 1, 2).shape == target.shape:
        return value.permute(0, 3, 1, 2).contiguous()  # [out, kh, kw, in] -> [out, in, kh, kw]
    raise ConfigError(
        f'parameter {key!r} has shape {tuple(value.shape)} in the sparse model, '
        f'cannot map it to {tuple(target.shape)} in the dense model'
    )


def sparse_to_dense_state_dict(
    sparse_state: dict[str, torch.Tensor], dense_state: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Map a :class:`SparseVGG` state dict onto the keys and layouts of a :class:`DenseVGG` one.

    Conv kernels go from spconv's ``[out, kh, kw, in]`` to torch's ``[out, in, kh, kw]``;
    every other tensor is copied as is.

    Raises:
        ConfigError: the key sets differ or a tensor cannot be mapped (the models were built from
            different configs); the message names the first offending key.
    """
    missing = [k for k in dense_state if k not in sparse_state]
    if missing:
        raise ConfigError(f'sparse model has no parameter {missing[0]!r} of the dense model')
    unexpected = [k for k in sparse_state if k not in dense_state]
    if unexpected:
        raise ConfigError(
            f'sparse model parameter {unexpected[0]!r} has no counterpart in the dense model'
        )
    return {k: _convert_tensor(k, sparse_state[k], t) for k, t in dense_state.items()}


def load_sparse_weights_into_dense(dense: DenseVGG, sparse: SparseVGG) -> None:
    """Copy every parameter and buffer of ``sparse`` into ``dense`` by name, in place.

    Raises:
        ConfigError: the models differ in architecture, classes, boxes or representation.
    """
    state = sparse_to_dense_state_dict(sparse.state_dict(), dense.state_dict())
    dense.load_state_dict(state, strict=True)
