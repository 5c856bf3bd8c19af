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

"""One training loop for classification and detection, sparse and dense VGG.

Samples (``events`` plus ``label`` or ``boxes`` in sensor pixels) become model inputs through
the project's representations, so training sees exactly what the asynchronous engine sees at
inference. spconv runs single-threaded on CPU (its CPU kernels race with more threads).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import contextlib
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from asynet_core.events import SensorSize
from asynet_core.models import ModelConfig, to_sparse_input
from asynet_core.representations import EventRepresentation, InputMapping, make_representation
from asynet_core.spconv_compat import spconv_single_thread
from asynet_training.config import LossConfig
from asynet_training.loss import YoloLoss

__all__ = ['Batch', 'LabelledSample', 'Trainer', 'collate', 'scale_boxes']


class LabelledSample(Protocol):
    """What the loop needs from a dataset item."""

    events: np.ndarray
    label: int | None
    boxes: np.ndarray | None


@dataclass(frozen=True)
class Batch:
    """Model inputs ``[B, H, W, C]`` and targets (labels ``[B]`` or per-item boxes)."""

    maps: torch.Tensor
    labels: torch.Tensor | None
    boxes: list[torch.Tensor] | None


def scale_boxes(boxes: np.ndarray, mapping: InputMapping) -> torch.Tensor:
    """Boxes ``[n, 5]`` (x, y, w, h, class) from sensor to model-input pixels."""
    flat = np.asarray(boxes, dtype=np.float32).reshape(-1, 5)
    return torch.from_numpy(mapping.boxes_to_input(flat))


def collate(samples: Sequence[Any], rep: EventRepresentation) -> Batch:
    """Represent every sample's events and stack the targets."""
    maps = torch.stack([torch.from_numpy(rep(s.events)) for s in samples])  # [B, H, W, C]
    if getattr(samples[0], 'boxes', None) is not None:
        return Batch(maps, None, [scale_boxes(s.boxes, rep.mapping) for s in samples])
    labels = torch.tensor([int(s.label) for s in samples], dtype=torch.long)
    return Batch(maps, labels, None)


class Trainer:
    """Forward, loss and metrics of one model on batches (the loop around it is in train.py)."""

    def __init__(
        self,
        model: nn.Module,
        config: ModelConfig,
        sensor: SensorSize,
        loss: LossConfig | None = None,
    ) -> None:
        loss = LossConfig() if loss is None else loss
        self.model = model
        self.train_model: nn.Module = model  # a DistributedDataParallel wrapper under torchrun
        self.config = config
        self.rep = make_representation(
            config.representation, InputMapping(sensor, config.input_size)
        )
        self.yolo = (
            YoloLoss(
                config.input_size,
                config.num_classes,
                config.num_boxes,
                coord=loss.coord,
                no_object=loss.no_object,
            )
            if config.task == 'detection'
            else None
        )

    def device(self) -> torch.device:
        """Where the model's parameters are."""
        return next(self.model.parameters()).device

    @contextlib.contextmanager
    def _spconv_guard(self) -> Iterator[None]:
        sparse_cpu = self.config.backbone == 'sparse' and self.device().type == 'cpu'
        with spconv_single_thread() if sparse_cpu else contextlib.nullcontext():
            yield

    def forward(self, batch: Batch) -> torch.Tensor:
        """Model output for a batch (inputs moved to the model's device).

        In training mode the (possibly distributed) training wrapper runs, else the model.
        """
        maps = batch.maps.to(self.device())
        net = self.train_model if self.model.training else self.model
        if self.config.backbone == 'sparse':
            return net(to_sparse_input(maps))  # type: ignore[no-any-return]
        return net(maps.permute(0, 3, 1, 2).contiguous())  # type: ignore[no-any-return]

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """Loss of a batch and scalar metrics (loss terms; accuracy for classification)."""
        with self._spconv_guard():
            out = self.forward(batch)
            if self.yolo is not None:
                boxes = [b.to(out.device) for b in batch.boxes or []]
                terms = self.yolo(out, boxes)
                total = terms.total
                metrics = {
                    k: float(getattr(terms, k).detach())
                    for k in ('offset', 'shape', 'confidence', 'no_object', 'classes')
                }
            else:
                labels = batch.labels.to(out.device)  # type: ignore[union-attr]
                total = nn.functional.cross_entropy(out, labels)
                metrics = {'accuracy': float((out.argmax(1) == labels).float().mean())}
        metrics['loss'] = float(total.detach())
        return total, metrics

    def step(self, batch: Batch, optimizer: torch.optim.Optimizer) -> dict[str, float]:
        """One optimisation step."""
        self.model.train()
        optimizer.zero_grad(set_to_none=True)
        total, metrics = self.loss(batch)
        with self._spconv_guard():
            total.backward()
        optimizer.step()
        return metrics

    @torch.no_grad()
    def predict(self, batch: Batch) -> torch.Tensor:
        """Eval-mode output of a batch."""
        self.model.eval()
        with self._spconv_guard():
            return self.forward(batch)
