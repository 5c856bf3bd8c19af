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

"""A linear reader of MCAP files that stops at the first bad record instead of failing.

Used for MCAP files that rosbags cannot open: no summary or footer (the recorder was killed),
cut in the middle of a record or chunk. The file is read front to back (https://mcap.dev/spec:
the magic, then records ``opcode u8, length u64 LE, content``); Schema, Channel and Message
records are returned, Chunk records are decompressed (``''``, ``zstd``, ``lz4``) and their inner
records read the same way. A chunk cut short is decompressed as far as its bytes go, so the
messages before the cut are kept. Reading stops at the Footer or DataEnd record, or at the first
record that is incomplete or does not parse; :class:`McapScan` then tells where and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import struct
import sys
from typing import BinaryIO
import zlib

import lz4.frame

from asynet_core.errors import AsynetError

if sys.version_info >= (3, 14):  # pragma: no cover
    from compression import zstd
else:
    from backports import zstd

__all__ = [
    'MAGIC',
    'McapChannel',
    'McapError',
    'McapMessage',
    'McapScan',
    'McapSchema',
    'summary_topics',
]

#: The bytes an MCAP file starts (and, when complete, ends) with.
MAGIC = b'\x89MCAP0\r\n'

_OP_FOOTER, _OP_SCHEMA, _OP_CHANNEL, _OP_MESSAGE, _OP_CHUNK, _OP_DATA_END = 2, 3, 4, 5, 6, 0x0F
_OP_STATISTICS = 0x0B
_FOOTER = struct.Struct('<BQQQI')  # opcode, length (20), summary start, offset start, crc
_STATISTICS_HEAD = struct.Struct('<QHIIIIQQ')
_RECORD_HEAD = struct.Struct('<BQ')
_MESSAGE_HEAD = struct.Struct('<HIQQ')  # channel id, sequence, log time, publish time
_CHUNK_HEAD = struct.Struct('<QQQI')  # start time, end time, uncompressed size, crc
_MAX_RECORD_BYTES = 1 << 36  # a larger length is damage, not a record


class McapError(AsynetError, ValueError):
    """A record does not parse (damaged or cut short); the message says which and where."""


@dataclass(frozen=True)
class McapSchema:
    """A Schema record: id, message type name, encoding (``ros2msg``, ``ros2idl``) and text."""

    id: int  # noqa: A003 (the spec's field name)
    name: str
    encoding: str
    data: bytes


@dataclass(frozen=True)
class McapChannel:
    """A Channel record: id, schema id, topic, message encoding (``cdr``) and metadata."""

    id: int  # noqa: A003 (the spec's field name)
    schema_id: int
    topic: str
    message_encoding: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class McapMessage:
    """A Message record: channel id, log time (ns) and the serialised bytes."""

    channel_id: int
    log_time_ns: int
    data: bytes


Record = McapSchema | McapChannel | McapMessage


class _Fields:
    """Reads the fields of one record's content, raising McapError past its end."""

    def __init__(self, content: bytes, what: str) -> None:
        self.content, self.pos, self.what = content, 0, what

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.content):
            raise McapError(f'{self.what}: a field runs past the record end')
        out = self.content[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: struct.Struct) -> tuple[int, ...]:
        return fmt.unpack(self.take(fmt.size))

    def u32(self) -> int:
        return int.from_bytes(self.take(4), 'little')

    def string(self) -> str:
        try:
            return self.take(self.u32()).decode('utf-8')
        except UnicodeDecodeError as err:
            raise McapError(f'{self.what}: a string is not UTF-8') from err

    def mapping(self) -> dict[str, str]:
        end = self.u32() + self.pos
        out: dict[str, str] = {}
        while self.pos < end:
            key = self.string()
            out[key] = self.string()
        return out


def _parse(opcode: int, content: bytes, where: str) -> Record | None:
    """The record of ``opcode`` (``None`` for the kinds this reader skips)."""
    fields = _Fields(content, where)
    if opcode == _OP_SCHEMA:
        (schema_id,) = struct.unpack('<H', fields.take(2))
        name, encoding = fields.string(), fields.string()
        return McapSchema(schema_id, name, encoding, fields.take(fields.u32()))
    if opcode == _OP_CHANNEL:
        channel_id, schema_id = struct.unpack('<HH', fields.take(4))
        topic, encoding = fields.string(), fields.string()
        return McapChannel(channel_id, schema_id, topic, encoding, fields.mapping())
    if opcode == _OP_MESSAGE:
        channel_id, _, log_time, _ = fields.unpack(_MESSAGE_HEAD)
        return McapMessage(channel_id, log_time, content[fields.pos :])
    return None


