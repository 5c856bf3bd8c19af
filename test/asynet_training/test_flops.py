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

"""asynet_training.flops: FLOPs measured on dataset samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


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
