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

"""The replay report (``report.json``): what a replay measured, dropped and skipped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import os
import time
from typing import Any

import numpy as np

from asynet_ros.bag import Skipped
from asynet_tools.replay.realtime import OFFLINE_EVALUATION

__all__ = ['ReplayReport', 'process_age_s']

_DROP_COUNTERS = (
    'decode_errors',
    'unknown_encoding',
    'bad_sensor_size',
    'dropped_out_of_range',
    'empty_messages',
)


@dataclass
class ReplayReport:
    """What a replay measured (``report.json``)."""

    bag: str  # the recording: a bag or an event file
    topic: str | None  # a bag's event topic
    checkpoint: str
    task: str
    messages: int = 0
    events: int = 0
    updates: int = 0
    outputs: int = 0
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    skipped: Skipped = field(default_factory=Skipped)
    stopped: str | None = None  # why the replay ended before the end of the bag
    source: dict[str, Any] = field(default_factory=dict)  # Recording.describe(): 'input'
    output_rate_hz: float | None = None  # the replay's output rate; None: the update policy's
    wall_s: float = 0.0  # wall time of the replay loop (reading, pipeline, output bag)
    sensor_s: float = 0.0  # recording time replayed: the header stamps' forward steps
    process_s: float | None = None  # the process's age when the replay ended (None: unknown)
    evaluation: dict[str, Any] = field(default_factory=lambda: dict(OFFLINE_EVALUATION))
    availability_s: list[float] | None = None  # real time: each output's availability - stamp

    def to_dict(self) -> dict[str, Any]:
        """The JSON report."""
        lat = np.asarray(self.latencies_s) * 1e3
        pct = _percentiles(lat)
        available = _percentiles(np.asarray(self.availability_s or []) * 1e3)
        return {
            'bag': self.bag,
            'topic': self.topic,
            'checkpoint': self.checkpoint,
            'task': self.task,
            'input': self.source,
            'messages': self.messages,
            'events': self.events,
            'updates': self.updates,
            'outputs': self.outputs,
            'seconds': self.seconds,
            'throughput_events_per_s': self.events / self.seconds if self.seconds else 0.0,
            'latency_ms_p50': pct(50),
            'latency_ms_p99': pct(99),
            'latency_ms_max': float(lat.max()) if len(lat) else None,
            'availability_ms_p50': available(50),
            'availability_ms_p99': available(99),
            'output_rate_hz': self.output_rate_hz,
            'sensor_s': self.sensor_s,
            'wall_s': self.wall_s,
            'process_s': self.process_s,
            'x_real_time': _ratio(self.sensor_s, self.wall_s),
            'x_real_time_process': _ratio(self.sensor_s, self.process_s),
            'drops': {
                **{k: self.counters.get(k, 0) for k in _DROP_COUNTERS},
                **self.skipped.to_dict(),
            },
            'counters': self.counters,
            'evaluation': self.evaluation,
            'metrics': self.metrics,
            'complete': self.stopped is None,
            'stopped': self.stopped,
            'skipped_first': self.skipped.first,
        }


def _percentiles(values_ms: np.ndarray) -> Callable[[float], float | None]:
    """The ``q``-th percentile of ``values_ms`` (``None`` for none)."""
    if not len(values_ms):
        return lambda q: None
    return lambda q: float(np.percentile(values_ms, q))


def _ratio(sensor_s: float, wall_s: float | None) -> float | None:
    """Sensor seconds per wall second (``None`` when no wall time was measured)."""
    return sensor_s / wall_s if wall_s else None


def process_age_s() -> float | None:
    """Wall seconds since this process started (Linux ``/proc``; ``None`` elsewhere).

    Counts the interpreter's start and every import before the replay: the whole command.
    """
    try:
        with open('/proc/self/stat', 'rb') as f:
            fields = f.read().rsplit(b')', 1)[1].split()
        ticks = int(fields[19])  # field 22, starttime: clock ticks after boot
        boot_s = time.clock_gettime(time.CLOCK_BOOTTIME)
        return boot_s - ticks / os.sysconf('SC_CLK_TCK')
    except (OSError, ValueError, IndexError, AttributeError):
        return None
