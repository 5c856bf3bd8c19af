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

"""Scoring a replay's outputs against Gen1-format labels (VOC mAP@0.5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from asynet_ros.pipeline import Pipeline, Result

__all__ = ['label_metrics', 'read_labels', 'truth_at']


def read_labels(path: Path) -> np.ndarray:
    """The labels of ``path`` (a Gen1 ``*_bbox.npy`` file); read before the replay starts."""
    from asynet_training.formats.gen1 import read_gen1_bbox  # optional: labels only

    return read_gen1_bbox(path)


def truth_at(boxes: np.ndarray) -> Callable[[int], np.ndarray | None]:
    """For frames: the labelled boxes (xyxy, sensor px) of the newest label time <= ``t_us``."""
    times = np.unique(boxes['t'])

    def at(t_us: int) -> np.ndarray | None:
        k = int(np.searchsorted(times, t_us, side='right')) - 1
        if k < 0:
            return None
        b = boxes[boxes['t'] == times[k]]
        x0, y0 = b['x'].astype(np.float64), b['y'].astype(np.float64)
        return np.stack([x0, y0, x0 + b['w'], y0 + b['h']], axis=1)

    return at


def label_metrics(
    run_results: list[Result], boxes: np.ndarray, labels: Path, pipeline: Pipeline
) -> dict[str, Any]:
    """VOC mAP@0.5 of the outputs against Gen1-format labels (sensor time, µs).

    A label time is scored against the newest output at or before it (what a subscriber held
    then); ``label_lag_ms_max`` says how old the oldest of those outputs was (at 100 Hz, at
    most about 10 ms), ``None`` when no label time had an output.
    """
    from asynet_training.metrics import voc_map  # optional: labels only

    results = [r for r in run_results if r.boxes is not None]
    times = np.array([r.t_us for r in results], dtype=np.int64)
    detections: list[tuple[int, int, float, np.ndarray]] = []
    truths: list[tuple[int, int, np.ndarray]] = []
    label_times = np.unique(boxes['t'])
    matched, lag_us = 0, None
    for image, t in enumerate(label_times):
        k = int(np.searchsorted(times, t, side='right')) - 1
        if k < 0:
            continue
        matched += 1
        lag_us = max(lag_us or 0, int(t) - int(times[k]))
        for b in boxes[boxes['t'] == t]:
            x0, y0 = float(b['x']), float(b['y'])
            xyxy = np.array([x0, y0, x0 + float(b['w']), y0 + float(b['h'])])
            truths.append((image, int(b['class_id']), xyxy))
        r = results[k]
        rows = zip(r.boxes, r.scores, r.labels, strict=True)  # type: ignore[arg-type]
        for box, score, label in rows:
            detections.append((image, int(label), float(score), np.asarray(box, np.float64)))
    mean, per_class = voc_map(detections, truths, pipeline.model_config.num_classes)
    return {
        'labels': str(labels),
        'label_times': len(label_times),
        'label_times_matched': matched,
        'label_lag_ms_max': None if lag_us is None else lag_us / 1e3,
        'voc_map50': mean,
        'voc_ap50_per_class': [None if np.isnan(a) else a for a in per_class],
    }
