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


"""Labels: ``vision_msgs/Detection2DArray`` detections to Gen1 boxes on the sensor clock.

Class names resolve to indices through ``--classes`` (index order) when given, else through the
``vision_msgs/LabelInfo`` class map of the labels bag; a class id that is a digit string is the
index itself. See the label time rule in :mod:`asynet_tools.bag2dataset`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from asynet_core.events import SensorSize
from asynet_tools.bag2dataset.errors import Bag2DatasetError
from asynet_tools.bag2dataset.geometry import Geometry
from asynet_training import formats

__all__ = [
    'LabelRow',
    'class_indices',
    'class_table',
    'detection_rows',
    'label_boxes',
    'sensor_time_us',
]


class LabelRow(NamedTuple):
    """One detection: stamp (ROS ns), box (top-left x, y, w, h; px), class id, track, score."""

    stamp_ns: int
    x: float
    y: float
    w: float
    h: float
    class_id: str
    track: int
    score: float
    where: str


def detection_rows(msg: Any, stamp_ns: int, index: int) -> list[LabelRow]:
    """The rows of the detections of a Detection2DArray (the best-scoring result of each).

    Raises:
        Bag2DatasetError: a detection without results.
    """
    rows = []
    for k, det in enumerate(msg.detections):
        where = f'labels message {index}, detection {k}'
        if not det.results:
            raise Bag2DatasetError(f'{where}: no results, so no class')
        best = max(det.results, key=lambda r: r.hypothesis.score).hypothesis
        w, h = det.bbox.size_x, det.bbox.size_y
        x, y = det.bbox.center.position.x - w / 2, det.bbox.center.position.y - h / 2
        track = int(det.id) if str(det.id).isdigit() else 0
        rows.append(LabelRow(stamp_ns, x, y, w, h, str(best.class_id), track, best.score, where))
    return rows


def class_table(
    classes: Sequence[str], class_maps: Sequence[dict[int, str]], bag: str
) -> tuple[dict[str, int], str]:
    """(class name -> index, where it came from): ``--classes``, else the bag's LabelInfo.

    Raises:
        Bag2DatasetError: without ``--classes``, LabelInfo messages that disagree.
    """
    if classes:
        return {name: i for i, name in enumerate(classes)}, '--classes'
    if len(class_maps) > 1:
        raise Bag2DatasetError(
            f'bag {bag}: its LabelInfo messages map classes differently ({list(class_maps)}); '
            'give the names in index order with --classes'
        )
    if class_maps:
        return {name: i for i, name in class_maps[0].items()}, 'LabelInfo'
    return {}, 'none'


def class_indices(
    rows: Sequence[LabelRow], table: dict[str, int], source: str, limit: Sequence[str]
) -> np.ndarray:
    """The class index of every row; each must be below ``len(limit)`` (the reader's classes).

    Raises:
        Bag2DatasetError: a class with no index, or an index the dataset reader rejects.
    """
    out = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        name = row.class_id
        if name in table:
            out[i] = table[name]
        elif name.isdigit():
            out[i] = int(name)
        else:
            hint = {
                'none': 'the labels bag has no vision_msgs/LabelInfo; give the class names in '
                'index order with --classes (e.g. --classes circle,square)',
                'LabelInfo': 'the LabelInfo of the labels bag does not name it; give the class '
                'names in index order with --classes',
            }.get(source, 'add it to --classes')
            raise Bag2DatasetError(
                f'{row.where}: class_id {name!r} is not a known class {sorted(table)}; {hint}'
            )
        if out[i] >= len(limit):
            raise Bag2DatasetError(
                f'{row.where}: class {name!r} has index {out[i]}, but the reader takes class ids '
                f'0..{len(limit) - 1} ({", ".join(limit)}); order --classes so that the classes '
                f'to keep come first, at most {len(limit)} of them'
            )
    return out


def sensor_time_us(stamps_ns: np.ndarray, clock: list[tuple[int, int]]) -> np.ndarray:
    """Map ROS stamps (ns) to sensor time (µs, float64) through (stamp ns, sensor µs) pairs.

    Linear interpolation between the pairs (``np.interp``); before the first or after the last
    pair, that pair's offset (a clock rate of 1). Of pairs with equal stamps the first is used.

    Raises:
        Bag2DatasetError: no pairs.
    """
    if not clock:
        raise Bag2DatasetError('no event message with events to map label times onto')
    pairs = np.array(sorted(clock, key=lambda p: p[0]), dtype=np.int64)  # [n, 2]
    keys, first = np.unique(pairs[:, 0], return_index=True)
    xp = (keys - keys[0]).astype(np.float64) / 1000.0  # µs after the first stamp
    fp = pairs[first, 1].astype(np.float64)
    x = (np.asarray(stamps_ns, dtype=np.int64) - keys[0]).astype(np.float64) / 1000.0
    out: np.ndarray = np.interp(x, xp, fp)
    out = np.where(x < xp[0], fp[0] + (x - xp[0]), out)
    return np.where(x > xp[-1], fp[-1] + (x - xp[-1]), out)


def label_boxes(
    rows: Sequence[LabelRow],
    classes: np.ndarray,
    clock: list[tuple[int, int]],
    t0: int,
    geometry: Geometry,
    sensor: SensorSize,
) -> tuple[np.ndarray, int, int]:
    """(boxes of BBOX_DTYPE, dropped before the first event, dropped by the geometry).

    The boxes are on the rebased sensor clock, mapped through ``geometry`` from the input
    ``sensor``, sorted by time.
    """
    boxes = np.zeros(len(rows), dtype=formats.BBOX_DTYPE)
    if not rows:
        return boxes, 0, 0
    stamps = np.array([r.stamp_ns for r in rows], dtype=np.int64)
    boxes['t'] = np.rint(sensor_time_us(stamps, clock)).astype(np.int64) - t0
    x, y, w, h, inside = geometry.boxes(*(np.array([getattr(r, k) for r in rows], np.float64)
                                          for k in 'xywh'), sensor)  # fmt: skip
    boxes['x'], boxes['y'], boxes['w'], boxes['h'] = x, y, w, h
    boxes['class_id'] = classes
    boxes['track_id'] = [r.track for r in rows]
    boxes['class_confidence'] = [r.score for r in rows]
    early = boxes['t'] < 0
    keep = ~early & inside
    boxes = boxes[keep]
    outside = int((~early & ~inside).sum())
    return boxes[np.argsort(boxes['t'], kind='stable')], int(early.sum()), outside
