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

"""The red-team table: what users' recordings and hands do to every command, and the answer.

Each case runs a console script's ``main`` on a hostile input and pins the exit code and the
one line it prints (no traceback), then checks that nothing already produced was lost. The
interrupt and full-disk cases run the command in its own process (SIGINT / SIGTERM mid-run, a
file-size limit standing for a full disk: it needs no mount and works unprivileged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import resource
import signal
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pytest
from rosbags.rosbag2 import Reader, Writer
import torch

from asynet_ros import bundled_checkpoint
from asynet_ros.interfaces import typestore
from asynet_tools.events import write_synthetic_bag
from checkout import ROOT

DET = bundled_checkpoint('synthetic_det')
CLS = bundled_checkpoint('synthetic_cls')
STRING = 'std_msgs/msg/String'


@pytest.fixture(scope='module')
def bags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A clean synthetic evt3 bag, one with hostile messages mixed in, and one looped."""
    root = tmp_path_factory.mktemp('bags')
    clean = root / 'clean'
    write_synthetic_bag(clean, seconds=0.4, seed=3)
    hostile, looped = root / 'hostile', root / 'looped'
    _rewrite(clean, hostile, _hostile)
    _rewrite(clean, looped, _looped)
    return {'clean': clean, 'hostile': hostile, 'looped': looped}


def _rewrite(src: Path, dst: Path, edit: Callable[..., None]) -> None:
    ts = typestore()
    with Reader(src) as reader, Writer(dst, version=8) as writer:
        conns = {
            c.id: writer.add_connection(c.topic, c.msgtype, typestore=ts)
            for c in reader.connections
        }
        events = next(c for c in reader.connections if c.msgtype.endswith('EventPacket'))
        edit(writer, ts, events.topic, [(conns[c.id], t, raw) for c, t, raw in reader.messages()])


def _hostile(writer: Writer, ts: Any, topic: str, msgs: list[tuple[Any, int, bytes]]) -> None:
    """A std_msgs/String on the event topic, a truncated record and one with flipped bytes."""
    text = writer.add_connection(topic, STRING, typestore=ts)
    for i, (conn, t, raw) in enumerate(msgs):
        if i == 10:
            hello = ts.serialize_cdr(ts.types[STRING](data='hello'), STRING)
            writer.write(text, t, bytes(hello))
        if i == 20:
            raw = raw[:40]
        writer.write(conn, t, raw)


def _looped(writer: Writer, ts: Any, topic: str, msgs: list[tuple[Any, int, bytes]]) -> None:
    """The bag twice: bag time goes on, the messages' header stamps start over."""
    span = msgs[-1][1] - msgs[0][1] + 1000
    for rep in range(2):
        for conn, t, raw in msgs:
            writer.write(conn, t + rep * span, raw)


def _run(main: Callable[[list[str]], int], argv: list[str], capsys: Any) -> tuple[int, str]:
    rc = main(argv)
    err = capsys.readouterr().err
    return rc, err


def _one_line(err: str, prog: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith(f'{prog}: ')]
    assert lines, err
    assert 'Traceback' not in err, err
    return lines[-1]


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / 'pipe.json'
    os.mkfifo(path)
    return path


def _nan_checkpoint(tmp_path: Path) -> Path:
    payload = torch.load(DET, weights_only=True)
    name = next(k for k, v in payload['state_dict'].items() if v.is_floating_point())
    payload['state_dict'][name].view(-1)[0] = float('nan')
    path = tmp_path / 'nan.pt'
    torch.save(payload, path)
    return path


# ---------------------------------------------------------------------------------------------
# The table: (case, command, argv builder, exit code, pinned message, check afterwards)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    prog: str
    argv: Callable[[Path, dict[str, Path]], list[str]]
    rc: int
    message: str  # a regular expression for the command's last line on stderr ('' = none)
    check: Callable[[Path, dict[str, Path]], None] | None = None


