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


"""Options of ``asynet-bag2dataset``: :class:`ConvertConfig`, :data:`FORMATS` and their checks.

:class:`ConvertConfig` checks itself on construction and raises :class:`Bag2DatasetError` naming
the bad option; :data:`FORMATS` holds each format's splits, default window and the sensor (frame)
of the dataset class that reads it, which every converted event must fit. (The frames are inside
the file formats' own limits: 14-bit x, y in DAT; 8-bit x, y and y < 240 in the N-Caltech .bin.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from asynet_core.events import SensorSize
from asynet_tools.bag2dataset.errors import Bag2DatasetError
from asynet_tools.bag2dataset.geometry import Geometry
from asynet_training.datasets import Gen1, NCaltech101Bin, NCars

__all__ = ['FORMATS', 'NCARS_CLASSES', 'Bag2DatasetError', 'ConvertConfig']

NCARS_CLASSES = ('background', 'cars')


@dataclass(frozen=True)
class _Format:
    splits: tuple[str, ...]
    default_window: tuple[str, int] | None  # ('events' | 'us', value); None: whole recording
    frame: SensorSize  # the frame the training dataset class reads
    reader: str


FORMATS = {
    'gen1': _Format(('train', 'val', 'test'), None, Gen1.sensor, 'Gen1'),
    'ncars': _Format(('train', 'test'), ('us', 100_000), NCars.sensor, 'NCars'),
    'ncaltech101': _Format((), ('events', 50_000), NCaltech101Bin.sensor, 'NCaltech101Bin'),
}


@dataclass(frozen=True)
class ConvertConfig:
    """What to write; checked on construction (:class:`Bag2DatasetError` naming the option)."""

    fmt: str
    out: Path
    topic: str | None = None
    labels_topic: str | None = None
    split: str | None = None
    class_name: str | None = None
    window_us: int | None = None
    window_events: int | None = None
    classes: tuple[str, ...] = ()
    overwrite: bool = False
    geometry: Geometry = field(default_factory=Geometry)
    labels_bag: Path | None = None
    label_info_topic: str | None = None
    sensor: SensorSize | None = None  # an event file's size where its header gives none

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise Bag2DatasetError(f'unknown --format {self.fmt!r}; valid: {sorted(FORMATS)}')
        _check_split(self)
        _check_class_name(self)
        _check_window(self)
        labels = (self.labels_topic, self.classes, self.labels_bag, self.label_info_topic)
        if self.fmt != 'gen1' and any(labels):
            raise Bag2DatasetError(
                '--labels-topic, --labels-bag, --label-info-topic and --classes are only used by '
                '--format gen1'
            )
        if len(set(self.classes)) != len(self.classes):
            raise Bag2DatasetError(f'--classes {",".join(self.classes)}: a name is repeated')

    @property
    def wants_labels(self) -> bool:
        """Whether labels are read (a labels topic or a labels bag is given)."""
        return bool(self.labels_topic or self.labels_bag)

    @property
    def spec(self) -> _Format:
        """The format's limits and defaults."""
        return FORMATS[self.fmt]

    def window(self) -> tuple[str, int]:
        """('events' | 'us', length) of the samples (ncars, ncaltech101)."""
        if self.window_events is not None:
            return 'events', self.window_events
        if self.window_us is not None:
            return 'us', self.window_us
        return self.spec.default_window or ('events', -1)


def _check_split(c: ConvertConfig) -> None:
    splits = c.spec.splits
    if c.split is not None and c.split not in splits:
        why = {
            'ncars': 'the NCars reader carves val from n-cars_train',
            'ncaltech101': 'the NCaltech101Bin reader splits each class folder itself',
        }.get(c.fmt, 'unknown split')
        raise Bag2DatasetError(
            f'--split {c.split} is not valid for --format {c.fmt} ({why}); valid: {list(splits)}'
        )


def _check_class_name(c: ConvertConfig) -> None:
    if c.fmt == 'gen1':
        if c.class_name is not None:
            raise Bag2DatasetError('--class-name is not used by --format gen1 (use --classes)')
        return
    if not c.class_name:
        raise Bag2DatasetError(f'--format {c.fmt} needs --class-name (the class folder)')
    if c.fmt == 'ncars' and c.class_name not in NCARS_CLASSES:
        raise Bag2DatasetError(
            f'--class-name {c.class_name!r} is not an N-Cars class; valid: {list(NCARS_CLASSES)}'
        )
    if c.class_name in ('.', '..') or '/' in c.class_name or '\\' in c.class_name:
        raise Bag2DatasetError(f'--class-name {c.class_name!r} is not a folder name')


def _check_window(c: ConvertConfig) -> None:
    given = [
        (k, v) for k, v in (('events', c.window_events), ('us', c.window_us)) if v is not None
    ]
    if c.fmt == 'gen1' and given:
        raise Bag2DatasetError('--format gen1 writes the whole recording: no --window-* options')
    if len(given) > 1:
        raise Bag2DatasetError('give one of --window-us and --window-events, not both')
    if given and given[0][1] < 1:
        raise Bag2DatasetError(f'--window-{given[0][0]} must be >= 1, got {given[0][1]}')
