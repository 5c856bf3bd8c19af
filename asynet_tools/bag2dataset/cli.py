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


"""``asynet-bag2dataset``: turn a rosbag2 event recording into a training dataset tree.

This module holds :func:`convert` (one bag to files, returning the summary) and the command line
(:func:`main`); the package docstring, :mod:`asynet_tools.bag2dataset`, describes both. The
first paragraph above is the description ``--help`` prints.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
from typing import Any, TYPE_CHECKING

from asynet_core.cli import add_debug_option, run_command
from asynet_core.events import SensorSize
from asynet_core.recordings import open_event_file
from asynet_tools.bag2dataset.config import ConvertConfig, FORMATS
from asynet_tools.bag2dataset.errors import Bag2DatasetError
from asynet_tools.bag2dataset.geometry import fit_options, Geometry, parse_crop, parse_size
from asynet_tools.bag2dataset.labels import class_indices, class_table
from asynet_tools.bag2dataset.sinks import _Gen1Sink, _LabelPlan, _SampleSink, _Sink, _Stream
from asynet_tools.events import add_sensor_options, sensor_option
from asynet_training.datasets.gen1 import CLASSES as GEN1_CLASSES

if TYPE_CHECKING:
    from asynet_tools.bag2dataset.reading import EventSource

# asynet_tools.bag2dataset.reading and asynet_ros.recording import rosbags and tqdm: they are
# imported where used, after the arguments are parsed, so that --help answers at once.

__all__ = ['convert', 'main']


def convert(bag_path: str | Path, config: ConvertConfig, progress: bool = False) -> dict[str, Any]:
    """Convert one bag; return the summary the CLI prints.

    Everything that can be refused is checked before the first file is written: the labels and
    their classes, and (at the first event message) the sensor against the target frame.

    Raises:
        BagError: a missing or bad bag, or an event topic that is absent or of another type.
        Bag2DatasetError: a bad labels topic or label, a sensor that does not fit the dataset's
            frame, geometry options that do not fit the sensor, no events.
        DatasetError: a value the target file format cannot store.
    """
    from asynet_tools.bag2dataset.reading import open_events

    plan, label_info = _labels(bag_path, config)
    with open_events(bag_path, config.topic, progress, config.sensor) as source:
        kind = _Gen1Sink if config.fmt == 'gen1' else _SampleSink
        sink: _Sink = kind(config, source.name, plan)
        stream = _Stream(topic=source.topic)
        _feed(source, config, sink, stream)
        if not stream.events or stream.sensor is None:
            why = f'holds no events ({stream.messages} event messages)'
            if stream.events_read:
                where = config.geometry.options() or 'x < width, y < height'
                why = f'has {stream.events_read} events, none left after {where}'

            where = f'topic {stream.topic} of bag {bag_path}' if stream.topic else str(bag_path)
            raise Bag2DatasetError(f'{where} {why}; nothing written')
        part = sink.finish(stream, stream.sensor)
    return _summary(bag_path, config, stream, stream.sensor, {**label_info, **part})


def _labels(
    bag_path: str | Path, config: ConvertConfig
) -> tuple[_LabelPlan | None, dict[str, Any]]:
    if not config.wants_labels:
        return None, {}
    from asynet_ros.recording import is_bag_path
    from asynet_tools.bag2dataset.reading import read_labels

    if config.labels_bag is None and not is_bag_path(Path(bag_path)):
        raise Bag2DatasetError(
            f'{bag_path} is an event file: it holds no labels; give them with --labels-bag'
        )
    labels = read_labels(config.labels_bag or bag_path, config.labels_topic,
                         config.label_info_topic)  # fmt: skip
    table, source = class_table(config.classes, labels.class_maps, labels.bag)
    indices = class_indices(labels.rows, table, source, GEN1_CLASSES)
    info = {
        'labels_bag': labels.bag,
        'labels_topic': labels.topic,
        'label_messages': labels.messages,
        'classes': dict(sorted(table.items(), key=lambda kv: kv[1])),
        'classes_from': source,
    }
    return _LabelPlan(labels.rows, indices), info


def _feed(source: EventSource, config: ConvertConfig, sink: _Sink, stream: _Stream) -> None:
    for chunk in source.chunks:
        if stream.sensor is None:
            stream.input_sensor = chunk.sensor
            stream.sensor = _fit(config, chunk.sensor)
        stream.encoding = chunk.encoding
        stream.messages += 1
        if not len(chunk.events):
            continue
        stream.clock.append((chunk.stamp_ns, int(chunk.events['t'][0])))
        stream.events_read += len(chunk.events)
        stream.time_order.update(chunk.events['t'])
        events = config.geometry.events(chunk.events, chunk.sensor)
        stream.events += len(events)
        sink.add_events(events, stream.sensor)


def _fit(config: ConvertConfig, sensor: SensorSize) -> SensorSize:
    """The written sensor; refused unless it fits the frame of the reader (nothing written yet)."""
    out = config.geometry.output_sensor(sensor)
    frame = config.spec.frame
    if out.width <= frame.width and out.height <= frame.height:
        return out
    given = config.geometry.options()
    size = f'{sensor.width}x{sensor.height}'
    shown = f'the {size} sensor' + (f' ({out.width}x{out.height} after {given})' if given else '')
    fits = ' or '.join(fit_options(sensor, frame))
    raise Bag2DatasetError(
        f'{shown} does not fit --format {config.fmt}: '
        f'asynet_training.datasets.{config.spec.reader} reads a {frame.width}x{frame.height} '
        f'sensor and refuses events outside it; nothing was written. Add {fits}'
    )


def _summary(
    bag_path: str | Path,
    config: ConvertConfig,
    stream: _Stream,
    sensor: SensorSize,
    part: dict[str, Any],
) -> dict[str, Any]:
    recorded = stream.input_sensor or sensor
    warnings = _input_warnings(bag_path, config, stream)
    if config.fmt == 'gen1' and not config.wants_labels:
        warnings.append(
            'no labels (--labels-topic / --labels-bag): asynet_training.datasets.Gen1 needs a '
            '<name>_bbox.npy beside each <name>_td.dat'
        )
    return {
        'format': config.fmt,
        'bag': str(bag_path),
        'topic': stream.topic,
        'encoding': stream.encoding,
        'input_width': recorded.width,
        'input_height': recorded.height,
        'geometry': config.geometry.options(),
        'width': sensor.width,
        'height': sensor.height,
        'messages': stream.messages,
        'events_read': stream.events_read,
        'events': stream.events,
        'events_dropped': stream.events_read - stream.events,
        'label_messages': 0,
        'labels': 0,
        **part,
        'files_written': len(part['files']),
        'warnings': warnings,
    }


def _input_warnings(bag_path: str | Path, config: ConvertConfig, stream: _Stream) -> list[str]:
    """Doubts about the input: times that step back, a size taken from the events' extent."""
    warnings = []
    order = stream.time_order
    if order.steps_back:
        warnings.append(
            f'the recording time steps back {order.steps_back} times (largest step '
            f'{order.largest_step_back_us} us, first at event {order.first_step_back_index}): '
            'the input is corrupt or out of order; check the samples written'
        )
    path = Path(bag_path)
    if config.sensor is None and path.suffix.lower() in ('.raw', '.dat') and path.is_file():
        with open_event_file(path) as f:  # the header only (a DAT extent: one cheap scan)
            size, source = f.info.sensor, f.info.sensor_source
        if source == 'extent':
            warnings.append(
                f'{path.name} gives no sensor size: {size.width}x{size.height} was taken from the '
                'extent of its events; give the real size with --width/--height'
            )
    return warnings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='asynet-bag2dataset', description=__doc__.split('\n\n')[0])
    p.add_argument(
        'bag', type=Path, help='rosbag2 bag (folder, .db3 or .mcap) or event file (.raw, .dat)'
    )
    p.add_argument('--out', type=Path, required=True, help='dataset root folder')
    p.add_argument('--format', dest='fmt', required=True, choices=sorted(FORMATS))
    p.add_argument('--topic', help='event topic (default: the only one)')
    add_sensor_options(p)
    p.add_argument('--labels-topic', help='gen1: vision_msgs/Detection2DArray topic of the labels')
    p.add_argument(
        '--labels-bag',
        type=Path,
        help='gen1: read the labels from this bag (e.g. asynet-replay OUT/outputs)',
    )
    p.add_argument(
        '--label-info-topic',
        help='gen1: vision_msgs/LabelInfo topic naming the classes (default: any)',
    )
    p.add_argument('--split', help='gen1: train|val|test; ncars: train|test (default train)')
    p.add_argument('--class-name', help='class folder (ncars: cars|background; ncaltech101)')
    window = p.add_mutually_exclusive_group()
    window.add_argument('--window-us', type=int, help='sample length in µs')
    window.add_argument('--window-events', type=int, help='sample length in events')
    p.add_argument(
        '--classes',
        default='',
        help='gen1 class names in index order: a,b,... (default: the LabelInfo)',
    )
    geo = p.add_argument_group('geometry (applied in this order: crop, downscale, resize)')
    geo.add_argument('--crop', metavar='X,Y,W,H', help='keep this rectangle of the sensor')
    geo.add_argument('--downscale', metavar='N', type=int, help='x // N, y // N')
    geo.add_argument('--resize-to', metavar='WxH', help='x * W // width, y * H // height')
    p.add_argument('--overwrite', action='store_true', help='gen1: replace existing files')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    add_debug_option(p)
    return p