def _replay_argv(bag: str, *extra: str) -> Callable[[Path, dict[str, Path]], list[str]]:
    def argv(tmp: Path, bags: dict[str, Path]) -> list[str]:
        return [str(bags[bag]), '--out', str(tmp / 'r'), '--no-progress', '--frames', '0', *extra]

    return argv


def _report(tmp: Path) -> dict[str, Any]:
    return json.loads((tmp / 'r' / 'report.json').read_text())


def _skipped_both(tmp: Path, _: dict[str, Path]) -> None:
    drops = _report(tmp)['drops']
    assert (drops['undecodable_messages'], drops['wrong_type_messages']) == (1, 1), drops
    assert _report(tmp)['complete'] is True
    assert _report(tmp)['outputs'] > 0


def _looped_reset(tmp: Path, _: dict[str, Path]) -> None:
    assert _report(tmp)['counters']['time_resets'] == 1


def _no_output(tmp: Path, _: dict[str, Path]) -> None:
    assert not (tmp / 'r').exists()


def _reused(tmp: Path, bags: dict[str, Path]) -> list[str]:
    out = tmp / 'r'
    out.mkdir()
    (out / 'report.json').write_text('{"mine": 1}')
    return [str(bags['clean']), '--out', str(out), '--no-progress', '--frames', '0']


def _report_kept(tmp: Path, _: dict[str, Path]) -> None:
    assert json.loads((tmp / 'r' / 'report.json').read_text()) == {'mine': 1}


def _overwritten(tmp: Path, bags: dict[str, Path]) -> list[str]:
    out = tmp / 'r'
    out.mkdir()
    (out / 'report.json').write_text('{"mine": 1}')
    (out / 'notes.txt').write_text('keep me')
    return [str(bags['clean']), '--out', str(out), '--no-progress', '--frames', '0', '--overwrite']


def _foreign_kept(tmp: Path, _: dict[str, Path]) -> None:
    assert (tmp / 'r' / 'notes.txt').read_text() == 'keep me'
    assert _report(tmp)['complete'] is True


def _overwrite_missing_bag(tmp: Path, bags: dict[str, Path]) -> list[str]:
    out = tmp / 'r'
    out.mkdir()
    (out / 'report.json').write_text('{"mine": 1}')
    return [str(tmp / 'no-such-bag'), '--out', str(out), '--no-progress', '--overwrite']


def _resume_elsewhere(tmp: Path, bags: dict[str, Path]) -> list[str]:
    return [*_with_run(tmp, bags), '--resume', str(_trainable_cls(tmp))]


def _trainable_cls(tmp: Path) -> Path:
    """A resumable checkpoint of another run (synthetic_cls architecture)."""
    from asynet_core.models import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(CLS)
    (tmp / 'other').mkdir()
    path = tmp / 'other' / 'last.pt'
    save_checkpoint(path, loaded.model, loaded.config, optimizer={}, scheduler={}, epoch=1,
                    best=0.0)  # fmt: skip
    return path


def _out_is_file(tmp: Path, bags: dict[str, Path]) -> list[str]:
    (tmp / 'r').write_text('a file')
    return [str(bags['clean']), '--out', str(tmp / 'r'), '--no-progress']


def _with_run(tmp: Path, _: dict[str, Path]) -> list[str]:
    run = tmp / 'run'
    run.mkdir()
    (run / 'best.pt').write_bytes(b'a better model')
    config = str(ROOT / 'config' / 'train' / 'synthetic_cls.yaml')
    return ['--config', config, f'out_dir={run}', f'data.root={tmp / "data"}']


def _best_kept(tmp: Path, _: dict[str, Path]) -> None:
    assert (tmp / 'run' / 'best.pt').read_bytes() == b'a better model'
    assert not (tmp / 'data').exists()  # refused before any data was generated


