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

"""``asynet-replay-compare``: the command line (see :mod:`asynet_tools.replay.compare`)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from asynet_core.cli import add_debug_option, run_command
from asynet_core.errors import ConfigError
from asynet_core.modes import UPDATE_MODES
from asynet_ros import params
from asynet_ros.realtime import compute_scale_option
from asynet_tools.events import add_sensor_options, packet_us_option, sensor_option
from asynet_tools.replay import compare as compare_mod
from asynet_tools.replay.compare import (
    check_compute_scales,
    check_modes,
    compare,
    DEFAULT_COMPUTE_SCALES,
    DENSE_MODE,
    PROG,
)
from asynet_tools.replay.compare_report import markdown_table

__all__ = ['main']

#: The parameters taken as options: the pipeline's but ``mode`` (each run sets its own), and the
#: live queue's that the real-time runs simulate.
_OPTIONS = (
    *(name for name in params.PIPELINE_OPTIONS if name != 'mode'),
    'queue_size',
    'queue_bytes',
    'drop_policy',
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=compare_mod.__doc__.split('\n\n')[0])
    p.add_argument('bag', type=Path, help='labelled recording: rosbag2 folder or event file')
    p.add_argument(
        '--labels', type=Path, required=True, help='Gen1 *_bbox.npy labels (sensor time, us)'
    )
    p.add_argument('--out', type=Path, required=True, help='output folder (empty or new)')
    p.add_argument('--checkpoint', type=Path, help='checkpoint (default: the bundled detector)')
    p.add_argument(
        '--dense-checkpoint',
        type=Path,
        help=f'a dense-backbone checkpoint, compared as mode {DENSE_MODE!r}',
    )
    p.add_argument(
        '--modes',
        nargs='+',
        default=list(UPDATE_MODES),
        metavar='MODE',
        help=f'update modes (default: {" ".join(UPDATE_MODES)})',
    )
    p.add_argument(
        '--compute-scale', nargs='+', type=compute_scale_option, metavar='X',
        default=list(DEFAULT_COMPUTE_SCALES),
        help='hardware X times slower than this machine: each update costs X times its '
        'measured time (default: 1 3 10; 0: free; at most 1e6)',
    )  # fmt: skip
    p.add_argument('--topic', help='event topic (default: the only one in the bag)')
    add_sensor_options(p)
    p.add_argument(
        '--packet-us',
        type=packet_us_option,
        default=1000,
        help="an event file's packet length, us of sensor time (default 1000)",
    )
    p.add_argument('--no-progress', action='store_true', help='no line per run on stderr')
    p.add_argument(
        '--overwrite', action='store_true', help='replace a comparison in --out (only its files)'
    )
    add_debug_option(p)
    params.add_options(p, _OPTIONS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Console entry point; prints the Markdown table."""
    p = _parser()
    args = p.parse_args(argv)
    args.sensor = sensor_option(p, args, args.bag)
    for given, check in ((args.modes, check_modes), (args.compute_scale, check_compute_scales)):
        try:
            check(given)
        except ConfigError as err:
            p.error(str(err))
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    return run_command(PROG, lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    document = compare(
        args.bag,
        args.labels,
        args.out,
        checkpoint=args.checkpoint,
        dense_checkpoint=args.dense_checkpoint,
        modes=args.modes,
        compute_scales=args.compute_scale,
        topic=args.topic,
        sensor=args.sensor,
        packet_us=args.packet_us,
        values=params.option_values(args, _OPTIONS),
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    print(markdown_table(document), end='')
    return 0
