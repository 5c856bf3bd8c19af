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


"""The real 640x480 recording converted to each dataset format, trained on, and evaluated.

real bag -> ``asynet-bag2dataset`` (with the geometry option that fits the format; gen1 with the
pseudo-labels of an ``asynet-replay`` run of the bundled detector) -> ``training/train.py`` for one
short epoch -> ``training/evaluate.py`` on the validation split. Tiny models, windows and batches
keep the file to about a minute on two cores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import json
from pathlib import Path

import numpy as np
import pytest

from asynet_core.models import load_checkpoint
from asynet_ros import bundled_checkpoint
from asynet_tools import replay as replay_cli
from asynet_tools.bag2dataset import main as bag2dataset_main
from asynet_training.datasets import Gen1, NCaltech101Bin, NCars
from asynet_training.evaluate import main as evaluate_main
from asynet_training.formats import read_dat, read_gen1_bbox
from asynet_training.train import main as train_main
from checkout import ROOT

BAG = 'metavision_evt3'


def convert(capsys: pytest.CaptureFixture[str], bag: Path, out: Path, *args: object) -> dict:
    """asynet-bag2dataset, which must succeed: its JSON summary."""
    code = bag2dataset_main([str(bag), '--out', str(out), '--no-progress', *map(str, args)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return json.loads(printed.out)


def train_and_evaluate(tmp_path: Path, config: str, root: Path, extra: Sequence[str]) -> dict:
    """One epoch of training/train.py on ``root``, then training/evaluate.py on 'val'."""
    out = tmp_path / 'run'
    args = [
        '--config',
        str(ROOT / 'config' / 'train' / f'{config}.yaml'),
        f'data.root={root}',
        f'out_dir={out}',
        'optim.epochs=1',
        'data.augment=false',
        'log_every=1',
        *extra,
    ]
    assert train_main(args) == 0
    report = tmp_path / 'report.json'
    assert (
        evaluate_main(
            ['--checkpoint', str(out / 'last.pt'), '--split', 'val', '--json', str(report)]
        )
        == 0
    )
    return json.loads(report.read_text())


def test_gen1_with_replay_pseudo_labels_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], real_bag: Callable[[str], Path]
) -> None:
    bag = real_bag(BAG)
    replay = tmp_path / 'replay'
    summary = replay_cli.replay(
        bag, bundled_checkpoint('synthetic_det'), replay, frames=0, progress=False
    )
    assert summary['outputs'] == 517
    root = tmp_path / 'gen1'
    for split in ('train', 'val'):
        done = convert(
            capsys,
            bag,
            root,
            '--format',
            'gen1',
            '--split',
            split,
            '--labels-bag',
            replay / 'outputs',
            '--resize-to',
            '304x240',
        )
        assert (done['width'], done['height']) == (304, 240)
        assert done['classes'] == {'circle': 0, 'square': 1}
        assert done['classes_from'] == 'LabelInfo'
        assert done['labels'] > 0
    events, header = read_dat(root / 'val' / f'{BAG}_td.dat')
    assert (header['width'], header['height']) == (304, 240)
    assert len(events) == 343474
    boxes = read_gen1_bbox(root / 'val' / f'{BAG}_bbox.npy')
    assert float((boxes['x'] + boxes['w']).max()) <= 304
    assert len(Gen1(root, 'val')) == len(np.unique(boxes['t']))
    report = train_and_evaluate(
        tmp_path,
        'gen1',
        root,
        ['model.arch=small_det', 'optim.batch_size=4', 'data.window_events=2000'],
    )
    assert 0.0 <= report['voc_map50'] <= 1.0
    assert len(report['voc_ap50_per_class']) == 2


def test_ncars_from_the_real_recording_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], real_bag: Callable[[str], Path]
) -> None:
    bag, root = real_bag(BAG), tmp_path / 'ncars'
    for name in ('cars', 'background'):  # one recording, two classes: the pipeline, not a task
        done = convert(
            capsys,
            bag,
            root,
            '--format',
            'ncars',
            '--class-name',
            name,
            '--downscale',
            '6',
            '--window-us',
            '200000',
        )
        assert (done['width'], done['height'], done['samples']) == (106, 80, 11)  # 2.1 s
    assert len(NCars(root, 'val')) == 2
    report = train_and_evaluate(
        tmp_path, 'ncars', root, ['optim.batch_size=6', 'data.window_events=2000']
    )
    assert report['samples'] == 2
    assert np.array(report['confusion_matrix']).sum() == 2


def test_ncaltech101_from_crops_of_the_real_recording_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], real_bag: Callable[[str], Path]
) -> None:
    bag, root = real_bag(BAG), tmp_path / 'ncaltech'
    crops = {'left': '0,0,240,180', 'right': '400,300,240,180'}
    for name, crop in crops.items():
        done = convert(
            capsys,
            bag,
            root,
            '--format',
            'ncaltech101',
            '--class-name',
            name,
            '--crop',
            crop,
            '--window-events',
            '1000',
        )
        assert (done['width'], done['height']) == (240, 180)
        assert done['events'] + done['events_dropped'] == done['events_read'] == 343474
        assert done['samples'] == -(-done['events'] // 1000) >= 10
    val = NCaltech101Bin(root, 'val')
    assert len(val) >= 2
    report = train_and_evaluate(
        tmp_path,
        'ncaltech101',
        root,
        [
            'data.dataset=ncaltech101_bin',
            'model.arch=ncars',
            'optim.batch_size=8',
            'data.window_events=1000',
        ],
    )
    assert report['samples'] == len(val)
    assert checkpoint_classes(tmp_path) == ('left', 'right')


def checkpoint_classes(tmp_path: Path) -> tuple[str, ...]:
    return tuple(load_checkpoint(tmp_path / 'run' / 'last.pt').config.class_names)
