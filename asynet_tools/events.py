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

"""``asynet-events``: look at event recordings, and make synthetic ones.

::

    asynet-events stats PATH [--topic T] [--width W --height H]   # a bag or an event file
    asynet-events synth OUT [--seconds 2] [--seed 0] [--storage sqlite3|mcap]
    asynet-events reindex BAG [--overwrite] [--damaged]   # metadata.yaml from its storage files

``stats`` decodes every event and prints JSON: ``messages, events, on, off, sum_x, sum_y,
t_first_ns, t_last_ns, width, height, encoding`` (times are the decoded event times, µs, times
1000), ``kind`` (``rosbag2`` or the file format), ``format`` (a bag's encoding or the file
format), ``sensor_source`` (where the size came from), ``time_order`` (a file's steps back in
time) and a bag's ``salvage`` (what was recovered of a truncated bag). Bags, Prophesee RAW (EVT
2.0, 2.1, 3.0), DAT and AEDAT4 files are read by :func:`asynet_ros.recording.open_recording` (a
file's ``messages`` are its 1 ms packets); N-Caltech101 / N-MNIST ``.bin`` and event ``.npy``
files by :mod:`asynet_training.formats`. ``--width/--height`` give the size of files that do not
say it; they are refused for a bag, whose messages carry it (:data:`BAG_SENSOR_REFUSAL`).

``synth`` (:mod:`asynet_tools.synthetic_bag`) writes a rosbag2 of moving shapes as
``event_camera_msgs/EventPacket`` (``evt3``, 304x240, 1 ms packets) on ``/event_camera/events``,
with their boxes as Gen1 labels (``OUT/labels_bbox.npy``, sensor time in µs) for ``asynet-replay
--labels``. The scene is made of 200 ms segments drawn like the ``synthetic_det`` training
recordings (2 shapes, circle or square, 20 000 events, labels every 50 ms).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
from typing import Any, TYPE_CHECKING

from asynet_core.cli import add_debug_option, run_command
from asynet_tools.synthetic_bag import write_synthetic_bag

if TYPE_CHECKING:
    import numpy as np

    from asynet_core.events import SensorSize
    from asynet_ros.recording import Recording

# numpy and rosbags (asynet_core.events, asynet_ros.bag, .recording, .decoders) are imported where
# used, after the arguments are parsed, so that --help and usage errors answer at once.

__all__ = [
    'BAG_SENSOR_REFUSAL',
    'add_sensor_options',
    'event_stats',
    'main',
    'packet_us_option',
    'sensor_option',
    'write_synthetic_bag',
]

#: The usage error of ``--width/--height`` given with a bag.
BAG_SENSOR_REFUSAL = "a bag's messages carry the sensor size; --width/--height are for event files"


class _Totals:
    """Running counts and sums of the events seen."""

    def __init__(self) -> None:
        self.messages = self.events = self.on = self.off = self.sum_x = self.sum_y = 0
        self.t_first: int | None = None
        self.t_last: int | None = None

    def add(self, events: np.ndarray) -> None:
        import numpy as np

        self.messages += 1
        if not len(events):
            return
        self.events += len(events)
        on = int(np.count_nonzero(events['p']))
        self.on, self.off = self.on + on, self.off + len(events) - on
        self.sum_x += int(events['x'].sum(dtype=np.int64))
        self.sum_y += int(events['y'].sum(dtype=np.int64))
        if self.t_first is None:
            self.t_first = int(events['t'][0])
        self.t_last = int(events['t'][-1])

    def to_dict(self, width: int, height: int, encoding: str) -> dict[str, Any]:
        return {
            'messages': self.messages,
            'events': self.events,
            'on': self.on,
            'off': self.off,
            'sum_x': self.sum_x,
            'sum_y': self.sum_y,
            't_first_ns': _ns(self.t_first),
            't_last_ns': _ns(self.t_last),
            'width': width,
            'height': height,
            'encoding': encoding,
        }


def _ns(t_us: int | None) -> int | None:
    return None if t_us is None else t_us * 1000


def event_stats(
    path: str | Path,
    topic: str | None = None,
    *,
    sensor: SensorSize | None = None,
    packet_us: int = 1000,
) -> dict[str, Any]:
    """The ``stats`` figures of a bag or an event file.

    Args:
        path: a rosbag2 folder (or its ``.db3`` / ``.mcap``), a ``.raw`` / ``.dat`` file (read by
            :func:`asynet_ros.recording.open_recording`), an N-Caltech101 ``.bin`` or an event
            ``.npy`` file.
        topic: a bag's event topic (default: its only one).
        sensor: a file's sensor size where it gives none (RAW without a size line, ``.bin``,
            ``.npy``; those two otherwise report the extent of their events).
        packet_us: the length of a file's packets (``messages`` counts them), µs.

    Raises:
        BagError: a bad bag or topic. EventFileError: a bad ``.raw`` / ``.dat`` file.
        DatasetError: a bad ``.bin`` / ``.npy`` file. FileNotFoundError: no such file.
    """
    from asynet_ros.recording import open_recording

    p = Path(path)
    if p.suffix.lower() in ('.bin', '.npy') and not p.is_dir():
        return _dataset_file_stats(p, sensor)
    with open_recording(p, topic=topic, sensor=sensor, packet_us=packet_us) as recording:
        return _recording_stats(recording)


def _recording_stats(recording: Recording) -> dict[str, Any]:
    """Totals of the readable messages; a bag's others are counted by kind and skipped."""
    from asynet_ros.bag import Skipped
    from asynet_ros.decoders import DecodeError, make_decoder
    from asynet_ros.recording import BAG_KIND

    totals, width, height, encoding = _Totals(), 0, 0, ''
    decoders: dict[str, Any] = {}
    skipped = Skipped()
    decode_errors = 0
    for timestamp, msg in recording.messages(skipped):
        if msg.events is not None:
            totals.add(msg.events)
        else:
            try:
                decoder = decoders.setdefault(msg.encoding, make_decoder(msg.encoding))
                events = decoder.decode(msg.payload, msg.width, msg.height, msg.time_base_ns)
            except DecodeError as err:
                decode_errors += 1
                skipped.first.setdefault('decode_errors', f'bag time {timestamp} ns: {err}')
                continue
            totals.add(events)
        width, height, encoding = msg.width, msg.height, msg.encoding
    sensor = recording.sensor
    if recording.kind != BAG_KIND and sensor is not None:  # a file: whether or not it has events
        width, height, encoding = sensor.width, sensor.height, recording.kind
    stats = totals.to_dict(width, height, encoding)
    info = recording.describe()
    keys = ('kind', 'format', 'sensor_source', 'time_order', 'salvage')
    stats.update({k: info[k] for k in keys})
    if skipped.total or decode_errors:  # a clean bag's figures stay as they were
        stats['skipped'] = {**skipped.to_dict(), 'decode_errors': decode_errors}
        stats['skipped_first'] = skipped.first
    return stats


