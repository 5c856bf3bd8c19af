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

"""YOLO decoding and class-aware non-maximum suppression for the detection models.

Channels of one grid cell (``nb = num_boxes``), in the order of the detection head's output:

=============  =====================================================================
``[0:nb]``     centre offset along rows, in cells (from the cell's top edge)
``[nb:2nb]``   centre offset along columns, in cells (from the cell's left edge)
``[2nb:3nb]``  sqrt of the box height normalised by the input height
``[3nb:4nb]``  sqrt of the box width normalised by the input width
``[4nb:5nb]``  objectness logit (the sigmoid is applied here, in decoding)
``[5nb:]``     class logits, shared by the ``nb`` boxes of the cell
=============  =====================================================================

Decisions:

* Geometry is continuous: cell size ``(H / Hg, W / Wg)`` as floats, centre = cell top-left +
  offset * cell size, height = sqrt_h**2 * H, width = sqrt_w**2 * W, box = centre -/+ half the size
  (no flooring), clamped to ``[0, W] x [0, H]``. Raw outputs are not squashed; boxes that become
  degenerate (zero area) after clamping are kept.
* The score is calibrated: ``sigmoid(objectness) * softmax(class logits)[label]``, in ``[0, 1]``,
  not the raw class logit of the original. The score threshold and the NMS ranking both use it.
* NMS is class-aware (boxes of different labels never suppress each other) and greedy: a box is
  dropped when its IoU with a kept, higher-scoring box of the same label is strictly greater than
  the IoU threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from asynet_core.errors import ConfigError, ShapeError

__all__ = ['Detections', 'box_iou', 'decode_yolo', 'nms', 'postprocess']


@dataclass(frozen=True, eq=False)  # tensor fields: == would be ambiguous
class Detections:
    """Detections of one image; every field has one row per detection.

    Attributes:
        boxes: ``[N, 4]`` boxes ``(x_min, y_min, x_max, y_max)`` in model-input pixels
            (x = column).
        scores: ``[N]`` calibrated scores ``sigmoid(objectness) * class probability``.
        labels: ``[N]`` int64 class indices.
        objectness: ``[N]`` sigmoid of the objectness logit.
    """

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor
    objectness: torch.Tensor

    def __post_init__(self) -> None:
        if self.boxes.dim() != 2 or self.boxes.shape[1] != 4:
            raise ShapeError(f'boxes must have shape [N, 4], got {tuple(self.boxes.shape)}')
        n = self.boxes.shape[0]
        for name in ('scores', 'labels', 'objectness'):
            shape = tuple(getattr(self, name).shape)
            if shape != (n,):
                raise ShapeError(f'{name} must have shape ({n},) to match {n} boxes, got {shape}')
        if self.labels.dtype != torch.int64:
            raise ShapeError(f'labels must be int64, got {self.labels.dtype}')

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def select(self, index: torch.Tensor) -> Detections:
        """The rows picked by a boolean mask or an index tensor, in that order."""
        return Detections(
            self.boxes[index], self.scores[index], self.labels[index], self.objectness[index]
        )

    @staticmethod
    def empty(dtype: torch.dtype = torch.float32) -> Detections:
        """No detections."""
        zeros = torch.zeros(0, dtype=dtype)
        return Detections(zeros.view(0, 4), zeros, torch.zeros(0, dtype=torch.int64), zeros)


def _check_threshold(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f'{name} must be in [0, 1], got {value}')


def _check_counts(input_size: tuple[int, int], num_classes: int, num_boxes: int) -> None:
    if num_classes < 1 or num_boxes < 1:
        raise ConfigError(
            f'num_classes and num_boxes must be >= 1, got {num_classes} and {num_boxes}'
        )
    sides = tuple(input_size)  # callers may pass any sequence
    if len(sides) != 2 or min(sides) < 1:
        raise ShapeError(f'input_size must be (height, width), both >= 1, got {input_size}')


def _check_output(output: torch.Tensor, num_classes: int, num_boxes: int) -> None:
    if output.dim() != 4:
        raise ShapeError(f'expected YOLO output [B, Hg, Wg, C], got shape {tuple(output.shape)}')
    channels = num_classes + 5 * num_boxes
    if output.shape[3] != channels:
        raise ShapeError(
            f'YOLO output has {output.shape[3]} channels per cell, expected '
            f'num_classes + 5 * num_boxes = {num_classes} + 5 * {num_boxes} = {channels}'
        )
    if output.shape[1] < 1 or output.shape[2] < 1:
        raise ShapeError(f'YOLO output grid is empty: shape {tuple(output.shape)}')


def _decode_boxes(output: torch.Tensor, input_size: tuple[int, int], nb: int) -> torch.Tensor:
    """Boxes ``[B, Hg, Wg, nb, 4]`` (x_min, y_min, x_max, y_max) from channels ``[0:4nb]``."""
    height, width = float(input_size[0]), float(input_size[1])
    gh, gw = output.shape[1], output.shape[2]
    cell_h, cell_w = height / gh, width / gw
    grid = torch.arange(max(gh, gw), dtype=output.dtype, device=output.device)  # [max(Hg, Wg)]
    rows = grid[:gh].view(1, gh, 1, 1)  # [1, Hg, 1, 1]
    cols = grid[:gw].view(1, 1, gw, 1)  # [1, 1, Wg, 1]
    cy = (rows + output[..., 0:nb]) * cell_h  # [B, Hg, Wg, nb]
    cx = (cols + output[..., nb : 2 * nb]) * cell_w  # [B, Hg, Wg, nb]
    h = output[..., 2 * nb : 3 * nb] ** 2 * height  # [B, Hg, Wg, nb]
    w = output[..., 3 * nb : 4 * nb] ** 2 * width  # [B, Hg, Wg, nb]
    x_min = (cx - w / 2).clamp(0.0, width)
    y_min = (cy - h / 2).clamp(0.0, height)
    x_max = (cx + w / 2).clamp(0.0, width)
    y_max = (cy + h / 2).clamp(0.0, height)
    return torch.stack([x_min, y_min, x_max, y_max], dim=-1)  # [B, Hg, Wg, nb, 4]


def decode_yolo(
    output: torch.Tensor,
    input_size: tuple[int, int],
    num_classes: int,
    num_boxes: int,
    score_threshold: float = 0.3,
) -> list[Detections]:
    """Decode a detection head output into per-image detections with score >= the threshold.

    Args:
        output: head output ``[B, Hg, Wg, num_classes + 5 * num_boxes]`` (layout: module doc).
        input_size: model input ``(H, W)`` in pixels.
        num_classes: number of object classes.
        num_boxes: boxes per cell.
        score_threshold: keep boxes whose calibrated score is at least this, in ``[0, 1]``.

    Returns:
        One :class:`Detections` per batch item, in cell order (row-major, then box index);
        neither sorted nor suppressed.

    Raises:
        ShapeError: ``output`` or ``input_size`` has the wrong shape.
        ConfigError: a count or the threshold is out of range.
    """
    _check_counts(input_size, num_classes, num_boxes)
    _check_output(output, num_classes, num_boxes)
    _check_threshold('score_threshold', score_threshold)
    nb = num_boxes
    batch, n = output.shape[0], output.shape[1] * output.shape[2] * num_boxes
    boxes = _decode_boxes(output, input_size, nb).reshape(batch, n, 4)  # [B, Hg*Wg*nb, 4]
    objectness = torch.sigmoid(output[..., 4 * nb : 5 * nb])  # [B, Hg, Wg, nb]
    probs = torch.softmax(output[..., 5 * nb :], dim=-1)  # [B, Hg, Wg, C]
    class_prob, labels = probs.max(dim=-1, keepdim=True)  # [B, Hg, Wg, 1] each
    scores = (objectness * class_prob).reshape(batch, n)  # [B, Hg*Wg*nb]
    labels = labels.expand_as(objectness).reshape(batch, n)  # [B, Hg*Wg*nb]
    objectness = objectness.reshape(batch, n)  # [B, Hg*Wg*nb]
    keep = scores >= score_threshold  # [B, Hg*Wg*nb]
    return [
        Detections(boxes[b][k], scores[b][k], labels[b][k], objectness[b][k])
        for b, k in enumerate(keep)
    ]


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise IoU ``[N, M]`` of boxes ``a`` ``[N, 4]`` and ``b`` ``[M, 4]``.

    Boxes are ``(x_min, y_min, x_max, y_max)``; pairs with an empty union (two degenerate boxes)
    have IoU 0.
    """
    if a.dim() != 2 or a.shape[1] != 4 or b.dim() != 2 or b.shape[1] != 4:
        raise ShapeError(
            f'box_iou expects boxes [N, 4] and [M, 4], got {tuple(a.shape)} and {tuple(b.shape)}'
        )
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)  # [N]
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)  # [M]
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])  # [N, M, 2]
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])  # [N, M, 2]
    wh = (bottom_right - top_left).clamp(min=0)  # [N, M, 2]
    inter = wh[..., 0] * wh[..., 1]  # [N, M]
    union = area_a[:, None] + area_b[None, :] - inter  # [N, M]
    safe = union.clamp(min=torch.finfo(union.dtype).tiny)  # [N, M]
    return torch.where(union > 0, inter / safe, torch.zeros_like(inter))  # [N, M]


