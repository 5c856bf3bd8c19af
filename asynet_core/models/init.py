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

"""Weight initialisation shared by the sparse and dense VGG."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ['he_normal_convs_']


@torch.no_grad()
def he_normal_convs_(model: nn.Module) -> None:
    """He-normal init of every 4-D conv kernel: std ``sqrt(2 / fan_in)``, fan-in ``9 * C_in``.

    This is SparseConvNet's rule, which the paper's models were trained with. Both kernel layouts
    (spconv ``[out, kh, kw, in]``, torch ``[out, in, kh, kw]``) have ``fan_in = w[0].numel()``.
    PyTorch's default (Kaiming-uniform with a = sqrt(5)) shrinks activations about 6x per layer
    in these VGGs, so an untrained network would output almost exactly its last bias.
    """
    for weight in model.parameters():
        if weight.dim() == 4:
            nn.init.normal_(weight, 0.0, (2.0 / weight[0].numel()) ** 0.5)
