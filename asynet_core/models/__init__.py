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

"""Models: configuration, sparse (spconv) and dense VGG, YOLO decoding, checkpoints."""

from asynet_core.models.config import ARCHS, ArchSpec, ModelConfig
from asynet_core.models.sparse_vgg import SparseVGG, to_sparse_input

__all__ = ['ARCHS', 'ArchSpec', 'ModelConfig', 'SparseVGG', 'to_sparse_input']

from asynet_core.models.build import build_model  # noqa: I100 (build needs the names above)
from asynet_core.models.checkpoint import (
    CHECKPOINT_FORMAT,
    load_checkpoint,
    LoadedCheckpoint,
    save_checkpoint,
)
from asynet_core.models.dense_vgg import DenseVGG, load_sparse_weights_into_dense
from asynet_core.models.yolo import decode_yolo, Detections, nms, postprocess

__all__ += [
    'CHECKPOINT_FORMAT',
    'DenseVGG',
    'Detections',
    'LoadedCheckpoint',
    'build_model',
    'decode_yolo',
    'load_checkpoint',
    'load_sparse_weights_into_dense',
    'nms',
    'postprocess',
    'save_checkpoint',
]
