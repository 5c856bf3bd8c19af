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

"""The synthetic dataset writers and their command line, read back through the real readers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import SensorSize, validate_events
from asynet_training import formats, synthetic
from asynet_training.datasets import Gen1, NCaltech101, NCaltech101Detection, NCars
from asynet_training.errors import DatasetConfigError
from asynet_training.synthetic import (
    make_classification_sample,
    write_synthetic_classification,
    write_synthetic_detection,
    write_synthetic_ncars,
)
from training_helpers import inside

SENSOR = SensorSize(64, 48)


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob('*') if p.is_file()}


def test_ncars_round_trip(tmp_path):
    manifest = write_synthetic_ncars(tmp_path, 10, 3, seed=1, sensor=SENSOR, num_events=500)
    assert manifest['classes'] == ['background', 'cars']
    assert manifest['counts'] == {
        'train': {'background': 10, 'cars': 10},
        'test': {'background': 3, 'cars': 3},
    }
    assert len(manifest['files']) == 26
    sizes = {split: NCars(tmp_path, split) for split in ('train', 'val', 'test')}
    assert all(d.classes == ['background', 'cars'] for d in sizes.values())
    assert len(sizes['train']) + len(sizes['val']) == 20
    test = sizes['test']
    assert sorted(test[i].label for i in range(len(test))) == [0, 0, 0, 1, 1, 1]
    sample = test[0]
    written, _ = formats.read_dat(sample.path)
    assert len(written) == 500
    validate_events(written, SENSOR)


def test_ncaltech101_round_trip(tmp_path):
    classes = ['triangle', 'circle', 'ring']
    manifest = write_synthetic_classification(
        tmp_path,
        classes=classes,
        num_train=3,
        num_val=1,
        num_test=2,
        seed=2,
        sensor=SENSOR,
        num_events=400,
    )
    assert manifest['classes'] == sorted(classes)
    for split, count in (('train', 3), ('val', 1), ('test', 2)):
        dataset = NCaltech101(tmp_path, split, window_events=-1)
        assert dataset.classes == sorted(classes)
        labels = [dataset[i].label for i in range(len(dataset))]
        assert sorted(labels) == sorted(list(range(3)) * count)
    rng_of_first = synthetic._sample_rng(2, 'train', 0, 0)
    expected = make_classification_sample(0, SENSOR, 400, rng_of_first)
    assert np.array_equal(NCaltech101(tmp_path, 'train', window_events=-1)[0].events, expected)


def test_ncaltech101_detection_round_trip(tmp_path):
    manifest = write_synthetic_detection(
        tmp_path,
        layout='ncaltech101_det',
        classes=['cross', 'square'],
        num_train=7,
        num_val=1,
        num_test=2,
        seed=3,
        sensor=SENSOR,
        num_events=1500,
    )
    assert manifest['counts'] == {'all': {'cross': 10, 'square': 10}}
    sizes = {}
    for split in ('train', 'val', 'test'):
        dataset = NCaltech101Detection(tmp_path, split, window_events=-1)
        assert dataset.classes == ['cross', 'square']
        sizes[split] = len(dataset)
        sample = dataset[0]
        assert sample.boxes.shape == (1, 5)
        near = sample.events[sample.events['t'] >= sample.t_us - 2000]
        box = np.zeros(1, dtype=formats.BBOX_DTYPE)
        box['x'], box['y'], box['w'], box['h'] = sample.boxes[0, :4]
        assert inside(near, box, margin=2.0).mean() >= 0.9  # compensated box holds the shape
    assert sum(sizes.values()) == 20


def test_gen1_files(tmp_path):
    manifest = write_synthetic_detection(
        tmp_path,
        layout='gen1',
        classes=['ring', 'cross'],
        num_train=2,
        num_val=1,
        num_test=1,
        seed=4,
        sensor=SENSOR,
        num_objects=2,
        num_events=3000,
        num_labels=3,
    )
    assert manifest['classes'] == ['cross', 'ring']
    assert manifest['counts']['train'] == {'files': 2, 'boxes': 12}
    boxes = formats.read_gen1_bbox(tmp_path / 'train' / 'synthetic_00001_bbox.npy')
    events, _ = formats.read_dat(tmp_path / 'train' / 'synthetic_00001_td.dat')
    assert set(boxes['class_id'].tolist()) <= {0, 1}
    assert np.array_equal(np.unique(boxes['t']), [50_000, 100_000, 150_000])
    assert len(events) == 3000
    validate_events(events, SENSOR)


def test_gen1_round_trip_through_reader(tmp_path):
    write_synthetic_detection(
        tmp_path,
        layout='gen1',
        num_train=2,
        num_val=1,
        num_test=1,
        seed=5,
        sensor=SENSOR,
        num_objects=2,
        num_events=3000,
        num_labels=3,
    )
    for split, files in (('train', 2), ('val', 1), ('test', 1)):
        dataset = Gen1(tmp_path, split, window_events=-1)
        assert dataset.classes == ['car', 'pedestrian']
        assert len(dataset) == 3 * files  # one sample per unique label time
        for index in range(len(dataset)):
            sample = dataset[index]
            assert len(sample.boxes) == 2
            assert set(sample.boxes[:, 4].tolist()) <= {0.0, 1.0}
            assert sample.events['t'].max() <= sample.t_us
            near = sample.events[sample.events['t'] >= sample.t_us - 1000]
            box = np.zeros(len(sample.boxes), dtype=formats.BBOX_DTYPE)
            for column, name in enumerate(('x', 'y', 'w', 'h')):
                box[name] = sample.boxes[:, column]
            assert inside(near, box, margin=2.0).mean() >= 0.9


@pytest.mark.parametrize('layout', ['ncars', 'ncaltech101', 'gen1', 'ncaltech101_det'])
def test_writers_are_byte_deterministic(tmp_path, layout):
    def write(root: Path, seed: int) -> dict[str, bytes]:
        if layout in synthetic.CLS_LAYOUTS:
            write_synthetic_classification(
                root,
                layout=layout,
                num_train=2,
                num_test=1,
                seed=seed,
                sensor=SENSOR,
                num_events=300,
            )
        else:
            write_synthetic_detection(
                root,
                layout=layout,
                num_train=1,
                num_val=0,
                num_test=1,
                seed=seed,
                sensor=SENSOR,
                num_events=600,
                classes=['circle', 'ring'],
            )
        return _tree_bytes(root)

    first, again, other = (
        write(tmp_path / 'a', 11),
        write(tmp_path / 'b', 11),
        write(tmp_path / 'c', 12),
    )
    assert first == again
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first if 'annotation' not in name)


@pytest.mark.parametrize(
    ('call', 'match'),
    [
        (lambda r: write_synthetic_classification(r, layout='mnist'), "unknown layout 'mnist'"),
        (
            lambda r: write_synthetic_classification(r, layout='ncars', num_val=2),
            "layout 'ncars' has no 'val' split",
        ),
        (
            lambda r: write_synthetic_classification(r, layout='ncars', classes=['ring']),
            'choose car_shape',
        ),
        (lambda r: write_synthetic_classification(r, classes=['hexagon']), 'distinct names'),
        (lambda r: write_synthetic_classification(r, classes=['ring', 'ring']), 'distinct'),
        (lambda r: write_synthetic_classification(r, seed=-1), 'seed must be an int >= 0'),
        (
            lambda r: write_synthetic_classification(r, num_train=0, num_test=0),
            'nothing to write',
        ),
        (lambda r: write_synthetic_detection(r, layout='ncars'), "valid choices: \\['gen1'"),
        (
            lambda r: write_synthetic_detection(r, classes=['circle', 'ring', 'cross']),
            "layout 'gen1' has 2 class ids",
        ),
        (
            lambda r: write_synthetic_detection(
                r, layout='ncaltech101_det', sensor=SensorSize(304, 240)
            ),
            'at most 256x240',
        ),
    ],
)
def test_bad_writer_arguments_raise(tmp_path, call, match):
    with pytest.raises(DatasetConfigError, match=match):
        call(tmp_path)


def test_cli_writes_dataset_and_prints_manifest(tmp_path, capsys):
    argv = ['--out', str(tmp_path), '--task', 'cls', '--layout', 'ncars', '--seed', '3']
    argv += ['--train', '2', '--test', '1', '--width', '40', '--height', '32', '--events', '200']
    assert synthetic.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary['counts']['test'] == {'background': 1, 'cars': 1}
    assert summary['num_files'] == 6
    assert len(list(tmp_path.rglob('*.dat'))) == 6


@pytest.mark.parametrize(
    ('extra', 'message'),
    [
        (['--task', 'cls', '--layout', 'gen1'], 'not a cls layout'),
        (['--task', 'det', '--layout', 'gen1', '--width', '64'], 'both --width and --height'),
        (['--task', 'cls', '--layout', 'ncars', '--train', '-1'], 'expected an integer >= 0'),
        (['--task', 'cls', '--layout', 'ncars', '--val', '1'], "no 'val' split"),
        (['--task', 'cls', '--layout', 'ncaltech101', '--classes', 'blob'], 'distinct names'),
    ],
)
def test_cli_rejects_bad_arguments(tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit) as exit_info:
        synthetic.main(['--out', str(tmp_path), *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_readme_ncars_command_writes_every_sample(tmp_path, capsys):
    out = tmp_path / 'syn'
    args = ['--out', str(out), '--task', 'cls', '--layout', 'ncars', '--seed', '0']
    assert synthetic.main([*args, '--train', '100', '--test', '20']) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary['num_files'] == 240
    assert len(list(out.rglob('*.dat'))) == 240


def test_an_interrupted_writer_removes_what_it_added(tmp_path, monkeypatch):
    from asynet_training.synthetic import writers

    out = tmp_path / 'syn'
    (out / 'n-cars_train').mkdir(parents=True)
    mine = out / 'n-cars_train' / 'notes.txt'
    mine.write_text('mine')
    calls = []

    def failing(*args):
        calls.append(args)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args)

    real = writers._write_cls_file
    monkeypatch.setattr(writers, '_write_cls_file', failing)
    with pytest.raises(KeyboardInterrupt):
        write_synthetic_ncars(out, num_train=3, num_test=1, seed=0)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob('*')) == [
        'n-cars_train',
        'n-cars_train/notes.txt',
    ]
