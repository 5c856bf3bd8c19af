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

"""Start-up time of every command line: ``--help`` and an argument error, each in a fresh process.

Run::

    python benchmarks/cli_startup.py [--runs 5] [--target-s 0.3] [--only asynet-flops ...]
        [--baseline OTHER_CHECKOUT] [--json out/cli_startup.json]

Each command (the console scripts of setup.py, as installed, but the rclpy ``detector`` node;
the ``training/*.py`` scripts of a source checkout; ``python -m asynet_training.synthetic``) is
started ``--runs`` times with ``--help`` and ``--runs`` times with an unknown option (an argument
error: exit status 2), in rotating order with a bare ``python -c pass`` in every round, so that
the figures of one round share the machine's load. The table gives the median wall time of
each, the ``--help`` median's ratio to the bare interpreter's, and whether both medians meet
``--target-s`` (a command should answer before it imports torch, spconv, rosbags or cyclonedds).
The processes run with ``PYTHONPATH`` removed,
as a user's shell starts them; a console script is run as its wrapper runs it (import the
entry point, call it). Figures from one run are comparable; runs on different machines are not.

``--baseline DIR`` also times every command from another source tree (e.g. ``git archive`` of an
older commit, with the built extension copied in), in the same rounds: its packages come first
on ``PYTHONPATH`` (``asynet_benchmarks`` being its ``benchmarks/``), so a change is measured side
by side with what it changes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

__all__ = ['Command', 'commands', 'main', 'time_once']

ROOT = Path(__file__).resolve().parents[1]
ERROR_OPTION = '--no-such-option'
BARE = 'python -c pass'
BASELINE = 'baseline: '

DISTRIBUTION = 'asynet_ros'
#: Console scripts not timed, and why.
NOT_TIMED = {'detector': 'the rclpy node: it takes ROS 2 arguments (--ros-args), not options'}
TRAINING_SCRIPTS = ('train.py', 'evaluate.py', 'export.py')


@dataclass(frozen=True)
class Command:
    """One command line: its name in the table and the argv that starts it (options excluded)."""

    name: str
    argv: tuple[str, ...]


def _entry_point_argv(name: str, target: str) -> tuple[str, ...]:
    module, _, func = target.partition(':')
    code = f'import sys\nsys.argv[0] = {name!r}\nfrom {module} import {func}\nsys.exit({func}())'
    return (sys.executable, '-c', code)


def console_scripts() -> dict[str, str]:
    """Name -> ``module:function`` of the installed console scripts, less :data:`NOT_TIMED`.

    Raises:
        LookupError: the package is not installed (no console scripts of its are found).
    """
    found = {
        ep.name: ep.value
        for ep in metadata.entry_points(group='console_scripts')
        if ep.dist is not None and ep.dist.name.replace('-', '_') == DISTRIBUTION
    }
    if not found:
        raise LookupError(
            f'no console scripts of {DISTRIBUTION}: install it (make, pip install -e .)'
        )
    return {name: target for name, target in sorted(found.items()) if name not in NOT_TIMED}


def commands(root: Path = ROOT) -> list[Command]:
    """Every command line to time; the ``training/`` scripts only in a source checkout."""
    found = [Command(name, _entry_point_argv(name, t)) for name, t in console_scripts().items()]
    for script in TRAINING_SCRIPTS:
        path = root / 'training' / script
        if path.is_file():
            found.append(Command(f'training/{script}', (sys.executable, str(path))))
    synthetic = (sys.executable, '-m', 'asynet_training.synthetic')
    found.append(Command('-m asynet_training.synthetic', synthetic))
    return found


def _environment(pythonpath: Sequence[Path] = ()) -> dict[str, str]:
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    if pythonpath:
        env['PYTHONPATH'] = os.pathsep.join(str(path) for path in pythonpath)
    return env


def time_once(argv: Sequence[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, int]:
    """Wall seconds of one run of ``argv`` (output discarded) and its exit status."""
    start = time.perf_counter()
    done = subprocess.run(list(argv), env=env, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start, done.returncode


#: A job: its key in the results, its argv, its environment and its working directory.
_Job = tuple[str, tuple[str, ...], dict[str, str], Path]


def _jobs(selected: list[Command], prefix: str, env: dict[str, str], cwd: Path) -> list[_Job]:
    jobs = []
    for command in selected:
        jobs.append((f'{prefix}{command.name} --help', (*command.argv, '--help'), env, cwd))
        jobs.append(
            (f'{prefix}{command.name} {ERROR_OPTION}', (*command.argv, ERROR_OPTION), env, cwd)
        )
    return jobs


def _measure(jobs: list[_Job], runs: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Every job ``runs`` times, in rounds of all jobs, each round starting one job later."""
    times: dict[str, list[float]] = {key: [] for key, *_ in jobs}
    status: dict[str, int] = {}
    for round_index in range(runs):
        shift = round_index % len(jobs)
        for key, argv, env, cwd in jobs[shift:] + jobs[:shift]:
            seconds, status[key] = time_once(argv, env, cwd)
            times[key].append(seconds)
    return times, status


