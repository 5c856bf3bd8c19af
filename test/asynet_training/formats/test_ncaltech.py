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

"""N-Caltech101 .bin events and annotations: round trips, overflow markers, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import make_events
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats import (
    NCALTECH_OVERFLOW_US,
    read_ncaltech_annotation,
    read_ncaltech_bin,
    write_ncaltech_annotation,
    write_ncaltech_bin,
)
from training_helpers import random_events


@pytest.mark.parametrize('t_max', [1000, 1 << 23, 1 << 25])
def test_ncaltech_bin_round_trip(tmp_path: Path, rng: np.random.Generator, t_max: int) -> None:
    events = random_events(rng, 2000, 240, 180, t_max)
    events['t'][-1] = t_max  # the largest timestamp is always present
    copy = events.copy()
    write_ncaltech_bin(tmp_path / 'a.bin', events)
    got = read_ncaltech_bin(tmp_path / 'a.bin')
    assert np.array_equal(got, events)
    assert np.array_equal(events, copy)
    markers = (tmp_path / 'a.bin').stat().st_size // 5 - len(events)
    expected = max(0, -(-(t_max - (1 << 23) + 1) // NCALTECH_OVERFLOW_US))
    assert markers == expected


def test_ncaltech_bin_decodes_overflow_markers(tmp_path: Path) -> None:
    records = np.array(
        [[10, 20, 0x80 | 0x7F, 0xFF, 0xFF], [0, 240, 0, 0, 0], [11, 21, 0, 0, 5]], dtype=np.uint8
    )
    records.tofile(tmp_path / 'm.bin')
    got = read_ncaltech_bin(tmp_path / 'm.bin')
    assert got.tolist() == [(10, 20, 1, (1 << 23) - 1), (11, 21, 0, 5 + (1 << 13))]


@pytest.mark.parametrize(
    ('corners', 'box'),
    [
        ([[10, 20], [60, 20], [60, 50], [10, 50]], (10, 20, 50, 30)),
        ([[-5, -3], [60, -3], [60, 50], [-5, 50]], (0, 0, 60, 50)),
        ([[0, 0], [239, 0], [239, 179], [0, 179]], (0, 0, 239, 179)),
    ],
)
def test_ncaltech_annotation_round_trip(
    tmp_path: Path, corners: list[list[int]], box: tuple[int, int, int, int]
) -> None:
    write_ncaltech_annotation(tmp_path / 'a.bin', np.array(corners))
    assert read_ncaltech_annotation(tmp_path / 'a.bin') == box


def test_read_bin_truncated(tmp_path: Path) -> None:
    (tmp_path / 'image_0001.bin').write_bytes(b'\x00' * 12)
    with pytest.raises(
        CorruptFileError,
        match=r'image_0001\.bin: truncated \.bin file, 12 bytes is not a multiple',
    ):
        read_ncaltech_bin(tmp_path / 'image_0001.bin')


@pytest.mark.parametrize(
    ('x', 'y', 't', 'match'),
    [
        (256, 0, 0, r'o\.bin: event 0 has x=256, the format needs x < 256'),
        (0, 240, 0, r'o\.bin: event 0 has y=240, which \.bin reserves for overflow markers'),
        (0, 0, -4, r'o\.bin: event 0 has t=-4, the format needs t >= 0'),
    ],
)
def test_write_bin_errors(tmp_path: Path, x: int, y: int, t: int, match: str) -> None:
    with pytest.raises(DatasetConfigError, match=match):
        write_ncaltech_bin(tmp_path / 'o.bin', make_events([x], [y], [t], [0]))


def test_write_bin_rejects_times_it_cannot_encode(tmp_path: Path) -> None:
    events = make_events([0, 0], [0, 0], [1 << 24, 5], [0, 0])  # needs markers, then goes back
    with pytest.raises(
        DatasetConfigError,
        match=r'o\.bin: event 1 has t=5, below the 8396800 µs that the 1025 overflow markers',
    ):
        write_ncaltech_bin(tmp_path / 'o.bin', events)


@pytest.mark.parametrize('size', [0, 7, 18])
def test_read_annotation_too_short(tmp_path: Path, size: int) -> None:
    (tmp_path / 'annotation_0001.bin').write_bytes(b'\x01' * size)
    with pytest.raises(
        CorruptFileError, match=rf'annotation_0001\.bin: annotation has {size} bytes, expected'
    ):
        read_ncaltech_annotation(tmp_path / 'annotation_0001.bin')


@pytest.mark.parametrize(
    ('corners', 'match'),
    [
        (
            np.zeros((3, 2), dtype=int),
            r'a\.bin: corners must be a \[4, 2\] integer array, got shape \(3, 2\)',
        ),
        (
            np.zeros((4, 2)),
            r'a\.bin: corners must be a \[4, 2\] integer array, got shape \(4, 2\) dtype float64',
        ),
        (np.full((4, 2), 40_000), r'a\.bin: corners .* do not fit int16'),
    ],
)
def test_write_annotation_errors(tmp_path: Path, corners: np.ndarray, match: str) -> None:
    with pytest.raises(DatasetConfigError, match=match):
        write_ncaltech_annotation(tmp_path / 'a.bin', corners)
