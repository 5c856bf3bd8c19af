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

"""asynet-replay-compare: every mode offline and in simulated real time, one table, one plot."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import json
import math
from pathlib import Path
import shutil
import struct
import sys
from typing import Any

import pytest

from asynet_core.errors import ConfigError
from asynet_core.models import (
    build_model,
    load_checkpoint,
    load_sparse_weights_into_dense,
    save_checkpoint,
)
from asynet_ros import bundled_checkpoint
from asynet_tools import events as events_cli
from asynet_tools.replay import compare, compare_cli
from asynet_tools.replay import run as replay_run
from asynet_tools.replay.compare_report import PLOT_DPI, PLOT_SIZE_IN, write_plot

DET = bundled_checkpoint('synthetic_det')
CLS = bundled_checkpoint('synthetic_cls')
MODES = ('async', 'adaptive')
SCALES = ('1', '10')
RUNS = {f'{m}_{s}' for m in MODES for s in ('offline', *(f'x{x}' for x in SCALES))}
MESSAGES = 400  # 0.4 s of 1 ms packets


@pytest.fixture(scope='module')
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A labelled synthetic bag: 0.4 s, two segments of moving shapes, 8 label times."""
    path = tmp_path_factory.mktemp('compare') / 'synth'
    events_cli.write_synthetic_bag(path, seconds=0.4, seed=1)
    return path


def _argv(bag: Path, out: Path, *extra: str) -> list[str]:
    return [str(bag), '--labels', str(bag / 'labels_bbox.npy'), '--out', str(out),
            '--checkpoint', str(DET), '--no-progress', *extra]  # fmt: skip


@pytest.fixture(scope='module')
def compared(bag: Path) -> tuple[Path, str]:
    """One comparison of two modes at two scales: its folder and what it printed."""
    out = bag.parent / 'cmp'
    stdout = io.StringIO()
    argv = _argv(bag, out, '--modes', *MODES, '--compute-scale', *SCALES)
    with contextlib.redirect_stdout(stdout):
        assert compare_cli.main(argv) == 0
    return out, stdout.getvalue()


def _report(out: Path, name: str) -> dict[str, Any]:
    return json.loads((out / 'runs' / name / 'report.json').read_text())


def _table(markdown: str) -> dict[str, list[str]]:
    """The table's rows by their first cell (the header's is ``mode``)."""
    rows = [line.strip('|').split('|') for line in markdown.splitlines() if line.startswith('|')]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    assert data[12:16] == b'IHDR'
    width, height = struct.unpack('>II', data[16:24])
    return width, height


def test_every_run_is_replayed_into_its_folder(compared: tuple[Path, str]) -> None:
    out, _ = compared
    assert {p.name for p in (out / 'runs').iterdir()} == RUNS
    assert sorted(p.name for p in out.iterdir()) == [
        'compare.json', 'compare.md', 'compare.png', 'runs']  # fmt: skip
    for mode in MODES:
        offline = _report(out, f'{mode}_offline')
        assert offline['evaluation']['mode'] == 'offline'
        assert offline['outputs'] == MESSAGES  # one update per message
        assert offline['complete']
        for scale in SCALES:
            report = _report(out, f'{mode}_x{scale}')
            assert report['evaluation']['mode'] == 'realtime'
            assert report['evaluation']['compute_scale'] == float(scale)
            aware = report['metrics']['latency_aware']
            assert 0.0 <= aware['voc_map50'] <= 1.0
            assert 0 < report['outputs'] <= MESSAGES  # a batch coalesces what arrived


def test_compare_json_holds_each_run_report(compared: tuple[Path, str]) -> None:
    out, _ = compared
    document = json.loads((out / 'compare.json').read_text())
    assert document['complete'] is True
    assert document['stopped'] is None
    assert document['modes'] == list(MODES)
    assert document['compute_scales'] == [1.0, 10.0]
    assert set(document['planned']) == RUNS
    assert [run['name'] for run in document['runs']] == document['planned']
    for run in document['runs']:
        report = _report(out, run['name'])
        keys = ('evaluation', 'metrics', 'x_real_time', 'latency_ms_p50', 'latency_ms_p99',
                'outputs', 'updates')  # fmt: skip
        assert {k: run[k] for k in keys} == {k: report[k] for k in keys}
        assert run['folder'] == f'runs/{run["name"]}'


