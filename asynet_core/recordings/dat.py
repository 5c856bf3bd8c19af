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

"""Reading Prophesee DAT event files (N-Cars ``*.dat``, Gen1 ``*_td.dat``).

A DAT file is a header of ``% key value`` lines, then one event-type byte and one event-size
byte, then 8-byte events: uint32 ``t`` (µs), then a packed uint32 (x bits 0-13, y 14-27, p bit 28).
A file without header lines is a legacy file (type 0, size 8, events from byte 0). Only the CD
event types are read, Event2d (0x00) and EventCd (0x0C); any other type (e.g. ExtTrigger 0x0E
files) is refused with an :class:`~asynet_core.recordings.EventFileError` naming the type, since
its 8-byte records are not CD events. Timestamps are the stored uint32 microseconds: the format
defines no wrap (a recording longer than 71.6 min would wrap; neither N-Cars nor Gen1 comes close).

Writing DAT stays with the dataset tools (``asynet_training.formats.write_dat``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asynet_core.events import EVENT_DTYPE
from asynet_core.recordings.base import EventFileError

__all__ = [
    'DAT_CD_EVENT_TYPES',
    'DAT_EVENT_SIZE',
    'DAT_RAW_DTYPE',
    'DatDecoder',
    'DatInfo',
    'dat_info',
    'dat_times',
    'decode_dat',
    'read_dat',
]

#: Bytes per DAT event: uint32 t (µs), then a packed uint32 (x bits 0-13, y 14-27, p bit 28).
DAT_EVENT_SIZE = 8
#: Event types of CD (change-detection) events: Event2d (0) and EventCd (0x0C).
DAT_CD_EVENT_TYPES = (0x00, 0x0C)
#: One stored DAT event.
DAT_RAW_DTYPE = np.dtype([('t', '<u4'), ('w', '<u4')])


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


def dat_info(path: str | Path) -> DatInfo:
    """Parse the header of a DAT file and check its size, without reading the events.

    Raises:
        EventFileError: unreadable file, unterminated header, unsupported event type or size,
            or an event area whose size is not a multiple of 8 bytes (a truncated file).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open('rb') as f:
            head = f.read(min(size, 1 << 16))
    except OSError as err:
        raise EventFileError(f'{path}: cannot read file: {err.strerror}') from err
    header, offset = _parse_dat_header(path, head)
    _check_dat_type(path, header)
    payload = size - offset
    if payload % DAT_EVENT_SIZE:
        raise EventFileError(
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
            raise EventFileError(f'{path}: DAT header line at byte {pos} has no line end')
        key, _, value = head[pos + 2 : end].decode('latin-1').strip().partition(' ')
        header[key] = value.strip()
        pos = end + 1
    if pos == 0:
        header.update(event_type=0, event_size=DAT_EVENT_SIZE)
        return header, 0
    if len(head) < pos + 2:
        raise EventFileError(f'{path}: DAT header is not followed by event type and size bytes')
    header.update(event_type=head[pos], event_size=head[pos + 1])
    _parse_dat_geometry(path, header)
    return header, pos + 2


def _parse_dat_geometry(path: Path, header: dict[str, str | int]) -> None:
    for key in ('Width', 'Height'):
        if key in header:
            value = str(header[key])
            if not value.isdigit():
                raise EventFileError(f'{path}: DAT header {key} {value!r} is not an integer')
            header[key.lower()] = int(value)


def _check_dat_type(path: Path, header: dict[str, str | int]) -> None:
    if header['event_size'] != DAT_EVENT_SIZE:
        raise EventFileError(
            f'{path}: DAT event size is {header["event_size"]} bytes, expected {DAT_EVENT_SIZE}'
        )
    if header['event_type'] not in DAT_CD_EVENT_TYPES:
        raise EventFileError(
            f'{path}: DAT event type {header["event_type"]} is not a CD event type '
            f'{DAT_CD_EVENT_TYPES} (e.g. 14 = external triggers); only CD event files are read'
        )


def dat_times(path: str | Path, info: DatInfo | None = None) -> np.ndarray:
    """A read-only memory map of the raw uint32 timestamps (µs) of a DAT file.

    Bisecting it (``bisect.bisect_right``) finds a time window while reading only a few pages.
    """
    path = Path(path)
    info = info if info is not None else dat_info(path)
    if info.count == 0:
        return np.zeros(0, dtype='<u4')
    raw = np.memmap(path, dtype=DAT_RAW_DTYPE, mode='r', offset=info.offset, shape=(info.count,))
    return raw['t']


def read_dat(
    path: str | Path, *, start: int = 0, stop: int | None = None
) -> tuple[np.ndarray, dict[str, str | int]]:
    """Read the CD events of a Prophesee DAT file, or the range ``[start, stop)`` of them.

    Args:
        path: the ``.dat`` file.
        start: index of the first event to read.
        stop: index after the last event to read (``None``: to the end).

    Returns:
        (events of EVENT_DTYPE, header as described in :class:`DatInfo`).

    Raises:
        EventFileError: see :func:`dat_info`; also an event outside the header's Width/Height,
            and a headerless file whose times step back (then it is no DAT file).
    """
    path = Path(path)
    info = dat_info(path)
    stop = info.count if stop is None else min(stop, info.count)
    start = max(0, min(start, stop))
    with path.open('rb') as f:
        f.seek(info.offset + start * DAT_EVENT_SIZE)
        raw = np.fromfile(f, dtype=DAT_RAW_DTYPE, count=stop - start)
    events = decode_dat(raw)
    _check_geometry(path, events, info.header)
    if info.offset == 0:  # no header: only the data itself can show this is a DAT file
        _check_headerless(path, events)
    return events, info.header


def _check_headerless(path: Path, events: np.ndarray) -> None:
    """A legacy (headerless) DAT file's times never go back; random bytes' almost surely do."""
    back = np.flatnonzero(np.diff(events['t'].astype(np.int64)) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise EventFileError(
            f'{path}: not a DAT file: no "% " header, and event {i} has t={int(events["t"][i])} '
            f'us < t={int(events["t"][i - 1])} us of event {i - 1}'
        )


def decode_dat(raw: np.ndarray) -> np.ndarray:
    """Events of EVENT_DTYPE from stored DAT events of :data:`DAT_RAW_DTYPE`."""
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
            raise EventFileError(
                f'{path}: event {i} has {field}={events[field][i]}, outside the header '
                f'{key.capitalize()} {limit}'
            )


class DatDecoder:
    """The stateless DAT "decoder" of the streaming reader: one stored event per word."""

    word_dtype = DAT_RAW_DTYPE
    max_events_per_word = 1
    skipped_before_time = 0

    def reset(self) -> None:
        """Nothing to forget: DAT events carry their whole time."""

    def decode(self, words: np.ndarray, first_word: int) -> np.ndarray:
        """Events of the next stored events (``first_word`` unused: no word can be invalid)."""
        return decode_dat(words)
