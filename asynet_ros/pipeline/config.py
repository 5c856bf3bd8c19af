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

"""What the pipeline is told and what it reports: its config, counters and results.

:class:`PipelineConfig` holds the pipeline's defaults (the one place: the node parameters,
``asynet-detect`` and ``asynet-replay`` options read them from here through
:mod:`asynet_ros.params`).
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from asynet_core.errors import ConfigError
from asynet_core.modes import UPDATE_MODES
from asynet_core.window import WindowSpec

__all__ = [
    'Counters',
    'PipelineConfig',
    'Result',
    'is_int',
    'limit_torch_threads',
]


@dataclass(frozen=True)
class PipelineConfig:
    """How events become outputs.

    Attributes:
        window_events: window length in events (exclusive with ``window_us``).
        window_us: window length in microseconds of sensor time.
        update_every_events: an output each time this many events arrived.
        update_every_us: an output each time this much sensor time passed (µs).
        mode: ``adaptive`` (asynchronous or recompute per update, by the cost model), ``async``
            or ``recompute``.
        score_threshold: detection score threshold in ``[0, 1]``.
        iou_threshold: NMS IoU threshold in ``[0, 1]``.
        max_detections: detections kept per output.
        resync_every: exact recompute of the engine state every this many updates (bounds
            float32 drift; 0 disables).
        backwards_tolerance_us: a step back in time larger than this resets the stream.
    """

    window_events: int | None = 25_000
    window_us: int | None = None
    update_every_events: int | None = None
    update_every_us: int | None = None
    mode: str = 'adaptive'
    score_threshold: float = 0.3
    iou_threshold: float = 0.6
    max_detections: int = 100
    resync_every: int = 1000
    backwards_tolerance_us: int = 1000

    def __post_init__(self) -> None:
        WindowSpec(self.window_events, self.window_us)  # validated once, there
        if self.update_every_events is not None and self.update_every_us is not None:
            raise ConfigError('give at most one of update_every_events or update_every_us')
        for name in ('window_events', 'window_us', 'update_every_events', 'update_every_us'):
            value = getattr(self, name)
            if value is not None and not (is_int(value) and value > 0):
                raise ConfigError(f'{name} must be a positive int or None, got {value!r}')
        if self.mode not in UPDATE_MODES:
            raise ConfigError(f'unknown mode {self.mode!r}; valid choices: {list(UPDATE_MODES)}')
        for name in ('score_threshold', 'iou_threshold'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f'{name} must be a number in [0, 1], got {value!r}')
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f'{name} must be in [0, 1], got {value}')
        for name in ('max_detections', 'resync_every', 'backwards_tolerance_us'):
            value = getattr(self, name)
            if not (is_int(value) and value >= 0):
                raise ConfigError(f'{name} must be an int >= 0, got {value!r}')

    @property
    def window(self) -> WindowSpec:
        """The configured window length, as the one window type."""
        return WindowSpec(self.window_events, self.window_us)

    def replace(self, **changes: Any) -> PipelineConfig:
        """A copy with ``changes`` applied (validated)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], trained: WindowSpec) -> PipelineConfig:
        """The config of parameter values (:mod:`asynet_ros.params`; 0 or absent: unused).

        ``trained`` (the checkpoint's window) is the window used when neither is given.

        Raises:
            ConfigError: an inconsistent combination (both windows, both update policies) or a
                bad value.
        """
        default = cls.__dataclass_fields__

        def get(name: str) -> Any:
            value = values.get(name)
            return default[name].default if value is None else value

        window_events = values.get('window_events') or None
        window_us = values.get('window_us') or None
        if window_events is None and window_us is None:
            window_events, window_us = trained.events, trained.us
        return cls(
            window_events=window_events,
            window_us=window_us,
            update_every_events=values.get('update_every_events') or None,
            update_every_us=values.get('update_every_us') or None,
            mode=get('mode'),
            score_threshold=float(get('score_threshold')),
            iou_threshold=float(get('iou_threshold')),
            max_detections=get('max_detections'),
            resync_every=get('resync_every'),
            backwards_tolerance_us=get('backwards_tolerance_us'),
        )


@dataclass
class Counters:
    """What the pipeline did and dropped; every rejected message increments one counter."""

    messages: int = 0
    events: int = 0
    updates: int = 0
    async_updates: int = 0
    recomputes: int = 0
    outputs: int = 0
    decode_errors: int = 0
    unknown_encoding: int = 0
    bad_sensor_size: int = 0
    empty_messages: int = 0
    dropped_out_of_range: int = 0
    sensor_changes: int = 0
    time_resets: int = 0
    clamped_events: int = 0
    unsorted_messages: int = 0
    seq_gaps: int = 0
    lost_messages: int = 0
    resets_after_gap: int = 0

    def to_dict(self) -> dict[str, int]:
        """Plain dict, for reports and diagnostics."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, eq=False)
class Result:
    """One output of the model.

    Attributes:
        stamp_ns: ROS time of the newest event in the window (nanoseconds).
        frame_id: the input messages' frame id.
        t_us: sensor time of the newest event (µs).
        window_events: events in the window.
        mode: ``async`` or ``recompute`` (a sparse checkpoint's engine), or ``dense`` (a dense
            checkpoint: every update a full dense forward): how the update was computed.
        compute_s: seconds spent in representation, engine and post-processing.
        boxes: detection: ``[N, 4]`` float32 (x_min, y_min, x_max, y_max) in sensor pixels.
        scores: detection: ``[N]`` float32 calibrated scores.
        labels: detection: ``[N]`` int64 class indices.
        probabilities: classification: ``[num_classes]`` float32 softmax.
    """

    stamp_ns: int
    frame_id: str
    t_us: int
    window_events: int
    mode: str
    compute_s: float
    boxes: np.ndarray | None = None
    scores: np.ndarray | None = None
    labels: np.ndarray | None = None
    probabilities: np.ndarray | None = None


def limit_torch_threads(threads: int = 1) -> None:
    """Run torch ops on ``threads`` threads (process-wide; the entry points call it).

    The engine's hot path is single-threaded C++ and the torch ops around it (YOLO decoding,
    softmax) are tiny; with more torch threads than idle cores, OpenMP's spin-waiting made each
    such op cost 10-15 ms on a loaded 2-core machine instead of microseconds.
    """
    import torch  # here: the config is read by command-line parsers, which must start at once

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def is_int(value: object) -> bool:
    """An int or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
