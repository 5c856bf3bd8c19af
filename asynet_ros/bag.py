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

Bags in every shape third-party recorders leave are opened, and the user's folder is never
written to: an empty ``storage_identifier`` is inferred from the files; a folder without
``metadata.yaml``, or a lone ``.db3`` / ``.mcap`` file, is indexed in memory
(:func:`asynet_ros.bag_index.reindex`) and read through a private temporary folder holding the
metadata and links to the files; a truncated or damaged bag is read up to its last good record
(:mod:`asynet_ros.bag_salvage`), :attr:`EventBag.salvage` says what was lost and one warning goes
to the ``asynet_ros.bag`` logger. A ``metadata.yaml`` that is empty, or whose topics, types or
counts disagree with the storage files (:mod:`asynet_ros.bag_check`), is set aside for metadata
rebuilt from the files, with one warning; listed files that are missing are read around.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import logging
from pathlib import Path
from typing import Any, NamedTuple

from rosbags.rosbag2 import Reader

from asynet_ros import cdr
from asynet_ros.bag_errors import BagError
from asynet_ros.bag_index import reindex_files
from asynet_ros.bag_salvage import damage_of, RawMessage, Salvage, salvage_messages
from asynet_ros.bag_skipped import Skipped
from asynet_ros.bag_source import locate
from asynet_ros.event_message import EVENT_TYPES, EventMessage
from asynet_ros.interfaces import typestore

__all__ = [
    'BagError',
    'BagTopic',
    'EventBag',
    'Salvage',
    'Skipped',
    'bag_dir',
    'cdr_to_event_message',
]

_LOG = logging.getLogger('asynet_ros.bag')


@dataclass(frozen=True)
class BagTopic:
    """One topic of a bag: name, recorded message type and message count."""

    name: str
    msgtype: str
    count: int