def _train(*extra: str) -> Callable[[Path, dict[str, Path]], list[str]]:
    def argv(tmp: Path, _: dict[str, Path]) -> list[str]:
        config = str(ROOT / 'config' / 'train' / 'synthetic_cls.yaml')
        return ['--config', config, f'out_dir={tmp / "run"}', f'data.root={tmp / "data"}', *extra]

    return argv


def _no_data(tmp: Path, _: dict[str, Path]) -> None:
    assert not (tmp / 'data').exists()


def _existing_export(tmp: Path, _: dict[str, Path]) -> list[str]:
    (tmp / 'model.pt').write_bytes(b'mine')
    return ['--checkpoint', str(DET), '--out', str(tmp / 'model.pt')]


def _export_kept(tmp: Path, _: dict[str, Path]) -> None:
    assert (tmp / 'model.pt').read_bytes() == b'mine'


def _fifo_is_fifo(tmp: Path, _: dict[str, Path]) -> None:
    import stat

    assert stat.S_ISFIFO((tmp / 'pipe.json').lstat().st_mode)  # not replaced by a file


def _mains() -> dict[str, Callable[[list[str]], int]]:
    from asynet_benchmarks.async_vs_recompute import main as bench
    from asynet_tools.events import main as events
    from asynet_tools.replay import main as replay
    from asynet_training.evaluate import main as evaluate
    from asynet_training.export import main as export
    from asynet_training.flops import main as flops
    from asynet_training.train import main as train

    return {
        'asynet-replay': replay,
        'asynet-events': events,
        'asynet-flops': flops,
        'asynet-bench': bench,
        'train.py': train,
        'evaluate.py': evaluate,
        'export.py': export,
    }


