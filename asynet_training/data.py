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

"""From a :class:`~asynet_training.config.DataConfig` to the datasets of a run.

Real datasets are read where ``data.root`` points. The synthetic ones are generated there
first when the folder is empty (seeded by ``data.synthetic_seed``), in the on-disk layout of a
real dataset, so training reads them through the same readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from asynet_core.events import SensorSize
from asynet_training.config import DataConfig
from asynet_training.datasets import Gen1, NCaltech101, NCaltech101Bin, NCaltech101Detection, NCars
from asynet_training.synthetic import (
    GEN1_SHAPE_CLASSES,
    SHAPE_CLASSES,
    write_synthetic_classification,
    write_synthetic_detection,
)

__all__ = ['READERS', 'DataBundle', 'build_data', 'prepare_root']


@dataclass(frozen=True)
class DataBundle:
    """The datasets of a run and what the model needs to know about them."""

    train: Dataset[Any]
    val: Dataset[Any] | None
    sensor: SensorSize
    class_names: tuple[str, ...]
    task: str  # 'classification' or 'detection'


#: Reader class and task of every dataset name.
READERS: dict[str, tuple[type[Any], str]] = {
    'ncars': (NCars, 'classification'),
    'ncaltech101': (NCaltech101, 'classification'),
    'ncaltech101_bin': (NCaltech101Bin, 'classification'),
    'ncaltech101_det': (NCaltech101Detection, 'detection'),
    'gen1': (Gen1, 'detection'),
    'synthetic_cls': (NCaltech101, 'classification'),
    'synthetic_det': (Gen1, 'detection'),
}


def _generate(config: DataConfig, root: Path) -> None:
    """Write the synthetic dataset into an empty or missing ``root``."""
    if root.exists() and any(root.iterdir()):
        return
    sizes = {'num_train': config.synthetic_train, 'num_val': config.synthetic_val,
             'num_test': config.synthetic_test, 'seed': config.synthetic_seed}  # fmt: skip
    if config.dataset == 'synthetic_cls':
        write_synthetic_classification(root, layout='ncaltech101', classes=SHAPE_CLASSES, **sizes)
    else:
        write_synthetic_detection(root, layout='gen1', **sizes)


def prepare_root(config: DataConfig) -> Path:
    """``config.root``, a synthetic dataset generated into it first when it is empty or missing.

    A real dataset's root is returned as it is (its reader says what is missing).
    """
    root = Path(config.root)
    if config.dataset.startswith('synthetic'):
        _generate(config, root)
    return root


def build_data(config: DataConfig, seed: int = 0) -> DataBundle:
    """Train and validation datasets (augmentation on the training split only)."""
    root = prepare_root(config)
    reader, task = READERS[config.dataset]
    common = {'window_events': config.window_events, 'window_us': config.window_us,
              'max_shift': config.shift_px, 'strict': config.strict}  # fmt: skip
    train = reader(root, 'train', augment=config.augment, rng=seed, **common)
    val = reader(root, 'val', **common)
    names = tuple(train.classes)
    if config.dataset == 'synthetic_det':  # shapes written under Gen1's car / pedestrian ids
        names = GEN1_SHAPE_CLASSES
    return DataBundle(train, val, train.sensor, names, task)
