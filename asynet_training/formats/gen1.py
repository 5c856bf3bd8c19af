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

"""Gen1 box files ``*_bbox.npy`` in the original packed dtype and the canonical one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from asynet_core.cli import atomic_file
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats._common import (
    check_below,
    check_not_below,
    load_npy,
    PathLike,
)

__all__ = [
    'BBOX_DTYPE',
    'LEGACY_BBOX_DTYPE',
    'read_gen1_bbox',
    'write_gen1_bbox',
]

BBOX_DTYPE = np.dtype(
    {
        'names': ['t', 'x', 'y', 'w', 'h', 'class_id', 'track_id', 'class_confidence'],
        'formats': ['<i8', '<f4', '<f4', '<f4', '<f4', '<u4', '<u4', '<f4'],
        'offsets': [0, 8, 12, 16, 20, 24, 28, 32],
        'itemsize': 40,
    }
)
#: The packed dtype of the original Gen1 release, itemsize 33.
LEGACY_BBOX_DTYPE = np.dtype(
    [
        ('ts', '<u8'),
        ('x', '<f4'),
        ('y', '<f4'),
        ('w', '<f4'),
        ('h', '<f4'),
        ('class_id', 'u1'),
        ('confidence', '<f4'),
        ('track_id', '<u4'),
    ]
)
_LEGACY_RENAME = {'ts': 't', 'confidence': 'class_confidence'}


def read_gen1_bbox(path: PathLike) -> np.ndarray:
    """Read a Gen1 ``*_bbox.npy`` box file in either dtype, returned as :data:`BBOX_DTYPE`.

    The original packed dtype (``ts``, ``confidence``, ``class_id`` u1) is renamed and widened
    to the canonical one (``t`` i8, ``class_confidence``, ``class_id`` u4).

    Raises:
        CorruptFileError: not a readable ``.npy`` file, not 1-D, or fields missing.
    """
    path = Path(path)
    array = load_npy(path)
    names = set(array.dtype.names or ())
    renamed = {_LEGACY_RENAME.get(n, n) for n in names}
    if array.ndim != 1 or not set(BBOX_DTYPE.names or ()) <= renamed:
        raise CorruptFileError(
            f'{path}: not a Gen1 box array: expected a 1-D structured array with fields '
            f'{list(BBOX_DTYPE.names or ())} (or the original ts/confidence names), got shape '
            f'{array.shape} fields {sorted(names)}'
        )
    boxes = np.zeros(len(array), dtype=BBOX_DTYPE)
    for name in names:
        if _LEGACY_RENAME.get(name, name) in (BBOX_DTYPE.names or ()):
            boxes[_LEGACY_RENAME.get(name, name)] = array[name]
    return boxes


def write_gen1_bbox(path: PathLike, boxes: np.ndarray, legacy: bool = False) -> None:
    """Write Gen1 boxes (an array of :data:`BBOX_DTYPE`) as ``.npy``.

    Args:
        path: the file to create or overwrite.
        boxes: 1-D array of :data:`BBOX_DTYPE`.
        legacy: write the original packed dtype (:data:`LEGACY_BBOX_DTYPE`) instead.

    Raises:
        DatasetConfigError: ``boxes`` has another dtype or shape, or (legacy) a negative time or
            a class id above 255.
    """
    path = Path(path)
    if getattr(boxes, 'dtype', None) != BBOX_DTYPE or np.ndim(boxes) != 1:
        raise DatasetConfigError(f'{path}: boxes must be a 1-D array of BBOX_DTYPE')
    out = _to_legacy(path, boxes) if legacy else _zero_padded(boxes)
    with atomic_file(path) as f:
        np.save(f, out, allow_pickle=False)


def _zero_padded(boxes: np.ndarray) -> np.ndarray:
    """A copy of ``boxes`` whose padding bytes are zero (numpy leaves them uninitialised).

    Copied field by field into zeros, so the same boxes always give the same file.
    """
    out = np.zeros(len(boxes), dtype=BBOX_DTYPE)
    for name in BBOX_DTYPE.names or ():
        out[name] = boxes[name]
    return out


def _to_legacy(path: Path, boxes: np.ndarray) -> np.ndarray:
    check_not_below(path, 't', boxes['t'], 0)
    check_below(path, 'class_id', boxes['class_id'], 256)
    out = np.zeros(len(boxes), dtype=LEGACY_BBOX_DTYPE)
    for name in LEGACY_BBOX_DTYPE.names or ():
        out[name] = boxes[_LEGACY_RENAME.get(name, name)]
    return out
