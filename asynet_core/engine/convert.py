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

"""Weight conversion from a trained spconv :class:`~asynet_core.models.SparseVGG` to async layers.

Conversion walks the training model's trunk by name, folds each eval BatchNorm into a per-channel
scale and shift, and checks that every parameter and buffer of the model was used, so no layer can
be dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from asynet_core.engine.geometry import Geometry
from asynet_core.engine.layers import AsyncConvBNReLU, AsyncLinearHead, AsyncMaxPool
from asynet_core.errors import ConfigError
from asynet_core.models.config import ModelConfig
from asynet_core.spconv_compat import spconv

__all__ = ['convert_model', 'convert_trunk', 'fold_batchnorm']


def fold_batchnorm(bn: nn.Module, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval BatchNorm as ``x * scale + shift`` (computed in ``dtype``)."""
    mean, var = getattr(bn, 'running_mean', None), getattr(bn, 'running_var', None)
    if not isinstance(bn, nn.BatchNorm1d) or mean is None or var is None:
        raise ConfigError(f'expected BatchNorm1d with running statistics, got {type(bn).__name__}')
    mean, var = mean.to(dtype), var.to(dtype)
    weight = bn.weight.detach().to(dtype) if bn.affine else torch.ones_like(mean)
    bias = bn.bias.detach().to(dtype) if bn.affine else torch.zeros_like(mean)
    scale = weight / torch.sqrt(var + bn.eps)
    return scale, bias - mean * scale


def _check_conv(name: str, conv: Any, stride: int, padding: int) -> None:
    ks, st = tuple(conv.kernel_size), tuple(conv.stride)
    if ks != (3, 3) or st != (stride, stride) or conv.bias is not None:
        raise ConfigError(
            f'layer {name!r}: expected a 3x3 stride-{stride} conv without bias, got '
            f'kernel {ks}, stride {st}, bias {conv.bias is not None}'
        )
    if tuple(conv.dilation) != (1, 1) or (not conv.subm and tuple(conv.padding) != (padding,) * 2):
        raise ConfigError(f'layer {name!r}: dilation must be 1 and padding {padding}')


def _pairs(
    modules: list[tuple[str, nn.Module]],
) -> Iterator[tuple[str, nn.Module, nn.Module | None]]:
    """Yield (name, conv, batchnorm) and (name, pool, None); check the ReLUs."""
    i = 0
    while i < len(modules):
        name, mod = modules[i]
        if isinstance(mod, spconv.ToDense):
            if i != len(modules) - 1:
                raise ConfigError(f'layer {name!r}: ToDense must be the last trunk layer')
            return
        if isinstance(mod, spconv.SparseMaxPool2d):
            yield name, mod, None
            i += 1
            continue
        if not isinstance(mod, spconv.SubMConv2d | spconv.SparseConv2d):
            raise ConfigError(f'layer {name!r}: unsupported trunk layer {type(mod).__name__}')
        if i + 2 >= len(modules) or not isinstance(modules[i + 2][1], nn.ReLU):
            raise ConfigError(f'layer {name!r}: a conv must be followed by BatchNorm1d and ReLU')
        yield name, mod, modules[i + 1][1]
        i += 3
    raise ConfigError('the trunk must end with ToDense')