def test_the_table_gives_the_reports_numbers(compared: tuple[Path, str]) -> None:
    out, printed = compared
    markdown = (out / 'compare.md').read_text()
    assert printed == markdown
    table = _table(markdown)
    assert table['mode'] == ['offline mAP@0.5', 'x1 mAP@0.5', 'x10 mAP@0.5',
                             'age p50 ms (x1 / x10)', 'output Hz (x1 / x10)']  # fmt: skip
    assert set(table) == {'mode', '---', *MODES}
    for mode in MODES:
        offline = _report(out, f'{mode}_offline')['metrics']['voc_map50']
        aware = [_report(out, f'{mode}_x{s}')['metrics']['latency_aware'] for s in SCALES]
        expected = [
            f'{offline:.3f}',
            *(f'{a["voc_map50"]:.3f}' for a in aware),
            ' / '.join(f'{a["age_ms_p50"]:.1f}' for a in aware),
            ' / '.join(f'{a["output_rate_hz"]:.1f}' for a in aware),
        ]
        assert table[mode] == expected


def test_the_plot_is_a_png_of_the_declared_size(compared: tuple[Path, str]) -> None:
    out, _ = compared
    width_in, height_in = PLOT_SIZE_IN
    expected = (round(width_in * PLOT_DPI), round(height_in * PLOT_DPI))
    assert _png_size((out / 'compare.png').read_bytes()) == expected == (800, 500)


def test_a_free_compute_scale_plots_on_a_symlog_axis(tmp_path: Path) -> None:
    run = {'mode': 'async', 'metrics': {'voc_map50': 0.5, 'latency_aware': {'voc_map50': 0.4}}}
    document = {
        'bag': 'b', 'modes': ['async'], 'compute_scales': [0.0, 2.0],
        'runs': [{**run, 'compute_scale': None}, {**run, 'compute_scale': 0.0},
                 {**run, 'compute_scale': 2.0}],
    }  # fmt: skip
    write_plot(document, tmp_path / 'p.png')
    assert _png_size((tmp_path / 'p.png').read_bytes()) == (800, 500)


def test_overwrite_replaces_only_the_comparison(
    compared: tuple[Path, str], tmp_path: Path
) -> None:
    out = tmp_path / 'cmp'
    shutil.copytree(compared[0], out)
    (out / 'notes.txt').write_text('mine')
    argv = _argv(compared[0].parent / 'synth', out, '--modes', 'async', '--compute-scale', '3')
    with contextlib.redirect_stdout(io.StringIO()):
        assert compare_cli.main(argv) == 2  # not empty
        assert compare_cli.main([*argv, '--overwrite']) == 0
    assert {p.name for p in (out / 'runs').iterdir()} == {'async_offline', 'async_x3'}
    assert (out / 'notes.txt').read_text() == 'mine'
    assert set(_table((out / 'compare.md').read_text())) == {'mode', '---', 'async'}


