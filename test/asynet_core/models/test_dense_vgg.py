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

"""DenseVGG: topology and names of SparseVGG, weight transfer, equality on fully active inputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from asynet_core.errors import ConfigError, ShapeError
from asynet_core.models import ARCHS, ModelConfig, SparseVGG, to_sparse_input
from asynet_core.models.dense_vgg import (
    DenseVGG,
    load_sparse_weights_into_dense,
    sparse_to_dense_state_dict,
)
from asynet_core.spconv_compat import spconv_single_thread


def _randomise_bn(model: nn.Module, gen: torch.Generator) -> None:
    """Non-trivial BN statistics and affine parameters, so eval-mode BN is not the identity."""
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = module.num_features
            stats = {
                'running_mean': torch.rand(n, generator=gen) - 0.5,
                'running_var': torch.rand(n, generator=gen) + 0.5,
                'weight': torch.rand(n, generator=gen) + 0.5,
                'bias': torch.rand(n, generator=gen) * 0.4 - 0.2,
            }
            module.load_state_dict({**module.state_dict(), **stats})


def _model_pair(arch: str, num_classes: int) -> tuple[SparseVGG, DenseVGG]:
    torch.manual_seed(0)
    sparse = SparseVGG(ModelConfig(arch, num_classes)).double()
    _randomise_bn(sparse, torch.Generator().manual_seed(1))
    dense = DenseVGG(ModelConfig(arch, num_classes, backbone='dense')).double()
    load_sparse_weights_into_dense(dense, sparse)
    return sparse.eval(), dense.eval()


def _outputs(sparse: SparseVGG, dense: DenseVGG, maps: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Outputs of both models on NHWC ``maps`` (the sparse model sees its nonzero sites)."""
    with torch.no_grad(), spconv_single_thread():
        out_sparse = sparse(to_sparse_input(maps))
    with torch.no_grad():
        out_dense = dense(maps.permute(0, 3, 1, 2))  # [B, C, H, W]
    return out_sparse, out_dense


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_state_dict_names_and_shapes_match_sparse(arch: str) -> None:
    sparse = SparseVGG(ModelConfig(arch, 3)).state_dict()
    dense = DenseVGG(ModelConfig(arch, 3, backbone='dense')).state_dict()
    assert list(dense) == list(sparse)
    converted = sparse_to_dense_state_dict(sparse, dense)
    assert {k: v.shape for k, v in converted.items()} == {k: v.shape for k, v in dense.items()}


def test_trunk_layer_names() -> None:
    names = list(DenseVGG(ModelConfig('ncars', 2, backbone='dense')).trunk._modules)
    assert names[:4] == ['conv0_0', 'bn0_0', 'relu0_0', 'conv0_1']
    assert 'pool3' in names
    assert 'pool4' not in names
    assert names[-3:] == ['head_conv', 'head_bn', 'head_relu']


@pytest.mark.parametrize(('arch', 'num_classes'), [('ncars', 2), ('ncaltech101_det', 3)])
def test_dense_equals_sparse_on_fully_active_input(arch: str, num_classes: int) -> None:
    sparse, dense = _model_pair(arch, num_classes)
    h, w = sparse.config.input_size
    gen = torch.Generator().manual_seed(2)
    maps = torch.rand(2, h, w, 2, generator=gen, dtype=torch.float64) + 0.1  # all sites active
    out_sparse, out_dense = _outputs(sparse, dense, maps)
    if arch == 'ncars':
        assert out_dense.shape == (2, num_classes)
    else:
        assert out_dense.shape == (2, *sparse.config.spec.grid_size(), num_classes + 10)
    assert out_dense.abs().max() > 1e-3  # the comparison is not between two zero tensors
    torch.testing.assert_close(out_dense, out_sparse, rtol=0.0, atol=1e-9)


def test_dense_differs_from_sparse_on_sparse_input() -> None:
    sparse, dense = _model_pair('ncars', 2)
    h, w = sparse.config.input_size
    gen = torch.Generator().manual_seed(3)
    maps = torch.rand(1, h, w, 2, generator=gen, dtype=torch.float64) + 0.1  # [1, H, W, 2]
    maps *= torch.rand(1, h, w, 1, generator=gen, dtype=torch.float64) < 0.05  # ~5 % active
    out_sparse, out_dense = _outputs(sparse, dense, maps)
    assert (out_sparse - out_dense).abs().max() > 1e-6


def test_event_queue_input_channels() -> None:
    dense = DenseVGG(ModelConfig('ncars', 2, 'event_queue', backbone='dense')).eval()
    with torch.no_grad():
        out = dense(torch.rand(1, 30, 95, 127))
    assert out.shape == (1, 2)


@pytest.mark.parametrize(
    ('shape', 'match'),
    [
        ((2, 95, 127), r'expected input maps \[B, C, H, W\], got shape \(2, 95, 127\)'),
        ((1, 2, 96, 127), r'input spatial shape \(96, 127\) != model input size \(95, 127\)'),
        ((1, 3, 95, 127), r'input has 3 channels, model expects 2'),
    ],
)
def test_forward_rejects_bad_input(shape: tuple[int, ...], match: str) -> None:
    dense = DenseVGG(ModelConfig('ncars', 2, backbone='dense'))
    with pytest.raises(ShapeError, match=match):
        dense(torch.zeros(shape))


def test_load_rejects_other_num_classes() -> None:
    dense = DenseVGG(ModelConfig('ncars', 3, backbone='dense'))
    sparse = SparseVGG(ModelConfig('ncars', 2))
    with pytest.raises(
        ConfigError, match=r"parameter 'fc.weight' has shape \(2, 768\) in the sparse model"
    ):
        load_sparse_weights_into_dense(dense, sparse)


def test_load_rejects_other_arch() -> None:
    dense = DenseVGG(ModelConfig('ncaltech101', 2, backbone='dense'))
    sparse = SparseVGG(ModelConfig('ncars', 2))
    with pytest.raises(
        ConfigError, match=r"sparse model has no parameter 'trunk.conv4_1.weight' of the dense"
    ):
        load_sparse_weights_into_dense(dense, sparse)


def test_load_rejects_extra_sparse_parameters() -> None:
    dense = DenseVGG(ModelConfig('ncars', 2, backbone='dense')).state_dict()
    sparse = dict(SparseVGG(ModelConfig('ncars', 2)).state_dict())
    sparse['extra.weight'] = torch.zeros(1)
    with pytest.raises(
        ConfigError, match=r"sparse model parameter 'extra.weight' has no counterpart"
    ):
        sparse_to_dense_state_dict(sparse, dense)