def _greedy_keep(overlaps: torch.Tensor) -> torch.Tensor:
    """Indices kept by greedy suppression; ``overlaps[i, j]``: i suppresses j (rows by score)."""
    suppressed = torch.zeros(overlaps.shape[0], dtype=torch.bool, device=overlaps.device)  # [N]
    keep = []
    for i in range(overlaps.shape[0]):
        if not bool(suppressed[i]):
            keep.append(i)
            suppressed |= overlaps[i]
    return torch.tensor(keep, dtype=torch.int64, device=overlaps.device)  # [K]


def nms(detections: Detections, iou_threshold: float) -> Detections:
    """Class-aware greedy non-maximum suppression of the detections of one image.

    Args:
        detections: detections of one image.
        iou_threshold: a box is dropped when its IoU with a kept, higher-scoring box of the same
            label is strictly greater than this, in ``[0, 1]``.

    Returns:
        The kept detections, sorted by descending score (ties keep their input order).

    Raises:
        ConfigError: ``iou_threshold`` is out of range.
    """
    _check_threshold('iou_threshold', iou_threshold)
    if len(detections) == 0:
        return detections
    order = torch.argsort(detections.scores, descending=True, stable=True)  # [N]
    ranked = detections.select(order)
    iou = box_iou(ranked.boxes, ranked.boxes)  # [N, N]
    same_label = ranked.labels[:, None] == ranked.labels[None, :]  # [N, N]
    return ranked.select(_greedy_keep((iou > iou_threshold) & same_label))


def _truncate(detections: Detections, max_detections: int) -> Detections:
    if len(detections) <= max_detections:
        return detections
    return detections.select(torch.arange(max_detections, device=detections.boxes.device))


def postprocess(
    output: torch.Tensor,
    input_size: tuple[int, int],
    num_classes: int,
    num_boxes: int,
    *,
    score_threshold: float = 0.3,
    iou_threshold: float = 0.6,
    max_detections: int = 100,
) -> list[Detections]:
    """Decode, threshold, suppress and truncate: the final detections of every batch item.

    Returns:
        One :class:`Detections` per batch item, sorted by descending score, with at most
        ``max_detections`` rows.

    Raises:
        ShapeError: ``output`` or ``input_size`` has the wrong shape.
        ConfigError: a count, a threshold or ``max_detections`` is out of range.
    """
    if max_detections < 0:
        raise ConfigError(f'max_detections must be >= 0, got {max_detections}')
    _check_threshold('iou_threshold', iou_threshold)
    decoded = decode_yolo(output, input_size, num_classes, num_boxes, score_threshold)
    return [_truncate(nms(d, iou_threshold), max_detections) for d in decoded]
