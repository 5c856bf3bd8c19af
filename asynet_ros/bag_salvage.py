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

"""Reading a damaged bag up to its last good record, and the account of what was lost.

A recorder that was killed leaves an MCAP file without footer or summary, or cut in a record or
chunk, or a sqlite3 file shorter than its header says; a disk error leaves a damaged page. The
storage files are then read in recording order by this project's own readers
(:mod:`asynet_ros.mcap_scan`, :mod:`asynet_ros.bag_sqlite`) until the first bad record, and
:class:`Salvage` tells how much was read and why reading stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import sqlite3
import sys

from asynet_ros.bag_sqlite import missing_bytes, read_rows, sqlite_index, truncation
from asynet_ros.mcap_scan import MAGIC, McapChannel, McapError, McapMessage, McapScan, McapSchema

if sys.version_info >= (3, 14):  # pragma: no cover
    from compression import zstd
else:
    from backports import zstd

__all__ = ['Salvage', 'damage_of', 'salvage_messages']

#: (topic, message type, bag timestamp ns, serialised bytes)
RawMessage = tuple[str, str, int, bytes]


@dataclass
class Salvage:
    """How much of a damaged bag was read.

    Attributes:
        reason: why reading stopped early (the file and the problem).
        records_read: messages read (of the topics read) before the damage.
        bytes_unread: bytes of the storage file(s) after the last good record, where known.
        expected_messages: the count the bag's metadata.yaml promises for those topics, or
            ``None`` without one.
    """

    reason: str
    records_read: int = 0
    bytes_unread: int = 0
    expected_messages: int | None = None

    @property
    def messages_missing(self) -> int | None:
        """Messages the metadata counts that could not be read (``None`` when unknown)."""
        if self.expected_messages is None:
            return None
        return max(self.expected_messages - self.records_read, 0)

    def line(self, bag: Path) -> str:
        """One line for a log or a report."""
        missing = self.messages_missing
        lost = f', {missing} messages missing' if missing is not None else ''
        unread = f', {self.bytes_unread} bytes unread' if self.bytes_unread else ''
        return (
            f'bag {bag} is damaged ({self.reason}): read {self.records_read} messages{lost}'
            f'{unread}'
        )

    def to_dict(self) -> dict[str, object]:
        """The figures, for a JSON report."""
        return {
            'reason': self.reason,
            'records_read': self.records_read,
            'bytes_unread': self.bytes_unread,
            'messages_missing': self.messages_missing,
        }


def damage_of(files: list[Path], storage: str) -> str:
    """Why the files cannot be read whole, seen cheaply (``''``: they look complete).

    MCAP: the file does not end with the MCAP magic (no footer). sqlite3: the file is shorter
    than its header says.
    """
    for path in files:
        if storage == 'mcap':
            size = path.stat().st_size
            with path.open('rb') as f:
                head = f.read(len(MAGIC))
                f.seek(max(size - len(MAGIC), 0))
                tail = f.read()
            if head == MAGIC and (size < 2 * len(MAGIC) or tail != MAGIC):
                return f'{path.name} ends without its footer (the recorder stopped early)'
        elif storage == 'sqlite3' and (why := truncation(path)):
            return why
    return ''


def salvage_messages(
    files: list[Path], storage: str, topics: set[str], salvage: Salvage, *, zstd_messages: bool
) -> Iterator[RawMessage]:
    """The messages of ``topics`` in recording order, file by file, up to the first bad record.

    Where reading stops, ``salvage.reason`` and ``salvage.bytes_unread`` say why and how much is
    left (the caller counts ``records_read``). ``zstd_messages``: each message is
    zstd-compressed (rosbag2 message compression).
    """
    reader = _sqlite_messages if storage == 'sqlite3' else _mcap_messages
    for path in files:
        stopped = False
        for message in reader(path, topics, salvage):
            if message is None:
                stopped = True
                break
            topic, msgtype, timestamp, raw = message
            if zstd_messages:
                try:
                    raw = zstd.decompress(raw)
                except zstd.ZstdError as err:
                    salvage.reason = f'{path.name}: a message does not decompress ({err})'
                    return
            yield topic, msgtype, timestamp, raw
        if stopped:
            return


def _sqlite_messages(
    path: Path, topics: set[str], salvage: Salvage
) -> Iterator[RawMessage | None]:
    """Rows of ``topics`` in row order; ``None`` after the last when the file is damaged."""
    try:
        table = {t.id: t for t in sqlite_index(path) if t.name in topics}
    except sqlite3.Error as err:
        salvage.reason = f'{path.name}: its topics table is unreadable ({err})'
        yield None
        return
    errors: list[str] = []
    for tid, timestamp, data in read_rows(path, sorted(table), errors):
        yield table[tid].name, table[tid].msgtype, timestamp, data
    if errors:
        salvage.reason = '; '.join(filter(None, [truncation(path), *errors]))
        salvage.bytes_unread = missing_bytes(path)
        yield None


def _mcap_messages(path: Path, topics: set[str], salvage: Salvage) -> Iterator[RawMessage | None]:
    """Messages of ``topics`` in file order; ``None`` after the last when the file is damaged."""
    scan = McapScan(path)
    schemas: dict[int, str] = {}
    channels: dict[int, tuple[str, str]] = {}
    try:
        for record in scan.records():
            if isinstance(record, McapSchema):
                schemas[record.id] = record.name
            elif isinstance(record, McapChannel):
                channels[record.id] = (record.topic, schemas.get(record.schema_id, ''))
            elif isinstance(record, McapMessage) and record.channel_id in channels:
                topic, msgtype = channels[record.channel_id]
                if topic in topics:
                    yield topic, msgtype, record.log_time_ns, record.data
    except (McapError, OSError) as err:
        scan.reason, scan.complete = str(err), False
    if not scan.complete:
        salvage.reason = f'{path.name}: {scan.reason}'
        salvage.bytes_unread = scan.bytes_unread
        yield None