CASES = [
    Case('replay: a String and a truncated record on the event topic are counted and skipped',
         'asynet-replay', _replay_argv('hostile'), 0, '', _skipped_both),
    Case('replay: a looped evt3 bag resets once (header stamps), not a 16.7 s clock wrap',
         'asynet-replay', _replay_argv('looped'), 0, '', _looped_reset),
    Case('replay: --out holding a replay is refused and its report kept',
         'asynet-replay', _reused, 2,
         r'--out .* holds a replay already \(report\.json\); pass --overwrite', _report_kept),
    Case("replay: --overwrite replaces the replay, not the folder's other files",
         'asynet-replay', _overwritten, 0, '', _foreign_kept),
    Case('replay: --overwrite with a mistyped bag keeps the old replay', 'asynet-replay',
         _overwrite_missing_bag, 2, r'bag .*/no-such-bag does not exist', _report_kept),
    Case('train: --resume of another run into an out_dir holding a run', 'train.py',
         _resume_elsewhere, 2, r'out_dir .*/run holds a run already \(best\.pt\)', _best_kept),
    Case('replay: --out is a file', 'asynet-replay', _out_is_file, 2,
         r'--out .*/r exists and is not a folder'),
    Case('replay: a missing --labels file is refused before the bag is read',
         'asynet-replay', _replay_argv('clean', '--labels', '/nonexistent/l.npy'), 2,
         r'labels file /nonexistent/l\.npy does not exist', _no_output),
    Case('replay: a checkpoint with NaN weights', 'asynet-replay',
         lambda tmp, bags: [*_replay_argv('clean')(tmp, bags), '--checkpoint',
                            str(_nan_checkpoint(tmp))],
         2, r'nan\.pt has non-finite weights: trunk\.\S+: \d+ NaN, 0 Inf', _no_output),
    Case('events stats: hostile messages are counted and skipped', 'asynet-events',
         lambda tmp, bags: ['stats', str(bags['hostile'])], 0, ''),
    Case('events stats: 1000 random bytes saved as .dat', 'asynet-events',
         lambda tmp, bags: ['stats', str(_random_file(tmp / 'r.dat'))], 2,
         r'r\.dat: the DAT file has no Width/Height, and its events span \d+x\d+ pixels, more '
         r'than any event camera'),
    Case('events stats: a metadata.yaml without files', 'asynet-events',
         lambda tmp, bags: ['stats', str(_empty_bag(tmp))], 2, r'has 0 event topics'),
    Case('events stats: a truncated .dat file', 'asynet-events',
         lambda tmp, bags: ['stats', str(_truncated_dat(tmp))], 2,
         r't\.dat: truncated DAT file, \d+ bytes of events after the header is not a multiple'),
    Case('events stats: metadata.yaml counting messages but listing no file', 'asynet-events',
         lambda tmp, bags: ['stats', str(_fileless_bag(tmp, bags['clean']))], 2,
         r'metadata\.yaml counts \d+ messages but lists no storage file'),
    Case('events synth: --seconds inf', 'asynet-events',
         lambda tmp, bags: ['synth', str(tmp / 's'), '--seconds', 'inf'], 2,
         r'seconds must be in \(0, 3600\.0\] and packet_us in \[1, 3600000000\], got inf'),
    Case('flops: --json is a FIFO, refused before computing', 'asynet-flops',
         lambda tmp, bags: ['--arch', 'ncars', '--samples', '1', '--json', str(_fifo(tmp))], 2,
         r'pipe\.json exists and is not a regular file; outputs go to files only', _fifo_is_fifo),
    Case('flops: --dataset root missing', 'asynet-flops',
         lambda tmp, bags: ['--arch', 'ncars', '--dataset', 'ncars', '--root', str(tmp / 'no')],
         2, r'directory not found'),
    Case('bench: --json is a FIFO, refused before measuring', 'asynet-bench',
         lambda tmp, bags: ['--arch', 'ncars', '--json', str(_fifo(tmp))], 2,
         r'pipe\.json exists and is not a regular file', _fifo_is_fifo),
    Case('train: out_dir holding a run is refused before any data', 'train.py', _with_run, 2,
         r'out_dir .*/run holds a run already \(best\.pt\); pass --resume .*last\.pt', _best_kept),
    Case('train: --resume from a bundled (exported) checkpoint', 'train.py',
         _train('--resume', str(CLS)), 2,
         r'cannot resume from .*synthetic_cls\.pt: it has no training state', _no_data),
    Case('train: --resume from a checkpoint of another architecture', 'train.py',
         lambda tmp, bags: _train('--resume', str(_trainable_det(tmp)))(tmp, bags), 2,
         r"cannot resume from .*: it is arch/backbone/representation \('small_det'", _no_data),
    Case('train: --resume and --overwrite together', 'train.py',
         _train('--resume', str(CLS), '--overwrite'), 2, r'choose one', _no_data),
    Case('train: a config error is one line', 'train.py', _train('optim.lr=fast'), 2,
         r"optim\.lr must be float, got 'fast'", _no_data),
    Case('evaluate: --json is a FIFO', 'evaluate.py',
         lambda tmp, bags: ['--checkpoint', str(CLS), '--json', str(_fifo(tmp))], 2,
         r'pipe\.json exists and is not a regular file', _fifo_is_fifo),
    Case('export: an existing --out is kept without --overwrite', 'export.py',
         _existing_export, 2, r'model\.pt exists; pass --overwrite to replace it', _export_kept),
    Case('export: --out is a FIFO (a device such as /dev/full alike)', 'export.py',
         lambda tmp, bags: ['--checkpoint', str(DET), '--out', str(_fifo(tmp))], 2,
         r'pipe\.json exists and is not a regular file', _fifo_is_fifo),
    Case('export: a checkpoint with NaN weights', 'export.py',
         lambda tmp, bags: ['--checkpoint', str(_nan_checkpoint(tmp)), '--out',
                            str(tmp / 'out.pt')], 2,
         r'has non-finite weights: trunk\.\S+: 1 NaN, 0 Inf'),
]  # fmt: skip


def _truncated_dat(tmp: Path) -> Path:
    from asynet_core.events import make_events
    from asynet_training.formats import write_dat

    path = tmp / 't.dat'
    write_dat(path, make_events([1, 2, 3], [1, 2, 3], [10, 20, 30], [1, 0, 1]), 8, 8)
    path.write_bytes(path.read_bytes()[:-3])
    return path


