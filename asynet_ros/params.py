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
``AT_ACTIVATE`` ones at the next ``activate`` transition, the others at the next ``configure``
(:func:`applied_at`). A parameter that takes effect at a transition is read-only while that
transition's effect holds: from configure to cleanup, or from activate to deactivate.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
import dataclasses
from dataclasses import dataclass
from typing import Any

from asynet_core.modes import UPDATE_MODES
from asynet_core.window import WindowSpec
from asynet_ros.event_message import EVENT_ARRAY_TYPE, EVENT_PACKET_TYPES
from asynet_ros.live import DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_SIZE, DROP_POLICIES
from asynet_ros.pipeline import PipelineConfig

__all__ = [
    'AT_ACTIVATE',
    'DYNAMIC',
    'PARAMETERS',
    'PIPELINE_OPTIONS',
    'ParamSpec',
    'add_options',
    'applied_at',
    'check',
    'coerce',
    'defaults',
    'option_values',
    'pipeline_config',
    'spec',
]

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: name, default (its type is the parameter's), description and check.

    ``low`` / ``high`` (inclusive) and ``choices`` describe the check for the ROS parameter
    descriptor (``ros2 param describe``); ``check`` is what enforces them.
    """

    name: str
    default: Any
    description: str
    check: Check | None = None
    low: int | float | None = None
    high: int | float | None = None
    choices: tuple[str, ...] = ()

    @property
    def constraints(self) -> str:
        """The check in words (``one of [...]``, ``>= 1``, ``in [0, 1]``, ``> 0``), or ``''``."""
        if self.choices:
            return f'one of {list(self.choices)}'
        if self.low is not None and self.high is not None:
            return f'in [{self.low}, {self.high}]'
        if self.low is not None:
            return f'>= {self.low}'
        return '> 0' if self.check is _positive else ''


def _choice(name: str, default: str, description: str, options: tuple[str, ...]) -> ParamSpec:
    def check(v: Any) -> str | None:
        return None if v in options else f'must be one of {list(options)}, got {v!r}'

    return ParamSpec(name, default, description, check, choices=options)


def _at_least(name: str, default: int, description: str, low: int) -> ParamSpec:
    def check(v: Any) -> str | None:
        return None if v >= low else f'must be >= {low}, got {v}'

    return ParamSpec(name, default, description, check, low=low)


def _unit(name: str, default: float, description: str) -> ParamSpec:
    def check(v: Any) -> str | None:
        return None if 0.0 <= v <= 1.0 else f'must be in [0, 1], got {v}'

    return ParamSpec(name, default, description, check, low=0.0, high=1.0)


def _positive(v: Any) -> str | None:
    return None if v > 0 else f'must be > 0, got {v}'


MESSAGE_TYPES = (*EVENT_PACKET_TYPES[:1], EVENT_ARRAY_TYPE)
#: The pipeline's own defaults (one place: :class:`PipelineConfig`).
_PIPELINE = {f.name: f.default for f in dataclasses.fields(PipelineConfig)}

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec('checkpoint', '', 'model checkpoint (.pt); empty: the bundled demo detector'),
    ParamSpec('input_topic', '/event_camera/events', 'event topic to subscribe to'),
    _choice('message_type', MESSAGE_TYPES[0], 'event message type', MESSAGE_TYPES),
    _at_least('window_events', 0, 'window length in events (0: as trained)', 0),
    _at_least('window_us', 0, 'window length in us of sensor time (0: unused)', 0),
    _at_least('update_every_events', 0, 'an output every N events (0: unused)', 0),
    _at_least('update_every_us', 0, 'an output every N us (0: unused)', 0),
    _choice('mode', _PIPELINE['mode'], 'async, recompute or adaptive updates', UPDATE_MODES),
    _unit('score_threshold', _PIPELINE['score_threshold'], 'detection score threshold'),
    _unit('iou_threshold', _PIPELINE['iou_threshold'], 'NMS IoU threshold'),
    _at_least('max_detections', _PIPELINE['max_detections'], 'detections per output at most', 1),
    _at_least(
        'resync_every', _PIPELINE['resync_every'], 'exact recompute every N updates (0: never)', 0
    ),
    ParamSpec('frame_id', '', 'frame id of the outputs (empty: the input frame id)'),
    _choice('device', 'cpu', 'torch device of the model', ('cpu', 'cuda')),
    ParamSpec('debug_image', False, 'publish ~/debug_image (event frame with the outputs)'),
    _at_least(
        'input_qos_depth',
        1000,
        'history depth of the input subscription (best effort): drivers publish up to '
        '1000 packets/s, so 1000 holds a second of them while the node is busy',
        1,
    ),
    _at_least('queue_size', DEFAULT_QUEUE_SIZE, 'input messages queued at most', 1),
    _at_least(
        'queue_bytes',
        DEFAULT_QUEUE_BYTES,
        'input payload bytes queued at most (a 1 ms evt3 packet at 50 Mev/s is about 100 kB)',
        1,
    ),
    _choice('drop_policy', 'oldest', 'which message a full queue drops', DROP_POLICIES),
    ParamSpec('diagnostics_period_s', 1.0, 'period of /diagnostics', _positive),
)

#: Parameters applied at once when set at runtime.
DYNAMIC = frozenset({'score_threshold', 'iou_threshold', 'max_detections', 'frame_id',
                     'debug_image'})  # fmt: skip

#: Parameters read when the node activates: the subscription and the diagnostics timer.
AT_ACTIVATE = frozenset({'input_topic', 'input_qos_depth', 'diagnostics_period_s'})


def applied_at(name: str) -> str:
    """When a change of ``name`` takes effect: ``'once'``, ``'activate'`` or ``'configure'``."""
    if name in DYNAMIC:
        return 'once'
    return 'activate' if name in AT_ACTIVATE else 'configure'


_BY_NAME = {p.name: p for p in PARAMETERS}


def spec(name: str) -> ParamSpec | None:
    """The table's entry for ``name`` (``None``: not one of ours)."""
    return _BY_NAME.get(name)


def coerce(name: str, value: Any) -> Any:
    """``value`` as the parameter's type where that loses nothing: an int for a float param."""
    entry = _BY_NAME.get(name)
    if entry is not None and type(entry.default) is float and type(value) is int:
        return float(value)
    return value


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
    """The :class:`PipelineConfig` of a full set of parameter values (see ``from_values``).

    ``trained``: the (window_events, window_us) used when the values give no window.
    """
    return PipelineConfig.from_values(values, WindowSpec(*trained))


# -- the command line ----------------------------------------------------------------------------

#: The parameters every front end takes as options (``--window-events``, ...): the pipeline's.
PIPELINE_OPTIONS = (
    'window_events',
    'window_us',
    'update_every_events',
    'update_every_us',
    'mode',
    'score_threshold',
    'iou_threshold',
    'max_detections',
    'resync_every',
    'device',
)
_EXCLUSIVE = (('window_events', 'window_us'), ('update_every_events', 'update_every_us'))


def add_options(
    parser: argparse.ArgumentParser, names: tuple[str, ...] = PIPELINE_OPTIONS
) -> None:
    """Add ``--<name>`` options generated from the table (type, default, choices, help).

    The window and the update policy options are mutually exclusive pairs; every default is
    the table's (0: as trained or unused), so a command line and a node agree.
    """
    group = parser.add_argument_group('pipeline (the node parameters of the same names)')
    pairs: dict[str, Any] = {}
    for pair in _EXCLUSIVE:
        if all(name in names for name in pair):
            exclusive = group.add_mutually_exclusive_group()
            pairs.update(dict.fromkeys(pair, exclusive))
    for name in names:
        entry = _BY_NAME[name]
        target = pairs.get(name, group)
        words = f'; {entry.constraints}' if entry.constraints and not entry.choices else ''
        help_text = f'{entry.description}{words} (default: {entry.default!r})'
        flag = '--' + name.replace('_', '-')
        if isinstance(entry.default, bool):
            target.add_argument(flag, action='store_true', help=entry.description)
            continue
        kind = type(entry.default)
        target.add_argument(
            flag,
            type=_checked_type(name, kind),
            default=entry.default,
            choices=entry.choices or None,
            help=help_text,
        )


def _checked_type(name: str, kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'expected {kind.__name__}, got {text!r}') from None
        reason = check(name, value)
        if reason is not None:
            raise argparse.ArgumentTypeError(reason)
        return value

    parse.__name__ = kind.__name__
    return parse


def option_values(
    args: argparse.Namespace, names: tuple[str, ...] = PIPELINE_OPTIONS
) -> dict[str, Any]:
    """The parameter values the parsed options give (name -> value, the table's types)."""
    return {name: getattr(args, name) for name in names}
