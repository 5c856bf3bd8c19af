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

"""``benchmarks/fuzz_decoders.py``, the 10**6-input fuzzer, in small: a clean run, a report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_fuzz_benchmark_runs_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from asynet_benchmarks.fuzz_decoders import main

    out = tmp_path / 'fuzz.json'
    argv = ['--inputs', '3000', '--workers', '1', '--json', str(out)]
    assert main([*argv, '--crash-dir', str(tmp_path / 'crashes')]) == 0
    report = json.loads(out.read_text(encoding='utf-8'))
    assert report['inputs'] == 3000
    assert sum(row['inputs'] for row in report['per_decoder'].values()) == 3000
    assert all(row['accepted'] > 0 for row in report['per_decoder'].values())
    failures = ('crashes', 'hangs', 'exceptions', 'invalid_outputs', 'crosscheck_mismatches')
    assert {k: report[k] for k in failures} == dict.fromkeys(failures, 0)
    assert not (tmp_path / 'crashes').exists()
    assert 'DecodeErrors by kind' in capsys.readouterr().out
