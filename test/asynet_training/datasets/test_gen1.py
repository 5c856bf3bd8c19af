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

"""The Gen1 detection dataset on a small tree in tmp_path: one sample per label time, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_training.datasets import (
    Gen1,
)
from asynet_training.errors import (
    CorruptFileError,
    DatasetLayoutError,
    MissingPairError,
)
from asynet_training.formats import (
    BBOX_DTYPE,
    write_dat,
    write_gen1_bbox,
)
from training_helpers import tree_events


def _gen1_boxes(rows: list[tuple[int, float, float, float, float, int]]) -> np.ndarray:
    boxes = np.zeros(len(rows), dtype=BBOX_DTYPE)
    for i, (t, x, y, w, h, c) in enumerate(rows):
        boxes[i] = (t, x, y, w, h, c, i, 1.0)
    return boxes


GEN1_ROWS = [
    (50_000, 10.0, 20.0, 40.0, 30.0, 0),
    (50_000, 100.0, 50.0, 8.0, 16.0, 1),
    (120_500, 280.0, 200.0, 50.0, 60.0, 0),  # clipped to 24 x 40
    (150_000, 5.0, 5.0, 10.0, 10.0, 1),
]


@pytest.fixture
def gen1_root(tmp_path: Path) -> Path:
    root = tmp_path / 'gen1'
    for split in ('train', 'val', 'test'):
        (root / split).mkdir(parents=True)
    events = tree_events(7, 2000, Gen1.sensor, dt_us=100)  # t = 0 .. 199 900 µs
    write_dat(root / 'train' / 'rec_a_td.dat', events, 304, 240)
    write_gen1_bbox(root / 'train' / 'rec_a_bbox.npy', _gen1_boxes(GEN1_ROWS))
    write_dat(root / 'train' / 'rec_b_td.dat', events[:500])
    write_gen1_bbox(root / 'train' / 'rec_b_bbox.npy', _gen1_boxes(GEN1_ROWS[:2]), legacy=True)
    return root


def test_gen1_one_sample_per_label_time(gen1_root: Path) -> None:
    data = Gen1(gen1_root, 'train', window_events=100)
    assert data.classes == ['car', 'pedestrian']
    assert [(s.path.name, s.t_us) for s in data.labels] == [
        ('rec_a_td.dat', 50_000),
        ('rec_a_td.dat', 120_500),
        ('rec_a_td.dat', 150_000),
        ('rec_b_td.dat', 50_000),
    ]
    first = data[0]
    np.testing.assert_array_equal(first.boxes, [[10, 20, 40, 30, 0], [100, 50, 8, 16, 1]])
    np.testing.assert_array_equal(data[1].boxes, [[280, 200, 24, 40, 0]])
    np.testing.assert_array_equal(data[3].boxes, first.boxes)  # legacy dtype file


def test_gen1_window_ends_at_label_time(gen1_root: Path) -> None:
    data = Gen1(gen1_root, 'train', window_events=100)
    for i, t_label in enumerate((50_000, 120_500, 150_000)):
        events = data[i].events
        assert len(events) == 100
        assert events['t'][-1] == t_label // 100 * 100  # the last event with t <= label time
        assert events['t'][0] == t_label // 100 * 100 - 99 * 100
    timed = Gen1(gen1_root, 'train', window_us=1000)[1].events
    assert timed['t'].tolist() == list(range(119_600, 120_600, 100))
    everything = Gen1(gen1_root, 'train', window_events=-1)[0].events
    assert everything['t'].tolist() == list(range(0, 50_100, 100))


def test_gen1_small_box_filter(gen1_root: Path) -> None:
    data = Gen1(gen1_root, 'train', min_box_side=10)
    assert [s.t_us for s in data.labels] == [50_000, 120_500, 150_000, 50_000]
    np.testing.assert_array_equal(data[0].boxes, [[10, 20, 40, 30, 0]])
    data = Gen1(gen1_root, 'train', min_box_diag=30)
    assert [s.t_us for s in data.labels] == [50_000, 120_500, 50_000]


def test_gen1_augment(gen1_root: Path) -> None:
    plain = Gen1(gen1_root, 'train', window_events=300)
    aug = Gen1(gen1_root, 'train', window_events=300, augment=True, rng=np.random.default_rng(1))
    changed = 0
    for i in range(len(aug)):
        a, p = aug[i], plain[i]
        assert a.boxes is not None
        assert p.boxes is not None
        assert np.all(a.boxes[:, :2] >= 0)
        assert np.all(a.boxes[:, 0] + a.boxes[:, 2] <= 304)
        np.testing.assert_array_equal(a.boxes[:, 2:], p.boxes[:, 2:])
        changed += not np.array_equal(a.events, p.events)
    assert changed > 0
    assert np.array_equal(plain[0].events, Gen1(gen1_root, 'train', window_events=300)[0].events)


def test_gen1_missing_pair_and_corrupt(gen1_root: Path) -> None:
    folder = gen1_root / 'train'
    (folder / 'rec_b_bbox.npy').rename(folder / 'rec_c_bbox.npy')
    with pytest.raises(
        MissingPairError,
        match=r'rec_b_td\.dat: events have no box file; expected .*rec_b_bbox\.npy',
    ):
        Gen1(gen1_root, 'train')
    data = Gen1(gen1_root, 'train', strict=False)
    assert len(data) == 3
    assert [p.name for p, _ in data.skipped] == ['rec_b_td.dat', 'rec_c_bbox.npy']
    assert 'rec_c_bbox.npy: boxes have no event file; expected' in data.skipped[1][1]
    (folder / 'rec_c_bbox.npy').unlink()
    (folder / 'rec_b_td.dat').unlink()
    bad = _gen1_boxes([(10, 1.0, 1.0, 5.0, 5.0, 2)])
    write_gen1_bbox(folder / 'rec_a_bbox.npy', bad)
    with pytest.raises(
        CorruptFileError, match=r'rec_a_bbox\.npy: box 0 has class_id 2, Gen1 classes are 0\.\.1'
    ):
        Gen1(gen1_root, 'train')
    with pytest.raises(DatasetLayoutError, match=r'val: no \*_td\.dat / \*_bbox\.npy files'):
        Gen1(gen1_root, 'val')
