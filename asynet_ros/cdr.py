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

"""Received CDR bytes to an :class:`EventMessage`: the one decoding path of every transport.

The rclpy node (``raw=True`` subscriptions), the Cyclone DDS reader and the rosbag2 reader all
hand the serialised bytes of an event message to :func:`cdr_to_event_message`.
"""

from __future__ import annotations

from typing import Any

from rosbags.serde import SerdeError

from asynet_core.errors import AsynetError
from asynet_ros.decoders import DecodeError
from asynet_ros.decoders.dvs import decode_event_array
from asynet_ros.event_message import (
    DVS_ENCODING,
    EVENT_ARRAY_TYPE,
    EVENT_PACKET_TYPES,
    EVENT_TYPES,
    EventMessage,
    from_event_packet,
)

__all__ = ['MessageError', 'cdr_to_event_message']


class MessageError(AsynetError, ValueError):
    """Bytes that are not a message of the expected event type, or a type that is not one."""


def cdr_to_event_message(ts: Any, raw: bytes | memoryview, msgtype: str) -> EventMessage:
    """An :class:`EventMessage` from the CDR bytes of an event message of type ``msgtype``.

    Args:
        ts: the rosbags typestore holding the event message types.
        raw: the serialised message.
        msgtype: its ROS type name (an EventPacket name or ``dvs_msgs/msg/EventArray``).

    Raises:
        MessageError: unknown type, or bytes that do not deserialise as it.
    """
    try:
        if msgtype in EVENT_PACKET_TYPES:
            return from_event_packet(ts.deserialize_cdr(raw, msgtype))
        if msgtype == EVENT_ARRAY_TYPE:
            view = decode_event_array(raw)
            return EventMessage(
                stamp_ns=view.stamp_ns,
                frame_id=view.frame_id,
                width=view.width,
                height=view.height,
                encoding=DVS_ENCODING,
                events=view.events,
            )
    except (DecodeError, SerdeError, ValueError, IndexError, KeyError, TypeError) as err:
        raise MessageError(f'cannot deserialise a {msgtype} message: {err}') from err
    raise MessageError(f'{msgtype} is not an event message type; known: {list(EVENT_TYPES)}')
