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

"""``asynet-replay``: the command line."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from asynet_core.cli import add_debug_option, run_command
from asynet_ros import bundled_checkpoint, params
from asynet_tools.events import add_sensor_options, packet_us_option, sensor_option

__all__ = ['main']


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='asynet-replay', description=__doc__.split('\n\n')[0])
    p.add_argument(
        'bag', type=Path, help='rosbag2 folder (sqlite3, mcap) or event file (.raw, .dat, .aedat4)'
    )
    p.add_argument('--checkpoint', type=Path, help='checkpoint (default: the bundled detector)')
    p.add_argument('--out', type=Path, required=True, help='output folder')
    p.add_argument('--topic', help='event topic (default: the only one in the bag)')
    add_sensor_options(p)
    p.add_argument(
        '--packet-us', type=packet_us_option, default=1000,
        help="an event file's packet length, us of sensor time (default 1000, a driver's; at "
        'most 3600 s)',
    )  # fmt: skip
    p.add_argument(
        '--output-rate-hz', type=float, default=100.0, metavar='HZ',
        help='outputs per second of sensor time where --update-every-events/-us give no policy '
        '(default 100, what a subscriber uses; 0: one exact update per message)',
    )  # fmt: skip
    p.add_argument('--labels', type=Path, help='Gen1 *_bbox.npy labels (sensor time, us)')
    p.add_argument('--frames', type=int, default=8, help='annotated frames to write (0: none)')
    p.add_argument('--gif', action='store_true', help='write replay.gif instead of PNG frames')
    p.add_argument('--no-progress', action='store_true')
    p.add_argument(
        '--overwrite',
        action='store_true',
        help='replace a replay already in --out (only its files)',
    )
    add_debug_option(p)
    params.add_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Console entry point; prints the report summary as JSON."""
    p = _parser()
    args = p.parse_args(argv)
    args.sensor = sensor_option(p, args, args.bag)
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    return run_command('asynet-replay', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    from asynet_tools.replay.run import replay  # torch and spconv: after the arguments parsed

    if args.checkpoint is None:
        args.checkpoint = bundled_checkpoint()
    values = params.option_values(args)
    summary = replay(
        args.bag,
        args.checkpoint,
        args.out,
        topic=args.topic,
        sensor=args.sensor,
        packet_us=args.packet_us,
        labels=args.labels,
        values=values,
        output_rate_hz=args.output_rate_hz,
        device=values['device'],
        frames=args.frames,
        gif=args.gif,
        progress=not args.no_progress,
        overwrite=args.overwrite,
    )
    keys = ('events', 'updates', 'outputs', 'throughput_events_per_s', 'latency_ms_p50',
            'latency_ms_p99', 'sensor_s', 'wall_s', 'x_real_time', 'x_real_time_process',
            'drops', 'metrics')  # fmt: skip
    print(json.dumps({k: summary[k] for k in keys}, indent=2))
    return 0
