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

"""Model configuration: the architecture registry and the ModelConfig of every checkpoint.

The four architectures of the paper are described by :class:`ArchSpec`: submanifold 3x3 convs
grouped in resolution levels (a 3x3/2 max-pool between consecutive levels), then a strided 3x3/2
conv head, then one linear layer (classification) or two with a ReLU between them (YOLO detection).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from asynet_core.errors import ConfigError
from asynet_core.window import WindowSpec

__all__ = [
    'ARCHS',
    'DEFAULT_WINDOW',
    'REPRESENTATION_CHANNELS',
    'ArchSpec',
    'ModelConfig',
    'pooled_size',
    'strided_size',
]

Task = Literal['classification', 'detection']
Backbone = Literal['sparse', 'dense']

#: The window of a model whose checkpoint does not say (the paper's 25 000 events).
DEFAULT_WINDOW = WindowSpec(events=25_000)

#: Input channels per representation (histogram: OFF, ON counts; event queue: 15 ages, 15 signs).
REPRESENTATION_CHANNELS: dict[str, int] = {'histogram': 2, 'event_queue': 30}


def pooled_size(n: int) -> int:
    """Output length of a 3x3 stride-2 valid max-pool (or strided conv) over ``n`` sites."""
    return (n - 3) // 2 + 1


def strided_size(n: int) -> int:
    """Output length of the 3x3 stride-2 unpadded head conv over ``n`` sites."""
    return (n - 3) // 2 + 1


@dataclass(frozen=True)
class ArchSpec:
    """Topology of one sparse VGG variant.

    Attributes:
        name: registry key.
        task: ``classification`` or ``detection``.
        input_size: model input (height, width) in sites.
        levels: output channels of the submanifold convs of each resolution level; a max-pool
            follows every level but the last.
        head_channels: output channels of the strided head conv.
        fc_hidden: hidden width of the detection head (``linear_1``), ``None`` for classification.
    """

    name: str
    task: Task
    input_size: tuple[int, int]
    levels: tuple[tuple[int, ...], ...]
    head_channels: int
    fc_hidden: int | None = None

    def level_sizes(self) -> list[tuple[int, int]]:
        """(height, width) of every resolution level, first level = input size."""
        h, w = self.input_size
        sizes = [(h, w)]
        for _ in self.levels[1:]:
            h, w = pooled_size(h), pooled_size(w)
            sizes.append((h, w))
        return sizes

    def grid_size(self) -> tuple[int, int]:
        """(height, width) of the head output (the YOLO grid for detection)."""
        h, w = self.level_sizes()[-1]
        return strided_size(h), strided_size(w)


_BLOCKS_4 = ((16, 16), (32, 32), (64, 64), (128, 128))

ARCHS: dict[str, ArchSpec] = {
    'ncaltech101': ArchSpec(
        'ncaltech101', 'classification', (191, 255), (*_BLOCKS_4, (256, 256), (512,)), 256
    ),
    'ncars': ArchSpec('ncars', 'classification', (95, 127), (*_BLOCKS_4, (256,)), 128),
    'ncaltech101_det': ArchSpec(
        'ncaltech101_det', 'detection', (191, 255), (*_BLOCKS_4, (256, 256)), 256, 1024
    ),
    'gen1_det': ArchSpec('gen1_det', 'detection', (223, 287), (*_BLOCKS_4, (256, 256)), 256, 1024),
    # Not from the paper: a compact detector (about 2 M parameters, 8 MB) for Gen1-sized sensors
    # at half resolution (304x240 -> 152x120 by the floor mapping), small enough to ship as the
    # bundled demo model; grid 6x8.
    'small_det': ArchSpec('small_det', 'detection', (120, 152), _BLOCKS_4, 128, 256),
}


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model; saved as ``model_args`` in every checkpoint.

    Attributes:
        arch: key of :data:`ARCHS`.
        num_classes: number of classes (detection: object classes, without background).
        representation: ``histogram`` (2 channels) or ``event_queue`` (30 channels).
        backbone: ``sparse`` (spconv) or ``dense`` (torch ``Conv2d``) network.
        num_boxes: boxes per YOLO cell (detection only).
        bn_eps: BatchNorm epsilon (1e-4, as SparseConvNet).
        class_names: optional class names, ``len == num_classes`` when given.
        sensor_size: optional (width, height) of the sensor the model was trained on (metadata).
        window: the event window the model was trained on (``None``: unknown; the pipeline then
            uses :data:`DEFAULT_WINDOW`).
    """

    arch: str
    num_classes: int
    representation: str = 'histogram'
    backbone: Backbone = 'sparse'
    num_boxes: int = 2
    bn_eps: float = 1e-4
    class_names: tuple[str, ...] = ()
    sensor_size: tuple[int, int] | None = None
    window: WindowSpec | None = None

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ConfigError(f'unknown arch {self.arch!r}; valid choices: {sorted(ARCHS)}')
        if self.representation not in REPRESENTATION_CHANNELS:
            raise ConfigError(
                f'unknown representation {self.representation!r}; '
                f'valid choices: {sorted(REPRESENTATION_CHANNELS)}'
            )
        if self.backbone not in ('sparse', 'dense'):
            raise ConfigError(
                f"unknown backbone {self.backbone!r}; valid choices: ['dense', 'sparse']"
            )
        if self.num_classes < 1:
            raise ConfigError(f'num_classes must be >= 1, got {self.num_classes}')
        if self.num_boxes < 1:
            raise ConfigError(f'num_boxes must be >= 1, got {self.num_boxes}')
        if self.class_names and len(self.class_names) != self.num_classes:
            raise ConfigError(
                f'{len(self.class_names)} class_names given for num_classes={self.num_classes}'
            )

    @property
    def spec(self) -> ArchSpec:
        """The architecture topology."""
        return ARCHS[self.arch]

    @property
    def task(self) -> Task:
        """``classification`` or ``detection``."""
        return self.spec.task

    @property
    def in_channels(self) -> int:
        """Input channels implied by the representation."""
        return REPRESENTATION_CHANNELS[self.representation]

    @property
    def input_size(self) -> tuple[int, int]:
        """Model input (height, width)."""
        return self.spec.input_size

    def output_channels(self) -> int:
        """Per-cell outputs of the detection head: ``num_classes + 5 * num_boxes``."""
        return self.num_classes + 5 * self.num_boxes

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists instead of tuples) for checkpoints and JSON."""
        d = dataclasses.asdict(self)
        d['class_names'] = list(self.class_names)
        d['sensor_size'] = list(self.sensor_size) if self.sensor_size is not None else None
        d['window'] = None if self.window is None else self.window.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Rebuild from :meth:`to_dict` output; unknown keys raise ConfigError naming them."""
        if not isinstance(d, dict):
            raise ConfigError(f'model config must be a dict, got {type(d).__name__}')
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f'unknown model config keys {unknown}; valid keys: {sorted(known)}')
        kw = dict(d)
        if 'class_names' in kw:
            kw['class_names'] = tuple(kw['class_names'])
        if kw.get('sensor_size') is not None:
            kw['sensor_size'] = tuple(kw['sensor_size'])
        if kw.get('window') is not None:
            kw['window'] = WindowSpec.from_dict(kw['window'])
        try:
            return cls(**kw)
        except TypeError as err:
            raise ConfigError(f'bad model config: {err}') from err
