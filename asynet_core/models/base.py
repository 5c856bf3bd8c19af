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

"""The part of the sparse and dense VGG that does not depend on sparsity: the linear head."""

from __future__ import annotations

import torch
from torch import nn

from asynet_core.models.config import ModelConfig
from asynet_core.models.init import he_normal_convs_

__all__ = ['VGGBase']


class VGGBase(nn.Module):
    """A conv ``trunk`` ending on the dense head map, then ``fc`` or the YOLO head.

    Classification: ``fc``. Detection: ``linear_1``, ReLU, ``linear_2`` reshaped to
    ``[B, Hg, Wg, num_classes + 5 * num_boxes]``. Conv kernels get He-normal init.
    """

    def __init__(self, config: ModelConfig, trunk: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.trunk = trunk
        spec = config.spec
        gh, gw = spec.grid_size()
        flat = spec.head_channels * gh * gw
        if spec.task == 'classification':
            self.fc = nn.Linear(flat, config.num_classes)
        else:
            hidden = spec.fc_hidden if spec.fc_hidden is not None else 1024
            self.linear_1 = nn.Linear(flat, hidden)
            self.linear_2 = nn.Linear(hidden, gh * gw * config.output_channels())
        he_normal_convs_(self)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """Linear head on the flattened (C-major) dense head map ``[B, C * Hg * Wg]``."""
        if self.config.task == 'classification':
            logits: torch.Tensor = self.fc(features)
            return logits
        gh, gw = self.config.spec.grid_size()
        hidden = torch.relu(self.linear_1(features))  # [B, fc_hidden]
        out: torch.Tensor = self.linear_2(hidden)  # [B, Hg * Wg * (C + 5B)]
        return out.view(-1, gh, gw, self.config.output_channels())  # [B, Hg, Wg, C + 5B]
