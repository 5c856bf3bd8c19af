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

"""Training end to end on small generated datasets: train.py, then evaluate.py.

Also unreadable files skipped, checkpoints and resume, and TensorBoard.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from asynet_core.errors import ConfigError
from asynet_core.events import SensorSize
from asynet_core.models import load_checkpoint
from asynet_training.config import load_config
from asynet_training.evaluate import main as evaluate_main
from asynet_training.train import main as train_main
from checkout import ROOT
from training_helpers import two_class_samples, write_config


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
    skipped = [line for line in lines if line.startswith(('train: skipped', 'val: skipped'))]
    assert len(skipped) == 1
    assert skipped[0].startswith(f'train: skipped 1 unreadable files: {bad}: ')


def test_tensorboard_gets_scalars_and_images(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _train(tmp_path, 'synthetic_cls', 'optim.batch_size=5')
    events = EventAccumulator(str(tmp_path / 'run' / 'tensorboard'))
    events.Reload()
    tags = events.Tags()
    assert {'train/loss', 'train/lr', 'val/accuracy'} <= set(tags['scalars'])
    assert {'val/confusion_matrix', 'val/example'} <= set(tags['images'])


# -- train.run on in-memory samples: checkpoints, resume, a task mismatch -------------------------


def _bundle(n: int) -> object:
    from asynet_training.data import DataBundle

    return DataBundle(
        two_class_samples(n, 0), two_class_samples(4, 100), SensorSize(120, 100), ('a', 'b'),
        'classification',
    )  # fmt: skip


def test_run_writes_checkpoints_and_resumes(tmp_path: Path) -> None:
    from asynet_core.models import load_checkpoint
    from asynet_training.train import run

    config = load_config(write_config(tmp_path), [f'out_dir={tmp_path / "out"}', 'optim.epochs=1'])
    lines: list[str] = []
    data = _bundle(8)
    run(config, data, log=lines.append)  # type: ignore[arg-type]
    last = load_checkpoint(tmp_path / 'out' / 'last.pt', arch='ncars')
    assert last.extra['epoch'] == 1
    assert last.config.class_names == ('a', 'b')
    assert last.extra['train_config']['optim']['lr'] == 0.001
    assert (tmp_path / 'out' / 'best.pt').exists()
    more = load_config(write_config(tmp_path), [f'out_dir={tmp_path / "out"}', 'optim.epochs=2'])
    last = tmp_path / 'out' / 'last.pt'
    run(more, data, resume=last, log=lines.append)  # type: ignore[arg-type]
    assert load_checkpoint(tmp_path / 'out' / 'last.pt').extra['epoch'] == 2
    assert any(line.startswith('epoch 1 step 0') for line in lines)


def test_run_rejects_a_task_mismatch(tmp_path: Path) -> None:
    from asynet_training.train import run

    config = load_config(write_config(tmp_path), ['model.arch=gen1_det', f'out_dir={tmp_path}'])
    with pytest.raises(
        ConfigError, match=r"model.arch 'gen1_det' is a detection model but dataset"
    ):
        run(config, _bundle(2))  # type: ignore[arg-type]
