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

"""build_model: the backbone the configuration names."""

from __future__ import annotations

from asynet_core.models import ModelConfig, SparseVGG
from asynet_core.models.build import build_model
from asynet_core.models.dense_vgg import DenseVGG

SPARSE = ModelConfig('ncars', 2, class_names=('background', 'car'), sensor_size=(120, 100))
DENSE = ModelConfig('ncars', 2, backbone='dense')


def test_build_model_picks_the_backbone() -> None:
    assert type(build_model(SPARSE)) is SparseVGG
    assert type(build_model(DENSE)) is DenseVGG
