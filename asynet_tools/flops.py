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

"""``asynet-flops``: FLOPs per update on moving edges, dataset samples or any recording.

Run::

    asynet-flops --arch gen1_det --recording BAG_OR_FILE [--topic T] [--width W --height H] \
        --window 25000 --update-events 1 --samples 10 --json out/flops_recording.json

``--recording`` takes a rosbag2 bag or a Prophesee RAW (EVT 2.0/2.1/3.0) or DAT file (read by
:func:`asynet_ros.recording.open_recording`; ``--width/--height`` for files whose header gives no
size). Sample ``i`` is ``--window`` + ``--update-events`` consecutive events of the recording (in
its order) from a random offset (seeded by ``--seed``); the window slides by ``--update-events``
as with ``--dataset`` (:mod:`asynet_training.flops`, which this command extends). A recording
shorter than window + update events is used whole with the window shortened to fit, as
``--dataset`` does: then a note goes to stderr, and the table's and the report's ``window`` is
the window used (``window_requested`` is ``--window``). A recording of no more than
``--update-events`` events is refused. The recording is read twice (to count its events, then to
cut the windows) and only the windows are held. The report says ``"source": "recording"`` and
describes the recording under ``recording``. ``--width/--height`` are refused for a bag (its
messages carry the size); ``--window`` and ``--update-events`` are at most
:data:`MAX_WINDOW_EVENTS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from pathlib import Path
import sys
from typing import Any

import numpy as np

from asynet_core import cli
from asynet_core.events import concatenate_events, SensorSize
from asynet_core.flops_cli import MAX_COUNT, parser, report_and_write
from asynet_tools.events import add_sensor_options, sensor_option
from asynet_training import flops as training_flops

__all__ = ['MAX_WINDOW_EVENTS', 'main', 'recording_windows', 'window_used']

#: The largest ``--window`` and ``--update-events``: 100 M events (about 1.6 GB of them); the
#: parser's own bound (:data:`asynet_core.flops_cli.MAX_COUNT`).
MAX_WINDOW_EVENTS = MAX_COUNT


def recording_windows(
    path: str | Path,
    length: int,
    samples: int,
    seed: int,
    *,
    topic: str | None = None,
    sensor: SensorSize | None = None,
) -> tuple[list[np.ndarray], SensorSize, dict[str, Any]]:
    """``samples`` windows of ``length`` consecutive events at random offsets of a recording.

    Returns:
        (the windows, the sensor size, ``{'path', **Recording.describe(), 'events'}``).

    Raises:
        BagError / EventFileError: a bad recording (see :func:`open_recording`).
        ValueError: the recording holds fewer than two events.
    """
    from asynet_ros.recording import open_recording  # rosbags and the readers: after --help

    with open_recording(path, topic=topic, sensor=sensor) as recording:
        total = sum(len(events) for events in recording.events())
        if total < 2:
            raise ValueError(
                f'{path} holds {total} event(s): a window cannot slide; give a longer recording'
            )
        rng = np.random.default_rng(seed)
        starts = rng.integers(0, max(1, total - length + 1), size=samples)
        windows = _cut(recording.events(), starts, length)
        found = recording.sensor
        info = {'path': str(path), **recording.describe(), 'events': total}
    if found is None:  # a bag sets it with its first message: unreachable with events
        raise ValueError(f'{path}: no sensor size; give --width and --height')
    return windows, found, info


def window_used(path: str | Path, total: int, window: int, update_events: int) -> int:
    """The window of a recording of ``total`` events: ``window``, or shortened to fit.

    Raises:
        ValueError: ``total`` is not above ``update_events``: no window can slide.
    """
    if total <= update_events:
        raise ValueError(
            f'{path} holds {total} events: a window cannot slide by {update_events}; give '
            f'--update-events below {total} or a longer recording'
        )
    return min(window, total - update_events)


def _cut(chunks: Iterator[np.ndarray], starts: np.ndarray, length: int) -> list[np.ndarray]:
    """The events ``[start, start + length)`` of the stream ``chunks``, for each start."""
    parts: list[list[np.ndarray]] = [[] for _ in starts]
    seen = 0
    for chunk in chunks:
        lo, hi = seen, seen + len(chunk)
        for i, start in enumerate(starts):
            a, b = max(int(start), lo), min(int(start) + length, hi)
            if a < b:
                parts[i].append(chunk[a - lo : b - lo])
        seen = hi
        if seen >= int(starts.max()) + length:
            break  # every window is whole
    return [concatenate_events(p) for p in parts]


def _parser() -> argparse.ArgumentParser:
    p = parser()
    training_flops.add_dataset_options(p)
    p.add_argument('--recording', type=Path, help='a rosbag2 bag or a .raw / .dat event file')
    p.add_argument('--topic', help="a bag's event topic (default: its only one)")
    add_sensor_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``asynet-flops``)."""
    p = _parser()
    args = p.parse_args(argv)
    training_flops.check_dataset_options(p, args)
    if args.recording is not None and args.dataset is not None:
        p.error('give --recording or --dataset, not both')
    if args.recording is None and {args.width, args.height, args.topic} != {None}:
        p.error('--topic and --width/--height go with --recording')
    sensor = sensor_option(p, args, args.recording)
    return cli.run_command('asynet-flops', lambda: _main(args, sensor), debug=args.debug)


def _main(args: argparse.Namespace, sensor: SensorSize | None) -> int:
    if args.recording is None:
        return training_flops.run(args)
    from asynet_core.flops_cli import flops_report  # torch: after the arguments parsed

    if args.json is not None:
        cli.check_output_file(args.json)  # before the computation, not after
    length = args.window + args.update_events
    windows, found, info = recording_windows(
        args.recording, length, args.samples, args.seed, topic=args.topic, sensor=sensor
    )
    window = window_used(args.recording, info['events'], args.window, args.update_events)
    if window < args.window:
        print(
            f'asynet-flops: {args.recording} holds {info["events"]} events, fewer than --window '
            f'{args.window} + --update-events {args.update_events}: the window is shortened to '
            f'{window} events, the largest that fits',
            file=sys.stderr,
        )
    report = flops_report(
        args.arch,
        window,
        args.update_events,
        args.samples,
        args.seed,
        lambda i: (windows[i], found),
        source_kind='recording',
    )
    report['window_requested'] = args.window
    report['recording'] = info
    return report_and_write(report, args.json)


if __name__ == '__main__':
    sys.exit(main())
