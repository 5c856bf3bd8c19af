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

"""The N-Cars dataset on a small tree written in tmp_path: classes, splits, windows, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import EVENT_DTYPE, make_events
from asynet_training.datasets import (
    NCars,
)
from asynet_training.errors import (
    CorruptFileError,
    DatasetConfigError,
    DatasetLayoutError,
)
from asynet_training.formats import (
    write_dat,
)
from training_helpers import tree_events


@pytest.fixture
def ncars_root(tmp_path: Path) -> Path:
    root = tmp_path / 'ncars'
    for split, n in (('n-cars_train', 10), ('n-cars_test', 3)):
        for c, name in enumerate(('background', 'cars')):
            (root / split / name).mkdir(parents=True)
            for i in range(n):
                events = tree_events(100 * c + i, 60, NCars.sensor)
                write_dat(root / split / name / f'obj_{i:05d}_td.dat', events)
    return root


def test_ncars_classes_and_splits(ncars_root: Path) -> None:
    sets = {s: NCars(ncars_root, s) for s in ('train', 'val', 'test')}
    assert sets['train'].classes == ['background', 'cars']
    assert {s: len(d) for s, d in sets.items()} == {'train': 18, 'val': 2, 'test': 6}
    paths = {s: {p for p, _ in d.items} for s, d in sets.items()}
    assert not paths['train'] & paths['val']
    assert {lbl for _, lbl in sets['val'].items} == {0, 1}
    assert NCars(ncars_root, 'val').items == sets['val'].items
    assert any(NCars(ncars_root, 'val', seed=s).items != sets['val'].items for s in range(1, 5))


def test_ncars_sample_is_last_window(ncars_root: Path) -> None:
    data = NCars(ncars_root, 'test', window_events=25)
    sample = data[4]
    assert (sample.label, sample.path.parent.name) == (1, 'cars')
    from asynet_training.formats import read_dat

    full, _ = read_dat(sample.path)
    assert np.array_equal(sample.events, full[-25:])
    assert sample.boxes is None
    timed = NCars(ncars_root, 'test', window_us=1000)[4].events
    assert np.array_equal(timed, full[full['t'] > full['t'][-1] - 1000])


def test_ncars_augment_only_when_asked(ncars_root: Path) -> None:
    plain = NCars(ncars_root, 'train', window_events=30)
    assert all(np.array_equal(plain[i].events, plain[i].events) for i in range(3))
    first = [
        NCars(ncars_root, 'train', window_events=30, augment=True, rng=3)[i] for i in range(6)
    ]
    again = [
        NCars(ncars_root, 'train', window_events=30, augment=True, rng=3)[i] for i in range(6)
    ]
    assert all(np.array_equal(a.events, b.events) for a, b in zip(first, again, strict=True))
    assert any(not np.array_equal(a.events, plain[i].events) for i, a in enumerate(first))
    for s in first:
        assert s.events.dtype == EVENT_DTYPE
        assert s.events['x'].max() < 120
        assert s.events['y'].max() < 100


def test_ncars_layout_errors(ncars_root: Path, tmp_path: Path) -> None:
    with pytest.raises(
        DatasetLayoutError, match=r'missing: directory not found; expected root/n-cars_'
    ):
        NCars(tmp_path / 'missing', 'train')
    with pytest.raises(DatasetConfigError, match=r"unknown split 'dev'; valid choices: \['train'"):
        NCars(ncars_root, 'dev')
    (ncars_root / 'n-cars_test' / 'trucks').mkdir()
    with pytest.raises(
        DatasetLayoutError,
        match=r"n-cars_test: class directories \['background', 'cars', 'trucks'\], expected exa",
    ):
        NCars(ncars_root, 'test')
    for f in (ncars_root / 'n-cars_train' / 'cars').iterdir():
        f.unlink()
    with pytest.raises(DatasetLayoutError, match=r'n-cars_train/cars: no \.dat files'):
        NCars(ncars_root, 'train')


def test_ncars_corrupt_file_strict_or_skipped(ncars_root: Path) -> None:
    bad = ncars_root / 'n-cars_test' / 'cars' / 'obj_00001_td.dat'
    bad.write_bytes(bad.read_bytes()[:-3])
    with pytest.raises(CorruptFileError, match=r'obj_00001_td\.dat: truncated DAT file'):
        NCars(ncars_root, 'test')
    data = NCars(ncars_root, 'test', strict=False)
    assert len(data) == 5
    reason = (
        f'{bad}: truncated DAT file, 477 bytes of events after the header is not a multiple of '
        'the 8-byte event size'
    )
    assert data.skipped == [(bad, reason)]


def test_ncars_event_outside_sensor_raises_on_read(ncars_root: Path) -> None:
    bad = ncars_root / 'n-cars_test' / 'background' / 'obj_00000_td.dat'
    write_dat(bad, make_events([5, 130], [5, 5], [0, 1], [0, 1]))
    data = NCars(ncars_root, 'test', strict=False)
    with pytest.raises(
        CorruptFileError, match=r'obj_00000_td\.dat: event 1 has x=130, outside the 120x100 sensor'
    ):
        data[0]
    with pytest.raises(IndexError, match='NCars index 6 out of range for 6 samples'):
        data[6]


@pytest.mark.parametrize(
    ('kwargs', 'match'),
    [
        ({'window_events': 5, 'window_us': 5}, 'give exactly one of window_events or window_us'),
        (
            {'window_events': 0},
            r'window_events must be a positive int, got 0 \(or -1: all events\)',
        ),
        ({'window_us': -3}, 'window_us must be a positive int, got -3'),
        ({'val_fraction': 1.0}, r'val_fraction must be in \[0, 1\), got 1\.0'),
        ({'max_shift': -1}, 'max_shift must be >= 0, got -1'),
    ],
)
def test_dataset_argument_errors(ncars_root: Path, kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(DatasetConfigError, match=match):
        NCars(ncars_root, 'train', **kwargs)  # type: ignore[arg-type]
