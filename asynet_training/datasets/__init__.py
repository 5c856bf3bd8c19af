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

"""Dataset classes of N-Cars, N-Caltech101 (classification and detection) and Gen1.

Each class is map-style (``__len__``, ``__getitem__`` -> :class:`Sample`), so it works with
``torch.utils.data.DataLoader`` (give it a ``collate_fn``: samples hold variable-length events).
Class lists are sorted, splits are deterministic, augmentation happens only with ``augment=True``
and draws from a seeded ``numpy.random.Generator``. Bad trees raise
:class:`~asynet_training.errors.DatasetLayoutError`; corrupt files raise
:class:`~asynet_training.errors.CorruptFileError` (``strict=True``) or are listed in
``dataset.skipped``.
"""

from __future__ import annotations

from asynet_training.datasets.base import (
    augment_sample,
    EventDataset,
    flip_boxes,
    flip_events,
    Sample,
    shift_boxes,
    shift_events,
    Window,
)
from asynet_training.datasets.gen1 import Gen1
from asynet_training.datasets.ncaltech import (
    compensate_box,
    NCaltech101,
    NCaltech101Bin,
    NCaltech101Detection,
    ncaltech_box_shift,
)
from asynet_training.datasets.ncars import NCars

__all__ = [
    'EventDataset',
    'Gen1',
    'NCaltech101',
    'NCaltech101Bin',
    'NCaltech101Detection',
    'NCars',
    'Sample',
    'Window',
    'augment_sample',
    'compensate_box',
    'flip_boxes',
    'flip_events',
    'ncaltech_box_shift',
    'shift_boxes',
    'shift_events',
]
