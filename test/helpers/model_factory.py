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

"""Seeded model and stream factories for the engine tests (not a test module)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import torch
from torch import nn

from asynet_core.models import ModelConfig, SparseVGG, to_sparse_input
from asynet_core.spconv_compat import spconv, spconv_single_thread


def randomise_batchnorm(model: nn.Module, seed: int, shift: float = 0.0) -> None:
    """Give every BatchNorm non-trivial running statistics and affine parameters."""
    g = torch.Generator().manual_seed(seed)
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm1d | nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
            mod.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
            mod.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            mod.bias.data.copy_(torch.rand(c, generator=g) * 0.4 - 0.2 + shift)


def make_model(
    arch: str,
    dtype: torch.dtype,
    seed: int = 0,
    num_classes: int = 3,
    representation: str = 'histogram',
) -> SparseVGG:
    """A SparseVGG in eval mode with seeded random weights and BN statistics."""
    torch.manual_seed(seed)
    model = SparseVGG(ModelConfig(arch, num_classes, representation=representation))
    randomise_batchnorm(model, seed)
    return model.to(dtype).eval()


def spconv_forward(
    model: nn.Module, x: torch.Tensor, active: torch.Tensor | None = None
) -> torch.Tensor:
    """The training model's eval output on one dense input ``[H, W, C]`` (spconv, 1 thread)."""
    mask = None if active is None else active.unsqueeze(0)
    with torch.no_grad(), spconv_single_thread():
        return model(to_sparse_input(x.unsqueeze(0), mask))  # type: ignore[no-any-return]


def random_updates(
    size: tuple[int, int],
    channels: int,
    steps: int,
    seed: int,
    dtype: torch.dtype,
    first: int = 200,
    max_changes: int = 40,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield (sites [N, 2], values [N, C], full input [H, W, C]) of an on/off stream.

    Each step changes random sites: about half at currently active sites, a third of the changes
        switch a
    site off (value 0), the others set new small integer counts (histogram-like values).
    """
    g = torch.Generator().manual_seed(seed)
    h, w = size
    x = torch.zeros(h * w, channels, dtype=dtype)
    for step in range(steps):
        n = first if step == 0 else int(torch.randint(1, max_changes, (1,), generator=g))
        active = (x != 0).any(dim=1).nonzero().flatten()
        k = min(int(active.numel()), n // 2)
        picks = [
            torch.randperm(h * w, generator=g)[: n - k],
            active[torch.randperm(int(active.numel()), generator=g)[:k]],
        ]
        flat = torch.unique(torch.cat(picks))
        values = torch.randint(0, 4, (flat.numel(), channels), generator=g).to(dtype)
        values[torch.rand(flat.numel(), generator=g) < 0.35] = 0
        x[flat] = values
        yield torch.stack([flat // w, flat % w], dim=1), values, x.view(h, w, channels).clone()


def make_trunk(spec: list[str], c_in: int) -> spconv.SparseSequential:
    """A small SparseSequential: 'c<n>' conv+BN+ReLU, 'p' pool, 's<n>' strided conv+BN+ReLU."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c = c_in
    for i, item in enumerate(spec):
        if item == 'p':
            layers[f'pool{i}'] = spconv.SparseMaxPool2d(3, 2)
            continue
        n = int(item[1:])
        conv = (
            spconv.SubMConv2d(c, n, 3, padding=1, bias=False, indice_key=f'k{i}')
            if item[0] == 'c'
            else spconv.SparseConv2d(c, n, 3, 2, bias=False)
        )
        layers[f'conv{i}'] = conv
        layers[f'bn{i}'] = nn.BatchNorm1d(n, eps=1e-4)
        layers[f'relu{i}'] = nn.ReLU()
        c = n
    layers['dense'] = spconv.ToDense()
    return spconv.SparseSequential(layers)


@torch.no_grad()
def masked_dense_oracle(trunk: nn.Module, x: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """Dense ``conv2d`` emulation of a sparse trunk, masked to the geometric active set.

    ``x`` ``[1, C, H, W]``, ``active`` ``[1, 1, H, W]`` float. Independent of the engine's code.
    """
    a = active
    for mod in trunk.children():
        if isinstance(mod, spconv.SubMConv2d):
            x = nn.functional.conv2d(x, mod.weight.permute(0, 3, 1, 2), padding=1) * a
        elif isinstance(mod, spconv.SparseConv2d):
            a = nn.functional.max_pool2d(a, 3, 2)
            x = nn.functional.conv2d(x, mod.weight.permute(0, 3, 1, 2), stride=2) * a
        elif isinstance(mod, nn.BatchNorm1d):
            x = (
                nn.functional.batch_norm(
                    x, mod.running_mean, mod.running_var, mod.weight, mod.bias, False, 0.0, mod.eps
                )
                * a
            )
        elif isinstance(mod, nn.ReLU):
            x = torch.relu(x) * a
        elif isinstance(mod, spconv.SparseMaxPool2d):
            x = nn.functional.max_pool2d(x.masked_fill(a == 0, float('-inf')), 3, 2)
            a = nn.functional.max_pool2d(a, 3, 2)
            x = torch.where(a > 0, x, torch.zeros_like(x))
    return x
