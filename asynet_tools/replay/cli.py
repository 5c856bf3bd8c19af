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

"""``asynet-replay``: a recording through a checkpoint as the node runs it (--realtime: timed).

Outputs into a bag, figures (and scores, with --labels) into report.json, annotated frames
beside them; --realtime replays on a simulated clock where each update costs its time.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import json
import logging
from pathlib import Path
from typing import Any

from asynet_core.cli import add_debug_option, run_command
from asynet_ros import bundled_checkpoint, params
from asynet_ros.realtime import compute_scale_option
from asynet_tools.events import add_sensor_options, packet_us_option, sensor_option

__all__ = ['main']

#: The node parameters sizing the simulated queue (``None`` unless given: the node's defaults).
_QUEUE_OPTIONS = ('queue_size', 'queue_bytes', 'drop_policy')


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
        '--output-rate-hz', type=float, default=100.0, metavar='HZ', action=_Given,
        help='outputs per second of sensor time where --update-every-events/-us give no policy '
        '(default 100, what a subscriber uses; 0: one exact update per message; not with '
        '--realtime)',
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
    _add_realtime_options(p)
    return p


def _add_realtime_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group('real-time simulation')
    group.add_argument(
        '--realtime', action='store_true',
        help='replay as the live node would run: a simulated clock in sensor time where each '
        'update costs its measured wall time (times --compute-scale) and takes every message '
        'that arrived meanwhile (continuous sampling: --output-rate-hz does not apply, one '
        'update per batch unless --update-every-events/-us give a policy); each output is '
        'written at its availability, and with --labels metrics.latency_aware scores the '
        'newest output available at each label time',
    )  # fmt: skip
    group.add_argument(
        '--compute-scale', type=compute_scale_option, metavar='S',
        help='with --realtime: hardware S times slower than this machine (default 1; 0: free '
        'compute, the offline per-message replay; at most 1e6)',
    )  # fmt: skip
    for entry in (e for e in params.PARAMETERS if e.name in _QUEUE_OPTIONS):
        group.add_argument(
            '--' + entry.name.replace('_', '-'), type=_param_type(entry),
            choices=entry.choices or None,
            help=f'with --realtime: the node parameter: {entry.description} (default: '
            f'{entry.default!r})',
        )  # fmt: skip


class _Given(argparse.Action):
    """Stores an option's value and notes that it was given (``<dest>_given``)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        setattr(namespace, f'{self.dest}_given', True)


def _param_type(entry: params.ParamSpec) -> Callable[[str], Any]:
    """The parser of a node parameter's option: its type, checked as the node checks it."""
    kind = type(entry.default)

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'expected {kind.__name__}, got {text!r}') from None
        reason = params.check(entry.name, value)
        if reason is not None:
            raise argparse.ArgumentTypeError(reason)
        return value

    parse.__name__ = kind.__name__
    return parse


def _check_realtime(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors: the real-time options without --realtime, an output rate with it."""
    if args.realtime:
        if getattr(args, 'output_rate_hz_given', False):
            p.error(
                '--output-rate-hz does not apply with --realtime (continuous sampling: one '
                'update per batch); give --update-every-events or --update-every-us for a policy'
            )
        return
    given = [
        '--' + name.replace('_', '-')
        for name in ('compute_scale', *_QUEUE_OPTIONS)
        if getattr(args, name) is not None
    ]
    if given:
        p.error(f'{", ".join(given)} needs --realtime')


def main(argv: list[str] | None = None) -> int:
    """Console entry point; prints the report summary as JSON."""
    p = _parser()
    args = p.parse_args(argv)
    args.sensor = sensor_option(p, args, args.bag)
    _check_realtime(p, args)
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    return run_command('asynet-replay', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    from asynet_tools.replay.run import replay  # torch and spconv: after the arguments parsed

    if args.checkpoint is None:
        args.checkpoint = bundled_checkpoint()
    values = params.option_values(args, (*params.PIPELINE_OPTIONS, *_QUEUE_OPTIONS))
    summary = replay(
        args.bag,
        args.checkpoint,
        args.out,
        topic=args.topic,
        sensor=args.sensor,
        packet_us=args.packet_us,
        labels=args.labels,
        values=values,
        output_rate_hz=0.0 if args.realtime else args.output_rate_hz,
        device=values['device'],
        frames=args.frames,
        gif=args.gif,
        progress=not args.no_progress,
        overwrite=args.overwrite,
        realtime=args.realtime,
        compute_scale=1.0 if args.compute_scale is None else args.compute_scale,
    )
    keys = ('events', 'updates', 'outputs', 'throughput_events_per_s', 'latency_ms_p50',
            'latency_ms_p99', 'sensor_s', 'wall_s', 'x_real_time', 'x_real_time_process',
            'drops', 'evaluation', 'metrics')  # fmt: skip
    print(json.dumps({k: summary[k] for k in keys}, indent=2))
    return 0
