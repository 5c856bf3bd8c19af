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

from asynet_core.errors import ConfigError
from asynet_ros.pipeline import Pipeline, Result

__all__ = [
    'check_labels',
    'label_metrics',
    'labels_off_the_outputs',
    'latency_aware_metrics',
    'read_labels',
    'truth_at',
]

_NPY_MAGIC = b'\x93NUMPY'


def read_labels(path: Path) -> np.ndarray:
    """The labels of ``path`` (a Gen1 ``*_bbox.npy`` file); read before the replay starts.

    Raises:
        CorruptFileError: ``path`` is missing, not a ``.npy`` file, not Gen1 boxes, holds no
            box, or a box whose corner or size is not finite or whose size is negative.
    """
    from asynet_training.errors import CorruptFileError
    from asynet_training.formats.gen1 import read_gen1_bbox  # optional: labels only

    if not path.is_file():
        what = 'is not a file' if path.exists() else 'does not exist'
        raise CorruptFileError(f'labels file {path} {what}')
    with path.open('rb') as f:
        if f.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
            raise CorruptFileError(
                f'{path}: not a .npy file (no NumPy header); labels are a Gen1 *_bbox.npy array'
            )
    boxes = read_gen1_bbox(path)
    if not len(boxes):
        raise CorruptFileError(f'{path}: holds no box, so there is nothing to score')
    _check_geometry(boxes, path)
    return boxes


def _check_geometry(boxes: np.ndarray, path: Path) -> None:
    """Every box finite, of size >= 0 (else it scores as nothing, or as anything)."""
    from asynet_training.errors import CorruptFileError

    geometry = np.stack([boxes[name].astype(np.float64) for name in ('x', 'y', 'w', 'h')])
    bad = ~np.isfinite(geometry).all(axis=0) | (geometry[2:] < 0).any(axis=0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        x, y, w, h = (float(v) for v in geometry[:, k])
        raise CorruptFileError(
            f'{path}: {int(bad.sum())} of {len(boxes)} boxes are not finite or have a negative '
            f'size, the first (index {k}, t {int(boxes["t"][k])} us): x {x} y {y} w {w} h {h}'
        )


def check_labels(boxes: np.ndarray, labels: Path, checkpoint: Path, pipeline: Pipeline) -> None:
    """The labels can score the checkpoint's outputs: boxes, and class ids it knows.

    Raises:
        ConfigError: the checkpoint is not a detector, or a label's class id is not one of its
            classes.
    """
    if pipeline.task != 'detection':
        raise ConfigError(
            f'{labels} holds boxes, but {checkpoint} is a {pipeline.task} checkpoint, whose '
            'outputs have none to score; give a detection checkpoint, or no labels'
        )
    classes = pipeline.model_config.num_classes
    ids = boxes['class_id']
    if int(ids.max()) >= classes:
        names = ', '.join(pipeline.class_names or [])
        raise ConfigError(
            f'{labels}: class id {int(ids.max())} ({int(np.count_nonzero(ids >= classes))} of '
            f'{len(ids)} boxes) is not a class of {checkpoint}, which has {classes}'
            + (f': {names}' if names else '')
        )


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
    complete: bool = True,
) -> dict[str, Any]:
    """VOC mAP@0.5 and COCO mAP of the outputs against Gen1-format labels (sensor time, µs).

    A label time is scored against the newest output at or before it (what a subscriber held
    then, had the output come at once); a label time before every output is left out.
    ``label_lag_ms_max`` says how old the oldest of those outputs was (at 100 Hz, at most about
    10 ms), ``None`` when no label time had an output; the scores are ``None`` then too.
    ``label_times_in_range`` counts the label times within the outputs' input times (none: see
    :func:`labels_off_the_outputs`). A replay that stopped early (not ``complete``) scores the
    label times up to its newest output's input only (``label_times_not_replayed``: the rest).

    With ``available_t_us`` (each output's availability in sensor time, a real-time replay's),
    ``latency_aware`` scores each label time against the newest output *available* at it, as a
    subscriber would have had it; a label time before every availability scores its boxes as
    missed. See :func:`latency_aware_metrics`.
    """
    scored = [(r, t) for r, t in zip(run_results, _times(run_results, available_t_us),
                                     strict=True) if r.boxes is not None]  # fmt: skip
    results = [r for r, _ in scored]
    inputs_us = np.array([r.t_us for r in run_results], dtype=np.int64)
    all_times = np.unique(boxes['t'])
    label_times = all_times
    if not complete:  # the labels after the input replayed were never played
        label_times = all_times[all_times <= (inputs_us.max() if len(inputs_us) else -1)]
        boxes = boxes[np.isin(boxes['t'], label_times)]
    picks = _newest_at(np.array([r.t_us for r in results], dtype=np.int64), label_times)
    scores = _scores(results, picks, boxes, label_times, pipeline, count_missed=False)
    lags = _ages_us(results, picks, label_times)
    out = {
        'labels': str(labels),
        'label_times': len(label_times),
        'label_times_matched': int(np.count_nonzero(picks >= 0)),
        'label_times_in_range': _in_range(label_times, inputs_us),
        'label_times_not_replayed': len(all_times) - len(label_times),
        'label_lag_ms_max': float(lags.max()) / 1e3 if len(lags) else None,
        **scores,
    }
    if available_t_us is not None:
        available = np.array([t for _, t in scored], dtype=np.int64)
        out['latency_aware'] = latency_aware_metrics(
            results, available, boxes, pipeline, len(run_results) / sensor_s if sensor_s else None
        )
    return out


def labels_off_the_outputs(metrics: dict[str, Any], outputs_t_us: list[int]) -> str | None:
    """Why the labels cannot be this recording's, or ``None``: no label time among the outputs.

    ``metrics``: :func:`label_metrics`'s; ``outputs_t_us``: the input time of every output.
    Labels of another recording (or in another time base) all fall before the first output or
    after the last; a replay without outputs says nothing about them.
    """
    if not outputs_t_us or metrics['label_times_in_range'] or not metrics['label_times']:
        return None
    return (
        f'{metrics["labels"]}: none of its {metrics["label_times"]} label times falls within '
        f'the sensor time of the outputs ({min(outputs_t_us)} .. {max(outputs_t_us)} us): '
        'labels of another recording, or in another time base? Their scores (report.json) '
        'mean nothing'
    )


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


def _in_range(label_times: np.ndarray, inputs_us: np.ndarray) -> int:
    """How many label times lie within the outputs' input times (first to last)."""
    if not len(inputs_us):
        return 0
    inside = (label_times >= inputs_us.min()) & (label_times <= inputs_us.max())
    return int(np.count_nonzero(inside))


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
    if not truths:  # no label time scored: no score (voc_map would say 0.0)
        return {'voc_map50': None, 'voc_ap50_per_class': [None] * num_classes, 'coco_map': None}
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
