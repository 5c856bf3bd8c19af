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

"""Shared parts of the dataset classes: samples, windows, augmentation, splits and layout checks.

Everything here is a pure function of its arguments (augmentation takes an explicit
``numpy.random.Generator``) and returns new arrays: no input array is ever modified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import os
from pathlib import Path
from typing import ClassVar
import zlib

import numpy as np

from asynet_core.errors import ConfigError
from asynet_core.events import SensorSize
from asynet_core.window import WindowSpec
from asynet_training.errors import (
    CorruptFileError,
    DatasetConfigError,
    DatasetError,
    DatasetLayoutError,
)

__all__ = [
    'EventDataset',
    'Sample',
    'Window',
    'augment_sample',
    'class_rng',
    'draw_augmentation',
    'flip_boxes',
    'flip_events',
    'make_rng',
    'shift_boxes',
    'shift_events',
    'stratified_split',
]

PathLike = str | os.PathLike[str]
RngLike = np.random.Generator | int | None
SPLITS = ('train', 'val', 'test')


@dataclass(frozen=True)
class Sample:
    """One dataset item.

    Attributes:
        events: the window's events, EVENT_DTYPE, sensor pixels, time-ordered.
        path: the event file the sample comes from.
        label: class index into ``dataset.classes`` (classification datasets), else ``None``.
        boxes: float32 [n, 5] rows (x, y, w, h, class index) in sensor pixels, (x, y) the
            top-left corner (detection datasets), else ``None``.
        t_us: the window end time in µs for detection samples (label time for Gen1), else
            ``None``.
    """

    events: np.ndarray
    path: Path
    label: int | None = None
    boxes: np.ndarray | None = None
    t_us: int | None = None


# ---------------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------------


#: ``window_events`` value that selects every event of a recording (datasets only).
ALL_EVENTS = -1


@dataclass(frozen=True)
class Window:
    """Which events of a recording form a sample.

    Either the last ``events`` events before the window end (:data:`ALL_EVENTS`: all events), or
    the events of the last ``us`` microseconds: ``t_end - us < t <= t_end``, t_end the last
    event's time. Apart from :data:`ALL_EVENTS`, the rules are the one window type's
    (:class:`~asynet_core.window.WindowSpec`).

    Raises:
        DatasetConfigError: both or neither of ``events`` and ``us`` set, or a length that is
            not a positive int (other than ``events=-1``).
    """

    events: int | None = None
    us: int | None = None

    def __post_init__(self) -> None:
        if self.events == ALL_EVENTS and self.us is None:
            return
        try:
            WindowSpec(self.events, self.us)
        except ConfigError as err:
            hint = '' if self.us is not None else f' (or {ALL_EVENTS}: all events)'
            raise DatasetConfigError(f'{err}{hint}') from None

    @classmethod
    def make(cls, window_events: int | None, window_us: int | None, default: int) -> Window:
        """The window for dataset arguments: ``default`` events when neither is given."""
        if window_events is None and window_us is None:
            return cls(events=default)
        return cls(events=window_events, us=window_us)

    def start(self, t: Sequence[int] | np.ndarray, end: int) -> int:
        """Index of the first event of the window that ends before index ``end`` of times ``t``."""
        if self.events is not None:
            return 0 if self.events == ALL_EVENTS else max(0, end - self.events)
        if end == 0:
            return 0
        first_t = int(t[end - 1]) - int(self.us or 0)
        return int(np.searchsorted(np.asarray(t[:end]), first_t, 'right'))

    def random_end(self, n: int, rng: np.random.Generator) -> int:
        """A random window end for training: a full event window anywhere in ``n`` events.

        Time windows (and windows of all events) always end at the last event.
        """
        if self.events is None or self.events == ALL_EVENTS or n <= self.events:
            return n
        return int(rng.integers(self.events, n + 1))


def make_rng(rng: RngLike) -> np.random.Generator:
    """``rng`` itself, or a new generator seeded with it (``None``: seed 0, still reproducible)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


# ---------------------------------------------------------------------------------------------
# Augmentation kernels (pure)
# ---------------------------------------------------------------------------------------------


def shift_events(events: np.ndarray, dx: int, dy: int, sensor: SensorSize) -> np.ndarray:
    """Events moved by (dx, dy) pixels; events that leave the sensor are dropped (new array)."""
    x = events['x'].astype(np.int64) + dx
    y = events['y'].astype(np.int64) + dy
    keep = (x >= 0) & (x < sensor.width) & (y >= 0) & (y < sensor.height)
    out = events[keep]  # boolean indexing copies
    out['x'] = x[keep]
    out['y'] = y[keep]
    return out


