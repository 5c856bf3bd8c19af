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

"""A resumed training run continues exactly: the random states travel in last.pt."""

from __future__ import annotations

from pathlib import Path
import random

import numpy as np
import pytest
import torch

from asynet_training import rng
from asynet_training.train import main as train_main
from checkout import ROOT


def test_capture_and_restore_round_trip() -> None:
    class Data:
        """A dataset's random generator, as the readers hold one."""

        def __init__(self) -> None:
            self.rng = np.random.default_rng(1)

    gen, data = torch.Generator().manual_seed(3), [Data(), None]
    saved = rng.capture(gen, data)
    first = (random.random(), np.random.rand(), torch.rand(1), torch.rand(1, generator=gen),
             data[0].rng.random())  # fmt: skip
    rng.restore(saved, gen, data)
    again = (random.random(), np.random.rand(), torch.rand(1), torch.rand(1, generator=gen),
             data[0].rng.random())  # fmt: skip
    assert first == again


def _train(tmp_path: Path, out: str, epochs: int, *extra: str) -> list[str]:
    config = str(ROOT / 'config' / 'train' / 'synthetic_cls.yaml')
    args = ['--config', config, f'data.root={tmp_path / "data"}', f'out_dir={tmp_path / out}',
            f'optim.epochs={epochs}', 'optim.batch_size=3', 'data.synthetic_train=2',
            'data.synthetic_val=1', 'data.synthetic_test=1', *extra]  # fmt: skip
    assert train_main(args) == 0
    return args


def test_one_epoch_then_resume_equals_two_epochs_bit_for_bit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _train(tmp_path, 'whole', 2)
    whole = capsys.readouterr().out
    _train(tmp_path, 'split', 1)
    _train(tmp_path, 'split', 2, '--resume', str(tmp_path / 'split' / 'last.pt'))
    split = capsys.readouterr().out
    a = torch.load(tmp_path / 'whole' / 'last.pt', weights_only=True)
    b = torch.load(tmp_path / 'split' / 'last.pt', weights_only=True)
    assert all(torch.equal(a['state_dict'][k], b['state_dict'][k]) for k in a['state_dict'])
    step = [line for line in whole.splitlines() if line.startswith('epoch 1 step 0 ')]
    assert step
    assert step == [line for line in split.splitlines() if line.startswith('epoch 1 step 0')]
    # validation lines name the epoch just trained; the run ends with its summary
    assert 'epoch 0 val_accuracy' in whole
    assert 'epoch 1 val_accuracy' in whole
    assert 'epoch 2 val_' not in whole
    last = whole.strip().splitlines()[-1]
    assert last.startswith('done: 2 epochs; best val_accuracy ')
    assert last.endswith(str(tmp_path / 'whole' / 'best.pt'))
