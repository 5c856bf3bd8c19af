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

"""``benchmarks/train_throughput.py``: a report for both backbones."""

from __future__ import annotations

import json
import pathlib


def test_train_throughput_reports_both_backbones(tmp_path: pathlib.Path) -> None:
    from asynet_benchmarks.train_throughput import main as throughput_main

    out = tmp_path / 'train.json'
    argv = ['--arch', 'ncars', '--batch', '2', '--steps', '1', '--events', '500']
    argv += ['--json', str(out)]
    assert throughput_main(argv) == 0
    rows = json.loads(out.read_text())['results']
    assert [r['backbone'] for r in rows] == ['sparse', 'dense']
    assert all(r['samples_per_s'] > 0 for r in rows)