def convert_trunk(
    trunk: nn.Module,
    input_size: tuple[int, int],
    in_channels: int,
    dtype: torch.dtype,
    used: set[str] | None = None,
) -> tuple[list[AsyncConvBNReLU | AsyncMaxPool], int, tuple[int, int]]:
    """Convert a ``spconv.SparseSequential`` of (conv, BatchNorm1d, ReLU) triplets and max-pools.

    The trunk must end with ``ToDense``. Returns the layers, the output channels and the output
    size; the state-dict keys used (prefixed ``trunk.``) are added to ``used``.
    """
    if dtype not in (torch.float32, torch.float64):
        raise ConfigError(f'engine dtype must be float32 or float64, got {dtype}')
    used = set() if used is None else used
    size, channels = input_size, in_channels
    layers: list[AsyncConvBNReLU | AsyncMaxPool] = []
    names = {id(m): n for n, m in trunk.named_children()}
    for name, mod, bn in _pairs(list(trunk.named_children())):
        if bn is None:
            geometry = Geometry.build(size, 2, 0)
            _check_pool(name, mod)
            layers.append(AsyncMaxPool(name, channels, geometry))
        else:
            submanifold = isinstance(mod, spconv.SubMConv2d)
            _check_conv(name, mod, 1 if submanifold else 2, 1 if submanifold else 0)
            geometry = Geometry.build(size, 1 if submanifold else 2, 1 if submanifold else 0)
            scale, shift = fold_batchnorm(bn, dtype)
            weight: torch.Tensor = getattr(mod, 'weight').detach().to(dtype)  # noqa: B009
            if weight.shape[3] != channels:
                raise ConfigError(
                    f'layer {name!r}: expects {weight.shape[3]} input channels, '
                    f'the previous layer gives {channels}'
                )
            layers.append(AsyncConvBNReLU(name, weight, scale, shift, geometry, submanifold))
            channels = weight.shape[0]
            used.update(f'trunk.{names[id(bn)]}.{k}' for k in bn.state_dict())
        used.update(f'trunk.{name}.{k}' for k in mod.state_dict())
        size = geometry.out_size
    return layers, channels, size


def _check_pool(name: str, pool: Any) -> None:
    ks, st = tuple(pool.kernel_size), tuple(pool.stride)
    if ks != (3, 3) or st != (2, 2) or tuple(pool.padding) != (0, 0):
        raise ConfigError(
            f'layer {name!r}: expected a 3x3 stride-2 max-pool without padding, '
            f'got kernel {ks}, stride {st}, padding {tuple(pool.padding)}'
        )


def _linear(
    model: nn.Module, name: str, dtype: torch.dtype, used: set[str]
) -> tuple[torch.Tensor, torch.Tensor]:
    layer = getattr(model, name, None)
    if not isinstance(layer, nn.Linear) or layer.bias is None:
        raise ConfigError(f'model has no linear layer {name!r} with bias')
    used.update({f'{name}.weight', f'{name}.bias'})
    return layer.weight.detach().to(dtype), layer.bias.detach().to(dtype)


def convert_model(
    model: nn.Module, dtype: torch.dtype = torch.float32
) -> tuple[ModelConfig, list[AsyncConvBNReLU | AsyncMaxPool], AsyncLinearHead]:
    """Convert a trained SparseVGG (its ``config``, ``trunk`` and linear head) to async layers."""
    config = getattr(model, 'config', None)
    if not isinstance(config, ModelConfig) or not hasattr(model, 'trunk'):
        raise ConfigError(
            f'expected a SparseVGG with .config and .trunk, got {type(model).__name__}'
        )
    used: set[str] = set()
    trunk: nn.Module = getattr(model, 'trunk')  # noqa: B009 (typed access to a checked attribute)
    layers, _, grid = convert_trunk(trunk, config.input_size, config.in_channels, dtype, used)
    if grid != config.spec.grid_size():
        raise ConfigError(
            f'trunk ends on a {grid} grid, the architecture expects {config.spec.grid_size()}'
        )
    head = _convert_head(model, config, dtype, grid, used)
    unused = sorted(set(model.state_dict()) - used)
    if unused:
        raise ConfigError(f'weight conversion left model entries unused: {unused}')
    return config, layers, head


def _convert_head(
    model: nn.Module,
    config: ModelConfig,
    dtype: torch.dtype,
    grid: tuple[int, int],
    used: set[str],
) -> AsyncLinearHead:
    if config.task == 'classification':
        w, b = _linear(model, 'fc', dtype, used)
        return AsyncLinearHead('fc', w, b, grid, None, config.num_classes)
    w, b = _linear(model, 'linear_1', dtype, used)
    second = _linear(model, 'linear_2', dtype, used)
    return AsyncLinearHead('linear_1', w, b, grid, second, config.output_channels())
