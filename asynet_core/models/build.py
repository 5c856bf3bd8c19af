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
