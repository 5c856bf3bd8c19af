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

"""Reading event messages from rosbag2 recordings (sqlite3 or MCAP) without ROS 2.

The low-level :class:`rosbags.rosbag2.Reader` and the project's typestore are used rather than
``AnyReader``, which fails on MCAP bags whose schemas are ``ros2idl`` with ``#include`` lines (as
event_camera_msgs recordings often are). Messages are deserialised by their recorded type name;
``event_array_msgs/msg/EventArray`` (the older name of EventPacket) is read as an EventPacket.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rosbags.rosbag2 import Reader
import yaml

from asynet_core.errors import AsynetError
from asynet_ros import cdr
from asynet_ros.event_message import EVENT_TYPES, EventMessage
from asynet_ros.interfaces import typestore

__all__ = ['BagError', 'BagTopic', 'EventBag', 'Skipped', 'bag_dir', 'cdr_to_event_message']


_EMPTY_STORAGE_HINT = ' (set storage_identifier in metadata.yaml to sqlite3 or mcap)'


class BagError(AsynetError, ValueError):
    """A bag is missing, unreadable or corrupt, or lacks the requested topic."""


@dataclass
class Skipped:
    """Messages of an event topic that were skipped, by kind, with the first reason of each.

    Kinds: ``undecodable_messages`` (bytes that do not deserialise as the recorded type: a
    corrupt record), ``wrong_type_messages`` (a message of a non-event type on the topic).
    """

    undecodable_messages: int = 0
    wrong_type_messages: int = 0
    first: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, reason: str) -> None:
        """Count one skipped message of ``kind``."""
        setattr(self, kind, getattr(self, kind) + 1)
        self.first.setdefault(kind, reason)

    @property
    def total(self) -> int:
        """Messages skipped."""
        return self.undecodable_messages + self.wrong_type_messages

    def to_dict(self) -> dict[str, int]:
        """The counts by kind."""
        return {
            'undecodable_messages': self.undecodable_messages,
            'wrong_type_messages': self.wrong_type_messages,
        }


@dataclass(frozen=True)
class BagTopic:
    """One topic of a bag: name, recorded message type and message count."""

    name: str
    msgtype: str
    count: int


def bag_dir(path: str | Path) -> Path:
    """The bag folder: ``path`` itself, or the folder of a ``.db3`` / ``.mcap`` file in it."""
    p = Path(path)
    if p.is_file() and p.suffix in ('.db3', '.mcap'):
        p = p.parent
    if not p.exists():
        raise BagError(f'bag {path} does not exist')
    if not (p / 'metadata.yaml').is_file():
        raise BagError(f'bag {path}: no metadata.yaml (not a rosbag2 folder)')
    return p


class EventBag:
    """A rosbag2 folder opened for reading event messages.

    Use as a context manager. ``topics`` lists every topic; ``event_topics`` those whose type is
    an event message.

    Raises:
        BagError: missing folder or metadata, an unsupported storage, or a corrupt file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = bag_dir(path)
        self.typestore = typestore()
        try:
            self._reader = Reader(self.path)
            self._reader.open()
        except Exception as err:  # rosbags raises several unrelated types for bad bags
            hint = _EMPTY_STORAGE_HINT if "Storage plugin ''" in str(err) else ''
            raise BagError(f'cannot open bag {self.path}: {err}{hint}') from err
        self._check_storage_files()
        for conn in self._reader.connections:  # rosbags takes metadata values as they come
            if not (isinstance(conn.topic, str) and isinstance(conn.msgtype, str)
                    and isinstance(conn.msgcount, int)):  # fmt: skip
                self._reader.close()
                raise BagError(
                    f'bag {self.path}: corrupt metadata.yaml (topic {conn.topic!r}, type '
                    f'{conn.msgtype!r}, message count {conn.msgcount!r})'
                )

    def _check_storage_files(self) -> None:
        """Refuse metadata that counts messages but lists no storage file (read as empty)."""
        try:
            info = yaml.safe_load((self.path / 'metadata.yaml').read_text(encoding='utf-8'))
            info = info['rosbag2_bagfile_information']
            files, count = info.get('relative_file_paths') or [], int(info.get('message_count', 0))
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
            return  # rosbags opened it: its own reading of the metadata stands
        if count > 0 and not files:
            self._reader.close()
            raise BagError(
                f'bag {self.path}: metadata.yaml counts {count} messages but lists no storage '
                'file (relative_file_paths is empty): the .db3/.mcap files are missing'
            )

    def __enter__(self) -> EventBag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying reader."""
        self._reader.close()

    @property
    def topics(self) -> list[BagTopic]:
        """Every topic, in the bag's order."""
        counts: dict[str, int] = {}
        types: dict[str, str] = {}
        for conn in self._reader.connections:
            counts[conn.topic] = counts.get(conn.topic, 0) + conn.msgcount
            if types.get(conn.topic) not in EVENT_TYPES:  # an event type wins on a mixed topic
                types[conn.topic] = conn.msgtype
        return [BagTopic(name, types[name], counts[name]) for name in counts]

    @property
    def event_topics(self) -> list[BagTopic]:
        """Topics carrying event messages."""
        return [t for t in self.topics if t.msgtype in EVENT_TYPES]

    def pick_topic(self, topic: str | None = None) -> BagTopic:
        """``topic`` if it carries events, else the only event topic.

        Raises:
            BagError: ``topic`` is absent or not an event topic, or ``topic`` is ``None`` and the
                bag has zero or several event topics; the message lists them.
        """
        events = self.event_topics
        listing = [f'{t.name} ({t.msgtype})' for t in self.topics]
        if topic is None:
            if len(events) != 1:
                raise BagError(
                    f'bag {self.path} has {len(events)} event topics; choose one with --topic. '
                    f'Topics: {listing}'
                )
            return events[0]
        for t in self.topics:
            if t.name == topic:
                if t.msgtype not in EVENT_TYPES:
                    raise BagError(
                        f'topic {topic} of bag {self.path} has type {t.msgtype}, not an event '
                        f'message type {list(EVENT_TYPES)}'
                    )
                return t
        raise BagError(f'topic {topic} is not in bag {self.path}; topics: {listing}')

    def raw_messages(self, topics: list[str]) -> Iterator[tuple[str, str, int, bytes]]:
        """(topic, msgtype, bag timestamp ns, CDR bytes) of ``topics``, in time order."""
        conns = [c for c in self._reader.connections if c.topic in topics]
        try:
            for conn, timestamp, raw in self._reader.messages(connections=conns):
                yield conn.topic, conn.msgtype, int(timestamp), raw
        except Exception as err:  # sqlite / mcap errors of a damaged file
            raise BagError(f'bag {self.path} is corrupt: {err}') from err

    def event_messages(
        self, topic: str | None = None, skipped: Skipped | None = None
    ) -> Iterator[tuple[int, EventMessage]]:
        """(bag timestamp ns, message) of one event topic (see :meth:`pick_topic`).

        Args:
            topic: the topic, or ``None`` for the only event topic.
            skipped: where to count the messages that cannot be read as events (see
                :class:`Skipped`) and go on; ``None``: raise on the first.

        Raises:
            BagError: a bad topic, a damaged file (at the record where reading stops), or with
                ``skipped=None`` a message that is not a readable event message.
        """
        chosen = self.pick_topic(topic)
        for _, msgtype, timestamp, raw in self.raw_messages([chosen.name]):
            where = f'bag time {timestamp} ns'
            if msgtype not in EVENT_TYPES:
                reason = f'a {msgtype} message on event topic {chosen.name} ({where})'
                if skipped is None:
                    raise BagError(reason)
                skipped.add('wrong_type_messages', reason)
                continue
            try:
                msg = self.to_event_message(raw, msgtype)
            except BagError as err:
                if skipped is None:
                    raise
                skipped.add('undecodable_messages', f'{where}: {err}')
                continue
            yield timestamp, msg

    def to_event_message(self, raw: bytes | memoryview, msgtype: str) -> EventMessage:
        """Deserialise one event message's CDR bytes.

        Raises:
            BagError: the bytes do not deserialise as ``msgtype``.
        """
        return cdr_to_event_message(self.typestore, raw, msgtype)


def cdr_to_event_message(ts: Any, raw: bytes | memoryview, msgtype: str) -> EventMessage:
    """:func:`asynet_ros.cdr.cdr_to_event_message` for a bag's records.

    Raises:
        BagError: unknown type, or bytes that do not deserialise as it (a corrupt record).
    """
    try:
        return cdr.cdr_to_event_message(ts, raw, msgtype)
    except cdr.MessageError as err:
        raise BagError(str(err)) from err
