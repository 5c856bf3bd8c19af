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

"""Random event streams shaped like real recordings (moving edges), for FLOPs and benchmarks.

Uniformly random pixels would fill a small sensor almost completely (25 000 events on 100x120) and
overstate the active set; real event cameras fire along moving edges. Each stream here is a few
straight edges, each translating at constant velocity and emitting events of one polarity with
1-pixel Gaussian jitter.
"""

from __future__ import annotations

import numpy as np

from asynet_core.events import EVENT_DTYPE, SensorSize

__all__ = ['moving_edges']


def moving_edges(
    sensor: SensorSize,
    num_events: int,
    seed: int,
    *,
    edges: int = 6,
    duration_us: int = 100_000,
    jitter_px: float = 1.0,
) -> np.ndarray:
    """``num_events`` events (``EVENT_DTYPE``, time-sorted) of ``edges`` random moving edges.

    Args:
        sensor: sensor size; every event lies inside it.
        num_events: number of events.
        seed: RNG seed (same seed, same stream).
        edges: number of moving straight edges.
        duration_us: time span of the stream in microseconds.
        jitter_px: standard deviation of the per-event position noise in pixels.
    """
    rng = np.random.default_rng(seed)
    w, h = sensor.width, sensor.height
    start = rng.uniform([0, 0], [w, h], size=(edges, 2))  # [E, 2] edge centre (x, y)
    angle = rng.uniform(0, np.pi, size=edges)
    length = rng.uniform(0.15, 0.5, size=edges) * min(w, h)
    velocity = rng.normal(0, 0.5 * min(w, h), size=(edges, 2)) / 1e6  # px / µs
    t = np.sort(rng.integers(0, duration_us, size=num_events)).astype(np.int64)
    which = rng.integers(0, edges, size=num_events)
    along = rng.uniform(-0.5, 0.5, size=num_events) * length[which]
    direction = np.stack([np.cos(angle), np.sin(angle)], axis=1)[which]  # [N, 2]
    pos = start[which] + velocity[which] * t[:, None] + along[:, None] * direction
    pos += rng.normal(0, jitter_px, size=pos.shape)
    pos = np.mod(pos, [w, h])  # edges wrap around the sensor borders
    events = np.empty(num_events, dtype=EVENT_DTYPE)
    events['x'] = np.minimum(pos[:, 0].astype(np.int64), w - 1)
    events['y'] = np.minimum(pos[:, 1].astype(np.int64), h - 1)
    events['p'] = (which % 2).astype(np.int16)
    events['t'] = t
    return events
