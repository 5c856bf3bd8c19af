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

"""N-Caltech101 (EST and original .bin releases) and its detection variant, on small trees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_training.datasets import (
    compensate_box,
    NCaltech101,
    NCaltech101Bin,
    NCaltech101Detection,
    ncaltech_box_shift,
)
from asynet_training.errors import (
    CorruptFileError,
    DatasetLayoutError,
    MissingPairError,
)
from asynet_training.formats import (
    write_est_npy,
    write_ncaltech_annotation,
    write_ncaltech_bin,
)
from training_helpers import tree_events


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
                    tree_events(c + i, 40, NCaltech101.sensor),
                )
    return root


def _bin_tree(root: Path, counts: dict[str, int], annotate: bool = False) -> Path:
    for c, (name, n) in enumerate(counts.items()):
        (root / 'Caltech101' / name).mkdir(parents=True)
        if annotate:
            (root / 'Caltech101_annotations' / name).mkdir(parents=True)
        for i in range(1, n + 1):
            events = tree_events(c * 1000 + i, 50, NCaltech101.sensor, dt_us=4000)  # 0 .. 196 ms
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