def _fileless_bag(tmp: Path, clean: Path) -> Path:
    """The clean bag's metadata without its files (read as an empty bag with rc 0 before)."""
    import yaml

    meta = yaml.safe_load((clean / 'metadata.yaml').read_text())
    meta['rosbag2_bagfile_information']['relative_file_paths'] = []
    meta['rosbag2_bagfile_information']['files'] = []
    bag = tmp / 'fileless'
    bag.mkdir()
    (bag / 'metadata.yaml').write_text(yaml.safe_dump(meta))
    return bag


def _random_file(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 1000, dtype=np.uint8).tobytes())
    return path


def _empty_bag(tmp: Path) -> Path:
    bag = tmp / 'empty'
    bag.mkdir()
    (bag / 'metadata.yaml').write_text(
        'rosbag2_bagfile_information:\n  version: 8\n  storage_identifier: sqlite3\n'
        '  relative_file_paths: []\n  duration: {nanoseconds: 0}\n'
        '  starting_time: {nanoseconds_since_epoch: 0}\n  message_count: 0\n'
        '  topics_with_message_count: []\n  compression_format: ""\n  compression_mode: ""\n'
        '  files: []\n  custom_data: {}\n  ros_distro: jazzy\n'
    )
    return bag


def _trainable_det(tmp: Path) -> Path:
    """A checkpoint with training state, for another architecture than synthetic_cls."""
    from asynet_core.models import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(DET)
    path = tmp / 'det_last.pt'
    save_checkpoint(path, loaded.model, loaded.config, optimizer={}, scheduler={}, epoch=1,
                    best=0.0)  # fmt: skip
    return path


@pytest.mark.parametrize('case', CASES, ids=[c.name for c in CASES])
def test_red_team(
    case: Case, bags: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = case.argv(tmp_path, bags)
    rc, err = _run(_mains()[case.prog], argv, capsys)
    assert rc == case.rc, err[-2000:]
    assert 'Traceback' not in err, err
    if case.message:
        line = _one_line(err, case.prog)
        assert line.startswith(f'{case.prog}: error: '), line
        assert re.search(case.message, line), line
    if case.check is not None:
        case.check(tmp_path, bags)


def test_debug_shows_the_traceback(bags: dict[str, Path], capsys: Any) -> None:
    from asynet_tools.replay import main

    assert main([str(bags['clean']), '--out', '/nonexistent-file-for-sure', '--debug',
                 '--labels', '/nonexistent/l.npy']) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert 'Traceback' in err
    assert err.rstrip().splitlines()[-1].startswith('asynet-replay: error: ')


# ---------------------------------------------------------------------------------------------
# In their own process: interrupts and a full disk
# ---------------------------------------------------------------------------------------------


def _long_bag(tmp_path: Path) -> Path:
    bag = tmp_path / 'long'
    write_synthetic_bag(bag, seconds=3.0, seed=4)
    return bag


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
def test_replay_interrupted_leaves_a_valid_partial_result(tmp_path: Path, signum: int) -> None:
    bag, out = _long_bag(tmp_path), tmp_path / 'r'
    # One update per message, so that the replay is still running when the signal comes.
    cmd = [sys.executable, '-m', 'asynet_tools.replay', str(bag), '--out', str(out),
           '--no-progress', '--frames', '2', '--output-rate-hz', '0']  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / 'outputs').exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)  # mid-run
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert f'asynet-replay: interrupted ({signal.Signals(signum).name})' in err
    assert 'Traceback' not in err
    report = json.loads((out / 'report.json').read_text())
    assert report['complete'] is False
    assert report['stopped'] == f'interrupted ({signal.Signals(signum).name})'
    with Reader(out / 'outputs') as reader:  # a valid bag, holding what was produced
        written = sum(1 for c, _, _ in reader.messages() if c.topic == '/asynet/detections')
    assert written == report['outputs'] > 0
    assert report['messages'] < 3000