def flip_events(events: np.ndarray, sensor: SensorSize) -> np.ndarray:
    """Events mirrored left-right, ``x -> width - 1 - x`` (new array)."""
    out = events.copy()
    out['x'] = sensor.width - 1 - events['x'].astype(np.int64)
    return out


def shift_boxes(boxes: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Boxes [n, 5] (x, y, w, h, class) moved by (dx, dy) pixels (new array)."""
    out = boxes.copy()
    out[:, 0] += dx
    out[:, 1] += dy
    return out


def flip_boxes(boxes: np.ndarray, sensor: SensorSize) -> np.ndarray:
    """Boxes mirrored like :func:`flip_events`: pixels [x, x + w) become [W - x - w, W - x)."""
    out = boxes.copy()
    out[:, 0] = sensor.width - boxes[:, 0] - boxes[:, 2]
    return out


def _shift_range(
    max_shift: int, size: int, lows: np.ndarray, highs: np.ndarray
) -> tuple[int, int]:
    if lows.size == 0:
        return -max_shift, max_shift
    lo = max(-max_shift, -int(np.floor(lows.min())))
    hi = min(max_shift, int(np.floor(size - highs.max())))
    return (lo, hi) if lo <= hi else (0, 0)


def draw_augmentation(
    rng: np.random.Generator,
    sensor: SensorSize,
    max_shift: int,
    boxes: np.ndarray | None = None,
) -> tuple[int, int, bool]:
    """Draw (dx, dy, flip): a shift in ``[-max_shift, max_shift]`` and a flip with p = 0.5.

    With ``boxes`` the shift is narrowed so that every box stays inside the sensor.
    """
    b = boxes if boxes is not None and boxes.size else np.zeros((0, 5), dtype=np.float32)
    x_lo, x_hi = _shift_range(max_shift, sensor.width, b[:, 0], b[:, 0] + b[:, 2])
    y_lo, y_hi = _shift_range(max_shift, sensor.height, b[:, 1], b[:, 1] + b[:, 3])
    dx = int(rng.integers(x_lo, x_hi + 1))
    dy = int(rng.integers(y_lo, y_hi + 1))
    return dx, dy, bool(rng.random() < 0.5)


def augment_sample(
    events: np.ndarray,
    boxes: np.ndarray | None,
    sensor: SensorSize,
    rng: np.random.Generator,
    max_shift: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Random shift (dropping events that leave the frame) then a random horizontal flip.

    Returns new arrays; boxes (if any) are transformed like the events.
    """
    dx, dy, flip = draw_augmentation(rng, sensor, max_shift, boxes)
    events = shift_events(events, dx, dy, sensor)
    boxes = None if boxes is None else shift_boxes(boxes, dx, dy)
    if flip:
        events = flip_events(events, sensor)
        boxes = None if boxes is None else flip_boxes(boxes, sensor)
    return events, boxes


# ---------------------------------------------------------------------------------------------
# Splits and layout
# ---------------------------------------------------------------------------------------------


def class_rng(seed: int, class_name: str) -> np.random.Generator:
    """The split generator of one class: seeded by (seed, CRC-32 of the class name).

    It depends on nothing else, so adding or removing a class never changes another's split.
    """
    return np.random.default_rng([seed, zlib.crc32(class_name.encode('utf-8'))])


def stratified_split(
    files: Sequence[Path], fractions: dict[str, float], rng: np.random.Generator
) -> dict[str, list[Path]]:
    """Split one class's files: a seeded permutation of the sorted files, cut in order.

    Every split but the first gets ``int(n * fraction + 0.5)`` files; the first gets the rest.
    Each returned list is sorted.
    """
    ordered = sorted(files)
    perm = rng.permutation(len(ordered))
    names = list(fractions)
    sizes = {name: int(len(ordered) * fractions[name] + 0.5) for name in names[1:]}
    parts: dict[str, list[Path]] = {}
    pos = 0
    for name in names[1:]:
        parts[name] = sorted(ordered[i] for i in perm[pos : pos + sizes[name]])
        pos += sizes[name]
    parts[names[0]] = sorted(ordered[i] for i in perm[pos:])
    return parts


def check_split(split: str) -> str:
    """``split`` itself if it is 'train', 'val' or 'test'.

    Raises:
        DatasetConfigError: another value.
    """
    if split not in SPLITS:
        raise DatasetConfigError(f'unknown split {split!r}; valid choices: {list(SPLITS)}')
    return split


def require_dir(path: Path, expected: str) -> Path:
    """``path`` if it is a directory.

    Raises:
        DatasetLayoutError: naming ``path`` and the ``expected`` layout.
    """
    if not path.is_dir():
        raise DatasetLayoutError(f'{path}: directory not found; expected {expected}')
    return path


def class_dirs(directory: Path, expected: str, skip: Sequence[str] = ()) -> list[str]:
    """Sorted names of the sub-directories of ``directory`` (without ``skip``).

    Raises:
        DatasetLayoutError: ``directory`` is missing or has no class sub-directories.
    """
    require_dir(directory, expected)
    names = sorted(p.name for p in directory.iterdir() if p.is_dir() and p.name not in skip)
    if not names:
        raise DatasetLayoutError(f'{directory}: no class directories; expected {expected}')
    return names


def list_files(directory: Path, pattern: str) -> list[Path]:
    """Sorted files of ``directory`` matching the glob ``pattern``."""
    return sorted(p for p in directory.glob(pattern) if p.is_file())


# ---------------------------------------------------------------------------------------------
# Base class
# ---------------------------------------------------------------------------------------------


class EventDataset:
    """Base of the dataset classes (``torch.utils.data.Dataset``-compatible, map-style).

    Corrupt files are found at construction by cheap structural checks (headers, file sizes,
    annotation and label files). With ``strict=True`` the first one raises its
    :class:`CorruptFileError` (or :class:`MissingPairError`); otherwise it is left out and
    recorded in :attr:`skipped` as (path, reason). A problem found only when a sample is read
    (e.g. an event outside the sensor) always raises :class:`CorruptFileError` naming the file.

    Augmentation (``augment=True``) draws from one generator, so a dataset shared by several
    DataLoader workers gets a copy of the generator in each worker; seed per worker if needed.

    Attributes:
        sensor: the frame all events lie in.
        classes: sorted class names; labels index into it.
        window: the event window of a sample.
        skipped: the files left out, with the reason.
    """

    sensor: ClassVar[SensorSize]
    default_window_events: ClassVar[int]
    default_max_shift: ClassVar[int]

    def __init__(
        self,
        *,
        window_events: int | None,
        window_us: int | None,
        augment: bool,
        rng: RngLike,
        strict: bool,
        max_shift: int | None,
    ) -> None:
        self.window = Window.make(window_events, window_us, self.default_window_events)
        self.augment = augment
        self.rng = make_rng(rng)
        self.strict = strict
        self.max_shift = self.default_max_shift if max_shift is None else max_shift
        if self.max_shift < 0:
            raise DatasetConfigError(f'max_shift must be >= 0, got {self.max_shift}')
        self.classes: list[str] = []
        self.skipped: list[tuple[Path, str]] = []

    def _reject(self, path: Path, err: DatasetError) -> None:
        if self.strict:
            raise err
        self.skipped.append((path, str(err)))

    def _check_index(self, index: int) -> int:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f'{type(self).__name__} index {index} out of range for {n} samples')
        return index % n

    def __len__(self) -> int:
        raise NotImplementedError

    def _check_declared_sensor(self, path: Path, header: Mapping[str, object]) -> None:
        """Raise CorruptFileError if the header's ``width`` / ``height`` exceed :attr:`sensor`."""
        width, height = header.get('width'), header.get('height')
        for side, value, limit in (('width', width, self.sensor.width),
                                   ('height', height, self.sensor.height)):  # fmt: skip
            if isinstance(value, int) and value > limit:
                raise CorruptFileError(
                    f'{path}: the header declares a {width or "?"}x{height or "?"} sensor '
                    f'({side} {value}), larger than the {self.sensor.width}x{self.sensor.height} '
                    f'sensor of {type(self).__name__}; convert the recording to fit (e.g. '
                    f'asynet-bag2dataset --resize-to {self.sensor.width}x{self.sensor.height})'
                )

    def _check_sensor(self, path: Path, events: np.ndarray) -> None:
        limits = (('x', 'width', self.sensor.width), ('y', 'height', self.sensor.height))
        for field, side, limit in limits:
            bad = np.flatnonzero(events[field] >= limit)
            if bad.size:
                i = int(bad[0])
                raise CorruptFileError(
                    f'{path}: event {i} has {field}={events[field][i]}, outside the '
                    f'{self.sensor.width}x{self.sensor.height} sensor ({side} {limit})'
                )

    def _classify(self, path: Path, events: np.ndarray, label: int) -> Sample:
        """A classification sample: window (random end when augmenting), then augmentation."""
        self._check_sensor(path, events)
        end = self.window.random_end(len(events), self.rng) if self.augment else len(events)
        events = events[self.window.start(events['t'], end) : end].copy()
        if self.augment:
            events, _ = augment_sample(events, None, self.sensor, self.rng, self.max_shift)
        return Sample(events=events, path=path, label=label)
