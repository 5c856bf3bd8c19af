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

"""Helpers shared by the asynet_training tests (not a test module).

Random events for the dataset trees and the format files, a small training configuration, the
two-class samples a trainer learns to tell apart, and the box test of the synthetic samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asynet_core.events import make_events, SensorSize
from asynet_core.synthetic import moving_edges


def tree_events(seed: int, n: int, sensor: SensorSize, dt_us: int = 100) -> np.ndarray:
    """``n`` random events inside ``sensor``, one every ``dt_us`` from 0 (the dataset trees)."""
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, sensor.width, n), rng.integers(0, sensor.height, n)
    return make_events(x, y, np.arange(n) * dt_us, rng.integers(0, 2, n))


def random_events(
    rng: np.random.Generator, n: int, width: int, height: int, t_max: int
) -> np.ndarray:
    """``n`` random events in ``width`` x ``height``, sorted times in ``[0, t_max)``."""
    t = np.sort(rng.integers(0, t_max, n))
    return make_events(
        rng.integers(0, width, n), rng.integers(0, height, n), t, rng.integers(0, 2, n)
    )


CONFIG = """
seed: 3
data: {dataset: synthetic_cls, root: data/x, window_events: 2000}
model: {arch: ncars}
optim: {batch_size: 4, lr: 0.001, milestones: [5], epochs: 2}
"""


def write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    """``text`` (default :data:`CONFIG`) written to ``tmp_path / 'c.yaml'``."""
    path = tmp_path / 'c.yaml'
    path.write_text(text)
    return path


@dataclass
class Sample:
    events: np.ndarray
    label: int | None = None
    boxes: np.ndarray | None = None


def two_class_samples(n: int, seed: int) -> list[Sample]:
    """Class 0: edges confined to the left half of the sensor; class 1: the right half."""
    out = []
    for i in range(n):
        cls = i % 2
        ev = moving_edges(SensorSize(60, 100), 1500, seed + i)
        ev['x'] += 60 * cls
        out.append(Sample(ev, cls))
    return out


def inside(events: np.ndarray, boxes: np.ndarray, margin: float) -> np.ndarray:
    """Per event: whether it lies in one of ``boxes`` (BBOX_DTYPE), grown by ``margin``."""
    x = events['x'][:, None].astype(np.float64)  # [N, 1]
    y = events['y'][:, None].astype(np.float64)
    hit = (
        (x >= boxes['x'] - margin)
        & (x <= boxes['x'] + boxes['w'] + margin)
        & (y >= boxes['y'] - margin)
        & (y <= boxes['y'] + boxes['h'] + margin)
    )  # [N, B]
    return hit.any(axis=1)
