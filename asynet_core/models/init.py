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
