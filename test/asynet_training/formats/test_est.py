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

"""EST .npy event files: round trips, times in seconds, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import make_events
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats import (
    read_est_npy,
    write_est_npy,
)
from training_helpers import random_events


@pytest.mark.parametrize('time_unit', ['s', 'us'])
def test_est_npy_round_trip(tmp_path: Path, rng: np.random.Generator, time_unit: str) -> None:
    events = random_events(rng, 1000, 240, 180, 400_000)
    copy = events.copy()
    write_est_npy(tmp_path / 'e.npy', events, time_unit=time_unit)
    stored = np.load(tmp_path / 'e.npy')
    assert set(np.unique(stored[:, 3])) <= {-1.0, 1.0}
    assert np.array_equal(read_est_npy(tmp_path / 'e.npy', time_unit=time_unit), events)
    assert np.array_equal(events, copy)


def test_est_npy_reads_seconds(tmp_path: Path) -> None:
    np.save(tmp_path / 'e.npy', np.array([[3.0, 4.0, 0.000001, -1.0], [5.0, 6.0, 0.25, 1.0]]))
    got = read_est_npy(tmp_path / 'e.npy')
    assert got.tolist() == [(3, 4, 0, 1), (5, 6, 1, 250_000)]


@pytest.mark.parametrize(
    ('array', 'match'),
    [
        (
            np.zeros((3, 3)),
            r'e\.npy: expected a real \[N, 4\] array \(x, y, t, p\), got shape \(3, 3\)',
        ),
        (np.array([[1.5, 0, 0, 1]]), r'e\.npy: row 0 has x=1\.5, not a pixel index'),
        (np.array([[1, -2, 0, 1]]), r'e\.npy: row 0 has y=-2\.0, not a pixel index'),
        (np.array([[1, 2, 0, 1], [1, 2, 0, 2]]), r'e\.npy: row 1 has p=2\.0, expected -1/\+1'),
        (np.array([[1, 2, -0.5, 1]]), r'e\.npy: row 0 has t=-500000\.0 µs, not a time >= 0'),
    ],
)
def test_read_est_errors(tmp_path: Path, array: np.ndarray, match: str) -> None:
    np.save(tmp_path / 'e.npy', array)
    with pytest.raises(CorruptFileError, match=match):
        read_est_npy(tmp_path / 'e.npy')


def test_est_unknown_time_unit(tmp_path: Path) -> None:
    match = r"e\.npy: unknown time_unit 'ms'; valid choices: \['s', 'us'\]"
    with pytest.raises(DatasetConfigError, match=match):
        read_est_npy(tmp_path / 'e.npy', time_unit='ms')
    with pytest.raises(DatasetConfigError, match=match):
        write_est_npy(tmp_path / 'e.npy', make_events([0], [0], [0], [0]), time_unit='ms')
