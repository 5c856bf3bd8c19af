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

"""``asynet-bench`` (benchmarks/async_vs_recompute.py): report shape, sanity, CLI errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from asynet_benchmarks.async_vs_recompute import main, sgemm_gflops

MACHINE_KEYS = {'sgemm_gflops_1thread', 'torch', 'threads', 'cpu'}
RESULT_KEYS = {
    'arch',
    'update_events',
    'async_ms',
    'spconv_ms',
    'dense_ms',
    'async_flops',
    'async_gflops',
    'max_rel_err',
}
TINY = ['--arch', 'ncars', '--window', '3000', '--update-events', '1,20', '--repeats', '2']


@pytest.fixture(scope='module')
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp('bench') / 'sub' / 'bench.json'
    threads = torch.get_num_threads()
    assert main([*TINY, '--seed', '3', '--json', str(out)]) == 0
    assert torch.get_num_threads() == threads  # the single-thread scope is restored
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_report_schema(report: dict[str, Any]) -> None:
    assert set(report) == {'machine', 'results'}
    machine = report['machine']
    assert set(machine) >= MACHINE_KEYS
    assert machine['threads'] == 1
    assert machine['torch'] == torch.__version__
    assert isinstance(machine['cpu'], str)
    assert machine['sgemm_gflops_1thread'] > 0
    assert [(r['arch'], r['update_events']) for r in report['results']] == [
        ('ncars', 1),
        ('ncars', 20),
    ]
    for result in report['results']:
        assert set(result) >= RESULT_KEYS


def test_times_and_flops_positive(report: dict[str, Any]) -> None:
    for r in report['results']:
        assert min(r['async_ms'], r['spconv_ms'], r['dense_ms']) > 0
        assert r['async_flops'] > 0
        assert r['async_gflops'] == pytest.approx(r['async_flops'] / r['async_ms'] / 1e6)


def test_engine_matches_spconv(report: dict[str, Any]) -> None:
    for r in report['results']:
        assert 0 <= r['max_rel_err'] <= 1e-4


def test_more_events_cost_more_flops(report: dict[str, Any]) -> None:
    one, twenty = report['results']
    assert twenty['async_flops'] > one['async_flops']


def test_table_printed(report: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    # The module fixture ran before capsys started; run the smallest case again to see the table.
    assert (
        main(['--arch', 'ncars', '--window', '500', '--update-events', '1', '--repeats', '1']) == 0
    )
    out = capsys.readouterr().out
    assert 'async ms' in out
    assert 'ncars' in out
    assert 'fp32 matmul' in out


def test_sgemm_rate_positive() -> None:
    assert sgemm_gflops(size=64, repeats=2) > 0


@pytest.mark.parametrize(
    ('argv', 'message'),
    [
        (
            ['--update-events', '1,x'],
            'argument --update-events: expected comma-separated positive integers '
            "such as 1,10,100, got '1,x'",
        ),
        (['--update-events', '1,,2'], 'expected comma-separated positive integers'),
        (['--update-events', '0,5'], "update sizes must be >= 1, got '0,5'"),
        (['--update-events', '5,5'], "update sizes must be distinct, got '5,5'"),
        (
            ['--update-events', '10,3000', '--window', '3000'],
            '--update-events 3000 must be smaller than --window 3000',
        ),
        (['--window', '0'], 'argument --window: must be >= 1, got 0'),
        (['--repeats', 'two'], "argument --repeats: expected an integer, got 'two'"),
        (['--arch', 'ncars'], '--arch ncars is given more than once'),
    ],
)
def test_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(['--arch', 'ncars', *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unknown_arch(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(['--arch', 'ncars', '--arch', 'mnist'])
    err = capsys.readouterr().err
    assert "argument --arch: invalid choice: 'mnist'" in err
    assert 'gen1_det' in err  # the valid choices are listed


def test_arch_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([])
    assert 'the following arguments are required: --arch' in capsys.readouterr().err
