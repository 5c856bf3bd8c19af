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

"""N-Caltech101 / N-MNIST ``.bin`` event files (Orchard) and N-Caltech101 box annotations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from asynet_core.cli import atomic_file
from asynet_core.events import check_event_array, EVENT_DTYPE
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats._common import (
    check_below,
    check_not_below,
    check_values,
    PathLike,
    read_bytes,
)

__all__ = [
    'NCALTECH_OVERFLOW_US',
    'NCALTECH_OVERFLOW_Y',
    'read_ncaltech_annotation',
    'read_ncaltech_bin',
    'write_ncaltech_annotation',
    'write_ncaltech_bin',
]

_BIN_RECORD = 5
_BIN_TIME_LIMIT = 1 << 23
#: The ``y`` value of a timestamp-overflow marker record.
NCALTECH_OVERFLOW_Y = 240
#: Microseconds an overflow marker adds to every later timestamp (as the dataset's own reader).
NCALTECH_OVERFLOW_US = 1 << 13


def read_ncaltech_bin(path: PathLike) -> np.ndarray:
    """Read an N-Caltech101 (or N-MNIST) ``.bin`` event file.

    Each 5-byte record holds x (byte 0), y (byte 1), polarity (bit 7 of byte 2) and a 23-bit
    timestamp in µs (the low 7 bits of byte 2, then bytes 3 and 4). A record with
    ``y == 240`` is a timestamp-overflow marker: it is dropped and adds 2**13 µs to the timestamps
    of every later event, as the dataset's own reader does.

    Raises:
        CorruptFileError: unreadable file, or a size that is not a multiple of 5 bytes.
    """
    path = Path(path)
    raw = read_bytes(path)
    if raw.size % _BIN_RECORD:
        raise CorruptFileError(
            f'{path}: truncated .bin file, {raw.size} bytes is not a multiple of the '
            f'{_BIN_RECORD}-byte event record'
        )
    rec = raw.reshape(-1, _BIN_RECORD).astype(np.int64)
    t = ((rec[:, 2] & 0x7F) << 16) | (rec[:, 3] << 8) | rec[:, 4]
    marker = rec[:, 1] == NCALTECH_OVERFLOW_Y
    t += np.cumsum(marker) * NCALTECH_OVERFLOW_US
    keep = ~marker
    events = np.empty(int(keep.sum()), dtype=EVENT_DTYPE)
    events['x'] = rec[keep, 0]
    events['y'] = rec[keep, 1]
    events['p'] = rec[keep, 2] >> 7
    events['t'] = t[keep]
    return events


def write_ncaltech_bin(path: PathLike, events: np.ndarray) -> None:
    """Write events as an N-Caltech101 ``.bin`` file, inserting overflow markers as needed.

    An event with ``t >= 2**23`` is stored as ``t - k * 2**13`` after ``k`` overflow markers
    (records ``x=0, y=240, p=0, t=0``); ``k`` never decreases along the array, so
    :func:`read_ncaltech_bin` restores every timestamp exactly.

    Raises:
        DatasetConfigError: x or y >= 256, y == 240 (reserved for markers), t < 0, or a timestamp
            that cannot be encoded (it would need fewer markers than an earlier event).
        EventFormatError: ``events`` is not a 1-D array of EVENT_DTYPE.
    """
    path = Path(path)
    check_event_array(events)
    _check_bin_writable(path, events)
    t = events['t'].astype(np.int64)
    need = np.maximum(0, -(-(t - (_BIN_TIME_LIMIT - 1)) // NCALTECH_OVERFLOW_US))
    markers = np.maximum.accumulate(need) if need.size else need
    stored = t - markers * NCALTECH_OVERFLOW_US
    _check_encodable(path, t, markers, stored)
    rec = _bin_records(events, stored)
    before = np.diff(markers, prepend=0)  # markers to insert before each event
    out = np.insert(rec, np.repeat(np.arange(len(rec)), before), _bin_marker(), axis=0)
    with atomic_file(path) as f:
        out.tofile(f)


def _check_bin_writable(path: Path, events: np.ndarray) -> None:
    check_below(path, 'x', events['x'], 256)
    check_below(path, 'y', events['y'], 256)
    check_not_below(path, 't', events['t'], 0)
    check_values(path, 'p', events['p'], (0, 1))
    bad = np.flatnonzero(events['y'] == NCALTECH_OVERFLOW_Y)
    if bad.size:
        raise DatasetConfigError(
            f'{path}: event {int(bad[0])} has y=240, which .bin reserves for overflow markers'
        )


def _check_encodable(path: Path, t: np.ndarray, markers: np.ndarray, stored: np.ndarray) -> None:
    bad = np.flatnonzero(stored < 0)
    if bad.size:
        i = int(bad[0])
        raise DatasetConfigError(
            f'{path}: event {i} has t={t[i]}, below the {markers[i] * NCALTECH_OVERFLOW_US} µs '
            f'that the {markers[i]} overflow markers before it add; sort events by time'
        )


def _bin_records(events: np.ndarray, stored_t: np.ndarray) -> np.ndarray:
    rec = np.empty((len(events), _BIN_RECORD), dtype=np.uint8)
    rec[:, 0] = events['x']
    rec[:, 1] = events['y']
    rec[:, 2] = (events['p'].astype(np.int64) << 7) | (stored_t >> 16)
    rec[:, 3] = (stored_t >> 8) & 0xFF
    rec[:, 4] = stored_t & 0xFF
    return rec


def _bin_marker() -> np.ndarray:
    return np.array([0, NCALTECH_OVERFLOW_Y, 0, 0, 0], dtype=np.uint8)


def read_ncaltech_annotation(path: PathLike) -> tuple[int, int, int, int]:
    """Read the bounding box of an N-Caltech101 annotation file.

    The file is an int16 array; elements [0:2] give the shape of the box contour and elements
    [2:10] are its 4 corners (x, y) in the order top-left, top-right, bottom-right, bottom-left
    (an object contour follows and is ignored). Rule implemented: negative coordinates are
    clipped to 0, then ``x = min(corner x)``, ``y = min(corner y)``, ``w = max(corner x) - x``,
    ``h = max(corner y) - y`` (for an axis-aligned box: TL and BR corners).

    Returns:
        (x, y, w, h) in sensor pixels.

    Raises:
        CorruptFileError: unreadable file, odd byte count, or fewer than 10 int16 values.
    """
    path = Path(path)
    raw = read_bytes(path)
    if raw.size % 2 or raw.size < 20:
        raise CorruptFileError(
            f'{path}: annotation has {raw.size} bytes, expected an int16 array of at least 10 '
            'values (2 header values and 4 corners)'
        )
    corners = np.clip(raw.view('<i2')[2:10].astype(np.int64).reshape(4, 2), 0, None)
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def write_ncaltech_annotation(path: PathLike, corners: npt.ArrayLike) -> None:
    """Write an N-Caltech101 annotation file holding a box contour and an empty object contour.

    Args:
        path: the file to create or overwrite.
        corners: [4, 2] integers, the (x, y) corners TL, TR, BR, BL, within int16.

    Raises:
        DatasetConfigError: wrong shape, non-integer values or values outside int16.
    """
    path = Path(path)
    array = np.asarray(corners)
    if array.shape != (4, 2) or array.dtype.kind not in 'iu':
        raise DatasetConfigError(
            f'{path}: corners must be a [4, 2] integer array, got shape {array.shape} '
            f'dtype {array.dtype}'
        )
    if array.min() < -(1 << 15) or array.max() >= 1 << 15:
        raise DatasetConfigError(f'{path}: corners {array.tolist()} do not fit int16')
    values = np.concatenate([[2, 4], array.reshape(-1), [2, 0]]).astype('<i2')
    with atomic_file(path) as f:
        values.tofile(f)
