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


"""Reading bags: the event stream (decoded, one chunk per message) and the labels.

:func:`open_events` is the one place that opens the event input: any recording
:func:`asynet_ros.recording.open_recording` reads (a bag, or a RAW / DAT / AEDAT4 event file); it
yields :class:`EventChunk` objects. :func:`read_labels`
reads the ``Detection2DArray`` and ``LabelInfo`` messages of the event bag or of ``--labels-bag``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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
from asynet_ros.event_message import EventMessage, stamp_to_ns
from asynet_ros.recording import open_recording, Recording
from asynet_tools.bag2dataset.errors import Bag2DatasetError
from asynet_tools.bag2dataset.labels import detection_rows, LabelRow

__all__ = ['DETECTION_ARRAY', 'LABEL_INFO', 'EventChunk', 'EventSource', 'Labels', 'open_events',
           'read_labels']  # fmt: skip

DETECTION_ARRAY = 'vision_msgs/msg/Detection2DArray'
LABEL_INFO = 'vision_msgs/msg/LabelInfo'


@dataclass(frozen=True)
class EventChunk:
    """The decoded events of one message: header stamp (ROS ns), sensor, encoding, events."""

    stamp_ns: int
    sensor: SensorSize
    encoding: str
    events: np.ndarray


@dataclass(frozen=True)
class EventSource:
    """An opened event input: its name (the file stem), topic and chunks in recording order."""

    name: str
    topic: str
    chunks: Iterator[EventChunk]


@dataclass
class Labels:
    """The label messages read: rows, the LabelInfo class map, and counts."""

    rows: list[LabelRow] = field(default_factory=list)
    class_maps: list[dict[int, str]] = field(default_factory=list)  # distinct LabelInfo maps
    messages: int = 0
    topic: str = ''
    label_info_topics: list[str] = field(default_factory=list)
    bag: str = ''


@contextmanager
def open_events(
    path: str | Path, topic: str | None, progress: bool, sensor: SensorSize | None = None
) -> Iterator[EventSource]:
    """Open the event input ``path`` (any recording :func:`open_recording` reads).

    Args:
        path: a rosbag2 bag (folder, ``.db3`` or ``.mcap``) or an event file (``.raw``,
            ``.dat``, ``.aedat4``).
        topic: a bag's event topic (None: its only one).
        progress: show a progress bar.
        sensor: an event file's size where its header gives none.

    Raises:
        BagError / EventFileError: a missing or bad recording, or an absent or non-event topic.
        Bag2DatasetError: a message that does not decode, or a changing sensor size.
    """
    with open_recording(path, topic=topic, sensor=sensor) as recording:
        name = recording.path.stem if recording.topic is None else recording.path.name
        yield EventSource(name, recording.topic or '', _chunks(recording, progress))


def _chunks(recording: Recording, progress: bool) -> Iterator[EventChunk]:
    decoders: dict[str, PacketDecoder] = {}
    sensor: SensorSize | None = None
    bar = tqdm(total=recording.count, unit='msg', desc='bag2dataset', disable=not progress,
               file=sys.stderr)  # fmt: skip
    with bar:
        for index, (_, msg) in enumerate(recording.messages()):
            bar.update(1)
            sensor = _check_sensor(msg, sensor, index)
            yield EventChunk(msg.stamp_ns, sensor, msg.encoding, _decode(decoders, msg, index))


def _decode(decoders: dict[str, PacketDecoder], msg: EventMessage, index: int) -> np.ndarray:
    if msg.events is not None:
        return msg.events
    try:
        if msg.encoding not in decoders:
            decoders[msg.encoding] = make_decoder(msg.encoding)
        return decoders[msg.encoding].decode(msg.payload, msg.width, msg.height, msg.time_base_ns)
    except (AsynetError, ValueError) as err:
        raise Bag2DatasetError(f'event message {index} ({msg.encoding!r}): {err}') from err


def _check_sensor(msg: EventMessage, before: SensorSize | None, index: int) -> SensorSize:
    try:
        sensor = SensorSize(msg.width, msg.height)
    except AsynetError as err:
        raise Bag2DatasetError(f'event message {index}: {err}') from err
    if before is not None and sensor != before:
        raise Bag2DatasetError(
            f'event message {index}: the sensor size changed from '
            f'{before.width}x{before.height} to {sensor.width}x{sensor.height}'
        )
    return sensor


def read_labels(
    path: str | Path, labels_topic: str | None, label_info_topic: str | None
) -> Labels:
    """The detections and the distinct LabelInfo class maps of bag ``path``.

    ``labels_topic`` None: the bag's only ``Detection2DArray`` topic. ``label_info_topic`` None:
    every ``LabelInfo`` topic (none is fine). A detection stamp of zero becomes the bag time.

    Raises:
        BagError: a missing or bad bag.
        Bag2DatasetError: a missing topic or one of another type, no or several detection
            topics, a message that does not deserialise.
    """
    with EventBag(path) as bag:
        out = Labels(bag=str(bag.path))
        out.topic = _topic(bag, labels_topic, DETECTION_ARRAY, 'labels')
        if label_info_topic is not None:
            out.label_info_topics = [_topic(bag, label_info_topic, LABEL_INFO, 'label info')]
        else:
            out.label_info_topics = [t.name for t in bag.topics if t.msgtype == LABEL_INFO]
        for topic, msgtype, bag_ns, raw in bag.raw_messages([out.topic, *out.label_info_topics]):
            msg = _deserialize(bag, raw, msgtype, bag_ns)
            if topic == out.topic:
                stamp = stamp_to_ns(msg.header.stamp) or bag_ns
                out.rows += detection_rows(msg, stamp, out.messages)
                out.messages += 1
            else:
                class_map = {int(c.class_id): str(c.class_name) for c in msg.class_map}
                if class_map not in out.class_maps:
                    out.class_maps.append(class_map)
    return out


def _topic(bag: EventBag, name: str | None, msgtype: str, what: str) -> str:
    if name is None:
        found = [t.name for t in bag.topics if t.msgtype == msgtype]
        if len(found) == 1:
            return found[0]
        why = 'has no topic' if not found else f'has several topics {found}'
        raise Bag2DatasetError(
            f'bag {bag.path} {why} of type {msgtype}; name the {what} topic with --labels-topic'
        )
    for t in bag.topics:
        if t.name == name:
            if t.msgtype != msgtype:
                raise Bag2DatasetError(
                    f'{what} topic {name} of bag {bag.path} has type {t.msgtype}, '
                    f'expected {msgtype}'
                )
            return name
    names = [f'{t.name} ({t.msgtype})' for t in bag.topics]
    raise Bag2DatasetError(f'{what} topic {name} is not in bag {bag.path}; topics: {names}')


def _deserialize(bag: EventBag, raw: bytes, msgtype: str, timestamp: int) -> Any:
    try:
        return bag.typestore.deserialize_cdr(raw, msgtype)
    except (SerdeError, ValueError, IndexError, KeyError, TypeError, struct.error) as err:
        raise Bag2DatasetError(
            f'bag {bag.path}: cannot deserialise the {msgtype} at {timestamp} ns: {err}'
        ) from err
