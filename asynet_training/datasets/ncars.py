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

"""N-Cars (Sironi et al., CVPR 2018) from the official Prophesee DAT release.

Layout::

    root/n-cars_train/{background,cars}/*.dat
    root/n-cars_test/{background,cars}/*.dat

Classes ``['background', 'cars']`` (sorted). 'val' is carved from ``n-cars_train``: per class, a
seeded permutation of the sorted files gives ``int(n * val_fraction + 0.5)`` files to 'val' and the
rest to 'train', so train and val never overlap and the split is the same on every machine.
"""

from __future__ import annotations

from pathlib import Path

from asynet_core.events import SensorSize
from asynet_training.datasets.base import (
    check_split,
    class_rng,
    EventDataset,
    list_files,
    PathLike,
    require_dir,
    RngLike,
    Sample,
    stratified_split,
)
from asynet_training.errors import CorruptFileError, DatasetConfigError, DatasetLayoutError
from asynet_training.formats import dat_info, read_dat

__all__ = ['NCars']

_CLASSES = ['background', 'cars']
_LAYOUT = 'root/n-cars_{train,test}/{background,cars}/*.dat'


class NCars(EventDataset):
    """The N-Cars classification dataset (100x120 frame; paper window 25 000 events).

    Args:
        root: the directory holding ``n-cars_train`` and ``n-cars_test``.
        split: 'train', 'val' or 'test'.
        window_events: events per sample (the last ones; -1 = all); default 25 000.
        window_us: alternatively, the last ``window_us`` microseconds.
        augment: random window position, shift (±``max_shift`` px, default 10) and flip.
        rng: generator (or seed) for augmentation.
        strict: raise on a corrupt file instead of skipping and recording it.
        seed: seed of the train/val carving.
        val_fraction: fraction of each class of ``n-cars_train`` that goes to 'val'.
        max_shift: augmentation shift bound in pixels.

    Raises:
        DatasetLayoutError: missing root, split or class directory, or unexpected class dirs.
        DatasetConfigError: unknown split or invalid window / fraction.
        CorruptFileError: (strict) a file with a bad header or a truncated event area.
    """

    sensor = SensorSize(width=120, height=100)
    default_window_events = 25_000
    default_max_shift = 10

    def __init__(
        self,
        root: PathLike,
        split: str,
        *,
        window_events: int | None = None,
        window_us: int | None = None,
        augment: bool = False,
        rng: RngLike = None,
        strict: bool = True,
        seed: int = 42,
        val_fraction: float = 0.1,
        max_shift: int | None = None,
    ) -> None:
        super().__init__(
            window_events=window_events,
            window_us=window_us,
            augment=augment,
            rng=rng,
            strict=strict,
            max_shift=max_shift,
        )
        if not 0.0 <= val_fraction < 1.0:
            raise DatasetConfigError(f'val_fraction must be in [0, 1), got {val_fraction}')
        self.root = require_dir(Path(root), _LAYOUT)
        self.split = check_split(split)
        self.classes = list(_CLASSES)
        self.items: list[tuple[Path, int]] = []
        folder = self.root / ('n-cars_test' if split == 'test' else 'n-cars_train')
        for label, name in enumerate(self.classes):
            files = self._split_files(folder, name, seed, val_fraction)
            self.items += [(f, label) for f in files if self._usable(f)]

    def _split_files(self, folder: Path, name: str, seed: int, val_fraction: float) -> list[Path]:
        require_dir(folder, _LAYOUT)
        _check_class_dirs(folder)
        files = list_files(folder / name, '*.dat')
        if not files:
            raise DatasetLayoutError(f'{folder / name}: no .dat files; expected {_LAYOUT}')
        if self.split == 'test':
            return files
        fractions = {'train': 1.0 - val_fraction, 'val': val_fraction}
        return stratified_split(files, fractions, class_rng(seed, name))[self.split]

    def _usable(self, path: Path) -> bool:
        try:
            self._check_declared_sensor(path, dat_info(path).header)
        except CorruptFileError as err:
            self._reject(path, err)
            return False
        return True

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Sample:
        path, label = self.items[self._check_index(index)]
        events, _ = read_dat(path)
        return self._classify(path, events, label)


def _check_class_dirs(folder: Path) -> None:
    found = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if found != _CLASSES:
        raise DatasetLayoutError(
            f'{folder}: class directories {found}, expected exactly {_CLASSES} ({_LAYOUT})'
        )