def _rows(
    selected: list[Command],
    times: dict[str, list[float]],
    status: dict[str, int],
    target_s: float,
    baseline: bool,
) -> list[dict[str, Any]]:
    bare_s = statistics.median(times[BARE])
    rows = []
    for command in selected:
        help_key, error_key = f'{command.name} --help', f'{command.name} {ERROR_OPTION}'
        help_s, error_s = statistics.median(times[help_key]), statistics.median(times[error_key])
        row = {
            'command': command.name,
            'help_s': help_s,
            'help_exit': status[help_key],
            'error_s': error_s,
            'error_exit': status[error_key],
            'help_vs_bare': help_s / bare_s,
            'target': 'met' if max(help_s, error_s) < target_s else 'missed',
        }
        if baseline:
            row['baseline_help_s'] = statistics.median(times[BASELINE + help_key])
            row['baseline_error_s'] = statistics.median(times[BASELINE + error_key])
            row['baseline_vs_this'] = row['baseline_help_s'] / help_s
        rows.append(row)
    return rows


def _print_table(rows: list[dict[str, Any]], bare_s: float, runs: int, target_s: float) -> None:
    baseline = bool(rows) and 'baseline_help_s' in rows[0]
    print(f'median of {runs} runs each, wall seconds; bare `python -c pass`: {bare_s:.3f} s')
    head = f'{"command":30} {"--help s":>8} {"exit":>4} {"error s":>8} {"exit":>4} {"x bare":>6}'
    if baseline:
        head += f' {"base help":>9} {"base err":>8} {"base/this":>9}'
    print(f'{head}  target {target_s:g} s')
    for row in rows:
        line = (
            f'{row["command"]:30} {row["help_s"]:8.3f} {row["help_exit"]:4d} '
            f'{row["error_s"]:8.3f} {row["error_exit"]:4d} {row["help_vs_bare"]:6.1f}'
        )
        if baseline:
            line += (
                f' {row["baseline_help_s"]:9.3f} {row["baseline_error_s"]:8.3f} '
                f'{row["baseline_vs_this"]:9.1f}'
            )
        print(f'{line}  {row["target"]}')


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5, help='runs of each command (default 5)')
    parser.add_argument('--target-s', type=float, default=0.3, help='target seconds (0.3)')
    parser.add_argument('--only', nargs='+', metavar='NAME', help='time these commands only')
    parser.add_argument(
        '--baseline', type=Path, metavar='DIR', help='also time the commands of this source tree'
    )
    parser.add_argument('--json', type=Path, help='also write the rows here')
    return parser


def _select(
    parser: argparse.ArgumentParser, found: list[Command], only: list[str] | None
) -> list[Command]:
    if not only:
        return found
    unknown = sorted(set(only) - {command.name for command in found})
    if unknown:
        parser.error(f'unknown command(s) {unknown}; known: {[c.name for c in found]}')
    return [command for command in found if command.name in only]


def main(argv: Sequence[str] | None = None) -> int:
    """Time every command's ``--help`` and argument error; print the table."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error('--runs must be at least 1')
    if args.baseline is not None and not (args.baseline / 'asynet_core').is_dir():
        parser.error(f'--baseline {args.baseline}: not a source tree (no asynet_core/ in it)')
    try:
        found = commands()
    except LookupError as err:
        parser.exit(2, f'{parser.prog}: error: {err}\n')
    selected = _select(parser, found, args.only)
    jobs: list[_Job] = [(BARE, (sys.executable, '-c', 'pass'), _environment(), ROOT)]
    jobs += _jobs(selected, '', _environment(), ROOT)
    with tempfile.TemporaryDirectory() as links:
        if args.baseline is not None:
            base = args.baseline.resolve()
            (Path(links) / 'asynet_benchmarks').symlink_to(base / 'benchmarks')
            env = _environment([Path(links), base])
            jobs += _jobs(_select(parser, commands(base), args.only), BASELINE, env, base)
        times, status = _measure(jobs, args.runs)
    rows = _rows(selected, times, status, args.target_s, args.baseline is not None)
    bare_s = statistics.median(times[BARE])
    _print_table(rows, bare_s, args.runs, args.target_s)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        record = {'runs': args.runs, 'target_s': args.target_s, 'bare_s': bare_s, 'rows': rows}
        args.json.write_text(json.dumps(record, indent=2) + '\n', encoding='utf-8')
    return 0


if __name__ == '__main__':
    sys.exit(main())
