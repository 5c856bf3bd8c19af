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

"""Gen1 bounding-box files: round trips of both layouts, the documented legacy row, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats import (
    BBOX_DTYPE,
    LEGACY_BBOX_DTYPE,
    read_gen1_bbox,
    write_gen1_bbox,
)


def _boxes(n: int) -> np.ndarray:
    boxes = np.zeros(n, dtype=BBOX_DTYPE)
    boxes['t'] = np.repeat([100_000, 250_000], [n // 2, n - n // 2])
    boxes['x'], boxes['y'] = np.arange(n) * 3.5, np.arange(n) * 2.0
    boxes['w'], boxes['h'] = 40.0, 30.5
    boxes['class_id'] = np.arange(n) % 2
    boxes['track_id'] = np.arange(n) + 7
    boxes['class_confidence'] = 1.0
    return boxes


@pytest.mark.parametrize('legacy', [False, True])
@pytest.mark.parametrize('n', [0, 1, 9])
def test_gen1_bbox_round_trip(tmp_path: Path, legacy: bool, n: int) -> None:
    boxes = _boxes(n)
    write_gen1_bbox(tmp_path / 'b.npy', boxes, legacy=legacy)
    stored = np.load(tmp_path / 'b.npy')
    assert stored.dtype == (LEGACY_BBOX_DTYPE if legacy else BBOX_DTYPE)
    assert stored.dtype.itemsize == (33 if legacy else 40)
    got = read_gen1_bbox(tmp_path / 'b.npy')
    assert got.dtype == BBOX_DTYPE
    assert np.array_equal(got, boxes)


def test_gen1_bbox_files_are_the_boxes_alone(tmp_path: Path) -> None:
    # BBOX_DTYPE has 4 padding bytes per row; numpy leaves them as whatever memory held (e.g.
    # after np.concatenate(..., dtype=)), so the same boxes gave files of different bytes.
    boxes = _boxes(5)
    dirty = boxes.copy()
    dirty.view(np.uint8).reshape(5, 40)[:, 36:] = 0xAB  # the padding only
    assert np.array_equal(dirty, boxes)
    write_gen1_bbox(tmp_path / 'clean.npy', boxes)
    write_gen1_bbox(tmp_path / 'dirty.npy', dirty)
    assert (tmp_path / 'dirty.npy').read_bytes() == (tmp_path / 'clean.npy').read_bytes()
    stored = np.load(tmp_path / 'dirty.npy')
    assert not stored.view(np.uint8).reshape(5, 40)[:, 36:].any()
    assert (dirty.view(np.uint8).reshape(5, 40)[:, 36:] == 0xAB).all()  # the input untouched


def test_gen1_bbox_reads_the_documented_legacy_row(tmp_path: Path) -> None:
    row = np.array([(59749999, 118.0, 96.0, 43.0, 39.0, 0, 1.0, 2753)], dtype=LEGACY_BBOX_DTYPE)
    np.save(tmp_path / 'b.npy', row)
    got = read_gen1_bbox(tmp_path / 'b.npy')
    assert got.tolist() == [(59749999, 118.0, 96.0, 43.0, 39.0, 0, 2753, 1.0)]


@pytest.mark.parametrize(
    ('array', 'match'),
    [
        (np.zeros(3), r'b\.npy: not a Gen1 box array: expected a 1-D structured array'),
        (
            np.zeros(2, dtype=[('t', '<i8'), ('x', '<f4')]),
            r"b\.npy: not a Gen1 box array: .* fields \['t', 'x'\]",
        ),
    ],
)
def test_read_bbox_errors(tmp_path: Path, array: np.ndarray, match: str) -> None:
    np.save(tmp_path / 'b.npy', array)
    with pytest.raises(CorruptFileError, match=match):
        read_gen1_bbox(tmp_path / 'b.npy')


def test_read_bbox_not_npy(tmp_path: Path) -> None:
    (tmp_path / 'b.npy').write_bytes(b'garbage')
    with pytest.raises(CorruptFileError, match=r'b\.npy: not a readable \.npy file'):
        read_gen1_bbox(tmp_path / 'b.npy')


def test_write_bbox_errors(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetConfigError, match=r'b\.npy: boxes must be a 1-D array of BBOX_DTYPE'
    ):
        write_gen1_bbox(tmp_path / 'b.npy', np.zeros(2))
    boxes = _boxes(2)
    boxes['class_id'][1] = 300
    with pytest.raises(
        DatasetConfigError,
        match=r'b\.npy: event 1 has class_id=300, the format needs class_id < 256',
    ):
        write_gen1_bbox(tmp_path / 'b.npy', boxes, legacy=True)
