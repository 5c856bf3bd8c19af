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

"""Dataset classes of asynet_training.datasets on small trees written in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import EVENT_DTYPE, make_events, SensorSize
from asynet_training.datasets import (
    augment_sample,
    compensate_box,
    flip_boxes,
    flip_events,
    Gen1,
    NCaltech101,
    NCaltech101Bin,
    NCaltech101Detection,
    ncaltech_box_shift,
    NCars,
    shift_events,
    Window,
)
from asynet_training.errors import (
    CorruptFileError,
    DatasetConfigError,
    DatasetLayoutError,
    MissingPairError,
)
from asynet_training.formats import (
    BBOX_DTYPE,
    write_dat,
    write_est_npy,
    write_gen1_bbox,
    write_ncaltech_annotation,
    write_ncaltech_bin,
)


def _events(seed: int, n: int, sensor: SensorSize, dt_us: int = 100) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, sensor.width, n), rng.integers(0, sensor.height, n)
    return make_events(x, y, np.arange(n) * dt_us, rng.integers(0, 2, n))


# ---------------------------------------------------------------------------------------------
# Trees
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def ncars_root(tmp_path: Path) -> Path:
    root = tmp_path / 'ncars'
    for split, n in (('n-cars_train', 10), ('n-cars_test', 3)):
        for c, name in enumerate(('background', 'cars')):
            (root / split / name).mkdir(parents=True)
            for i in range(n):
                events = _events(100 * c + i, 60, NCars.sensor)
                write_dat(root / split / name / f'obj_{i:05d}_td.dat', events)
    return root


@pytest.fixture
def est_root(tmp_path: Path) -> Path:
    root = tmp_path / 'est'
    sizes = {'training': 4, 'validation': 2, 'testing': 3}
    for folder, n in sizes.items():
        for c, name in enumerate(('zebra', 'Faces_easy', 'ant')):
            (root / folder / name).mkdir(parents=True)
            for i in range(n):
                write_est_npy(
                    root / folder / name / f'image_{i:04d}.npy',
                    _events(c + i, 40, NCaltech101.sensor),
                )
    return root


def _bin_tree(root: Path, counts: dict[str, int], annotate: bool = False) -> Path:
    for c, (name, n) in enumerate(counts.items()):
        (root / 'Caltech101' / name).mkdir(parents=True)
        if annotate:
            (root / 'Caltech101_annotations' / name).mkdir(parents=True)
        for i in range(1, n + 1):
            events = _events(c * 1000 + i, 50, NCaltech101.sensor, dt_us=4000)  # 0 .. 196 ms
            write_ncaltech_bin(root / 'Caltech101' / name / f'image_{i:04d}.bin', events)
            if annotate:
                corners = np.array([[10, 20], [60, 20], [60, 50], [10, 50]])
                write_ncaltech_annotation(
                    root / 'Caltech101_annotations' / name / f'annotation_{i:04d}.bin', corners
                )
    return root


@pytest.fixture
def bin_root(tmp_path: Path) -> Path:
    return _bin_tree(tmp_path / 'n101', {'BACKGROUND_Google': 5, 'lamp': 10, 'camera': 20})


@pytest.fixture
def det_root(tmp_path: Path) -> Path:
    return _bin_tree(tmp_path / 'n101det', {'lamp': 10, 'camera': 10}, annotate=True)


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
    events = _events(7, 2000, Gen1.sensor, dt_us=100)  # t = 0 .. 199 900 µs
    write_dat(root / 'train' / 'rec_a_td.dat', events, 304, 240)
    write_gen1_bbox(root / 'train' / 'rec_a_bbox.npy', _gen1_boxes(GEN1_ROWS))
    write_dat(root / 'train' / 'rec_b_td.dat', events[:500])
    write_gen1_bbox(root / 'train' / 'rec_b_bbox.npy', _gen1_boxes(GEN1_ROWS[:2]), legacy=True)
    return root


# ---------------------------------------------------------------------------------------------
# N-Cars
# ---------------------------------------------------------------------------------------------


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
        ({'window_events': 5, 'window_us': 5}, 'give exactly one of window_events and window_us'),
        ({'window_events': 0}, r'window_events must be >= 1 or -1 \(all\), got 0'),
        ({'window_us': -3}, 'window_us must be >= 1, got -3'),
        ({'val_fraction': 1.0}, r'val_fraction must be in \[0, 1\), got 1\.0'),
        ({'max_shift': -1}, 'max_shift must be >= 0, got -1'),
    ],
)
def test_dataset_argument_errors(ncars_root: Path, kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(DatasetConfigError, match=match):
        NCars(ncars_root, 'train', **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# N-Caltech101 (EST release and original .bin)
# ---------------------------------------------------------------------------------------------


def test_est_classes_splits_and_labels(est_root: Path) -> None:
    sets = {s: NCaltech101(est_root, s, window_events=-1) for s in ('train', 'val', 'test')}
    assert sets['test'].classes == ['Faces_easy', 'ant', 'zebra']
    assert {s: len(d) for s, d in sets.items()} == {'train': 12, 'val': 6, 'test': 9}
    sample = sets['test'][0]
    assert (sample.label, sample.path.parent.name, len(sample.events)) == (0, 'Faces_easy', 40)


def test_est_errors(est_root: Path) -> None:
    (est_root / 'testing' / 'yak').mkdir()
    with pytest.raises(DatasetLayoutError, match=r'testing/yak: class folder not in .*training'):
        NCaltech101(est_root, 'test')
    np.save(est_root / 'validation' / 'ant' / 'image_0000.npy', np.zeros((4, 3)))
    with pytest.raises(
        CorruptFileError, match=r'ant/image_0000\.npy: expected a real \[N, 4\] array'
    ):
        NCaltech101(est_root, 'val')
    assert len(NCaltech101(est_root, 'val', strict=False)) == 5
    with pytest.raises(
        DatasetLayoutError, match=r'training: directory not found; expected root/\{training'
    ):
        NCaltech101(est_root / 'testing', 'test')


def test_bin_classes_and_seeded_split(bin_root: Path) -> None:
    sets = {s: NCaltech101Bin(bin_root, s) for s in ('train', 'val', 'test')}
    assert sets['train'].classes == ['camera', 'lamp']
    counts = {
        s: np.bincount([lbl for _, lbl in d.items], minlength=2).tolist() for s, d in sets.items()
    }
    assert counts == {'train': [14, 7], 'val': [2, 1], 'test': [4, 2]}
    all_paths = [p for d in sets.values() for p, _ in d.items]
    assert len(set(all_paths)) == 30
    assert all('BACKGROUND_Google' not in p.parts for p in all_paths)
    assert NCaltech101Bin(bin_root, 'test').items == sets['test'].items
    assert NCaltech101Bin(bin_root, 'test', seed=1).items != sets['test'].items
    sample = sets['val'][0]
    assert sample.label == 0
    assert len(sample.events) == 50


def test_bin_truncated_file(bin_root: Path) -> None:
    bad = bin_root / 'Caltech101' / 'lamp' / 'image_0003.bin'
    bad.write_bytes(bad.read_bytes()[:-1])
    sets = {s: NCaltech101Bin(bin_root, s, strict=False) for s in ('train', 'val', 'test')}
    split = next(s for s, d in sets.items() if d.skipped)
    with pytest.raises(
        CorruptFileError, match=r'lamp/image_0003\.bin: 249 bytes is not a positive multiple'
    ):
        NCaltech101Bin(bin_root, split)
    skipped = [
        d.skipped
        for s in ('train', 'val', 'test')
        for d in [NCaltech101Bin(bin_root, s, strict=False)]
    ]
    assert sum(len(s) for s in skipped) == 1


# ---------------------------------------------------------------------------------------------
# N-Caltech101 detection
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('t_us', 'shift'),
    [
        (0, (0.0, 0.0)),
        (50_000, (1.75, 3.5)),
        (100_000, (3.5, 7.0)),
        (150_000, (5.25, 3.5)),
        (200_000, (7.0, 0.0)),
        (250_000, (3.5, 0.0)),
        (300_000, (0.0, 0.0)),
        (900_000, (0.0, 0.0)),
    ],
)
def test_box_shift_table(t_us: int, shift: tuple[float, float]) -> None:
    assert ncaltech_box_shift(t_us) == pytest.approx(shift)


def test_compensate_box_clips_to_frame() -> None:
    assert compensate_box((10, 20, 50, 30), 150_000) == pytest.approx((15.25, 23.5, 50, 30))
    assert compensate_box((230, 175, 20, 10), 100_000) == pytest.approx((233.5, 180, 6.5, 0))


def test_detection_boxes_compensated_for_window_end(det_root: Path) -> None:
    data = NCaltech101Detection(det_root, 'test', window_events=10)
    assert data.classes == ['camera', 'lamp']
    assert len(data) == 4
    sample = data[0]
    assert sample.t_us == 196_000
    assert sample.events['t'][-1] == 196_000
    assert sample.boxes is not None
    assert sample.boxes.dtype == np.float32
    dx, dy = ncaltech_box_shift(196_000)
    np.testing.assert_allclose(sample.boxes, [[10 + dx, 20 + dy, 50, 30, 0]], rtol=1e-6)


def test_detection_augmentation_keeps_boxes_inside(det_root: Path) -> None:
    plain = NCaltech101Detection(det_root, 'train', window_events=20)
    aug = NCaltech101Detection(det_root, 'train', window_events=20, augment=True, rng=5)
    for i in range(len(aug)):
        boxes = aug[i].boxes
        assert boxes is not None
        assert boxes[0, 0] >= 0
        assert boxes[0, 0] + boxes[0, 2] <= 240
        assert boxes[0, 1] >= 0
        assert boxes[0, 1] + boxes[0, 3] <= 180
    assert np.array_equal(plain[0].boxes, plain[0].boxes)


def _det_images(root: Path, split: str) -> list[Path]:
    data = NCaltech101Detection(root, split, strict=False)
    return [p for p, _ in data.items] + [p for p, _ in data.skipped]


def test_detection_missing_pairs(det_root: Path) -> None:
    image = det_root / 'Caltech101' / 'lamp' / 'image_0002.bin'
    annotation = det_root / 'Caltech101_annotations' / 'lamp' / 'annotation_0002.bin'
    annotation.rename(annotation.with_name('annotation_0099.bin'))
    orphan = annotation.with_name('annotation_0099.bin')
    with pytest.raises(
        MissingPairError,
        match=r'annotation_0099\.bin: annotation has no event file; expected .*image_0099\.bin',
    ):
        NCaltech101Detection(det_root, 'train')
    sizes = 0
    for split in ('train', 'val', 'test'):
        data = NCaltech101Detection(det_root, split, strict=False)
        sizes += len(data)
        reasons = [r for _, r in data.skipped]
        expected = det_root / 'Caltech101' / 'lamp' / 'image_0099.bin'
        assert f'{orphan}: annotation has no event file; expected {expected}' in reasons
    assert sizes == 19
    orphan.unlink()
    split = next(s for s in ('train', 'val', 'test') if image in _det_images(det_root, s))
    with pytest.raises(
        MissingPairError,
        match=rf'image_0002\.bin: event file has no annotation; expected {annotation}',
    ):
        NCaltech101Detection(det_root, split)


def test_detection_layout_error(det_root: Path) -> None:
    import shutil

    shutil.rmtree(det_root / 'Caltech101_annotations')
    with pytest.raises(
        DatasetLayoutError,
        match=r'Caltech101_annotations: directory not found; expected root/Caltech101/<class>',
    ):
        NCaltech101Detection(det_root, 'train')


# ---------------------------------------------------------------------------------------------
# Gen1
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------


def test_kernels_never_mutate_and_drop_outside() -> None:
    sensor = SensorSize(10, 8)
    events = make_events([0, 5, 9], [0, 7, 3], [1, 2, 3], [0, 1, 1])
    copy = events.copy()
    shifted = shift_events(events, 2, -1, sensor)
    assert shifted.tolist() == [(7, 6, 1, 2)]
    assert flip_events(events, sensor)['x'].tolist() == [9, 4, 0]
    boxes = np.array([[1.0, 2.0, 3.0, 4.0, 0.0]], dtype=np.float32)
    box_copy = boxes.copy()
    assert flip_boxes(boxes, sensor).tolist() == [[6.0, 2.0, 3.0, 4.0, 0.0]]
    out_events, out_boxes = augment_sample(events, boxes, sensor, np.random.default_rng(0), 3)
    assert out_boxes is not None
    assert out_events.dtype == EVENT_DTYPE
    assert np.array_equal(events, copy)
    assert np.array_equal(boxes, box_copy)


def test_flip_keeps_events_inside_their_box() -> None:
    sensor = SensorSize(20, 10)
    events = make_events([4, 5, 6], [2, 3, 4], [0, 1, 2], [1, 1, 1])  # inside box x 4..6
    boxes = np.array([[4.0, 2.0, 3.0, 3.0, 1.0]], dtype=np.float32)
    fe, fb = flip_events(events, sensor), flip_boxes(boxes, sensor)
    assert np.all((fe['x'] >= fb[0, 0]) & (fe['x'] < fb[0, 0] + fb[0, 2]))


def test_window_start() -> None:
    t = np.array([0, 10, 20, 30, 40])
    assert Window(events=2).start(t, 5) == 3
    assert Window(events=-1).start(t, 5) == 0
    assert Window(us=15).start(t, 5) == 3  # 25 < t <= 40
    assert Window(us=15).start(t, 0) == 0
