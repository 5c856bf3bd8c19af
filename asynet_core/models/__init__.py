"""Models: configuration, sparse (spconv) and dense VGG, YOLO decoding, checkpoints."""

from asynet_core.models.config import ARCHS, ArchSpec, ModelConfig
from asynet_core.models.sparse_vgg import SparseVGG, to_sparse_input

__all__ = ['ARCHS', 'ArchSpec', 'ModelConfig', 'SparseVGG', 'to_sparse_input']

from asynet_core.models.build import build_model
from asynet_core.models.checkpoint import (
    CHECKPOINT_FORMAT,
    LoadedCheckpoint,
    load_checkpoint,
    save_checkpoint,
)
from asynet_core.models.dense_vgg import DenseVGG, load_sparse_weights_into_dense
from asynet_core.models.yolo import Detections, decode_yolo, nms, postprocess

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
