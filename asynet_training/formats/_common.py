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

"""Helpers shared by the format modules: file access and writer-input checks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from asynet_training.errors import CorruptFileError, DatasetConfigError

PathLike = str | os.PathLike[str]


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as err:
        raise CorruptFileError(f'{path}: cannot read file: {err.strerror}') from err


def check_below(path: Path, name: str, values: np.ndarray, limit: int) -> None:
    bad = np.flatnonzero(values >= limit)
    if bad.size:
        i = int(bad[0])
        raise DatasetConfigError(
            f'{path}: event {i} has {name}={values[i]}, the format needs {name} < {limit}'
        )


def check_not_below(path: Path, name: str, values: np.ndarray, low: int) -> None:
    bad = np.flatnonzero(values < low)
    if bad.size:
        i = int(bad[0])
        raise DatasetConfigError(
            f'{path}: event {i} has {name}={values[i]}, the format needs {name} >= {low}'
        )


def check_values(path: Path, name: str, values: np.ndarray, allowed: tuple[int, ...]) -> None:
    bad = np.flatnonzero(~np.isin(values, allowed))
    if bad.size:
        i = int(bad[0])
        raise DatasetConfigError(
            f'{path}: event {i} has {name}={values[i]}, the format allows {allowed}'
        )


def read_bytes(path: Path) -> np.ndarray:
    try:
        return np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise CorruptFileError(f'{path}: cannot read file: {err}') from err


def load_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise CorruptFileError(f'{path}: not a readable .npy file: {err}') from err
    if not isinstance(array, np.ndarray):
        raise CorruptFileError(f'{path}: expected a .npy array, got a {type(array).__name__}')
    return array
