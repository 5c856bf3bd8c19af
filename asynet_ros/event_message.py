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

"""One event message, whatever the transport: a ROS 2 message, a rosbag2 record or DDS bytes.

:class:`EventMessage` holds what the pipeline needs of an ``event_camera_msgs/EventPacket`` (and
its legacy name ``event_array_msgs/EventArray``) or a ``dvs_msgs/EventArray``: the header stamp
and frame, the sensor size and either the encoded payload (decoded by the pipeline, which keeps the
per-stream decoder state) or, for ``dvs_msgs``, the events already decoded from the CDR bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    'DVS_ENCODING',
    'EVENT_ARRAY_TYPE',
    'EVENT_PACKET_TYPES',
    'EVENT_TYPES',
    'EventMessage',
    'from_event_packet',
    'stamp_to_ns',
]

#: Message types carrying an encoded ``events`` payload (the legacy name has the same fields).
EVENT_PACKET_TYPES = ('event_camera_msgs/msg/EventPacket', 'event_array_msgs/msg/EventArray')
#: The array-of-structs event message of the older drivers.
EVENT_ARRAY_TYPE = 'dvs_msgs/msg/EventArray'
EVENT_TYPES = (*EVENT_PACKET_TYPES, EVENT_ARRAY_TYPE)
#: Pseudo-encoding of a dvs_msgs/EventArray (events decoded when the message is read).
DVS_ENCODING = 'dvs_msgs'


@dataclass(frozen=True, eq=False)
class EventMessage:
    """What the pipeline takes from one event message.

    Attributes:
        stamp_ns: header stamp, ROS time in nanoseconds.
        frame_id: header frame id (copied to every output).
        width: sensor width in pixels.
        height: sensor height in pixels.
        encoding: ``evt3``, ``mono``, ``libcaer``, ``libcaer_cmp`` or :data:`DVS_ENCODING`.
        payload: the encoded bytes (``uint8`` array or bytes); ``None`` for dvs_msgs.
        time_base_ns: the EventPacket's ``time_base`` (nanoseconds; unused by evt3).
        events: already decoded events (``EVENT_DTYPE``, ``t`` in µs) for dvs_msgs.
        seq: the EventPacket's sequence number (0 when absent).
    """

    stamp_ns: int
    frame_id: str
    width: int
    height: int
    encoding: str
    payload: Any = None
    time_base_ns: int = 0
    events: np.ndarray | None = None
    seq: int = 0


def stamp_to_ns(stamp: Any) -> int:
    """``builtin_interfaces/Time`` (``sec``, ``nanosec``) to integer nanoseconds."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def from_event_packet(msg: Any) -> EventMessage:
    """An :class:`EventMessage` from an EventPacket object (rosbags or rclpy; duck-typed)."""
    return EventMessage(
        stamp_ns=stamp_to_ns(msg.header.stamp),
        frame_id=str(msg.header.frame_id),
        width=int(msg.width),
        height=int(msg.height),
        encoding=str(msg.encoding),
        payload=_as_bytes(msg.events),
        time_base_ns=int(msg.time_base),
        seq=int(msg.seq),
    )


def _as_bytes(events: Any) -> Any:
    """View rclpy's ``array.array('B')`` payload as ``uint8``, without copying."""
    if isinstance(events, (np.ndarray, bytes, bytearray, memoryview)):
        return events
    return np.frombuffer(memoryview(events), dtype=np.uint8)
