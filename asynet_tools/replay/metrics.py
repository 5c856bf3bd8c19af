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

"""Scoring a replay's outputs against Gen1-format labels (VOC mAP@0.5, COCO mAP).

Classic: each label time against the newest output computed from events up to it, as if
inference took no time. Latency-aware (a real-time replay): against the newest output available
at it (STARE, Chen, Chu et al., Nature Communications 2026).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from asynet_ros.pipeline import Pipeline, Result

__all__ = ['label_metrics', 'latency_aware_metrics', 'read_labels', 'truth_at']


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
    run_results: list[Result],
    boxes: np.ndarray,
    labels: Path,
    pipeline: Pipeline,
    *,
    available_t_us: list[int] | None = None,
    sensor_s: float = 0.0,
) -> dict[str, Any]:
    """VOC mAP@0.5 and COCO mAP of the outputs against Gen1-format labels (sensor time, µs).

    A label time is scored against the newest output at or before it (what a subscriber held
    then, had the output come at once); a label time before every output is left out.
    ``label_lag_ms_max`` says how old the oldest of those outputs was (at 100 Hz, at most about
    10 ms), ``None`` when no label time had an output.

    With ``available_t_us`` (each output's availability in sensor time, a real-time replay's),
    ``latency_aware`` scores each label time against the newest output *available* at it, as a
    subscriber would have had it; a label time before every availability scores its boxes as
    missed. See :func:`latency_aware_metrics`.
    """
    scored = [(r, t) for r, t in zip(run_results, _times(run_results, available_t_us),
                                     strict=True) if r.boxes is not None]  # fmt: skip
    results = [r for r, _ in scored]
    label_times = np.unique(boxes['t'])
    picks = _newest_at(np.array([r.t_us for r in results], dtype=np.int64), label_times)
    scores = _scores(results, picks, boxes, label_times, pipeline, count_missed=False)
    lags = _ages_us(results, picks, label_times)
    out = {
        'labels': str(labels),
        'label_times': len(label_times),
        'label_times_matched': int(np.count_nonzero(picks >= 0)),
        'label_lag_ms_max': float(lags.max()) / 1e3 if len(lags) else None,
        **scores,
    }
    if available_t_us is not None:
        available = np.array([t for _, t in scored], dtype=np.int64)
        out['latency_aware'] = latency_aware_metrics(
            results, available, boxes, pipeline, len(run_results) / sensor_s if sensor_s else None
        )
    return out


def latency_aware_metrics(
    results: list[Result],
    available_t_us: np.ndarray,
    boxes: np.ndarray,
    pipeline: Pipeline,
    output_rate_hz: float | None,
) -> dict[str, Any]:
    """The scores of the newest output available at each label time, and how old it was.

    ``age_ms_p50/p99``: label time minus the input time (``t_us``) of the output scored, over
    the label times that had one. ``output_rate_hz``: outputs per second of sensor time, as
    given.
    """
    label_times = np.unique(boxes['t'])
    picks = _newest_at(available_t_us, label_times)
    ages_ms = _ages_us(results, picks, label_times) / 1e3
    return {
        **_scores(results, picks, boxes, label_times, pipeline, count_missed=True),
        'label_times': len(label_times),
        'label_times_matched': int(np.count_nonzero(picks >= 0)),
        'age_ms_p50': float(np.percentile(ages_ms, 50)) if len(ages_ms) else None,
        'age_ms_p99': float(np.percentile(ages_ms, 99)) if len(ages_ms) else None,
        'output_rate_hz': output_rate_hz,
    }


def _times(results: list[Result], available_t_us: list[int] | None) -> list[int]:
    """The availability of each output, or its input time where none was given."""
    if available_t_us is None:
        return [r.t_us for r in results]
    if len(available_t_us) != len(results):
        raise ValueError(f'{len(available_t_us)} availability times for {len(results)} outputs')
    return available_t_us


def _newest_at(times_us: np.ndarray, label_times: np.ndarray) -> np.ndarray:
    """Per label time, the index of the newest output whose time is at or before it (-1: none).

    Among outputs of one time, the later one is the newer (a stable sort keeps their order).
    """
    order = np.argsort(times_us, kind='stable')
    k = np.searchsorted(times_us[order], label_times, side='right') - 1
    return np.where(k >= 0, order[np.maximum(k, 0)], -1) if len(order) else k


def _ages_us(results: list[Result], picks: np.ndarray, label_times: np.ndarray) -> np.ndarray:
    """Label time minus the input time of the output scored there (label times with one)."""
    found = picks >= 0
    inputs = np.array([results[k].t_us for k in picks[found]], dtype=np.int64)
    return label_times[found].astype(np.int64) - inputs


def _scores(
    results: list[Result],
    picks: np.ndarray,
    boxes: np.ndarray,
    label_times: np.ndarray,
    pipeline: Pipeline,
    *,
    count_missed: bool,
) -> dict[str, Any]:
    """VOC mAP@0.5 (and per class) and COCO mAP of the outputs ``picks`` chose per label time.

    A label time without an output (``-1``) is left out, or with ``count_missed`` its boxes
    count as missed.
    """
    from asynet_training.metrics import coco_map, voc_map  # optional: labels only

    detections: list[tuple[int, int, float, np.ndarray]] = []
    truths: list[tuple[int, int, np.ndarray]] = []
    for image, (t, k) in enumerate(zip(label_times, picks, strict=True)):
        if k < 0 and not count_missed:
            continue
        for b in boxes[boxes['t'] == t]:
            x0, y0 = float(b['x']), float(b['y'])
            xyxy = np.array([x0, y0, x0 + float(b['w']), y0 + float(b['h'])])
            truths.append((image, int(b['class_id']), xyxy))
        if k >= 0:
            detections.extend(_detections(image, results[k]))
    num_classes = pipeline.model_config.num_classes
    mean, per_class = voc_map(detections, truths, num_classes)
    coco = coco_map(detections, truths, num_classes, len(label_times))
    return {
        'voc_map50': mean,
        'voc_ap50_per_class': [None if np.isnan(a) else a for a in per_class],
        'coco_map': coco,
    }


def _detections(image: int, result: Result) -> list[tuple[int, int, float, np.ndarray]]:
    """(image, class, score, xyxy box) of each box of a detection result."""
    rows = zip(result.boxes, result.scores, result.labels, strict=True)  # type: ignore[arg-type]
    return [(image, int(c), float(s), np.asarray(b, np.float64)) for b, s, c in rows]
