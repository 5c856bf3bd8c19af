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

"""Per-format opening: parse the header, pick the decoder, resolve the sensor size."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from asynet_core.events import SensorSize
from asynet_core.recordings import dat, evt2
from asynet_core.recordings.base import EventFileError, EventFileInfo
from asynet_core.recordings.decoding import WordDecoder
from asynet_core.recordings.evt3 import Evt3Decoder
from asynet_core.recordings.header import (
    header_sensor,
    name_conflict,
    name_sensor,
    raw_format,
    read_raw_header,
    resolve_sensor,
)

__all__ = ['MAX_EXTENT_SIDE', 'Opened', 'evt21_order', 'open_dat', 'open_raw']

#: What an opener returns: the file's info, (payload byte offset, word count), its decoder.
Opened = tuple[EventFileInfo, tuple[int, int], WordDecoder]
_EXTENT_BLOCK = 1 << 20
#: The largest side a DAT file's size may be taken from its events' extent. No event camera is
#: near it (the largest known, :data:`~asynet_core.recordings.KNOWN_SENSORS`, is 1280x720); an
#: extent beyond it means corrupt events, so the caller must give the size.
MAX_EXTENT_SIDE = 4096


def open_raw(path: Path, stream: BinaryIO, given: SensorSize | None) -> Opened:
    """Open a Prophesee RAW file (EVT 2.0, 2.1 or 3.0) positioned anywhere.

    A payload that ends inside a word (a truncated file) is read up to its last whole word; the
    reader reports the cut bytes in :attr:`~asynet_core.recordings.EventFile.salvage`.

    Raises:
        EventFileError: see :func:`asynet_core.recordings.open_event_file`.
    """
    header, offset = read_raw_header(path, stream)
    fmt = raw_format(path, header)
    resolved = resolve_sensor(path, header_sensor(path, header), name_sensor(header), given)
    if resolved is None:
        raise _no_raw_size(path, header)
    decoder = _raw_decoder(path, fmt, header)
    words = _whole_words(stream, offset, decoder.word_dtype.itemsize)
    info = EventFileInfo(path, fmt, resolved[0], resolved[1], header)
    return info, (offset, words), decoder


def _no_raw_size(path: Path, header: dict[str, str]) -> EventFileError:
    """The error for a RAW header that gives no size: none named, or names that disagree."""
    conflict = name_conflict(header)
    if conflict:
        return EventFileError(
            f'{path}: the RAW header gives no "% format ...;width=W;height=H" or "% geometry WxH" '
            f'line, and its sensor names disagree on the size ({conflict}); pass the right '
            '--width/--height (sensor=SensorSize(width, height))'
        )
    return EventFileError(
        f'{path}: the RAW header gives no sensor size (no "% format ...;width=W;height=H" or '
        '"% geometry WxH" line and no known sensor or plugin name); pass --width/--height '
        '(sensor=SensorSize(width, height))'
    )


def _raw_decoder(path: Path, fmt: str, header: dict[str, str]) -> WordDecoder:
    if fmt == 'evt2':
        return evt2.Evt2Decoder()
    if fmt == 'evt2.1':
        return evt2.Evt21Decoder(evt21_order(path, header))
    return Evt3Decoder()


def evt21_order(path: Path, header: dict[str, str]) -> str:
    """The EVT 2.1 byte order of a file (see :mod:`asynet_core.recordings.evt2`).

    ``% endianness legacy`` or ``little`` when the header says it; else ``little`` for a GenX320
    (which sends whole little-endian words) and ``legacy`` otherwise (IMX636 and older files).

    Raises:
        EventFileError: any other endianness (big-endian files are not read).
    """
    endianness = header.get('endianness', '').strip().lower()
    if endianness in ('legacy', 'little'):
        return endianness
    if endianness:
        raise EventFileError(
            f'{path}: EVT 2.1 endianness {endianness!r} is not supported (legacy, little)'
        )
    names = ' '.join(header.get(k, '') for k in ('plugin_name', 'sensor_name', 'camera_name'))
    return 'little' if 'genx320' in names.lower() else 'legacy'


def _whole_words(stream: BinaryIO, offset: int, word_size: int) -> int:
    """The whole words after the header; a cut last word is left to the reader's salvage."""
    return (stream.seek(0, 2) - offset) // word_size


def open_dat(path: Path, stream: BinaryIO, given: SensorSize | None) -> Opened:
    """Open a Prophesee DAT file (see :mod:`asynet_core.recordings.dat`).

    Raises:
        EventFileError: see :func:`asynet_core.recordings.dat.dat_info`; also a RAW header in a
            ``.dat`` file, and ``given`` contradicting the header's Width/Height.
    """
    info = dat.dat_info(path)
    lines = {k: v for k, v in info.header.items() if isinstance(v, str)}
    if 'evt' in lines:
        raise EventFileError(
            f'{path}: a ".dat" file with a RAW header ("% evt {lines["evt"]}"): rename it .raw'
        )
    width, height = info.header.get('width'), info.header.get('height')
    header_size = None
    if isinstance(width, int) and isinstance(height, int):
        header_size = (SensorSize(width, height), f'Width {width}, Height {height}')
    resolved = resolve_sensor(path, header_size, None, given)
    if resolved is None:
        resolved = (_dat_extent(path, info), 'extent')
    decoder = dat.DatDecoder()
    return (
        EventFileInfo(path, 'dat', resolved[0], resolved[1], lines),
        (info.offset, info.count),
        decoder,
    )


def _dat_extent(path: Path, info: dat.DatInfo) -> SensorSize:
    """The smallest sensor holding every event of a DAT file that gives no size.

    Raises:
        EventFileError: no events, or a side over :data:`MAX_EXTENT_SIDE` (corrupt events).
    """
    if info.count == 0:
        raise EventFileError(
            f'{path}: the DAT file has no Width/Height and no events to take a size from; '
            'pass --width/--height'
        )
    raw = np.memmap(
        path, dtype=dat.DAT_RAW_DTYPE, mode='r', offset=info.offset, shape=(info.count,)
    )
    width = height = 0
    for start in range(0, info.count, _EXTENT_BLOCK):
        word = np.asarray(raw['w'][start : start + _EXTENT_BLOCK])
        width = max(width, int((word & 0x3FFF).max()) + 1)
        height = max(height, int(((word >> 14) & 0x3FFF).max()) + 1)
    if max(width, height) > MAX_EXTENT_SIDE:
        raise EventFileError(
            f'{path}: the DAT file has no Width/Height, and its events span {width}x{height} '
            f'pixels, more than any event camera (over {MAX_EXTENT_SIDE} on a side): the file is '
            'likely corrupt; give the sensor size with --width/--height'
        )
    return SensorSize(width, height)
