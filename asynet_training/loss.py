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

"""YOLOv1-style detection loss for the sparse and dense VGG detection heads.

The output layout is the one :mod:`asynet_core.models.yolo` decodes (per cell, ``nb`` boxes):
row offsets, column offsets, sqrt of the normalised height, sqrt of the normalised width,
objectness logits, then class logits shared by the cell's boxes. Ground-truth boxes are
``(x, y, w, h, class)`` in model-input pixels, ``(x, y)`` the top-left corner.

Each ground truth is assigned to the cell holding its centre and, there, to the predicted box
with the highest IoU (computed on detached predictions). Terms, summed:

========================  ======  ===================================================
term                      weight  definition
========================  ======  ===================================================
offset                    5       mean over ground truths of the squared offset error
shape                     5       mean over ground truths of the squared sqrt-size error
object confidence         1       mean of (sigmoid(objectness) - IoU)^2 at assigned boxes
no object                 0.5     mean of sigmoid(objectness)^2 at all other boxes
class                     1       cross-entropy of the assigned cells' class logits
========================  ======  ===================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from asynet_core.errors import ShapeError

__all__ = ['YoloLoss', 'YoloLossTerms']


@dataclass(frozen=True)
class YoloLossTerms:
    """The weighted terms of one loss evaluation (tensors, differentiable)."""

    offset: torch.Tensor
    shape: torch.Tensor
    confidence: torch.Tensor
    no_object: torch.Tensor
    classes: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        """Sum of the terms."""
        return self.offset + self.shape + self.confidence + self.no_object + self.classes


def _iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The IoU of boxes ``[..., 4]`` (y0, x0, y1, x1) broadcast against each other."""
    lo = torch.maximum(a[..., :2], b[..., :2])
    hi = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (hi - lo).clamp_min(0).prod(dim=-1)
    area = (a[..., 2:] - a[..., :2]).prod(dim=-1) + (b[..., 2:] - b[..., :2]).prod(dim=-1)
    return inter / (area - inter).clamp_min(1e-9)


class YoloLoss:
    """Callable loss: ``loss(output, targets) -> YoloLossTerms``.

    Args:
        input_size: model input (height, width) in pixels.
        num_classes: object classes.
        num_boxes: boxes per cell.
        coord: weight of the offset and shape terms (5 in YOLOv1).
        no_object: weight of the no-object term (0.5 in YOLOv1).
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        num_classes: int,
        num_boxes: int = 2,
        coord: float = 5.0,
        no_object: float = 0.5,
    ) -> None:
        self.input_size = input_size
        self.num_classes = num_classes
        self.num_boxes = num_boxes
        self.coord = coord
        self.no_object = no_object

    def __call__(self, output: torch.Tensor, targets: list[torch.Tensor]) -> YoloLossTerms:
        """Loss of a batch.

        Args:
            output: ``[B, Hg, Wg, num_classes + 5 * num_boxes]`` raw head output.
            targets: per batch item, ``[n_i, 5]`` boxes (x, y, w, h, class) in input pixels.
        """
        b, gh, gw, c = output.shape
        nb = self.num_boxes
        if c != self.num_classes + 5 * nb or len(targets) != b:
            raise ShapeError(
                f'output {tuple(output.shape)} and {len(targets)} targets do not fit '
                f'{self.num_classes} classes, {nb} boxes'
            )
        gt, batch = self._stack(targets, output.device, output.dtype)  # [G, 5], [G]
        cell_h, cell_w = self.input_size[0] / gh, self.input_size[1] / gw
        cy, cx = gt[:, 1] + gt[:, 3] / 2, gt[:, 0] + gt[:, 2] / 2  # [G] centres
        row = (cy / cell_h).floor().clamp(0, gh - 1).long()
        col = (cx / cell_w).floor().clamp(0, gw - 1).long()
        cell = output[batch, row, col]  # [G, C]
        pred = self._decode(cell, row, col, (cell_h, cell_w))  # [G, nb, 4]
        gt_box = torch.stack([gt[:, 1], gt[:, 0], gt[:, 1] + gt[:, 3], gt[:, 0] + gt[:, 2]], 1)
        iou = _iou(pred.detach(), gt_box.unsqueeze(1))  # [G, nb]
        best = iou.argmax(dim=1)  # [G] responsible box
        return self._terms(output, cell, best, iou, gt, (batch, row, col), (cell_h, cell_w))

    def _stack(
        self, targets: list[torch.Tensor], device: torch.device, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        rows = [t.to(device=device, dtype=dtype).reshape(-1, 5) for t in targets]
        batch = [
            torch.full((len(r),), i, dtype=torch.long, device=device) for i, r in enumerate(rows)
        ]
        return torch.cat(rows), torch.cat(batch)

    def _decode(
        self, cell: torch.Tensor, row: torch.Tensor, col: torch.Tensor, size: tuple[float, float]
    ) -> torch.Tensor:
        """Boxes ``[G, nb, 4]`` (y0, x0, y1, x1) predicted in the given cells."""
        nb, (h, w) = self.num_boxes, self.input_size
        cy = (row.unsqueeze(1) + cell[:, :nb]) * size[0]
        cx = (col.unsqueeze(1) + cell[:, nb : 2 * nb]) * size[1]
        bh, bw = cell[:, 2 * nb : 3 * nb] ** 2 * h, cell[:, 3 * nb : 4 * nb] ** 2 * w
        return torch.stack([cy - bh / 2, cx - bw / 2, cy + bh / 2, cx + bw / 2], dim=-1)

    def _terms(
        self,
        output: torch.Tensor,
        cell: torch.Tensor,
        best: torch.Tensor,
        iou: torch.Tensor,
        gt: torch.Tensor,
        where: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        size: tuple[float, float],
    ) -> YoloLossTerms:
        nb, (h, w) = self.num_boxes, self.input_size
        batch, row, col = where
        g = torch.arange(len(gt), device=gt.device)
        pick = [cell[:, k * nb : (k + 1) * nb][g, best] for k in range(5)]  # 5 x [G]
        off_y = (gt[:, 1] + gt[:, 3] / 2) / size[0] - row
        off_x = (gt[:, 0] + gt[:, 2] / 2) / size[1] - col
        offset = ((pick[0] - off_y) ** 2 + (pick[1] - off_x) ** 2).mean()
        shape = (
            (pick[2] - (gt[:, 3] / h).sqrt()) ** 2 + (pick[3] - (gt[:, 2] / w).sqrt()) ** 2
        ).mean()
        confidence = ((torch.sigmoid(pick[4]) - iou[g, best]) ** 2).mean()
        objectness = torch.sigmoid(output[..., 4 * nb : 5 * nb])  # [B, Hg, Wg, nb]
        free = torch.ones_like(objectness, dtype=torch.bool)
        free[batch, row, col, best] = False
        no_object = (objectness[free] ** 2).mean()
        classes = F.cross_entropy(cell[:, 5 * nb :], gt[:, 4].long())
        zero = output.sum() * 0  # keeps terms differentiable when there is no ground truth
        if not len(gt):
            offset = shape = confidence = classes = zero
        return YoloLossTerms(
            self.coord * offset,
            self.coord * shape,
            confidence,
            self.no_object * no_object,
            classes,
        )