def bag_dir(path: str | Path) -> Path:
    """The bag folder: ``path`` itself, or the folder of a ``.db3`` / ``.mcap`` file in it.

    Raises:
        BagError: ``path`` does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise BagError(f'bag {path} does not exist')
    return p.parent if p.is_file() and p.suffix in ('.db3', '.mcap') else p


class _Conn(NamedTuple):
    """A topic as the storage files tell it, when rosbags cannot open the bag."""

    topic: str
    msgtype: str
    msgcount: int


class EventBag:
    """A rosbag2 bag (folder, or lone ``.db3`` / ``.mcap`` file) opened for reading event messages.

    Use as a context manager. ``topics`` lists every topic; ``event_topics`` those whose type is
    an event message. ``salvage`` is ``None`` for an intact bag, else a :class:`Salvage` telling
    why and how much of it could be read (filled in as messages are read).

    Raises:
        BagError: missing folder or metadata that cannot be rebuilt, an unsupported storage, or a
            file too damaged to read anything from.
    """

    def __init__(self, path: str | Path) -> None:
        self.typestore = typestore()
        self.salvage: Salvage | None = None
        self._reader: Reader | None = None
        self._connections: list[Any] = []
        self._warned = False
        self._source = locate(path)
        self.path = self._source.shown
        try:
            self._open()
        except BaseException:
            self._source.cleanup()
            raise

    def _open(self) -> None:
        source = self._source
        if source.warning:  # metadata set aside or completed: said once, whatever follows
            _LOG.warning('%s', source.warning)
        damage = ''
        if source.files and source.compression_mode != 'file':
            damage = damage_of(source.files, source.storage)
        if damage:
            self._open_salvage(damage, None)
            return
        try:
            self._reader = Reader(source.reader_path)
            self._reader.open()
        except Exception as err:  # rosbags raises several unrelated types for bad bags
            self._reader = None
            why = self._user_text(err)
            self._open_salvage(why, BagError(f'cannot open bag {self.path}: {why}'))
            return
        self._connections = list(self._reader.connections)
        self._check_metadata()
        if source.missing:  # listed files missing: a salvage, which the warning told
            self._warned = True
            self.salvage = Salvage(reason='; '.join(source.missing))

    def _user_text(self, err: BaseException) -> str:
        """``err`` on one line, naming the user's folder instead of the private one."""
        text = _one_line(err)
        private = self._source.private
        if private is not None:
            folder = self.path.parent if self.path.is_file() else self.path
            text = text.replace(str(private), str(folder))
        return text

    def _salvageable(self) -> bool:
        """Whether this project's readers can read the storage files (no file compression)."""
        source = self._source
        return (
            bool(source.files)
            and source.compression_mode != 'file'
            and (source.storage in ('sqlite3', 'mcap'))
        )

    def _open_salvage(self, reason: str, error: BagError | None) -> None:
        """Index the damaged storage files; raise ``error`` (or theirs) if they are unreadable."""
        if not self._salvageable():
            raise error or BagError(f'cannot open bag {self.path}: {reason}')
        try:
            info = reindex_files(self._source.files)['rosbag2_bagfile_information']
        except BagError as err:
            raise (error or err) from err
        self._connections = [
            _Conn(t['topic_metadata']['name'], t['topic_metadata']['type'], t['message_count'])
            for t in info['topics_with_message_count']
        ]
        self.salvage = Salvage(reason=reason)
        if not self._connections:
            size = sum(f.stat().st_size for f in self._source.files)
            raise BagError(
                f'bag {self.path} is truncated after {size} bytes and has no channels or topics '
                f'left ({reason}): nothing can be read from it'
            )

    def _check_metadata(self) -> None:
        """Refuse metadata values rosbags takes as they come, and counts without files."""
        reader = self._reader
        for conn in self._connections:
            if not (isinstance(conn.topic, str) and isinstance(conn.msgtype, str)
                    and isinstance(conn.msgcount, int)):  # fmt: skip
                self.close()
                raise BagError(
                    f'bag {self.path}: corrupt metadata.yaml (topic {conn.topic!r}, type '
                    f'{conn.msgtype!r}, message count {conn.msgcount!r})'
                )
        count = reader.message_count if reader is not None else 0
        if isinstance(count, int) and count > 0 and not self._source.files:
            self.close()
            raise BagError(
                f'bag {self.path}: metadata.yaml counts {count} messages but lists no storage '
                'file (relative_file_paths is empty): the .db3/.mcap files are missing'
            )

    def __enter__(self) -> EventBag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying reader and remove the private metadata folder, if any."""
        reader, self._reader = self._reader, None
        try:
            if reader is not None:
                reader.close()
        finally:
            self._source.cleanup()

    @property
    def topics(self) -> list[BagTopic]:
        """Every topic, in the bag's order."""
        counts: dict[str, int] = {}
        types: dict[str, str] = {}
        for conn in self._connections:
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

    def raw_messages(self, topics: list[str]) -> Iterator[RawMessage]:
        """(topic, msgtype, bag timestamp ns, CDR bytes) of ``topics``, in time order.

        A damaged bag is read up to its last good record, in recording order (see ``salvage``).

        Raises:
            BagError: the bag is damaged and nothing of ``topics`` could be read from it.
        """
        if self._reader is None:
            yield from self._salvaged(topics, None, 0, 0)
            return
        if self.salvage is not None:  # listed files missing
            self._expect(self.salvage, topics)
        conns = [c for c in self._connections if c.topic in topics]
        last_ns, at_last, given = None, 0, 0
        try:
            for conn, timestamp, raw in self._reader.messages(connections=conns):
                at_last = at_last + 1 if timestamp == last_ns else 1
                last_ns, given = int(timestamp), given + 1
                if self.salvage is not None:
                    self.salvage.records_read = given
                yield conn.topic, conn.msgtype, int(timestamp), raw
        except Exception as err:  # sqlite / mcap / zstd errors of a damaged file
            if not self._salvageable():
                raise BagError(f'bag {self.path} is corrupt: {self._user_text(err)}') from err
            self.salvage = Salvage(reason=self._user_text(err))
            yield from self._salvaged(topics, last_ns, at_last, given)

    def _salvaged(
        self, topics: list[str], after_ns: int | None, at_last: int, already: int
    ) -> Iterator[RawMessage]:
        """The messages of a damaged bag after the ``already`` ones rosbags gave.

        Those end at ``after_ns``, ``at_last`` of them at that time: earlier records are skipped
        and so are the first ``at_last`` at ``after_ns``.
        """
        salvage = self.salvage
        if salvage is None:  # pragma: no cover (set before any call)
            raise BagError(f'bag {self.path}: no salvage record')
        self._expect(salvage, topics)
        read = already
        messages = salvage_messages(
            self._source.files, self._source.storage, set(topics), salvage,
            zstd_messages=self._source.compression_mode == 'message',
        )  # fmt: skip
        try:
            for message in messages:
                if after_ns is not None and _given_before(message[2], after_ns, at_last):
                    at_last -= message[2] == after_ns
                    continue
                read += 1
                salvage.records_read = read
                yield message
        finally:
            self._report(salvage)
        if read == 0 and (salvage.expected_messages or 0) > 0:
            raise BagError(f'bag {self.path} is corrupt: nothing could be read ({salvage.reason})')

    def _expect(self, salvage: Salvage, topics: list[str]) -> None:
        """The messages of ``topics`` the user's metadata promises, where known."""
        expected = self._source.expected
        if expected is not None:
            salvage.expected_messages = sum(expected.get(t, 0) for t in set(topics))

    def _report(self, salvage: Salvage) -> None:
        """One warning line per bag."""
        if not self._warned:
            self._warned = True
            _LOG.warning('%s', salvage.line(self.path))

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


def _one_line(err: BaseException) -> str:
    """A library's error message on one line (rosbags quotes multi-line YAML errors)."""
    return ' '.join(str(err).split())


def _given_before(timestamp: int, after_ns: int, at_last: int) -> bool:
    """Whether a salvaged record at ``timestamp`` was already given by rosbags."""
    return timestamp < after_ns or (timestamp == after_ns and at_last > 0)


def cdr_to_event_message(ts: Any, raw: bytes | memoryview, msgtype: str) -> EventMessage:
    """:func:`asynet_ros.cdr.cdr_to_event_message` for a bag's records.

    Raises:
        BagError: unknown type, or bytes that do not deserialise as it (a corrupt record).
    """
    try:
        return cdr.cdr_to_event_message(ts, raw, msgtype)
    except cdr.MessageError as err:
        raise BagError(str(err)) from err
