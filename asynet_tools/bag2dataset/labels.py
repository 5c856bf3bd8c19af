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

See the label time rule in :mod:`asynet_tools.bag2dataset`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from asynet_tools.bag2dataset.config import Bag2DatasetError
from asynet_training import formats

__all__ = ['sensor_time_us']


def _class_index(name: str, classes: tuple[str, ...], where: str) -> int:
    if name in classes:
        return classes.index(name)
    if name.isdigit():
        return int(name)
    raise Bag2DatasetError(
        f'{where}: class_id {name!r} is not a known class {list(classes)}; give the class names '
        'in index order with --classes'
    )


def _detection_rows(
    msg: Any, stamp_ns: int, classes: tuple[str, ...], index: int
) -> list[tuple[Any, ...]]:
    """(stamp, x, y, w, h, class, track, score) of each detection of a Detection2DArray."""
    rows = []
    for k, det in enumerate(msg.detections):
        where = f'labels message {index}, detection {k}'
        if not det.results:
            raise Bag2DatasetError(f'{where}: no results, so no class')
        best = max(det.results, key=lambda r: r.hypothesis.score).hypothesis
        w, h = det.bbox.size_x, det.bbox.size_y
        x, y = det.bbox.center.position.x - w / 2, det.bbox.center.position.y - h / 2
        track = int(det.id) if str(det.id).isdigit() else 0
        cls = _class_index(str(best.class_id), classes, where)
        rows.append((stamp_ns, x, y, w, h, cls, track, best.score))
    return rows


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


def _label_boxes(rows: list[tuple[Any, ...]], clock: list[tuple[int, int]], t0: int) -> np.ndarray:
    """Rows as BBOX_DTYPE on the rebased sensor clock, sorted by time."""
    boxes = np.zeros(len(rows), dtype=formats.BBOX_DTYPE)
    if not rows:
        return boxes
    cols = list(zip(*rows, strict=True))
    stamps = np.array(cols[0], dtype=np.int64)
    boxes['t'] = np.rint(sensor_time_us(stamps, clock)).astype(np.int64) - t0
    for i, name in enumerate(('x', 'y', 'w', 'h', 'class_id', 'track_id', 'class_confidence')):
        boxes[name] = cols[i + 1]
    return boxes[np.argsort(boxes['t'], kind='stable')]