def test_an_interrupt_keeps_the_runs_done(
    bag: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = replay_run.replay
    calls: list[Path] = []

    def replay_then_interrupt(bag_path: Path, checkpoint: Path, out: Path, **kw: Any) -> Any:
        calls.append(out)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(bag_path, checkpoint, out, **kw)

    monkeypatch.setattr(replay_run, 'replay', replay_then_interrupt)
    out = tmp_path / 'cmp'
    assert (
        compare_cli.main(_argv(bag, out, '--modes', 'async', '--compute-scale', '1', '3')) == 130
    )
    assert 'interrupted' in capsys.readouterr().err
    document = json.loads((out / 'compare.json').read_text())
    assert document['complete'] is False
    assert document['stopped'] == 'interrupted (SIGINT) during run async_x1'
    assert [run['name'] for run in document['runs']] == ['async_offline']
    assert document['planned'] == ['async_offline', 'async_x1', 'async_x3']
    assert document['runs'][0]['metrics'] == _report(out, 'async_offline')['metrics']
    assert not (out / 'compare.png').exists()


@pytest.mark.parametrize(
    ('extra', 'message'),
    [
        (['--compute-scale', '-1'], 'compute scale must be a finite number >= 0, got -1.0'),
        (['--compute-scale', 'nan'], 'compute scale must be a finite number >= 0, got nan'),
        (['--compute-scale', 'inf'], 'compute scale must be a finite number >= 0, got inf'),
        (['--compute-scale', 'fast'], "expected a number, got 'fast'"),
        (['--compute-scale', '1', '1.0'], 'a compute scale is given twice: 1 1'),
        (['--modes', 'fast'], "unknown update mode 'fast'; choose from async, recompute"),
        (['--modes', 'dense'], "mode 'dense' runs a dense checkpoint: give it with --dense-chec"),
        (['--compute-scale', '0', '-0'], 'a compute scale is given twice: 0 0'),
        (['--modes', 'async', 'async'], 'an update mode is given twice: async async'),
    ],
)
def test_bad_options_are_usage_errors(
    bag: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    with pytest.raises(SystemExit) as exit_:
        compare_cli.main(_argv(bag, tmp_path / 'o', *extra))
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'o').exists()


def test_labels_are_required(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        compare_cli.main([str(tmp_path / 'bag'), '--out', str(tmp_path / 'o')])
    assert exit_.value.code == 2
    assert 'the following arguments are required: --labels' in capsys.readouterr().err


def _bad_input(bag: Path, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    labels = str(bag / 'labels_bbox.npy')
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full' / 'x').write_text('')
    (tmp_path / 'file').write_text('')
    base = [str(bag), '--labels', labels, '--no-progress']
    out = ['--out', str(tmp_path / 'o')]
    return {
        'no bag': ([str(tmp_path / 'none'), '--labels', labels, *out], 'does not exist'),
        'no labels': ([str(bag), '--labels', str(tmp_path / 'no.npy'), *out], 'no.npy'),
        'no checkpoint': ([*base, *out, '--checkpoint', str(tmp_path / 'c.pt')], 'c.pt'),
        'classifier': ([*base, *out, '--checkpoint', str(CLS)], 'is a classification checkpoint'),
        'out not empty': ([*base, '--out', str(tmp_path / 'full')], 'is not empty'),
        'out a file': ([*base, '--out', str(tmp_path / 'file')], 'is not a folder'),
    }


@pytest.mark.parametrize('case', ['no bag', 'no labels', 'no checkpoint', 'classifier',
                                  'out not empty', 'out a file'])  # fmt: skip
def test_bad_input_is_one_line_before_any_output(
    bag: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    argv, message = _bad_input(bag, tmp_path)[case]
    assert compare_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith('asynet-replay-compare: error: ')
    assert message in err
    assert 'Traceback' not in err
    assert not (tmp_path / 'o').exists()
    assert [p.name for p in (tmp_path / 'full').iterdir()] == ['x']


def test_the_library_checks_modes_and_scales_first(bag: Path, tmp_path: Path) -> None:
    labels = bag / 'labels_bbox.npy'
    with pytest.raises(ConfigError, match=r'unknown update mode .fast.; choose from async'):
        compare.compare(bag, labels, tmp_path / 'o', modes=['fast'])
    with pytest.raises(ConfigError, match=r'mode .dense. runs a dense checkpoint'):
        compare.compare(bag, labels, tmp_path / 'o', modes=['dense'])
    with pytest.raises(ConfigError, match='no compute scale to simulate'):
        compare.compare(bag, labels, tmp_path / 'o', compute_scales=[])
    with pytest.raises(ConfigError, match='got nan'):
        compare.compare(bag, labels, tmp_path / 'o', compute_scales=[math.nan])
    assert not (tmp_path / 'o').exists()


def test_run_names() -> None:
    plan = compare.plan_runs(['async'], [0.5, 3.0], DET, Path('dense.pt'))
    assert [spec.name for spec in plan] == ['async_offline', 'async_x0.5', 'async_x3',
                                            'dense_offline', 'dense_x0.5', 'dense_x3']  # fmt: skip
    assert {spec.checkpoint for spec in plan[3:]} == {Path('dense.pt')}


@pytest.fixture(scope='module')
def dense_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled detector's weights in its dense twin (a full dense forward per update)."""
    loaded = load_checkpoint(DET)
    config = dataclasses.replace(loaded.config, backbone='dense')
    dense = build_model(config)
    load_sparse_weights_into_dense(dense, loaded.model)
    path = tmp_path_factory.mktemp('dense') / 'dense_det.pt'
    save_checkpoint(path, dense, config)
    return path


def test_a_dense_checkpoint_runs_as_mode_dense(
    bag: Path, tmp_path: Path, dense_checkpoint: Path
) -> None:
    out = tmp_path / 'cmp'
    argv = _argv(bag, out, '--modes', 'async', '--compute-scale', '10',
                 '--dense-checkpoint', str(dense_checkpoint),
                 '--update-every-us', '20000')  # fmt: skip  # 20 dense updates offline
    with contextlib.redirect_stdout(io.StringIO()):
        assert compare_cli.main(argv) == 0
    document = json.loads((out / 'compare.json').read_text())
    assert document['modes'] == ['async', 'dense']
    assert document['dense_checkpoint'] == str(dense_checkpoint)
    dense_runs = {run['name']: run for run in document['runs'] if run['mode'] == 'dense'}
    assert set(dense_runs) == {'dense_offline', 'dense_x10'}
    for name, run in dense_runs.items():
        report = _report(out, name)
        assert report['checkpoint'] == run['checkpoint'] == str(dense_checkpoint)
        assert report['modes'] == {'dense': report['updates']}  # each a full dense forward
        assert report['updates'] > 0
    assert _report(out, 'dense_offline')['updates'] == 20
    table = _table((out / 'compare.md').read_text())
    offline = _report(out, 'dense_offline')['metrics']['voc_map50']
    assert table['dense'][0] == f'{offline:.3f}'


def test_each_checkpoint_must_fit_its_option(
    bag: Path, tmp_path: Path, dense_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(bag, tmp_path / 'o', '--modes', 'async')
    assert compare_cli.main([*argv, '--dense-checkpoint', str(DET)]) == 2
    assert 'synthetic_det.pt is a sparse-backbone checkpoint: give it with --checkpoint' in (
        capsys.readouterr().err
    )
    assert compare_cli.main([*argv, '--checkpoint', str(dense_checkpoint)]) == 2
    assert 'dense_det.pt is a dense-backbone checkpoint: give it with --dense-checkpoint' in (
        capsys.readouterr().err
    )
    assert not (tmp_path / 'o').exists()


@pytest.mark.parametrize('module', ['matplotlib', 'matplotlib.figure'])
def test_a_missing_or_broken_matplotlib_is_refused_first(
    bag: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    module: str,
) -> None:
    """Not installed, or installed but failing to import (a missing shared library)."""
    monkeypatch.setitem(sys.modules, module, None)  # its import raises ImportError
    argv = _argv(bag, tmp_path / 'o', '--modes', 'async', '--compute-scale', '1')
    assert compare_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith('asynet-replay-compare: error: compare.png needs matplotlib, which ')
    assert "pip install 'asynet_ros[plot]'" in err
    assert not (tmp_path / 'o').exists()


def test_a_table_or_plot_not_written_leaves_compare_json_incomplete(
    bag: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A full disk at the end: the runs stay, and compare.json does not claim the plot."""

    def full(document: dict[str, Any], path: Path) -> None:
        raise OSError(errno.ENOSPC, 'No space left on device', str(path))

    monkeypatch.setattr(compare, 'write_plot', full)
    out = tmp_path / 'cmp'
    with contextlib.redirect_stdout(io.StringIO()):
        assert compare_cli.main(_argv(bag, out, '--modes', 'async', '--compute-scale', '3')) == 2
    err = capsys.readouterr().err
    assert 'No space left on device' in err
    assert 'compare.png' in err
    document = json.loads((out / 'compare.json').read_text())
    assert document['complete'] is False
    assert document['stopped'].startswith('OSError: cannot write compare.png')
    assert [run['name'] for run in document['runs']] == ['async_offline', 'async_x3']
    assert (out / 'compare.md').exists()
    assert not (out / 'compare.png').exists()
