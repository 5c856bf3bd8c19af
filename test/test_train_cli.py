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

"""train.py and evaluate.py end to end on small generated datasets; VOC metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from asynet_core.models import load_checkpoint
from asynet_training.evaluate import main as evaluate_main
from asynet_training.metrics import coco_map, confusion_matrix, voc_ap, voc_map
from asynet_training.train import main as train_main

ROOT = Path(__file__).resolve().parents[1]


def test_voc_ap_of_known_curves() -> None:
    assert voc_ap(np.array([0.5, 1.0]), np.array([1.0, 1.0])) == 1.0
    assert voc_ap(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3])) == pytest.approx(
        0.5 + 0.5 * 2 / 3
    )


def test_voc_map_ranks_by_score_and_skips_classes_without_truth() -> None:
    box = np.array([0.0, 0.0, 10.0, 10.0])
    truths = [(0, 0, box), (1, 0, box + 20)]
    perfect = [(0, 0, 0.9, box), (1, 0, 0.8, box + 20)]
    assert voc_map(perfect, truths, 2)[0] == 1.0
    assert np.isnan(voc_map(perfect, truths, 2)[1][1])
    false_first = [(0, 0, 0.99, box + 50), *perfect]
    mean, _ = voc_map(false_first, truths, 2)
    assert mean == pytest.approx(2 / 3)  # envelope: precision 2/3 at every recall
    assert coco_map(perfect, truths, 2, 2) == pytest.approx(1.0)
    assert coco_map(false_first, truths, 2, 2) < 1.0
    assert confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist() == [
        [1, 0],
        [1, 1],
    ]


def _train(tmp_path: Path, name: str, *extra: str) -> Path:
    out = tmp_path / 'run'
    sizes = ['data.synthetic_train=3', 'data.synthetic_val=1', 'data.synthetic_test=1']
    config = str(ROOT / 'config' / 'train' / f'{name}.yaml')
    args = ['--config', config, f'data.root={tmp_path / "data"}', f'out_dir={out}']
    args += ['optim.epochs=1', *sizes, *extra]
    assert train_main(args) == 0
    return out / 'last.pt'


def test_train_and_evaluate_classification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = _train(tmp_path, 'synthetic_cls', 'optim.batch_size=5')
    assert load_checkpoint(checkpoint).config.class_names == (
        'circle',
        'cross',
        'ring',
        'square',
        'triangle',
    )
    capsys.readouterr()
    report_path = tmp_path / 'report.json'
    assert evaluate_main(['--checkpoint', str(checkpoint), '--split', 'test', '--async',
                          '--steps', '3', '--json', str(report_path)]) == 0  # fmt: skip
    report = json.loads(report_path.read_text())
    assert report['samples'] == 5
    assert 0.0 <= report['accuracy'] <= 1.0
    assert np.array(report['confusion_matrix']).sum() == 5
    assert report['async_agreement'] == 1.0
    assert report['async_max_rel_err'] <= 1e-4
    assert json.loads(capsys.readouterr().out) == report


def test_train_and_evaluate_detection(tmp_path: Path) -> None:
    checkpoint = _train(tmp_path, 'synthetic_det', 'optim.batch_size=2', 'data.window_events=2000')
    report_path = tmp_path / 'report.json'
    assert evaluate_main(['--checkpoint', str(checkpoint), '--split', 'val',
                          '--json', str(report_path)]) == 0  # fmt: skip
    report = json.loads(report_path.read_text())
    assert 0.0 <= report['voc_map50'] <= 1.0
    assert len(report['voc_ap50_per_class']) == 2
    assert 0.0 <= report['coco_map50_95'] <= 1.0


def test_training_reports_skipped_files(tmp_path: Path) -> None:
    from asynet_training.config import load_config
    from asynet_training.data import build_data
    from asynet_training.train import run

    config = str(ROOT / 'config' / 'train' / 'synthetic_cls.yaml')
    sizes = ['data.synthetic_train=2', 'data.synthetic_val=1', 'data.synthetic_test=1']
    overrides = [f'data.root={tmp_path / "data"}', f'out_dir={tmp_path / "run"}', 'optim.epochs=1']
    train_config = load_config(config, [*overrides, *sizes])
    build_data(train_config.data)  # generates the tree
    bad = sorted((tmp_path / 'data' / 'training' / 'circle').glob('*.npy'))[0]
    bad.write_bytes(b'not a numpy file')
    lines: list[str] = []
    run(train_config, build_data(train_config.data), log=lines.append)
    skipped = [line for line in lines if 'skipped' in line]
    assert len(skipped) == 1
    assert skipped[0].startswith(f'train: skipped 1 unreadable files: {bad}: ')


def test_torchrun_two_processes_on_cpu(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    torchrun = Path(sys.executable).with_name('torchrun')
    config = str(ROOT / 'config' / 'train' / 'synthetic_cls.yaml')
    script = str(ROOT / 'training' / 'train.py')
    args = [str(torchrun), '--nproc_per_node', '2', '--standalone', script, '--config', config]
    args += [f'data.root={tmp_path / "data"}', f'out_dir={tmp_path / "run"}', 'optim.epochs=1']
    args += ['optim.batch_size=4', 'data.synthetic_train=4', 'data.synthetic_val=1']
    args += ['data.synthetic_test=1']
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert load_checkpoint(tmp_path / 'run' / 'last.pt').extra['epoch'] == 1
    assert done.stdout.count('epoch 0 step 0') == 1  # only rank 0 logs


def test_flops_on_dataset_samples(tmp_path: Path) -> None:
    from asynet_training.flops import main as flops_main
    from asynet_training.synthetic import write_synthetic_ncars

    write_synthetic_ncars(tmp_path / 'ncars', num_train=2, num_test=1, seed=0, num_events=1500)
    out = tmp_path / 'flops.json'
    argv = ['--arch', 'ncars', '--dataset', 'ncars', '--root', str(tmp_path / 'ncars')]
    argv += ['--split', 'test', '--window', '1000', '--update-events', '5', '--samples', '2']
    assert flops_main([*argv, '--json', str(out)]) == 0
    report = json.loads(out.read_text())
    assert report['source'] == 'dataset'
    assert report['sensor'] == [120, 100]
    modes = report['modes']
    assert (
        0 < modes['async_sparse']['flops_per_update'] <= modes['batch_sparse']['flops_per_update']
    )
    with pytest.raises(SystemExit):
        flops_main(['--arch', 'ncars', '--dataset', 'ncars'])


def test_tensorboard_gets_scalars_and_images(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _train(tmp_path, 'synthetic_cls', 'optim.batch_size=5')
    events = EventAccumulator(str(tmp_path / 'run' / 'tensorboard'))
    events.Reload()
    tags = events.Tags()
    assert {'train/loss', 'train/lr', 'val/accuracy'} <= set(tags['scalars'])
    assert {'val/confusion_matrix', 'val/example'} <= set(tags['images'])
