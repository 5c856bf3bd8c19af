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

"""Distributed training: torchrun with two CPU processes; only rank 0 logs."""

from __future__ import annotations

from pathlib import Path

from asynet_core.models import load_checkpoint
from checkout import ROOT


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
