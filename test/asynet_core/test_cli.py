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

"""How every command fails: one line, exit codes, signals and atomic outputs."""

from __future__ import annotations

import os
from pathlib import Path
import shlex
import signal
import subprocess
import sys
import time

import pytest

from asynet_core import cli


def test_a_second_signal_does_not_cut_the_cleanup_short(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cleaned: list[str] = []
    before = signal.getsignal(signal.SIGTERM)

    def work() -> int:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # interrupted here
            return 0
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # docker stop after Ctrl-C: ignored now
            time.sleep(0.05)
            cleaned.append('closed')

    assert cli.run_command('x', work) == cli.EXIT_INTERRUPTED
    assert cleaned == ['closed']
    assert capsys.readouterr().err == 'x: interrupted (SIGINT)\n'
    assert signal.getsignal(signal.SIGTERM) is before  # restored afterwards


def test_deferred_interrupts_hold_a_signal_until_the_block_ends() -> None:
    steps: list[str] = []

    def work() -> int:
        with cli.deferred_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            steps.append('whole')  # not cut short
        steps.append('after')  # not reached: the held signal raises at the block's end
        return 0

    assert cli.run_command('x', work) == cli.EXIT_INTERRUPTED
    assert steps == ['whole']


def test_errors_are_one_line_and_debug_adds_the_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def work() -> int:
        raise FileNotFoundError(2, 'No such file or directory', '/data/x.bag')

    assert cli.run_command('x', work) == cli.EXIT_BAD_INPUT
    assert capsys.readouterr().err == 'x: error: No such file or directory: /data/x.bag\n'
    assert cli.run_command('x', work, debug=True) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert 'Traceback' in err
    assert err.endswith('x: error: No such file or directory: /data/x.bag\n')


def test_a_failed_atomic_write_names_the_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / 'report.json'
    target.write_text('old')

    def full(_: int) -> None:
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(OSError, match='No space left on device') as info:
        cli.write_json(target, {'new': 1})
    assert cli.describe_error(info.value) == f'No space left on device: {target}'
    assert target.read_text() == 'old'
    assert [p.name for p in tmp_path.iterdir()] == ['report.json']  # no hidden leftover


def test_outputs_go_to_regular_files_only(tmp_path: Path) -> None:
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    with pytest.raises(cli.OutputError, match='exists and is not a regular file'):
        cli.write_json(fifo, {})
    with pytest.raises(cli.OutputError, match='is not a folder'):
        cli.check_output_file(fifo / 'x.json')
    existing = tmp_path / 'a.pt'
    existing.write_bytes(b'')
    with pytest.raises(cli.OutputError, match=r'a\.pt exists; pass --overwrite'):
        cli.check_output_file(existing, overwrite=False)


def _write_then_fail(root: Path, error: BaseException) -> None:
    with cli.new_files_removed_on_error(root):
        (root / 'new' / 'deep').mkdir(parents=True)
        (root / 'new' / 'deep' / 'f.bin').write_bytes(b'1')
        if (root / 'old').is_dir():
            (root / 'old' / 'new.txt').write_text('x')
        raise error


def test_a_failed_writer_leaves_what_was_there_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / 'data'
    (root / 'old').mkdir(parents=True)
    (root / 'old' / 'keep.txt').write_text('before')
    with pytest.raises(KeyboardInterrupt):
        _write_then_fail(root, KeyboardInterrupt())
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob('*')) == [
        'old',
        'old/keep.txt',
    ]
    fresh = tmp_path / 'fresh'
    with pytest.raises(OSError, match='full'):
        _write_then_fail(fresh, OSError('disk full'))
    assert not fresh.exists()
    with cli.new_files_removed_on_error(fresh):  # success keeps everything
        fresh.mkdir()
        (fresh / 'c').write_text('y')
    assert (fresh / 'c').read_text() == 'y'


def test_a_reader_that_leaves_ends_the_command_quietly(tmp_path: Path) -> None:
    """`asynet-events stats BAG | head -1` printed 'error: Broken pipe'."""
    code = (
        'import sys\n'
        'from asynet_core import cli\n'
        'def work():\n'
        '    for i in range(200000):\n'
        '        print("line", i)\n'
        '    return 0\n'
        'sys.exit(cli.run_command("x", work))\n'
    )
    shell = f'{sys.executable} -c {shlex.quote(code)} | head -1; echo "rc=${{PIPESTATUS[0]}}" >&2'
    done = subprocess.run(['bash', '-c', shell], capture_output=True, text=True, timeout=60)
    assert done.stdout == 'line 0\n'
    assert done.stderr == f'rc={cli.EXIT_BROKEN_PIPE}\n'
