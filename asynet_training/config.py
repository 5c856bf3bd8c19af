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

"""Training configuration: frozen dataclasses read from YAML, with ``key=value`` overrides.

Unknown keys and values of the wrong type fail before anything is trained, naming the key and
the valid choices. The model section becomes the :class:`asynet_core.models.ModelConfig` stored
in every checkpoint; the rest never reaches the model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
import types
import typing
from typing import Any

import yaml

from asynet_core.errors import ConfigError
from asynet_core.window import WindowSpec

__all__ = [
    'DATASETS',
    'DataConfig',
    'ModelSection',
    'OptimConfig',
    'TrainConfig',
    'apply_overrides',
    'from_mapping',
    'load_config',
]

#: Dataset names a config may use (readers in ``asynet_training.datasets``, generators in
#: ``asynet_training.synthetic``).
DATASETS = (
    'gen1',
    'ncaltech101',
    'ncaltech101_bin',
    'ncaltech101_det',
    'ncars',
    'synthetic_cls',
    'synthetic_det',
)


@dataclass(frozen=True)
class DataConfig:
    """Where the samples come from and how a window is cut."""

    dataset: str
    root: str
    window_events: int | None = 25000
    window_us: int | None = None
    augment: bool = True
    shift_px: int = 10
    num_workers: int = 0
    strict: bool = False  # raise on a corrupt file instead of skipping it (and reporting it)
    synthetic_train: int = 40  # per class (synthetic datasets only)
    synthetic_val: int = 10
    synthetic_test: int = 10
    synthetic_seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ConfigError(
                f'unknown data.dataset {self.dataset!r}; valid choices: {list(DATASETS)}'
            )
        try:
            WindowSpec(self.window_events, self.window_us)  # the one window type's rules
        except ConfigError as err:
            raise ConfigError(f'data: {err}') from None


@dataclass(frozen=True)
class ModelSection:
    """The architecture (the class count comes from the dataset)."""

    arch: str
    backbone: str = 'sparse'
    representation: str = 'histogram'


@dataclass(frozen=True)
class OptimConfig:
    """Adam with a MultiStepLR schedule stepped per epoch."""

    batch_size: int = 15
    lr: float = 1e-4
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    epochs: int = 10
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.epochs < 1 or self.lr <= 0:
            raise ConfigError('optim.batch_size and optim.epochs must be >= 1 and optim.lr > 0')


@dataclass(frozen=True)
class LossConfig:
    """Weights of the YOLO loss terms (detection only; YOLOv1 values by default).

    The terms are means (offset, shape, confidence over the objects; no-object over every other
    box predictor of the grid), so with many cells per object a larger ``no_object`` weight than
    YOLOv1's summed 0.5 keeps empty cells' objectness down.
    """

    coord: float = 5.0
    no_object: float = 0.5

    def __post_init__(self) -> None:
        if self.coord <= 0 or self.no_object <= 0:
            raise ConfigError('loss.coord and loss.no_object must be > 0')


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run."""

    data: DataConfig
    model: ModelSection
    optim: OptimConfig = field(default_factory=OptimConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    seed: int = 0
    device: str = 'auto'
    out_dir: str = 'runs/train'
    val_every: int = 1
    log_every: int = 10

    def __post_init__(self) -> None:
        if self.device not in ('auto', 'cpu', 'cuda'):
            raise ConfigError(
                f"unknown device {self.device!r}; valid choices: ['auto', 'cpu', 'cuda']"
            )


def _check_type(value: Any, hint: Any, key: str) -> Any:
    """``value`` checked against a field type (int, float, str, bool, lists, optionals)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        return _check_type(value, next(o for o in options if o is not type(None)), key)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f'{key} must be a list, got {value!r}')
        (item,) = typing.get_args(hint)
        return [_check_type(v, item, f'{key}[{i}]') for i, v in enumerate(value)]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f'{key} must be {hint.__name__}, got {value!r}')
    return value


def from_mapping(cls: type[Any], values: Any, prefix: str = '') -> Any:
    """Build dataclass ``cls`` from a nested mapping; unknown keys and bad types raise."""
    if not isinstance(values, dict):
        raise ConfigError(f'{prefix or "config"} must be a mapping, got {values!r}')
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(f'unknown keys {[prefix + k for k in unknown]}; valid keys: {names}')
    kwargs = {}
    for name, value in values.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_mapping(hint, value, f'{prefix}{name}.')
        else:
            kwargs[name] = _check_type(value, hint, prefix + name)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f'{prefix or "config"}: {err}') from err


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b=value`` overrides (values parsed as YAML) to a nested mapping copy."""
    out = yaml.safe_load(yaml.safe_dump(values))  # deep copy of plain data
    for item in overrides:
        key, sep, raw = item.partition('=')
        if not sep or not key:
            raise ConfigError(f'override {item!r} must look like key=value (e.g. optim.lr=0.001)')
        *parents, leaf = key.split('.')
        node = out
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f'override {item!r}: {part!r} is not a section')
        node[leaf] = yaml.safe_load(raw)
    return out  # type: ignore[no-any-return]


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML training config, apply overrides, validate everything."""
    try:
        values = yaml.safe_load(Path(path).read_text(encoding='utf-8'))
    except OSError as err:
        raise ConfigError(f'cannot read config {path}: {err}') from err
    except yaml.YAMLError as err:
        raise ConfigError(f'config {path} is not valid YAML: {err}') from err
    config: TrainConfig = from_mapping(TrainConfig, apply_overrides(values or {}, overrides or []))
    return config
