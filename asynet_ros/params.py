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

"""The detector node's parameters, declared in one place, validated without ROS 2.

Every parameter has a default, a type, a description and a check; the rclpy node turns these
into declared parameters with descriptors, and rejects a runtime change that fails its check
with the check's reason (the old value stays). ``DYNAMIC`` parameters take effect at once;
the others at the next ``configure`` transition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from asynet_core.adaptive import UPDATE_MODES
from asynet_ros.event_message import EVENT_ARRAY_TYPE, EVENT_PACKET_TYPES
from asynet_ros.live import DROP_POLICIES
from asynet_ros.pipeline import PipelineConfig

__all__ = ['DYNAMIC', 'PARAMETERS', 'ParamSpec', 'check', 'defaults', 'pipeline_config']

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: name, default (its type is the parameter's), description and check."""

    name: str
    default: Any
    description: str
    check: Check | None = None


def _choice(options: tuple[str, ...]) -> Check:
    return lambda v: None if v in options else f'must be one of {list(options)}, got {v!r}'


def _at_least(low: int) -> Check:
    return lambda v: None if v >= low else f'must be >= {low}, got {v}'


def _unit(v: Any) -> str | None:
    return None if 0.0 <= v <= 1.0 else f'must be in [0, 1], got {v}'


def _positive(v: Any) -> str | None:
    return None if v > 0 else f'must be > 0, got {v}'


MESSAGE_TYPES = (*EVENT_PACKET_TYPES[:1], EVENT_ARRAY_TYPE)

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec('checkpoint', '', 'model checkpoint (.pt); empty: the bundled demo detector'),
    ParamSpec('input_topic', '/event_camera/events', 'event topic to subscribe to'),
    ParamSpec('message_type', MESSAGE_TYPES[0], 'event message type', _choice(MESSAGE_TYPES)),
    ParamSpec('window_events', 0, 'window length in events (0: as trained)', _at_least(0)),
    ParamSpec('window_us', 0, 'window length in us of sensor time (0: unused)', _at_least(0)),
    ParamSpec('update_every_events', 0, 'an output every N events (0: unused)', _at_least(0)),
    ParamSpec('update_every_us', 0, 'an output every N us (0: unused)', _at_least(0)),
    ParamSpec('mode', 'adaptive', 'async, recompute or adaptive updates', _choice(UPDATE_MODES)),
    ParamSpec('score_threshold', 0.3, 'detection score threshold', _unit),
    ParamSpec('iou_threshold', 0.6, 'NMS IoU threshold', _unit),
    ParamSpec('max_detections', 100, 'detections per output at most', _at_least(1)),
    ParamSpec('resync_every', 1000, 'exact recompute every N updates (0: never)', _at_least(0)),
    ParamSpec('frame_id', '', 'frame id of the outputs (empty: the input frame id)'),
    ParamSpec('device', 'cpu', 'torch device of the model', _choice(('cpu', 'cuda'))),
    ParamSpec('debug_image', False, 'publish ~/debug_image (event frame with the outputs)'),
    ParamSpec('input_qos_depth', 1000,
              'history depth of the input subscription (best effort): drivers publish up to '
              '1000 packets/s, so 1000 holds a second of them while the node is busy',
              _at_least(1)),
    ParamSpec('queue_size', 16, 'input messages queued at most', _at_least(1)),
    ParamSpec('drop_policy', 'oldest', 'which message a full queue drops', _choice(DROP_POLICIES)),
    ParamSpec('diagnostics_period_s', 1.0, 'period of /diagnostics', _positive),
)

#: Parameters applied at once when set at runtime.
DYNAMIC = frozenset({'score_threshold', 'iou_threshold', 'max_detections', 'frame_id',
                     'debug_image'})  # fmt: skip

_BY_NAME = {p.name: p for p in PARAMETERS}


def defaults() -> dict[str, Any]:
    """Name -> default value."""
    return {p.name: p.default for p in PARAMETERS}


def check(name: str, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``name`` (``None``: it is)."""
    spec = _BY_NAME.get(name)
    if spec is None:
        return f'unknown parameter {name!r}; valid: {sorted(_BY_NAME)}'
    kind = type(spec.default)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok, value = True, float(value)
    if not ok:
        return f'{name} must be of type {kind.__name__}, got {type(value).__name__} {value!r}'
    return None if spec.check is None else _prefixed(name, spec.check(value))


def _prefixed(name: str, reason: str | None) -> str | None:
    return None if reason is None else f'{name} {reason}'


def pipeline_config(values: Mapping[str, Any], trained: tuple[int | None, int | None]) -> Any:
    """The :class:`PipelineConfig` of a full set of parameter values.

    Args:
        values: name -> value, every parameter.
        trained: (window_events, window_us) the checkpoint was trained with.

    Raises:
        ConfigError: an inconsistent combination (both windows, both update policies).
    """
    window_events = values['window_events'] or None
    window_us = values['window_us'] or None
    if window_events is None and window_us is None:
        window_events, window_us = trained
    return PipelineConfig(
        window_events=window_events,
        window_us=window_us,
        update_every_events=values['update_every_events'] or None,
        update_every_us=values['update_every_us'] or None,
        mode=values['mode'],
        score_threshold=float(values['score_threshold']),
        iou_threshold=float(values['iou_threshold']),
        max_detections=int(values['max_detections']),
        resync_every=int(values['resync_every']),
    )
