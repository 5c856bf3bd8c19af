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

"""Evaluation metrics: confusion matrices and VOC average precision at an IoU threshold."""

from __future__ import annotations

import contextlib
import io

import numpy as np

__all__ = ['coco_map', 'confusion_matrix', 'voc_ap', 'voc_map']


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``[num_classes, num_classes]`` counts, rows = true class, columns = predicted class."""
    out = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(out, (labels, predictions), 1)
    return out


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision-recall curve with every-point interpolation (VOC 2010+)."""
    r = np.concatenate(([0.0], recall, [1.0]))
    p = np.concatenate(([0.0], precision, [0.0]))
    p = np.maximum.accumulate(p[::-1])[::-1]  # precision envelope
    step = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[step + 1] - r[step]) * p[step + 1]))


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The IoU of one (x0, y0, x1, y1) box against ``[n, 4]`` boxes."""
    lo = np.maximum(box[:2], boxes[:, :2])
    hi = np.minimum(box[2:], boxes[:, 2:])
    inter = np.clip(hi - lo, 0, None).prod(axis=1)
    area = (box[2:] - box[:2]).prod() + (boxes[:, 2:] - boxes[:, :2]).prod(axis=1)
    return inter / np.maximum(area - inter, 1e-9)


def _class_ap(
    detections: list[tuple[int, float, np.ndarray]], truths: dict[int, np.ndarray], iou: float
) -> float:
    """AP of one class: detections (image, score, box), ground truths per image ``[n, 4]``."""
    total = sum(len(t) for t in truths.values())
    if total == 0:
        return float('nan')
    used = {image: np.zeros(len(t), dtype=bool) for image, t in truths.items()}
    hits = []
    for image, _, box in sorted(detections, key=lambda d: -d[1]):
        gt = truths.get(image, np.zeros((0, 4)))
        overlaps = _iou(box, gt) if len(gt) else np.zeros(0)
        best = int(np.argmax(overlaps)) if len(overlaps) else -1
        hit = best >= 0 and overlaps[best] >= iou and not used[image][best]
        if hit:
            used[image][best] = True
        hits.append(hit)
    tp = np.cumsum(hits)
    recall = tp / total
    precision = tp / np.arange(1, len(hits) + 1)
    return voc_ap(recall, precision)


def voc_map(
    detections: list[tuple[int, int, float, np.ndarray]],
    truths: list[tuple[int, int, np.ndarray]],
    num_classes: int,
    iou: float = 0.5,
) -> tuple[float, list[float]]:
    """VOC mAP: detections (image, class, score, xyxy box), truths (image, class, xyxy box).

    Returns the mean over classes that have ground truth, and the per-class APs (NaN for a
    class without ground truth, which does not enter the mean).
    """
    aps = []
    for cls in range(num_classes):
        dets = [(i, s, b) for i, c, s, b in detections if c == cls]
        per_image: dict[int, list[np.ndarray]] = {}
        for image, c, box in truths:
            if c == cls:
                per_image.setdefault(image, []).append(box)
        gts = {image: np.stack(boxes) for image, boxes in per_image.items()}
        aps.append(_class_ap(dets, gts, iou))
    valid = [a for a in aps if not np.isnan(a)]
    return (float(np.mean(valid)) if valid else 0.0), aps


def coco_map(
    detections: list[tuple[int, int, float, np.ndarray]],
    truths: list[tuple[int, int, np.ndarray]],
    num_classes: int,
    images: int,
) -> float:
    """COCO mAP@[.5:.95] through pycocotools (same inputs as :func:`voc_map`, xyxy boxes).

    pycocotools prints as it indexes and evaluates; none of it reaches standard output, where the
    commands write their JSON reports.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        return _coco_map(detections, truths, num_classes, images)


def _coco_map(
    detections: list[tuple[int, int, float, np.ndarray]],
    truths: list[tuple[int, int, np.ndarray]],
    num_classes: int,
    images: int,
) -> float:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(box: np.ndarray) -> list[float]:
        return [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])]

    gt = COCO()
    gt.dataset = {
        'images': [{'id': i} for i in range(images)],
        'categories': [{'id': c} for c in range(num_classes)],
        'annotations': [
            {'id': k + 1, 'image_id': i, 'category_id': c, 'bbox': xywh(b), 'iscrowd': 0,
             'area': float((b[2] - b[0]) * (b[3] - b[1]))}
            for k, (i, c, b) in enumerate(truths)
        ],
    }  # fmt: skip
    gt.createIndex()
    if not detections or not truths:
        return 0.0
    found = gt.loadRes([
        {'image_id': i, 'category_id': c, 'bbox': xywh(b), 'score': s}
        for i, c, s, b in detections
    ])  # fmt: skip
    evaluator = COCOeval(gt, found, 'bbox')
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return float(max(evaluator.stats[0], 0.0))  # -1 when no ground truth counts
