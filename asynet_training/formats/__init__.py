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

"""Readers and writers of the on-disk formats of N-Cars, N-Caltech101 and Prophesee Gen1.

All readers return (and all event writers take) arrays of :data:`asynet_core.events.EVENT_DTYPE`
(x, y, p in {0, 1}, t in int64 microseconds). Decoding is vectorised numpy. A file that does not
follow its format raises :class:`~asynet_training.errors.CorruptFileError` naming the file; bad
writer input raises :class:`~asynet_training.errors.DatasetConfigError` naming the target file.

Formats:

* Prophesee DAT (N-Cars ``*.dat``, Gen1 ``*_td.dat``): :func:`read_dat`, :func:`write_dat`,
  :func:`dat_info`, :func:`dat_times`.
* N-Caltech101 / N-MNIST ``.bin`` events (Orchard): :func:`read_ncaltech_bin`,
  :func:`write_ncaltech_bin`; annotations: :func:`read_ncaltech_annotation`,
  :func:`write_ncaltech_annotation`.
* Gen1 boxes ``*_bbox.npy`` (both dtypes): :func:`read_gen1_bbox`, :func:`write_gen1_bbox`.
* The EST release of N-Caltech101 (``.npy`` float [N, 4]): :func:`read_est_npy`,
  :func:`write_est_npy`.
"""

from __future__ import annotations

from asynet_training.formats.dat import (
    DAT_CD_EVENT_TYPES,
    DAT_EVENT_SIZE,
    dat_info,
    dat_times,
    DatInfo,
    read_dat,
    write_dat,
)
from asynet_training.formats.est import read_est_npy, write_est_npy
from asynet_training.formats.gen1 import (
    BBOX_DTYPE,
    LEGACY_BBOX_DTYPE,
    read_gen1_bbox,
    write_gen1_bbox,
)
from asynet_training.formats.ncaltech import (
    NCALTECH_OVERFLOW_US,
    NCALTECH_OVERFLOW_Y,
    read_ncaltech_annotation,
    read_ncaltech_bin,
    write_ncaltech_annotation,
    write_ncaltech_bin,
)

__all__ = [
    'BBOX_DTYPE',
    'DAT_CD_EVENT_TYPES',
    'DAT_EVENT_SIZE',
    'LEGACY_BBOX_DTYPE',
    'NCALTECH_OVERFLOW_US',
    'NCALTECH_OVERFLOW_Y',
    'DatInfo',
    'dat_info',
    'dat_times',
    'read_dat',
    'read_est_npy',
    'read_gen1_bbox',
    'read_ncaltech_annotation',
    'read_ncaltech_bin',
    'write_dat',
    'write_est_npy',
    'write_gen1_bbox',
    'write_ncaltech_annotation',
    'write_ncaltech_bin',
]
