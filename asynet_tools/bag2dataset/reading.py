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


"""Reading the bag: event and label messages in bag order, decoded events, sensor checks.

:class:`_Stream` records what the conversion has seen (counts, sensor, the clock pairs that map
label stamps onto the sensor clock, the label rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import struct
import sys
from typing import Any

import numpy as np
from rosbags.serde import SerdeError
from tqdm import tqdm

from asynet_core.errors import AsynetError
from asynet_core.events import SensorSize
from asynet_ros.bag import EventBag
from asynet_ros.decoders import make_decoder, PacketDecoder
from asynet_ros.event_message import EventMessage
from asynet_tools.bag2dataset.config import Bag2DatasetError, ConvertConfig

__all__ = ['DETECTION_ARRAY']

DETECTION_ARRAY = 'vision_msgs/msg/Detection2DArray'


@dataclass
class _Stream:
    """What the conversion has seen of the bag."""

    topic: str
    sensor: SensorSize | None = None
    encoding: str = ''
    messages: int = 0
    events: int = 0
    label_messages: int = 0
    clock: list[tuple[int, int]] = field(default_factory=list)  # (stamp ns, first event t µs)
    label_rows: list[tuple[Any, ...]] = field(default_factory=list)


def _labels_topic(bag: EventBag, topic: str) -> str:
    for t in bag.topics:
        if t.name == topic:
            if t.msgtype != DETECTION_ARRAY:
                raise Bag2DatasetError(
                    f'labels topic {topic} has type {t.msgtype}, expected {DETECTION_ARRAY}'
                )
            return topic
    names = [f'{t.name} ({t.msgtype})' for t in bag.topics]
    raise Bag2DatasetError(f'labels topic {topic} is not in bag {bag.path}; topics: {names}')


def _read(bag: EventBag, topics: list[str], progress: bool) -> Iterator[tuple[str, int, Any]]:
    """(topic, bag time ns, message) of ``topics`` in bag order; event messages as EventMessage."""
    total = sum(t.count for t in bag.topics if t.name in topics)
    bar = tqdm(total=total, unit='msg', desc='bag2dataset', disable=not progress, file=sys.stderr)
    with bar:
        for topic, msgtype, timestamp, raw in bag.raw_messages(topics):
            bar.update(1)
            if topic == topics[0]:
                yield topic, timestamp, bag.to_event_message(raw, msgtype)
            else:
                yield topic, timestamp, _deserialize_labels(bag, raw, msgtype, timestamp)


def _deserialize_labels(bag: EventBag, raw: bytes, msgtype: str, timestamp: int) -> Any:
    try:
        return bag.typestore.deserialize_cdr(raw, msgtype)
    except (SerdeError, ValueError, IndexError, KeyError, TypeError, struct.error) as err:
        raise Bag2DatasetError(
            f'cannot deserialise the {msgtype} at {timestamp} ns: {err}'
        ) from err


def _decode(decoders: dict[str, PacketDecoder], msg: EventMessage, index: int) -> np.ndarray:
    if msg.events is not None:
        return msg.events
    try:
        if msg.encoding not in decoders:
            decoders[msg.encoding] = make_decoder(msg.encoding)
        return decoders[msg.encoding].decode(msg.payload, msg.width, msg.height, msg.time_base_ns)
    except (AsynetError, ValueError) as err:
        raise Bag2DatasetError(f'event message {index} ({msg.encoding!r}): {err}') from err


def _check_sensor(config: ConvertConfig, msg: EventMessage, stream: _Stream) -> SensorSize:
    try:
        sensor = SensorSize(msg.width, msg.height)
    except AsynetError as err:
        raise Bag2DatasetError(f'event message {stream.messages}: {err}') from err
    if stream.sensor is not None and sensor != stream.sensor:
        raise Bag2DatasetError(
            f'event message {stream.messages}: the sensor size changed from '
            f'{stream.sensor.width}x{stream.sensor.height} to {sensor.width}x{sensor.height}'
        )
    limit = config.spec.limit
    if sensor.width > limit.width or sensor.height > limit.height:
        raise Bag2DatasetError(
            f'the {sensor.width}x{sensor.height} sensor does not fit --format {config.fmt}, '
            f'which holds at most {limit.width}x{limit.height} (x < {limit.width}, '
            f'y < {limit.height}); crop the events before converting'
        )
    return sensor
