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

"""Event files of the EST (rpg) release of N-Caltech101: ``.npy`` float [N, 4] (x, y, t, p)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from asynet_core.cli import atomic_file
from asynet_core.events import check_event_array, EVENT_DTYPE
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats._common import load_npy, PathLike

__all__ = [
    'read_est_npy',
    'write_est_npy',
]

_TIME_SCALE = {'s': 1e6, 'us': 1.0}


def read_est_npy(path: PathLike, *, time_unit: str = 's') -> np.ndarray:
    """Read an event file of the EST (rpg) release of N-Caltech101: float [N, 4] (x, y, t, p).

    Decision: t is in **seconds** in that release (samples last about 0.3 s), so it is converted
    with ``round(t * 1e6)``; pass ``time_unit='us'`` for files that store microseconds.
    Polarity is -1/+1 in the release; 0/1 is accepted too (p > 0 is ON).

    Raises:
        CorruptFileError: not a readable ``.npy``, not a real [N, 4] array, non-integer or
            negative coordinates, a polarity outside {-1, 0, 1}, or a negative time.
        DatasetConfigError: unknown ``time_unit``.
    """
    path = Path(path)
    scale = _time_scale(path, time_unit)
    array = load_npy(path)
    if array.ndim != 2 or array.shape[1] != 4 or array.dtype.kind not in 'fiu':
        raise CorruptFileError(
            f'{path}: expected a real [N, 4] array (x, y, t, p), got shape {array.shape} '
            f'dtype {array.dtype}'
        )
    x, y, t, p = (array[:, i].astype(np.float64) for i in range(4))
    _check_est_columns(path, x, y, t * scale, p)
    events = np.empty(len(array), dtype=EVENT_DTYPE)
    events['x'], events['y'] = x, y
    events['t'] = np.rint(t * scale)
    events['p'] = p > 0
    return events


def _time_scale(path: Path, time_unit: str) -> float:
    if time_unit not in _TIME_SCALE:
        raise DatasetConfigError(
            f'{path}: unknown time_unit {time_unit!r}; valid choices: {sorted(_TIME_SCALE)}'
        )
    return _TIME_SCALE[time_unit]


def _check_est_columns(
    path: Path, x: np.ndarray, y: np.ndarray, t_us: np.ndarray, p: np.ndarray
) -> None:
    for name, values in (('x', x), ('y', y)):
        bad = np.flatnonzero((values != np.round(values)) | (values < 0) | (values > 65535))
        if bad.size:
            i = int(bad[0])
            raise CorruptFileError(f'{path}: row {i} has {name}={values[i]}, not a pixel index')
    bad = np.flatnonzero(~np.isin(p, (-1, 0, 1)))
    if bad.size:
        i = int(bad[0])
        raise CorruptFileError(f'{path}: row {i} has p={p[i]}, expected -1/+1 (or 0/1)')
    bad = np.flatnonzero(~np.isfinite(t_us) | (t_us < 0))
    if bad.size:
        i = int(bad[0])
        raise CorruptFileError(f'{path}: row {i} has t={t_us[i]} µs, not a time >= 0')


def write_est_npy(path: PathLike, events: np.ndarray, *, time_unit: str = 's') -> None:
    """Write events as an EST-release ``.npy``: float64 [N, 4] (x, y, t, p with p in {-1, +1}).

    Args:
        path: the file to create or overwrite.
        events: array of EVENT_DTYPE.
        time_unit: ``'s'`` (the release's unit, t / 1e6) or ``'us'``.

    Raises:
        DatasetConfigError: unknown ``time_unit``.
        EventFormatError: ``events`` is not a 1-D array of EVENT_DTYPE.
    """
    path = Path(path)
    check_event_array(events)
    scale = _time_scale(path, time_unit)
    out = np.empty((len(events), 4), dtype=np.float64)
    out[:, 0], out[:, 1] = events['x'], events['y']
    out[:, 2] = events['t'] / scale
    out[:, 3] = np.where(events['p'] > 0, 1.0, -1.0)
    with atomic_file(path) as f:
        np.save(f, out, allow_pickle=False)
