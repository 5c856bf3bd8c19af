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

"""The figures of ``make demo`` in a few lines: replay speed and accuracy, the node's live rate.

Run::

    python -m asynet_benchmarks.demo_summary out/demo

Reads ``synth.json`` (what was recorded), ``replay/report.json`` (``asynet-replay``) and
``ros_node.json`` (:mod:`asynet_benchmarks.ros_node_live`) from the demo folder and prints them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
from typing import Any

__all__ = ['main', 'summary_lines']


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError) as err:
        raise ValueError(f'{path}: cannot read the demo figures ({err})') from err
    if not isinstance(data, dict):
        raise ValueError(f'{path}: not a JSON object')
    return data


def _num(value: Any, fmt: str, missing: str = 'n/a') -> str:
    return missing if value is None else format(value, fmt)


def summary_lines(demo: Path) -> list[str]:
    """The summary of the demo folder ``demo``, a line per part.

    Raises:
        ValueError: a figures file is missing or not JSON.
    """
    synth, replay = _load(demo / 'synth.json'), _load(demo / 'replay' / 'report.json')
    node = _load(demo / 'ros_node.json')
    seconds = float(synth['seconds']) or 1.0
    rate = synth['events'] / seconds
    voc = (replay.get('metrics') or {}).get('voc_map50')
    play_s = float(node.get('play_s') or seconds)
    return [
        f'recording: {synth["events"]:,} events in {seconds:.2f} s ({rate / 1e6:.2f} Mev/s)',
        f'replay:    {replay["outputs"]} outputs, '
        f'{_num(replay.get("x_real_time"), ".1f")}x real time '
        f'({_num(replay.get("x_real_time_process"), ".1f")}x with start-up), '
        f'update latency p50 {replay["latency_ms_p50"]:.1f} / p99 {replay["latency_ms_p99"]:.1f} '
        f'ms, VOC mAP@0.5 {_num(voc, ".3f")}',
        f'live node: {node["packets_received"]}/{node["packets_published"]} packets at '
        f'{rate / 1e6:.2f} Mev/s, {node["detection_messages"] / play_s:.0f} outputs/s, '
        f'publish-to-detection latency p50 {_num(node.get("latency_ms_p50"), ".1f")} / '
        f'p99 {_num(node.get("latency_ms_p99"), ".1f")} ms, exit code on SIGINT '
        f'{node.get("node_exit_code_on_sigint")}',
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the demo summary; 2 with one line when a figures file is missing or bad."""
    p = argparse.ArgumentParser(prog='demo_summary', description=__doc__.split('\n\n')[0])
    p.add_argument('demo', type=Path, help='the demo folder (out/demo)')
    args = p.parse_args(argv)
    try:
        lines = summary_lines(args.demo)
    except (ValueError, KeyError, TypeError) as err:
        print(f'demo_summary: error: {err}', file=sys.stderr)
        return 2
    for line in lines:
        print(f'demo: {line}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
