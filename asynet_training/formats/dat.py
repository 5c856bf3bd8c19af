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

"""Prophesee DAT event files (N-Cars ``*.dat``, Gen1 ``*_td.dat``).

Reading lives in the core library (:mod:`asynet_core.recordings.dat`); the functions here keep
the dataset readers' interface and raise :class:`~asynet_training.errors.CorruptFileError` for a
bad file. Writing DAT (for tests and the bag-to-dataset tool) is here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from asynet_core.cli import atomic_file
from asynet_core.events import check_event_array
from asynet_core.recordings import dat as _core
from asynet_core.recordings import EventFileError
from asynet_core.recordings.dat import (
    DAT_CD_EVENT_TYPES,
    DAT_EVENT_SIZE,
    DAT_RAW_DTYPE,
    DatInfo,
)
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats._common import (
    check_below,
    check_not_below,
    check_values,
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

_DAT_COORD_LIMIT = 1 << 14
_DAT_TIME_LIMIT = 1 << 32


def dat_info(path: PathLike) -> DatInfo:
    """Parse the header of a DAT file and check its size (see :mod:`asynet_core.recordings.dat`).

    Raises:
        CorruptFileError: unreadable file, unterminated header, unsupported event type or size,
            or an event area whose size is not a multiple of 8 bytes (a truncated file).
    """
    try:
        return _core.dat_info(path)
    except EventFileError as err:
        raise CorruptFileError(str(err)) from err


def dat_times(path: PathLike, info: DatInfo | None = None) -> np.ndarray:
    """A read-only memory map of the raw uint32 timestamps (µs) of a DAT file.

    Bisecting it (``bisect.bisect_right``) finds a time window while reading only a few pages.
    """
    return _core.dat_times(path, info if info is not None else dat_info(path))


def read_dat(
    path: PathLike, *, start: int = 0, stop: int | None = None
) -> tuple[np.ndarray, dict[str, str | int]]:
    """:func:`asynet_core.recordings.dat.read_dat` (same arguments and results) for datasets.

    Raises:
        CorruptFileError: see :func:`dat_info`; also an event outside the header's Width/Height.
    """
    try:
        return _core.read_dat(path, start=start, stop=stop)
    except EventFileError as err:
        raise CorruptFileError(str(err)) from err


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
    raw = np.empty(len(events), dtype=DAT_RAW_DTYPE)
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
