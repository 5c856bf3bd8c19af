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

"""Checkpoints that carry their model config, read with torch's safe unpickler only.

A checkpoint is one ``torch.save`` dict::

    {'format': 'asynet_ros.checkpoint/1', 'model_args': ModelConfig.to_dict(),
     'state_dict': model.state_dict(), **extra}

``extra`` holds training state (optimizer, scheduler, epoch, ...) as tensors, numbers, strings and
plain containers, so the whole file loads with ``torch.load(..., weights_only=True)``.
:func:`load_checkpoint` rebuilds the model from ``model_args`` alone (the caller needs no
architecture parameters) and never runs pickled code.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
import errno
import os
from pathlib import Path
import pickle
from typing import Any

import torch
from torch import nn

from asynet_core.errors import CheckpointError, ConfigError
from asynet_core.models.build import build_model
from asynet_core.models.config import ModelConfig
from asynet_core.models.dense_vgg import DenseVGG
from asynet_core.models.sparse_vgg import SparseVGG

__all__ = [
    'CHECKPOINT_FORMAT',
    'LoadedCheckpoint',
    'first_non_finite',
    'load_checkpoint',
    'save_checkpoint',
]

#: Value of the ``format`` key of every checkpoint written by :func:`save_checkpoint`.
CHECKPOINT_FORMAT = 'asynet_ros.checkpoint/1'

_RESERVED = ('format', 'model_args', 'state_dict')
# Exact types (subclasses such as numpy.float64 or IntEnum members are refused by the safe loader).
_SCALARS = (bool, int, float, str, bytes, type(None), torch.dtype, torch.device)
_CONTAINERS = (list, tuple, dict, OrderedDict, torch.Size)

PathLike = str | os.PathLike[str]

# Words in the messages of torch's weights-only unpickler that mean "a valid pickle, but not plain
# data", as opposed to bytes that are no pickle at all (e.g. 'Unsupported operand').
_UNSAFE_MARKERS = ('GLOBAL', 'allowlisted', 'add_safe_globals')


@dataclass(frozen=True, eq=False)  # tensor fields: == would be ambiguous
class LoadedCheckpoint:
    """A checkpoint rebuilt into a model.

    Attributes:
        model: the network rebuilt from ``model_args``, weights loaded, in eval mode.
        config: the model configuration stored in the checkpoint.
        extra: every other key of the checkpoint (optimizer, scheduler, epoch, ...).
    """

    model: SparseVGG | DenseVGG
    config: ModelConfig
    extra: dict[str, Any]


# Saving


def _check_plain(value: Any, where: str) -> None:
    """Raise unless ``value`` holds only tensors, scalars and plain containers."""
    if isinstance(value, torch.Tensor) or type(value) in _SCALARS:
        return
    if type(value) not in _CONTAINERS:
        raise CheckpointError(
            f'{where} is a {type(value).__name__}; a checkpoint holds only tensors, numbers, '
            'strings, None and lists, tuples and dicts of them'
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key, f'key {key!r} of {where}')
            _check_plain(item, f'{where}[{key!r}]')
    else:
        for i, item in enumerate(value):
            _check_plain(item, f'{where}[{i}]')


def _check_extra(extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if key in _RESERVED:
            raise CheckpointError(
                f'extra key {key!r} is reserved; reserved keys: {list(_RESERVED)}'
            )
        _check_plain(value, f'extra[{key!r}]')


def _check_model_config(model: nn.Module, config: ModelConfig) -> None:
    own = getattr(model, 'config', config)
    if own != config:
        raise CheckpointError(f'model was built from {own}, but the checkpoint config is {config}')


def save_checkpoint(path: PathLike, model: nn.Module, config: ModelConfig, **extra: Any) -> None:
    """Write ``model``'s weights and ``config`` (plus ``extra``) to ``path``, atomically.

    The file is written next to ``path`` and renamed over it, so an interrupted save never leaves
    a truncated checkpoint behind.

    Raises:
        CheckpointError: ``model`` was built from another config, an extra key is reserved or holds
            something other than tensors, numbers, strings and plain containers, or the file
            cannot be written.
    """
    _check_model_config(model, config)
    _check_extra(extra)
    target = Path(path)
    if not target.parent.is_dir():
        raise CheckpointError(
            f'cannot write checkpoint {target}: directory {target.parent} does not exist'
        )
    if (target.exists() or target.is_symlink()) and not target.is_file():
        raise CheckpointError(
            f'cannot write checkpoint {target}: it exists and is not a regular file'
        )
    bad = first_non_finite(model.state_dict())
    if bad is not None:
        raise CheckpointError(f'cannot write checkpoint {target}: non-finite weights: {bad}')
    payload = {
        'format': CHECKPOINT_FORMAT,
        'model_args': config.to_dict(),
        'state_dict': model.state_dict(),
    }
    _atomic_save({**payload, **extra}, target)


def first_non_finite(state: Any) -> str | None:
    """``'name: N NaN, M Inf'`` of the first floating tensor of ``state`` that is not finite."""
    for name, value in state.items() if isinstance(state, dict) else ():
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            finite = torch.isfinite(value)
            if not bool(finite.all()):
                nan = int(torch.isnan(value).sum())
                return f'{name}: {nan} NaN, {int((~finite).sum()) - nan} Inf'
    return None


def _atomic_save(payload: dict[str, Any], target: Path) -> None:
    partial = target.with_name(target.name + '.partial')
    try:
        torch.save(payload, partial)
        os.replace(partial, target)
    except (OSError, RuntimeError) as err:
        raise CheckpointError(f'cannot write checkpoint {target}: {err}') from err
    finally:
        partial.unlink(missing_ok=True)  # also after an interrupt: never a stray .partial


# Loading


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return f'{type(err).__name__}: {lines[0] if lines else ""}'.rstrip(': ')


_ACCESS_ERRNOS = (errno.EACCES, errno.EPERM, errno.ENOENT, errno.EISDIR, errno.EIO)


def _read_payload(path: Path, map_location: torch.device) -> Any:
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        detail = str(err.__context__ or err).split('. ')[0]
        if not any(marker in detail for marker in _UNSAFE_MARKERS):
            raise _corrupt(path, err) from err
        raise CheckpointError(
            f'checkpoint {path} was refused by the safe loader (torch.load weights_only=True): '
            f'it holds pickled code or objects other than tensors and plain containers ({detail})'
        ) from err
    except OSError as err:
        if err.errno in _ACCESS_ERRNOS:
            raise CheckpointError(f'cannot read checkpoint {path}: {err}') from err
        raise _corrupt(path, err) from err  # e.g. EINVAL: a seek past the end of a cut file
    except Exception as err:  # bad bytes: RuntimeError, EOFError, KeyError, ... from torch.load
        raise _corrupt(path, err) from err


def _corrupt(path: Path, err: BaseException) -> CheckpointError:
    return CheckpointError(
        f'cannot read checkpoint {path}: corrupt or truncated file ({_first_line(err)})'
    )


def _check_device(map_location: str | torch.device) -> torch.device:
    try:
        device = torch.device(map_location)
    except RuntimeError as err:
        raise CheckpointError(f'bad map_location {map_location!r}: {err}') from err
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise CheckpointError(f'map_location {map_location!r} needs CUDA, which is not available')
    return device


def _check_path(path: Path) -> None:
    if not path.exists():
        raise CheckpointError(f'checkpoint file {path} does not exist')
    if path.is_dir():
        raise CheckpointError(f'checkpoint path {path} is a directory, not a file')


def _check_payload(payload: Any, path: Path) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise CheckpointError(
            f'checkpoint {path} holds a {type(payload).__name__}, expected a dict'
        )
    for key in _RESERVED:
        if key not in payload:
            raise CheckpointError(f'checkpoint {path} is missing key {key!r}')
    if payload['format'] != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f'checkpoint {path} has format {payload["format"]!r}, expected {CHECKPOINT_FORMAT!r}'
        )
    return payload


def _parse_config(model_args: Any, path: Path) -> ModelConfig:
    try:
        return ModelConfig.from_dict(model_args)
    except (ConfigError, TypeError, ValueError) as err:
        raise CheckpointError(f'checkpoint {path} has bad model_args: {err}') from err


def _check_expected(config: ModelConfig, arch: str | None, task: str | None) -> None:
    if arch is not None and config.arch != arch:
        raise CheckpointError(f'checkpoint is for arch {config.arch!r}, expected {arch!r}')
    if task is not None and config.task != task:
        raise CheckpointError(f'checkpoint is for task {config.task!r}, expected {task!r}')


def _state_dict_mismatch(state: Any, expected: dict[str, torch.Tensor]) -> str | None:
    """Why ``state`` does not fit a model whose state dict is ``expected``; ``None`` if it fits."""
    if not isinstance(state, dict):
        return f'state_dict is a {type(state).__name__}, expected a dict'
    missing = [k for k in expected if k not in state]
    if missing:
        return f'state_dict is missing key {missing[0]!r} ({len(missing)} missing)'
    unexpected = [k for k in state if k not in expected]
    if unexpected:
        return f'state_dict has unexpected key {unexpected[0]!r} ({len(unexpected)} unexpected)'
    for key, target in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor) or value.shape != target.shape:
            got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            return f'state_dict key {key!r} has shape {got}, model expects {tuple(target.shape)}'
    return None


def _build_loaded(
    config: ModelConfig, state: Any, path: Path, device: torch.device
) -> SparseVGG | DenseVGG:
    model = build_model(config).to(device)
    problem = _state_dict_mismatch(state, model.state_dict())
    if problem is not None:
        raise CheckpointError(f'checkpoint {path} does not match arch {config.arch!r}: {problem}')
    bad = first_non_finite(state)
    if bad is not None:
        raise CheckpointError(f'checkpoint {path} has non-finite weights: {bad}')
    model.load_state_dict(state, strict=True)
    return model.eval()


def load_checkpoint(
    path: PathLike,
    *,
    arch: str | None = None,
    task: str | None = None,
    map_location: str | torch.device = 'cpu',
) -> LoadedCheckpoint:
    """Load a checkpoint written by :func:`save_checkpoint` and rebuild its model (eval mode).

    Only ``torch.load(..., weights_only=True)`` is used: a file carrying pickled code or arbitrary
    objects is refused before anything in it runs.

    Args:
        path: checkpoint file.
        arch: if given, the architecture the checkpoint must be for.
        task: if given, ``classification`` or ``detection``: the task the checkpoint must be for.
        map_location: device the tensors are loaded to and the model is moved to.

    Raises:
        CheckpointError: the file is missing, a directory, unreadable, corrupt, unsafe, lacks a
            key, has bad ``model_args``, is for another arch or task, or its weights do not fit
            the architecture; or ``map_location`` is not a usable device.
    """
    file = Path(path)
    _check_path(file)
    device = _check_device(map_location)
    payload = _check_payload(_read_payload(file, device), file)
    config = _parse_config(payload['model_args'], file)
    _check_expected(config, arch, task)
    model = _build_loaded(config, payload['state_dict'], file, device)
    extra = {k: v for k, v in payload.items() if k not in _RESERVED}
    return LoadedCheckpoint(model=model, config=config, extra=extra)
