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

"""make demo's summary: the figures it prints, and one line when a file is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asynet_benchmarks.demo_summary import main


def _demo(tmp_path: Path) -> Path:
    (tmp_path / 'replay').mkdir()
    figures = {
        'synth.json': {'events': 200_000, 'seconds': 2.0},
        'replay/report.json': {
            'outputs': 200,
            'x_real_time': 12.5,
            'x_real_time_process': 3.25,
            'latency_ms_p50': 4.0,
            'latency_ms_p99': 6.5,
            'metrics': {'voc_map50': 0.5},
        },
        'ros_node.json': {
            'packets_received': 1990,
            'packets_published': 2000,
            'detection_messages': 300,
            'play_s': 2.0,
            'latency_ms_p50': 7.0,
            'latency_ms_p99': 9.5,
            'node_exit_code_on_sigint': 0,
        },
    }
    for name, data in figures.items():
        (tmp_path / name).write_text(json.dumps(data))
    return tmp_path


def test_the_summary_gives_speed_accuracy_and_live_figures(tmp_path, capsys) -> None:
    assert main([str(_demo(tmp_path))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'demo: recording: 200,000 events in 2.00 s (0.10 Mev/s)'
    assert '200 outputs, 12.5x real time (3.2x with start-up)' in out[1]
    assert 'VOC mAP@0.5 0.500' in out[1]
    assert '1990/2000 packets at 0.10 Mev/s, 150 outputs/s' in out[2]
    assert 'p50 7.0 / p99 9.5 ms, exit code on SIGINT 0' in out[2]


@pytest.mark.parametrize('missing', ['synth.json', 'replay/report.json', 'ros_node.json'])
def test_a_missing_figures_file_is_one_line(tmp_path, capsys, missing) -> None:
    (_demo(tmp_path) / missing).unlink()
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith('demo_summary: error: ')
    assert missing.split('/')[-1] in err
    assert len(err.splitlines()) == 1
