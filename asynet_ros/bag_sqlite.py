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

"""The rosbag2 sqlite3 storage read directly: its topics, its index, and its rows up to damage.

rosbag2's ``.db3`` files hold a ``topics`` table (id, name, type, serialization_format, and
from schema 2 offered_qos_profiles) and a ``messages`` table (id, topic_id, timestamp, data).
The file is opened read-only and immutable: nothing is ever written to the user's bag.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
import sqlite3
from urllib.parse import quote

__all__ = [
    'SQLITE_MAGIC',
    'SqliteTopic',
    'missing_bytes',
    'read_rows',
    'sqlite_index',
    'truncation',
]

#: The bytes a sqlite3 database file starts with.
SQLITE_MAGIC = b'SQLite format 3\0'


@dataclass(frozen=True)
class SqliteTopic:
    """One row of the ``topics`` table with its message count and time span (ns)."""

    id: int  # noqa: A003 (the table's column name)
    name: str
    msgtype: str
    serialization_format: str
    offered_qos_profiles: str
    count: int
    start_ns: int | None
    end_ns: int | None


def _connect(path: Path) -> sqlite3.Connection:
    """A read-only, immutable connection (sqlite never writes a journal beside the file)."""
    uri = f'file:{quote(str(path.resolve()))}?mode=ro&immutable=1'
    db = sqlite3.connect(uri, uri=True)
    # sqlite refuses a file shorter than its header says unless the schema is "writable"; the
    # connection is read-only, so nothing is written, and the pages present become readable.
    db.execute('PRAGMA writable_schema=ON')
    return db


def sqlite_index(path: Path, errors: list[str] | None = None) -> list[SqliteTopic]:
    """The topics of a ``.db3`` file with their message counts and times.

    When the ``messages`` table is damaged, the counts are those of the readable rows and why
    the others are not is appended to ``errors`` (when given).

    Raises:
        sqlite3.Error: the file is not a readable rosbag2 database (the caller names the bag).
    """
    with closing(_connect(path)) as db:
        columns = {row[1] for row in db.execute('PRAGMA table_info(topics)')}
        qos = 'offered_qos_profiles' if 'offered_qos_profiles' in columns else "''"
        topics = db.execute(
            f'SELECT id, name, type, serialization_format, {qos} FROM topics ORDER BY id'
        ).fetchall()
    try:
        with closing(_connect(path)) as db:
            stats = {
                row[0]: row[1:]
                for row in db.execute(
                    'SELECT topic_id, COUNT(*), MIN(timestamp), MAX(timestamp) FROM messages '
                    'GROUP BY topic_id'
                )
            }
    except sqlite3.Error:  # a damaged table: the rows before the damage
        stats = _readable_stats(path, [row[0] for row in topics], errors)
    return [
        SqliteTopic(tid, name, msgtype, fmt, qos_text or '', *stats.get(tid, (0, None, None)))
        for tid, name, msgtype, fmt, qos_text in topics
    ]


def _readable_stats(
    path: Path, topic_ids: list[int], errors: list[str] | None
) -> dict[int, tuple[int, int, int]]:
    """{topic id: (count, first ns, last ns)} of the rows :func:`read_rows` can read."""
    stats: dict[int, tuple[int, int, int]] = {}
    for tid, timestamp, _ in read_rows(path, topic_ids, [] if errors is None else errors):
        count, first, last = stats.get(tid, (0, timestamp, timestamp))
        stats[tid] = (count + 1, min(first, timestamp), max(last, timestamp))
    return stats


def read_rows(
    path: Path, topic_ids: list[int], errors: list[str]
) -> Iterator[tuple[int, int, bytes]]:
    """(topic id, timestamp ns, data) of ``topic_ids`` in row order, past damaged pages.

    Row order is the recording order; no sort is asked of sqlite, so the rows before a damaged
    page come out before the error. After it, the row ids left are taken from the
    ``timestamp_idx`` index (stored in other pages) and the rows read one by one, so only the
    rows in damaged pages are lost. The error, then how many rows could not be read, are
    appended to ``errors``.
    """
    marks = ','.join('?' * len(topic_ids))
    last_rowid = 0
    try:
        with closing(_connect(path)) as db:
            query = 'SELECT rowid, topic_id, timestamp, data FROM messages'
            query += f' WHERE topic_id IN ({marks})'
            for rowid, tid, timestamp, data in db.execute(query + ' ORDER BY rowid', topic_ids):
                last_rowid = rowid
                yield int(tid), int(timestamp), bytes(data)
        return
    except sqlite3.Error as err:
        errors.append(f'{path.name}: {err}')
    yield from _rows_after(path, last_rowid, set(topic_ids), errors)


def _rows_after(
    path: Path, last_rowid: int, topic_ids: set[int], errors: list[str]
) -> Iterator[tuple[int, int, bytes]]:
    """The readable rows of ``topic_ids`` after ``last_rowid``, found through the index."""
    try:
        with closing(_connect(path)) as db:
            rowids = sorted(
                row[0]
                for row in db.execute(
                    'SELECT rowid FROM messages INDEXED BY timestamp_idx WHERE rowid > ?',
                    (last_rowid,),
                )
            )
    except sqlite3.Error as err:
        errors.append(f'the rows after row {last_rowid} cannot be listed ({err}): unread')
        return
    unreadable = 0
    with closing(_connect(path)) as db:
        for rowid in rowids:
            try:
                row = db.execute(
                    'SELECT topic_id, timestamp, data FROM messages WHERE rowid = ?', (rowid,)
                ).fetchone()
            except sqlite3.Error:
                unreadable += 1
                continue
            if row is not None and row[0] in topic_ids:
                yield int(row[0]), int(row[1]), bytes(row[2])
    errors.append(
        f'{unreadable} of its {len(rowids)} rows after row {last_rowid} are in '
        'unreadable pages (lost)'
    )


def missing_bytes(path: Path) -> int:
    """How much shorter ``path`` is than its header says (0 when it is not, or unknown).

    The header (first 100 bytes) holds the page size (offset 16) and, when valid, the page count
    (offset 28; valid when the change counter at 24 equals the one at 92).
    """
    with path.open('rb') as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return 0
    page_size = int.from_bytes(header[16:18], 'big')
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], 'big')
    if header[24:28] != header[92:96] or not pages:
        return 0
    return max(pages * page_size - path.stat().st_size, 0)


def truncation(path: Path) -> str:
    """Why ``path`` is shorter than its header says (``''`` when it is not)."""
    missing = missing_bytes(path)
    if missing:
        return f'{path.name} is cut short: {missing} bytes are missing at its end'
    return ''