def _decompress(data: bytes, compression: str, size: int, whole: bool, where: str) -> bytes:
    """A chunk's records; of a chunk cut short (``whole`` false), as much as decompresses."""
    try:
        if compression == '':
            return data
        if compression == 'zstd':
            return zstd.ZstdDecompressor().decompress(data, max_length=size)
        if compression == 'lz4':
            return lz4.frame.LZ4FrameDecompressor().decompress(data, max_length=size)
    except (zstd.ZstdError, RuntimeError, ValueError) as err:
        if whole:
            raise McapError(
                f'{where}: the {compression} data does not decompress ({err})'
            ) from err
        return b''  # a cut stream whose first block is incomplete: nothing to keep
    raise McapError(f'{where}: unknown chunk compression {compression!r} (valid: "", zstd, lz4)')


class McapScan:
    """One front-to-back pass over an MCAP file (iterate :meth:`records`).

    After the pass: ``records_read`` (records returned), ``bytes_unread`` (from the end of the
    last good record to the end of the file, 0 for a complete file), ``complete`` (the file ended
    with its Footer or DataEnd record) and ``reason`` (why reading stopped early, else ``''``).

    Raises:
        McapError: (from :meth:`records`) the file does not start with the MCAP magic.
        OSError: the file cannot be read.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records_read = 0
        self.bytes_unread = 0
        self.complete = False
        self.reason = ''
        self._read_to = 0  # of a chunk cut short: content bytes holding its complete records

    def records(self) -> Iterator[Record]:
        """Schema, Channel and Message records in file order, up to the first bad one."""
        size = self.path.stat().st_size
        with self.path.open('rb') as f:
            if f.read(len(MAGIC)) != MAGIC:
                raise McapError(f'{self.path} is not an MCAP file (no MCAP magic at its start)')
            good_end = len(MAGIC)
            try:
                for record, end in self._top_level(f):
                    if record is not None:
                        self.records_read += 1
                        yield record
                    good_end = end
            except McapError as err:
                self.reason = str(err)
        self.bytes_unread = 0 if self.complete else size - good_end
        if not self.complete and not self.reason:
            self.reason = 'the file ends without its footer (the recorder stopped early)'

    def _top_level(self, f: BinaryIO) -> Iterator[tuple[Record | None, int]]:
        """(record or None, file offset after it) of each record before the end or the damage."""
        while True:
            offset = f.tell()
            head = f.read(_RECORD_HEAD.size)
            if len(head) < _RECORD_HEAD.size:
                if head:
                    raise McapError(f'record at byte {offset}: cut short in its header')
                return
            opcode, length = _RECORD_HEAD.unpack(head)
            where = f'record {opcode:#04x} at byte {offset}'
            if length > _MAX_RECORD_BYTES:
                raise McapError(f'{where}: impossible length {length}')
            content = f.read(length)
            if opcode in (_OP_FOOTER, _OP_DATA_END):
                self.complete = True
                return
            if len(content) < length:
                if opcode == _OP_CHUNK:
                    self._read_to = 0
                    for record in self._chunk(content, where, whole=False):
                        yield record, offset
                    yield (
                        None,
                        offset + (_RECORD_HEAD.size + self._read_to if self._read_to else 0),
                    )
                raise McapError(f'{where}: cut short ({len(content)} of {length} bytes)')
            if opcode == _OP_CHUNK:
                for record in self._chunk(content, where, whole=True):
                    yield record, offset
                yield None, f.tell()
            else:
                yield _parse(opcode, content, where), f.tell()

    def _chunk(self, content: bytes, where: str, *, whole: bool) -> Iterator[Record]:
        """The records of a Chunk; of one cut short, those that are complete."""
        fields = _Fields(content, where)
        try:
            _, _, size, crc = fields.unpack(_CHUNK_HEAD)
            compression = fields.string()
            (length,) = struct.unpack('<Q', fields.take(8))
        except McapError:
            if whole:
                raise
            return
        data = content[fields.pos : fields.pos + length]
        marks: list[tuple[int, int]] = []
        if whole:
            records = _decompress(data, compression, size, len(data) == length, where)
        else:
            records, marks = _decompress_cut(data, compression, size, where)
        if whole and len(records) != size:
            raise McapError(f'{where}: the chunk holds {len(records)} bytes, not {size} (damaged)')
        if whole and crc and zlib.crc32(records) != crc:
            raise McapError(f'{where}: chunk checksum mismatch (damaged data)')
        pos = 0
        while pos + _RECORD_HEAD.size <= len(records):
            opcode, inner_length = _RECORD_HEAD.unpack_from(records, pos)
            start = pos + _RECORD_HEAD.size
            if start + inner_length > len(records):
                break
            inner = _parse(opcode, records[start : start + inner_length], f'{where}, inner')
            pos = start + inner_length
            if inner is not None:
                yield inner
        if whole and pos != len(records):
            raise McapError(f'{where}: the chunk ends in the middle of a record')
        if not whole:  # the compressed bytes up to the last complete record
            used = next((end for end, out in marks if out >= pos), len(data)) if marks else pos
            self._read_to = fields.pos + used


_CUT_PIECE_BYTES = 4096


def _decompress_cut(
    data: bytes, compression: str, size: int, where: str
) -> tuple[bytes, list[tuple[int, int]]]:
    """A cut chunk's records as far as they decompress, and (input end, output length) marks.

    Without compression there are no marks (input and output bytes are the same). The input
    is fed in pieces of :data:`_CUT_PIECE_BYTES`, so the marks tell (to a piece) how
    many compressed bytes hold the first n output bytes.
    """
    if compression not in ('', 'zstd', 'lz4'):
        raise McapError(
            f'{where}: unknown chunk compression {compression!r} (valid: "", zstd, lz4)'
        )
    if compression == '':
        return data, []  # each byte read is a byte of records
    decoder = (
        zstd.ZstdDecompressor() if compression == 'zstd' else lz4.frame.LZ4FrameDecompressor()
    )
    out, marks = bytearray(), []
    for start in range(0, len(data), _CUT_PIECE_BYTES):
        try:
            out += decoder.decompress(data[start : start + _CUT_PIECE_BYTES])
        except (zstd.ZstdError, RuntimeError, ValueError):
            break
        marks.append((min(start + _CUT_PIECE_BYTES, len(data)), len(out)))
        if len(out) >= size:
            break
    return bytes(out[:size]), marks


def summary_topics(path: str | Path) -> list[tuple[str, str, int]] | None:
    """(topic, schema name, message count) of each channel, from the summary section.

    Reads only the footer and the summary (cheap). ``None`` when the file has no footer, no
    summary, or no Statistics record (the counts are then unknown without a full pass).

    Raises:
        McapError: the summary section does not parse.
        OSError: the file cannot be read.
    """
    p = Path(path)
    size = p.stat().st_size
    tail_size = _FOOTER.size + len(MAGIC)
    if size < len(MAGIC) + tail_size:
        return None
    with p.open('rb') as f:
        f.seek(size - tail_size)
        tail = f.read(tail_size)
        opcode, length, start, offsets, _ = _FOOTER.unpack(tail[: _FOOTER.size])
        if tail[_FOOTER.size :] != MAGIC or opcode != _OP_FOOTER or length != 20 or not start:
            return None
        end = offsets or size - tail_size
        if not len(MAGIC) <= start <= end <= size - tail_size:
            raise McapError(f'{p}: the footer points outside the file (damaged)')
        f.seek(start)
        section = f.read(end - start)
    return _summary_records(section, f'{p}: summary')


def _summary_records(section: bytes, where: str) -> list[tuple[str, str, int]] | None:
    schemas: dict[int, str] = {}
    channels: dict[int, tuple[str, int]] = {}
    counts: dict[int, int] | None = None
    pos = 0
    while pos + _RECORD_HEAD.size <= len(section):
        opcode, length = _RECORD_HEAD.unpack_from(section, pos)
        content = section[pos + _RECORD_HEAD.size : pos + _RECORD_HEAD.size + length]
        if len(content) != length:
            raise McapError(f'{where}: record {opcode:#04x} at {pos} is cut short')
        pos += _RECORD_HEAD.size + length
        record = _parse(opcode, content, where) if opcode != _OP_MESSAGE else None
        if isinstance(record, McapSchema):
            schemas[record.id] = record.name
        elif isinstance(record, McapChannel):
            channels[record.id] = (record.topic, record.schema_id)
        elif opcode == _OP_STATISTICS:
            counts = _channel_counts(content, where)
    if counts is None:
        return None
    return [
        (topic, schemas.get(schema_id, ''), counts.get(cid, 0))
        for cid, (topic, schema_id) in channels.items()
    ]


def _channel_counts(content: bytes, where: str) -> dict[int, int]:
    """The channel message counts of a Statistics record."""
    fields = _Fields(content, f'{where}, statistics')
    fields.unpack(_STATISTICS_HEAD)
    end = fields.u32() + fields.pos
    counts: dict[int, int] = {}
    while fields.pos < end:
        channel_id, count = struct.unpack('<HQ', fields.take(10))
        counts[channel_id] = count
    return counts