def _config(args: argparse.Namespace, sensor: SensorSize | None) -> ConvertConfig:
    return ConvertConfig(
        fmt=args.fmt,
        out=args.out,
        topic=args.topic,
        labels_topic=args.labels_topic,
        split=args.split,
        class_name=args.class_name,
        window_us=args.window_us,
        window_events=args.window_events,
        classes=tuple(c.strip() for c in args.classes.split(',') if c.strip()),
        overwrite=args.overwrite,
        geometry=Geometry(
            crop=parse_crop(args.crop) if args.crop is not None else None,
            downscale=args.downscale,
            resize_to=parse_size(args.resize_to) if args.resize_to is not None else None,
        ),
        labels_bag=args.labels_bag,
        label_info_topic=args.label_info_topic,
        sensor=sensor,
    )


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    sensor = sensor_option(parser, args, args.bag)
    return run_command('asynet-bag2dataset', lambda: _main(args, sensor), debug=args.debug)


def _main(args: argparse.Namespace, sensor: SensorSize | None) -> int:
    summary = convert(args.bag, _config(args, sensor), progress=not args.no_progress)
    for warning in summary['warnings']:
        print(f'asynet-bag2dataset: warning: {warning}', file=sys.stderr)
    print(json.dumps(summary, indent=2))
    return 0
