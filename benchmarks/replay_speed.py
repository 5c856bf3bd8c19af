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

"""Replay speed: ``asynet-replay`` at its default output rate against exact per-message updates.

Run::

    python -m asynet_benchmarks.replay_speed [RECORDING ...] [--repeat 3] [--seconds 2]
        [--checkpoint C] [--rate 100] [--json OUT]

Each recording (default: a demo bag of ``--seconds`` written here by ``asynet-events synth``,
plus every bag under ``../shared/data/bags`` when present) is replayed by a fresh
``asynet-replay`` process (``--frames 0``) at ``--output-rate-hz RATE`` and at
``--output-rate-hz 0`` (one update per message), the two interleaved ``--repeat`` times so both
see the same machine load. Per recording and way, medians of the report's ``x_real_time``
(recording seconds per wall second of the replay loop) and ``x_real_time_process`` (per wall
second of the whole command, start-up included), and the ratio of the default's loop speed to
the exact one's, measured side by side. One table, then the figures as one JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
from typing import Any

__all__ = ['main', 'measure', 'recordings']

#: The real recordings beside the checkout (``../shared/data/bags``).
SHARED_BAGS = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'bags'


def recordings(given: list[Path], tmp: Path, seconds: float) -> list[Path]:
    """The recordings to replay: ``given``, else a demo bag written into ``tmp`` and the shared."""
    if given:
        return given
    demo = tmp / 'demo'
    cmd = [sys.executable, '-m', 'asynet_tools.events', 'synth', str(demo)]
    subprocess.run([*cmd, '--seconds', str(seconds)], check=True, capture_output=True)
    shared = sorted(p for p in SHARED_BAGS.iterdir() if p.is_dir()) if SHARED_BAGS.is_dir() else []
    return [demo, *shared]


def _replay(bag: Path, out: Path, rate: float, checkpoint: Path | None) -> dict[str, Any]:
    """One ``asynet-replay`` process; its report."""
    cmd = [sys.executable, '-m', 'asynet_tools.replay', str(bag), '--out', str(out), '--overwrite',
           '--no-progress', '--frames', '0', '--output-rate-hz', str(rate)]  # fmt: skip
    if checkpoint is not None:
        cmd += ['--checkpoint', str(checkpoint)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}')
    report: dict[str, Any] = json.loads((out / 'report.json').read_text())
    return report


def measure(
    bag: Path, tmp: Path, rate: float, repeat: int, checkpoint: Path | None
) -> dict[str, Any]:
    """Both ways of one recording, interleaved ``repeat`` times; medians and the ratio."""
    ways: dict[str, list[dict[str, Any]]] = {'default': [], 'exact': []}
    for _ in range(repeat):
        ways['default'].append(_replay(bag, tmp / 'out_default', rate, checkpoint))
        ways['exact'].append(_replay(bag, tmp / 'out_exact', 0.0, checkpoint))
    row: dict[str, Any] = {'recording': str(bag), 'sensor_s': ways['exact'][0]['sensor_s']}
    for way, reports in ways.items():
        row[way] = {
            'updates': reports[0]['updates'],
            'x_real_time': statistics.median(r['x_real_time'] or 0.0 for r in reports),
            'x_real_time_process': statistics.median(
                r['x_real_time_process'] or 0.0 for r in reports
            ),
            'wall_s': statistics.median(r['wall_s'] for r in reports),
        }
    exact = row['exact']['x_real_time']
    row['speedup'] = row['default']['x_real_time'] / exact if exact else None
    return row


def _table(rows: list[dict[str, Any]], rate: float) -> str:
    head = f'{"recording":<24} {"sensor s":>8} {"outputs":<10} {"updates":>7} {"x rt":>7} '
    head += f'{"x proc":>7}'
    lines = [head, '-' * len(head)]
    for r in rows:
        name = Path(r['recording']).name[:24]
        for way, label in (('default', f'{rate:g} Hz'), ('exact', 'per msg')):
            w = r[way]
            lines.append(
                f'{name:<24} {r["sensor_s"]:>8.3f} {label:<10} {w["updates"]:>7} '
                f'{w["x_real_time"]:>7.2f} {w["x_real_time_process"]:>7.2f}'
            )
        speedup = 'n/a' if r['speedup'] is None else f'{r["speedup"]:.2f}x'
        lines.append(f'{name:<24} loop speed, {rate:g} Hz / per message: {speedup}')
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    """Console entry point; prints the table and one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('recordings', nargs='*', type=Path, help='bags or event files')
    p.add_argument('--repeat', type=int, default=3, help='runs of each way (medians)')
    p.add_argument('--seconds', type=float, default=2.0, help="the demo bag's length")
    p.add_argument('--rate', type=float, default=100.0, help='the default way: --output-rate-hz')
    p.add_argument('--checkpoint', type=Path, help='checkpoint (default: the bundled one)')
    p.add_argument('--json', type=Path, help='also write the figures here')
    args = p.parse_args(argv)
    if args.repeat < 1 or args.rate <= 0:
        p.error('--repeat must be >= 1 and --rate > 0')
    with tempfile.TemporaryDirectory(prefix='replay_speed_') as tmp_name:
        tmp = Path(tmp_name)
        rows = [
            measure(bag, tmp, args.rate, args.repeat, args.checkpoint)
            for bag in recordings(args.recordings, tmp, args.seconds)
        ]
    print(_table(rows, args.rate))
    print(json.dumps(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