def _disk_full_at(limit: int) -> Callable[[], None]:
    """For a child: writes past ``limit`` bytes per file fail (EFBIG), as on a full disk."""

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return small_files


def test_replay_on_a_full_disk_names_the_file_and_leaves_no_half_report(tmp_path: Path) -> None:
    """RLIMIT_FSIZE stands for a full disk: writes past it fail with EFBIG, as ENOSPC would."""
    bag, out = _long_bag(tmp_path), tmp_path / 'r'
    limit = 64 * 1024

    cmd = [sys.executable, '-m', 'asynet_tools.replay', str(bag), '--out', str(out),
           '--no-progress', '--frames', '0']  # fmt: skip
    full = _disk_full_at(limit)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, preexec_fn=full,
                          check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert 'Traceback' not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith('asynet-replay: error: '), line
    assert str(out) in line, line
    report = out / 'report.json'
    assert not report.exists() or json.loads(report.read_text())['complete'] is False


def test_bag2dataset_on_a_full_disk_names_the_file_and_leaves_no_truncated_file(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / 'ds'
    limit = 4 * 1024  # smaller than one 5000-event sample (40 kB)

    cmd = [sys.executable, '-m', 'asynet_tools.bag2dataset', str(bags['clean']), '--out',
           str(out), '--format', 'ncars', '--class-name', 'cars', '--window-events', '5000',
           '--downscale', '3', '--no-progress']  # fmt: skip
    full = _disk_full_at(limit)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, preexec_fn=full,
                          check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert 'Traceback' not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith('asynet-bag2dataset: error: write failed, disk full?'), line
    assert line.endswith('obj_000000_td.dat'), line
    assert not [p for p in out.rglob('*') if p.is_file()]  # no truncated (or hidden) file


def _signal_when(proc: subprocess.Popen[str], ready: Callable[[], bool], signum: int) -> str:
    deadline = time.monotonic() + 180
    while not ready() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=180)
    return err