def _dataset_file_stats(path: Path, sensor: SensorSize | None) -> dict[str, Any]:
    """An N-Caltech101 ``.bin`` or event ``.npy`` file, read whole by asynet_training.formats."""
    if not path.is_file():
        raise FileNotFoundError(f'{path} does not exist: give an event file or a rosbag2 folder')
    from asynet_core.recordings import TimeOrder
    from asynet_training import formats  # optional: the dataset file formats live with training

    reader = formats.read_ncaltech_bin if path.suffix.lower() == '.bin' else formats.read_est_npy
    events = reader(path)
    totals = _Totals()
    totals.add(events)
    if sensor is not None:
        width, height, source = sensor.width, sensor.height, 'given'
    elif len(events):  # formats without a size: the extent seen
        width, height = int(events['x'].max()) + 1, int(events['y'].max()) + 1
        source = 'extent'
    else:
        width, height, source = 0, 0, None
    order = TimeOrder()
    order.update(events['t'])
    fmt = path.suffix.lower()[1:]
    stats = totals.to_dict(width, height, fmt)
    stats.update(
        {'kind': fmt, 'format': fmt, 'sensor_source': source, 'time_order': order.to_dict()}
    )
    return stats


def _size_option(text: str) -> int:
    value = int(text)
    if not 0 < value <= 1 << 16:
        raise argparse.ArgumentTypeError(f'must be in [1, 65536] pixels, got {value}')
    return value


