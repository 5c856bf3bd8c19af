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

"""N-Caltech101 (Orchard et al. 2015): classification and detection datasets.

Classification reads the EST ``.npy`` release or the original ``.bin`` release; detection reads
the original ``.bin`` events plus box annotations.

Layouts::

    EST release (NCaltech101):       root/{training,validation,testing}/<class>/*.npy
    Original release (NCaltech101Bin, NCaltech101Detection):
                                     root/Caltech101/<class>/image_XXXX.bin
                                     root/Caltech101_annotations/<class>/annotation_XXXX.bin

Frame 180x240 (height x width). Classes are the sorted class folder names (of ``training`` for the
EST release); ``BACKGROUND_Google`` is skipped in the original release and not counted as a class.
The original release has no split: per class a generator seeded by (seed, class name) permutes the
sorted files, 20 % go to 'test', 10 % to 'val', the rest (about 70 %) to 'train'.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from asynet_core.events import SensorSize
from asynet_training.datasets.base import (
    augment_sample,
    check_split,
    class_dirs,
    class_rng,
    EventDataset,
    list_files,
    PathLike,
    require_dir,
    RngLike,
    Sample,
    stratified_split,
)
from asynet_training.errors import (
    CorruptFileError,
    DatasetError,
    DatasetLayoutError,
    MissingPairError,
)
from asynet_training.formats import read_est_npy, read_ncaltech_annotation, read_ncaltech_bin

__all__ = [
    'NCaltech101',
    'NCaltech101Bin',
    'NCaltech101Detection',
    'compensate_box',
    'ncaltech_box_shift',
]

SENSOR = SensorSize(width=240, height=180)
SKIPPED_CLASSES = ('BACKGROUND_Google',)
SPLIT_FRACTIONS = {'train': 0.7, 'test': 0.2, 'val': 0.1}
_EST_DIRS = {'train': 'training', 'val': 'validation', 'test': 'testing'}
_EST_LAYOUT = 'root/{training,validation,testing}/<class>/*.npy'
_BIN_LAYOUT = 'root/Caltech101/<class>/image_XXXX.bin'
_DET_LAYOUT = (
    'root/Caltech101/<class>/image_XXXX.bin and '
    'root/Caltech101_annotations/<class>/annotation_XXXX.bin'
)


class _NCaltechBase(EventDataset):
    sensor = SENSOR
    default_window_events = 50_000
    default_max_shift = 20

    def __init__(
        self,
        window_events: int | None,
        window_us: int | None,
        augment: bool,
        rng: RngLike,
        strict: bool,
        max_shift: int | None,
    ) -> None:
        super().__init__(
            window_events=window_events,
            window_us=window_us,
            augment=augment,
            rng=rng,
            strict=strict,
            max_shift=max_shift,
        )
        self.items: list[tuple[Path, int]] = []

    def __len__(self) -> int:
        return len(self.items)

    def _usable(self, path: Path, record: int) -> bool:
        size = path.stat().st_size
        if size and size % record == 0:
            return True
        self._reject(
            path,
            CorruptFileError(
                f'{path}: {size} bytes is not a positive multiple of the {record}-byte record'
            ),
        )
        return False


class NCaltech101(_NCaltechBase):
    """N-Caltech101 classification from the EST release (``.npy`` float [N, 4], t in seconds).

    Args:
        root: the directory holding ``training``, ``validation`` and ``testing``.
        split: 'train', 'val' or 'test' (the release's folders).
        window_events: events per sample (the last ones; -1 = all); default 50 000.
        window_us: alternatively, the last ``window_us`` microseconds.
        augment: random window position, shift (±``max_shift`` px, default 20) and flip.
        rng: generator (or seed) for augmentation.
        strict: raise on a corrupt file instead of skipping and recording it.
        max_shift: augmentation shift bound in pixels.

    Raises:
        DatasetLayoutError: missing root or split folder, no class folders, or a class folder
            of the split that ``training`` lacks.
        DatasetConfigError: unknown split or invalid window.
    """

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
        max_shift: int | None = None,
    ) -> None:
        super().__init__(window_events, window_us, augment, rng, strict, max_shift)
        self.root = require_dir(Path(root), _EST_LAYOUT)
        self.split = check_split(split)
        self.classes = class_dirs(self.root / 'training', _EST_LAYOUT)
        folder = self.root / _EST_DIRS[split]
        for name in class_dirs(folder, _EST_LAYOUT):
            if name not in self.classes:
                raise DatasetLayoutError(
                    f'{folder / name}: class folder not in {self.root / "training"} '
                    f'({_EST_LAYOUT})'
                )
            label = self.classes.index(name)
            self.items += [(f, label) for f in list_files(folder / name, '*.npy') if self._ok(f)]

    def _ok(self, path: Path) -> bool:
        try:
            _check_npy_header(path)
        except CorruptFileError as err:
            self._reject(path, err)
            return False
        return True

    def __getitem__(self, index: int) -> Sample:
        path, label = self.items[self._check_index(index)]
        return self._classify(path, read_est_npy(path), label)


def _check_npy_header(path: Path) -> None:
    try:
        with path.open('rb') as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    except (OSError, ValueError, EOFError) as err:
        raise CorruptFileError(f'{path}: not a readable .npy file: {err}') from err
    if len(shape) != 2 or shape[1] != 4 or dtype.kind not in 'fiu':
        raise CorruptFileError(
            f'{path}: expected a real [N, 4] array (x, y, t, p), got shape {shape} dtype {dtype}'
        )


def _original_split(
    folder: Path, seed: int, split: str, layout: str
) -> tuple[list[str], list[tuple[Path, int]]]:
    classes = class_dirs(folder, layout, skip=SKIPPED_CLASSES)
    items: list[tuple[Path, int]] = []
    for label, name in enumerate(classes):
        files = list_files(folder / name, 'image_*.bin')
        if not files:
            raise DatasetLayoutError(f'{folder / name}: no image_XXXX.bin files ({layout})')
        chosen = stratified_split(files, SPLIT_FRACTIONS, class_rng(seed, name))[split]
        items += [(f, label) for f in chosen]
    return classes, items


class NCaltech101Bin(_NCaltechBase):
    """N-Caltech101 classification from the original ``.bin`` release with a seeded split.

    Args:
        root: the directory holding ``Caltech101``.
        split: 'train', 'val' or 'test' (70 / 10 / 20 % of each class, seeded by ``seed``).
        seed: seed of the split.
        window_events: events per sample (the last ones; -1 = all); default 50 000.
        window_us: alternatively, the last ``window_us`` microseconds.
        augment: random window position, shift (±``max_shift`` px, default 20) and flip.
        rng: generator (or seed) for augmentation.
        strict: raise on a corrupt file instead of skipping and recording it.
        max_shift: augmentation shift bound in pixels.

    Raises:
        DatasetLayoutError: missing root or ``Caltech101``, no classes, or an empty class.
        DatasetConfigError: unknown split or invalid window.
    """

    def __init__(
        self,
        root: PathLike,
        split: str,
        seed: int = 42,
        *,
        window_events: int | None = None,
        window_us: int | None = None,
        augment: bool = False,
        rng: RngLike = None,
        strict: bool = True,
        max_shift: int | None = None,
    ) -> None:
        super().__init__(window_events, window_us, augment, rng, strict, max_shift)
        self.root = require_dir(Path(root), _BIN_LAYOUT)
        self.split = check_split(split)
        self.classes, items = _original_split(self.root / 'Caltech101', seed, split, _BIN_LAYOUT)
        self.items = [(f, label) for f, label in items if self._usable(f, 5)]

    def __getitem__(self, index: int) -> Sample:
        path, label = self.items[self._check_index(index)]
        return self._classify(path, read_ncaltech_bin(path), label)


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------


def ncaltech_box_shift(t_us: int) -> tuple[float, float]:
    """Box motion (dx, dy) in pixels at time ``t_us`` of an N-Caltech101 recording.

    The recording moves the sensor in three 100 ms saccades; the annotation is the box at rest:

    ==============  ========================  ====================
    t               dx                        dy
    ==============  ========================  ====================
    < 100 ms        3.5 t / 100               7 t / 100
    100 - 200 ms    3.5 + 3.5 (t - 100) / 100  7 - 7 (t - 100) / 100
    200 - 300 ms    7 - 7 (t - 200) / 100     0
    later           0                         0
    ==============  ========================  ====================
    """
    t = t_us / 1000.0
    if t < 100:
        return 3.5 * t / 100, 7.0 * t / 100
    if t < 200:
        return 3.5 + 3.5 * (t - 100) / 100, 7.0 - 7.0 * (t - 100) / 100
    if t < 300:
        return 7.0 - 7.0 * (t - 200) / 100, 0.0
    return 0.0, 0.0


def compensate_box(
    box: tuple[int, int, int, int], t_us: int, sensor: SensorSize = SENSOR
) -> tuple[float, float, float, float]:
    """The annotated box (x, y, w, h) moved by :func:`ncaltech_box_shift` and clipped to the frame.

    Clipping keeps the corners within ``[0, width] x [0, height]``, so w and h may shrink.
    """
    dx, dy = ncaltech_box_shift(t_us)
    x0 = min(max(box[0] + dx, 0.0), sensor.width)
    y0 = min(max(box[1] + dy, 0.0), sensor.height)
    x1 = min(max(box[0] + box[2] + dx, 0.0), sensor.width)
    y1 = min(max(box[1] + box[3] + dy, 0.0), sensor.height)
    return x0, y0, x1 - x0, y1 - y0


class NCaltech101Detection(_NCaltechBase):
    """N-Caltech101 detection: one box per recording, motion-compensated to the window end.

    A sample's box is the annotation moved by :func:`compensate_box` for the time of the last
    event of its window, then (training) shifted and flipped with the events; the shift is bounded
    so the box stays in the frame. ``boxes`` is float32 [1, 5] (x, y, w, h, class index).

    Args:
        root: the directory holding ``Caltech101`` and ``Caltech101_annotations``.
        split: 'train', 'val' or 'test' (70 / 10 / 20 % of each class, seeded by ``seed``).
        seed: seed of the split.
        window_events: events per sample (the last ones; -1 = all); default 25 000.
        window_us: alternatively, the last ``window_us`` microseconds.
        augment: random window position, shift (±``max_shift`` px, default 20) and flip.
        rng: generator (or seed) for augmentation.
        strict: raise on a corrupt file or a missing pair instead of skipping and recording it.
        max_shift: augmentation shift bound in pixels.

    Raises:
        DatasetLayoutError: missing root, ``Caltech101`` or ``Caltech101_annotations``.
        MissingPairError: (strict) an image without annotation or an annotation without image.
        CorruptFileError: (strict) a truncated event file or an unreadable annotation.
    """

    default_window_events = 25_000

    def __init__(
        self,
        root: PathLike,
        split: str,
        seed: int = 42,
        *,
        window_events: int | None = None,
        window_us: int | None = None,
        augment: bool = False,
        rng: RngLike = None,
        strict: bool = True,
        max_shift: int | None = None,
    ) -> None:
        super().__init__(window_events, window_us, augment, rng, strict, max_shift)
        self.root = require_dir(Path(root), _DET_LAYOUT)
        self.split = check_split(split)
        images = self.root / 'Caltech101'
        annotations = require_dir(self.root / 'Caltech101_annotations', _DET_LAYOUT)
        self.classes, items = _original_split(images, seed, split, _DET_LAYOUT)
        self._check_orphan_annotations(images, annotations)
        self.boxes: list[tuple[int, int, int, int]] = []
        for path, label in items:
            box = (
                self._load_box(path, annotations / path.parent.name)
                if self._usable(path, 5)
                else None
            )
            if box is not None:
                self.items.append((path, label))
                self.boxes.append(box)

    def _load_box(self, image: Path, folder: Path) -> tuple[int, int, int, int] | None:
        annotation = folder / image.name.replace('image_', 'annotation_', 1)
        try:
            if not annotation.is_file():
                raise MissingPairError(
                    f'{image}: event file has no annotation; expected {annotation}'
                )
            return read_ncaltech_annotation(annotation)
        except DatasetError as err:
            self._reject(image, err)
            return None

    def _check_orphan_annotations(self, images: Path, annotations: Path) -> None:
        for name in class_dirs(annotations, _DET_LAYOUT, skip=SKIPPED_CLASSES):
            for annotation in list_files(annotations / name, 'annotation_*.bin'):
                image = images / name / annotation.name.replace('annotation_', 'image_', 1)
                if not image.is_file():
                    self._reject(
                        annotation,
                        MissingPairError(
                            f'{annotation}: annotation has no event file; expected {image}'
                        ),
                    )

    def __getitem__(self, index: int) -> Sample:
        index = self._check_index(index)
        path, label = self.items[index]
        events = read_ncaltech_bin(path)
        self._check_sensor(path, events)
        end = self.window.random_end(len(events), self.rng) if self.augment else len(events)
        events = events[self.window.start(events['t'], end) : end].copy()
        t_end = int(events['t'][-1]) if len(events) else 0
        box = compensate_box(self.boxes[index], t_end)
        boxes: np.ndarray | None = np.array([[*box, label]], dtype=np.float32)
        if self.augment:
            events, boxes = augment_sample(events, boxes, self.sensor, self.rng, self.max_shift)
        return Sample(events=events, path=path, boxes=boxes, t_us=t_end)