def test_training_interrupted_keeps_a_resumable_last_checkpoint(tmp_path: Path) -> None:
    from asynet_core.models import load_checkpoint

    config = str(ROOT / 'config' / 'train' / 'synthetic_cls.yaml')
    run = tmp_path / 'run'
    args = ['--config', config, f'out_dir={run}', f'data.root={tmp_path / "data"}',
            'data.synthetic_train=2', 'data.synthetic_val=1', 'data.synthetic_test=1',
            'optim.batch_size=5']  # fmt: skip
    cmd = [sys.executable, str(ROOT / 'training' / 'train.py'), *args, 'optim.epochs=500']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err = _signal_when(proc, (run / 'last.pt').exists, signal.SIGINT)
    assert proc.returncode == 130, err[-2000:]
    assert 'train.py: interrupted (SIGINT)' in err
    assert 'Traceback' not in err
    epoch = int(load_checkpoint(run / 'last.pt').extra['epoch'])  # complete, never half-written
    assert 1 <= epoch < 500
    resume = [*args, '--resume', str(run / 'last.pt'), f'optim.epochs={epoch + 1}']
    done = subprocess.run([sys.executable, str(ROOT / 'training' / 'train.py'), *resume],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert load_checkpoint(run / 'last.pt').extra['epoch'] == epoch + 1


def test_bag2dataset_interrupted_leaves_only_complete_files(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    from asynet_training.formats import read_dat

    bag, out = _long_bag(tmp_path), tmp_path / 'ds'
    cmd = [sys.executable, '-m', 'asynet_tools.bag2dataset', str(bag), '--out', str(out),
           '--format', 'ncars', '--class-name', 'cars', '--window-events', '2000',
           '--downscale', '3', '--no-progress']  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def some_written() -> bool:
        return len(list(out.rglob('*.dat'))) >= 3

    err = _signal_when(proc, some_written, signal.SIGTERM)
    assert proc.returncode == 130, err[-2000:]
    assert 'asynet-bag2dataset: interrupted (SIGTERM)' in err
    files = [p for p in out.rglob('*') if p.is_file()]
    assert files
    assert all(p.suffix == '.dat' and not p.name.startswith('.') for p in files), files
    for path in files:  # each one whole
        events, header = read_dat(path)
        assert len(events) == 2000
        assert (header['width'], header['height']) == (101, 80)  # 304x240 // 3


def test_unicode_paths_everywhere(bags: dict[str, Path], tmp_path: Path, capsys: Any) -> None:
    from asynet_tools.replay import main as replay

    folder = tmp_path / 'Aufnahmen 事件 ✓'
    folder.mkdir()
    bag = folder / 'bag é'
    write_synthetic_bag(bag, seconds=0.2, seed=5)
    out = folder / 'résultats'
    assert replay([str(bag), '--out', str(out), '--no-progress', '--frames', '1']) == 0
    assert json.loads((out / 'report.json').read_text(encoding='utf-8'))['bag'] == str(bag)
    assert replay([str(bag), '--out', str(out), '--no-progress']) == 2
    assert f'--out {out} holds a replay already' in capsys.readouterr().err


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write to.

    For root (who ignores permissions) a read-only tmpfs, where mounting works; else a folder
    without write permission.
    """
    folder = tmp_path / 'ro'
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mount = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', str(folder)],
                           capture_output=True, text=True, check=False)  # fmt: skip
    if mount.returncode != 0:
        pytest.skip(f'root without a way to make a read-only folder: {mount.stderr.strip()}')
    try:
        yield folder
    finally:
        subprocess.run(['umount', str(folder)], check=False)


def test_a_read_only_destination_is_refused_before_the_work(
    read_only_folder: Path, capsys: Any
) -> None:
    from asynet_training.flops import main as flops

    target = read_only_folder / 'flops.json'
    assert flops(['--arch', 'ncars', '--samples', '1', '--json', str(target)]) == 2
    line = _one_line(capsys.readouterr().err, 'asynet-flops')
    assert (
        line == f'asynet-flops: error: cannot write {target}: {read_only_folder} is not writable'
    )


def test_two_replays_into_one_folder_one_wins_and_its_report_is_intact(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / 'r'
    cmd = [sys.executable, '-m', 'asynet_tools.replay', str(bags['clean']), '--out', str(out),
           '--no-progress', '--frames', '0']  # fmt: skip
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    assert sorted(rc for rc, _ in results) == [0, 2], results
    loser = next(err for rc, err in results if rc == 2)
    assert 'Traceback' not in loser
    assert re.search(r'holds a replay already|cannot write the output bag', loser), loser
    assert _report(tmp_path)['complete'] is True


def test_a_huge_claimed_sensor_renders_a_bounded_frame() -> None:
    """A header claiming 65535x65535 made replay's GIF and the debug image allocate 12 GiB."""
    from asynet_core.events import make_events, SensorSize
    from asynet_ros.visual import MAX_FRAME_SIDE, render

    events = make_events([0, 65534], [0, 65534], [0, 1], [1, 0])
    frame = render(events, SensorSize(65535, 65535))
    assert frame.shape == (MAX_FRAME_SIDE, MAX_FRAME_SIDE, 3)
    assert frame.nbytes < 5 * 2**20


def test_frames_are_sampled_from_the_outputs_produced(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    """--frames 10 with --update-every-us 50000 wrote 1 frame (sampling used the message count)."""
    from asynet_tools.replay import main as replay

    out = tmp_path / 'r'
    argv = [str(bags['clean']), '--out', str(out), '--no-progress', '--frames', '6',
            '--update-every-us', '50000']  # fmt: skip
    assert replay(argv) == 0
    assert _report(tmp_path)['outputs'] >= 6
    assert len(list((out / 'frames').glob('frame_*.png'))) == 6