_size_option.__name__ = 'pixel count'  # argparse's words: "invalid pixel count value: 'abc'"


def packet_us_option(text: str) -> int:
    """An argparse type: a packet length in [1, MAX_PACKET_US] µs (``--packet-us``)."""
    from asynet_ros.recording import MAX_PACKET_US  # only when the option is given

    value = int(text)
    if not 1 <= value <= MAX_PACKET_US:
        raise argparse.ArgumentTypeError(
            f'must be in [1, {MAX_PACKET_US}] us of sensor time (an hour at most), got {value}'
        )
    return value


packet_us_option.__name__ = 'packet length'  # "invalid packet length value: 'abc'"


def add_sensor_options(p: argparse.ArgumentParser) -> None:
    """``--width/--height``: the sensor size of files whose header gives none."""
    help_ = 'sensor {} in pixels, for event files whose header gives no size (with --{})'
    p.add_argument('--width', type=_size_option, help=help_.format('width', 'height'))
    p.add_argument('--height', type=_size_option, help=help_.format('height', 'width'))


def sensor_option(
    p: argparse.ArgumentParser, args: argparse.Namespace, path: Path | None = None
) -> SensorSize | None:
    """The ``--width/--height`` size, or ``None``.

    Exits with a usage error if only one is given, or if both are given and ``path`` (the
    recording they would apply to) is a bag (see :func:`~asynet_ros.recording.is_bag_path`):
    :data:`BAG_SENSOR_REFUSAL`.
    """
    if (args.width is None) != (args.height is None):
        p.error('--width and --height go together')
    if args.width is None:
        return None
    from asynet_core.events import SensorSize

    if path is not None:
        from asynet_ros.recording import is_bag_path  # only with --width/--height

        if is_bag_path(path):
            p.error(BAG_SENSOR_REFUSAL)
    return SensorSize(args.width, args.height)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='asynet-events', description=__doc__.split('\n\n')[0])
    add_debug_option(p)
    sub = p.add_subparsers(dest='command', required=True)
    s = sub.add_parser('stats', help='event counts and sums of a bag or event file')
    s.add_argument('path', type=Path)
    s.add_argument('--topic', help='event topic (default: the only one)')
    add_sensor_options(s)
    w = sub.add_parser('synth', help='write a synthetic evt3 bag with labels')
    w.add_argument('out', type=Path)
    w.add_argument('--seconds', type=float, default=2.0)
    w.add_argument('--seed', type=int, default=0)
    w.add_argument('--storage', choices=('sqlite3', 'mcap'), default='sqlite3')
    w.add_argument(
        '--packet-us', type=packet_us_option, default=1000, help='us of sensor time per message'
    )
    r = sub.add_parser('reindex', help="rewrite a bag's metadata.yaml from its storage files")
    r.add_argument('bag', type=Path)
    r.add_argument('--overwrite', action='store_true', help='replace an existing metadata.yaml')
    r.add_argument(
        '--damaged',
        action='store_true',
        help='write it for a damaged bag too (it then counts only the readable messages)',
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    p = _parser()
    args = p.parse_args(argv)
    sensor = sensor_option(p, args, args.path) if args.command == 'stats' else None
    return run_command('asynet-events', lambda: _main(args, sensor), debug=args.debug)


def _main(args: argparse.Namespace, sensor: SensorSize | None) -> int:
    if args.command == 'reindex':
        from asynet_ros.bag_index import write_metadata

        print(write_metadata(args.bag, overwrite=args.overwrite, damaged=args.damaged))
        return 0
    if args.command == 'stats':
        result = event_stats(args.path, args.topic, sensor=sensor)
    else:
        result = write_synthetic_bag(
            args.out,
            seconds=args.seconds,
            seed=args.seed,
            storage=args.storage,
            packet_us=args.packet_us,
        )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
