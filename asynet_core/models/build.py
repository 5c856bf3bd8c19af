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

"""Model factory: the one place that turns a :class:`ModelConfig` into a network."""

from __future__ import annotations

from asynet_core.models.config import ModelConfig
from asynet_core.models.dense_vgg import DenseVGG
from asynet_core.models.sparse_vgg import SparseVGG

__all__ = ['build_model']


def build_model(config: ModelConfig) -> SparseVGG | DenseVGG:
    """A freshly initialised network for ``config``.

    Returns:
        :class:`SparseVGG` for ``backbone='sparse'``, :class:`DenseVGG` for ``backbone='dense'``.
    """
    if config.backbone == 'dense':
        return DenseVGG(config)
    return SparseVGG(config)
