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

"""Prophesee DAT event files (N-Cars ``*.dat``, Gen1 ``*_td.dat``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asynet_core.cli import atomic_file
from asynet_core.events import check_event_array, EVENT_DTYPE
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats._common import (
    check_below,
    check_not_below,
    check_values,
    file_size,
    PathLike,
)

__all__ = [
    'DAT_CD_EVENT_TYPES',
    'DAT_EVENT_SIZE',
    'DatInfo',
    'dat_info',
    'dat_times',
    'read_dat',
    'write_dat',
]


#: Bytes per DAT event: uint32 t (µs), then a packed uint32 (x bits 0-13, y 14-27, p bit 28).
DAT_EVENT_SIZE = 8
#: Event types of CD (change-detection) events: Event2d (0) and EventCd (0x0C).
DAT_CD_EVENT_TYPES = (0x00, 0x0C)
_DAT_RAW = np.dtype([('t', '<u4'), ('w', '<u4')])
_DAT_COORD_LIMIT = 1 << 14
_DAT_TIME_LIMIT = 1 << 32


@dataclass(frozen=True)
class DatInfo:
    """Where the events of a DAT file lie.

    Attributes:
        header: the ``% key value`` header lines as {key: value} (strings), plus ``event_type``
            and ``event_size`` (ints), and ``width`` / ``height`` (ints) when the header has
            ``Width`` / ``Height`` lines.
        offset: byte offset of the first event.
        count: number of events.
    """

    header: dict[str, str | int]
    offset: int
    count: int


def dat_info(path: PathLike) -> DatInfo:
    """Parse the header of a DAT file and check its size, without reading the events.

    The header is the run of lines starting with ``% ``; if there is one, the next two bytes are
    the event type and the event size. A file without header lines is a legacy file (type 0,
    size 8, events from byte 0).

    Raises:
        CorruptFileError: unreadable file, unterminated header, unsupported event type or size,
            or an event area whose size is not a multiple of 8 bytes (a truncated file).
    """
    path = Path(path)
    size = file_size(path)
    with path.open('rb') as f:
        header, offset = _parse_dat_header(path, f.read(min(size, 1 << 16)))
    _check_dat_type(path, header)
    payload = size - offset
    if payload % DAT_EVENT_SIZE:
        raise CorruptFileError(
            f'{path}: truncated DAT file, {payload} bytes of events after the header is not a '
            f'multiple of the {DAT_EVENT_SIZE}-byte event size'
        )
    return DatInfo(header, offset, payload // DAT_EVENT_SIZE)


def _parse_dat_header(path: Path, head: bytes) -> tuple[dict[str, str | int], int]:
    header: dict[str, str | int] = {}
    pos = 0
    while head.startswith(b'% ', pos):
        end = head.find(b'\n', pos)
        if end < 0:
            raise CorruptFileError(f'{path}: DAT header line at byte {pos} has no line end')
        key, _, value = head[pos + 2 : end].decode('latin-1').strip().partition(' ')
        header[key] = value.strip()
        pos = end + 1
    if pos == 0:
        header.update(event_type=0, event_size=DAT_EVENT_SIZE)
        return header, 0
    if len(head) < pos + 2:
        raise CorruptFileError(f'{path}: DAT header is not followed by event type and size bytes')
    header.update(event_type=head[pos], event_size=head[pos + 1])
    _parse_dat_geometry(path, header)
    return header, pos + 2


def _parse_dat_geometry(path: Path, header: dict[str, str | int]) -> None:
    for key in ('Width', 'Height'):
        if key in header:
            value = str(header[key])
            if not value.isdigit():
                raise CorruptFileError(f'{path}: DAT header {key} {value!r} is not an integer')
            header[key.lower()] = int(value)


def _check_dat_type(path: Path, header: dict[str, str | int]) -> None:
    if header['event_size'] != DAT_EVENT_SIZE:
        raise CorruptFileError(
            f'{path}: DAT event size is {header["event_size"]} bytes, expected {DAT_EVENT_SIZE}'
        )
    if header['event_type'] not in DAT_CD_EVENT_TYPES:
        raise CorruptFileError(
            f'{path}: DAT event type {header["event_type"]} is not a CD event type '
            f'{DAT_CD_EVENT_TYPES}'
        )


def dat_times(path: PathLike, info: DatInfo | None = None) -> np.ndarray:
    """A read-only memory map of the raw uint32 timestamps (µs) of a DAT file.

    Bisecting it (``bisect.bisect_right``) finds a time window while reading only a few pages.
    """
    path = Path(path)
    info = info if info is not None else dat_info(path)
    if info.count == 0:
        return np.zeros(0, dtype='<u4')
    raw = np.memmap(path, dtype=_DAT_RAW, mode='r', offset=info.offset, shape=(info.count,))
    return raw['t']


def read_dat(
    path: PathLike, *, start: int = 0, stop: int | None = None
) -> tuple[np.ndarray, dict[str, str | int]]:
    """Read the CD events of a Prophesee DAT file (N-Cars, Gen1 ``*_td.dat``).

    Timestamps are the stored uint32 microseconds (a recording longer than 71.6 min would wrap;
    neither N-Cars nor Gen1 comes close). Polarity is bit 28 of the packed word.

    Args:
        path: the ``.dat`` file.
        start: index of the first event to read.
        stop: index after the last event to read (``None``: to the end).

    Returns:
        (events of EVENT_DTYPE, header as described in :class:`DatInfo`).

    Raises:
        CorruptFileError: see :func:`dat_info`; also an event outside the header's Width/Height.
    """
    path = Path(path)
    info = dat_info(path)
    start, stop = _clip_range(start, stop, info.count)
    with path.open('rb') as f:
        f.seek(info.offset + start * DAT_EVENT_SIZE)
        raw = np.fromfile(f, dtype=_DAT_RAW, count=stop - start)
    events = _decode_dat(raw)
    _check_geometry(path, events, info.header)
    if info.offset == 0:  # no header: only the data itself can show this is a DAT file
        _check_headerless(path, events)
    return events, info.header


def _check_headerless(path: Path, events: np.ndarray) -> None:
    """A legacy (headerless) DAT file's times never go back; random bytes' almost surely do."""
    back = np.flatnonzero(np.diff(events['t'].astype(np.int64)) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise CorruptFileError(
            f'{path}: not a DAT file: no "% " header, and event {i} has t={int(events["t"][i])} '
            f'us < t={int(events["t"][i - 1])} us of event {i - 1}'
        )


def _clip_range(start: int, stop: int | None, count: int) -> tuple[int, int]:
    stop = count if stop is None else min(stop, count)
    start = max(0, min(start, stop))
    return start, stop


def _decode_dat(raw: np.ndarray) -> np.ndarray:
    word = raw['w']
    events = np.empty(len(raw), dtype=EVENT_DTYPE)
    events['x'] = word & 0x3FFF
    events['y'] = (word >> 14) & 0x3FFF
    events['p'] = (word >> 28) & 1
    events['t'] = raw['t']
    return events


def _check_geometry(path: Path, events: np.ndarray, header: dict[str, str | int]) -> None:
    for field, key in (('x', 'width'), ('y', 'height')):
        limit = header.get(key)
        if limit is None or not events.size:
            continue
        bad = np.flatnonzero(events[field] >= int(limit))
        if bad.size:
            i = int(bad[0])
            raise CorruptFileError(
                f'{path}: event {i} has {field}={events[field][i]}, outside the header '
                f'{key.capitalize()} {limit}'
            )


def write_dat(
    path: PathLike,
    events: np.ndarray,
    width: int | None = None,
    height: int | None = None,
    event_type: int = 0,
) -> None:
    """Write events as a Prophesee DAT file (header, type and size bytes, 8-byte events).

    Args:
        path: the file to create or overwrite.
        events: array of EVENT_DTYPE; 0 <= t < 2**32 µs and x, y < 2**14.
        width: written as ``% Width`` when given; every x must be below it.
        height: written as ``% Height`` when given; every y must be below it.
        event_type: the type byte, 0 (Event2d) or 12 (EventCd).

    Raises:
        DatasetConfigError: a value does not fit the format or the given width/height.
        EventFormatError: ``events`` is not a 1-D array of EVENT_DTYPE.
    """
    path = Path(path)
    check_event_array(events)
    _check_dat_writable(path, events, width, height, event_type)
    raw = np.empty(len(events), dtype=_DAT_RAW)
    raw['t'] = events['t']
    x, y, p = (events[k].astype(np.uint32) for k in ('x', 'y', 'p'))
    raw['w'] = x | (y << 14) | (p << 28)
    with atomic_file(path) as f:
        f.write(_dat_header(width, height, event_type))
        raw.tofile(f)


def _check_dat_writable(
    path: Path, events: np.ndarray, width: int | None, height: int | None, event_type: int
) -> None:
    if event_type not in DAT_CD_EVENT_TYPES:
        raise DatasetConfigError(
            f'{path}: event_type {event_type} is not a CD event type {DAT_CD_EVENT_TYPES}'
        )
    check_below(path, 'x', events['x'], width if width is not None else _DAT_COORD_LIMIT)
    check_below(path, 'y', events['y'], height if height is not None else _DAT_COORD_LIMIT)
    check_below(path, 't', events['t'], _DAT_TIME_LIMIT)
    check_not_below(path, 't', events['t'], 0)
    check_values(path, 'p', events['p'], (0, 1))


def _dat_header(width: int | None, height: int | None, event_type: int) -> bytes:
    lines = ['% Data file containing Event2D events.', '% Version 2']
    lines += [f'% Width {width}'] if width is not None else []
    lines += [f'% Height {height}'] if height is not None else []
    return ('\n'.join(lines) + '\n').encode('ascii') + bytes([event_type, DAT_EVENT_SIZE])
