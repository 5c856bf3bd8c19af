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

__all__ = ['MAGIC', 'McapChannel', 'McapError', 'McapMessage', 'McapScan', 'McapSchema']

#: The bytes an MCAP file starts (and, when complete, ends) with.
MAGIC = b'\x89MCAP0\r\n'

_OP_FOOTER, _OP_SCHEMA, _OP_CHANNEL, _OP_MESSAGE, _OP_CHUNK, _OP_DATA_END = 2, 3, 4, 5, 6, 0x0F
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
                    yield from ((r, offset) for r in self._chunk(content, where, whole=False))
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
        records = _decompress(data, compression, size, whole and len(data) == length, where)
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
