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

"""TensorBoard for training: scalars, an example frame with boxes, the confusion matrix.

Only rank 0 writes (:func:`board`); the other processes get a writer that drops everything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

from asynet_core.models import postprocess
from asynet_training.distributed import Distributed
from asynet_training.visual import confusion_image, draw_boxes, frame_image

__all__ = ['board', 'images', 'scalars']


class _NoBoard:
    """Stands in for the TensorBoard writer on processes other than rank 0."""

    def add_scalar(self, *_: Any) -> None:
        """Drop the value."""

    def add_image(self, *_: Any) -> None:
        """Drop the image."""

    def __enter__(self) -> _NoBoard:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def board(out: Path, ddp: Distributed) -> Any:
    """The TensorBoard writer of ``out`` on rank 0, else one that drops everything."""
    return SummaryWriter(log_dir=str(out / 'tensorboard')) if ddp.main else _NoBoard()


def images(
    run: Any, loader: DataLoader[Any], matrix: torch.Tensor | None, board: Any, epoch: int
) -> None:
    """An example input frame (with true boxes in green, found boxes in red) and the matrix."""
    if matrix is not None:
        board.add_image('val/confusion_matrix', confusion_image(matrix), epoch)
    batch = next(iter(loader), None)
    if batch is None:
        return
    image = frame_image(batch.maps[0])
    if batch.boxes is not None:
        mc = run.model_config
        found = postprocess(run.trainer.predict(batch)[:1].cpu(), mc.input_size, mc.num_classes,
                            mc.num_boxes)[0]  # fmt: skip
        xywh = torch.cat([found.boxes[:, :2], found.boxes[:, 2:] - found.boxes[:, :2]], 1)
        image = draw_boxes(
            draw_boxes(image, batch.boxes[0], (0.0, 1.0, 0.0)), xywh, (1.0, 0.0, 0.0)
        )
    board.add_image('val/example', image, epoch)


def scalars(board: Any, prefix: str, metrics: dict[str, float], step: int) -> None:
    """Each metric under ``prefix/``."""
    for key, value in metrics.items():
        board.add_scalar(f'{prefix}/{key}', value, step)
