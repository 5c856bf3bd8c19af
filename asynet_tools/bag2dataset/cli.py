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
from typing import Any

from asynet_core.cli import add_debug_option, run_command
from asynet_core.events import SensorSize
from asynet_ros.bag import EventBag
from asynet_ros.decoders import PacketDecoder
from asynet_ros.event_message import stamp_to_ns
from asynet_tools.bag2dataset.config import Bag2DatasetError, ConvertConfig, FORMATS
from asynet_tools.bag2dataset.labels import _detection_rows
from asynet_tools.bag2dataset.reading import (
    _check_sensor,
    _decode,
    _labels_topic,
    _read,
    _Stream,
)
from asynet_tools.bag2dataset.sinks import _Gen1Sink, _SampleSink, _Sink

__all__ = ['convert', 'main']


def convert(bag_path: str | Path, config: ConvertConfig, progress: bool = False) -> dict[str, Any]:
    """Convert one bag; return the summary the CLI prints.

    Raises:
        BagError: a missing or bad bag, or an event topic that is absent or of another type.
        Bag2DatasetError: a bad labels topic or label, a sensor the format cannot hold, no events.
        DatasetError: a value the target file format cannot store.
    """
    with EventBag(bag_path) as bag:
        stream = _Stream(topic=bag.pick_topic(config.topic).name)
        topics = [stream.topic]
        if config.labels_topic:
            topics.append(_labels_topic(bag, config.labels_topic))
        sink: _Sink = (
            _Gen1Sink(config, bag.path.name) if config.fmt == 'gen1' else _SampleSink(config)
        )
        _feed(bag, config, topics, sink, stream, progress)
        if not stream.events or stream.sensor is None:
            raise Bag2DatasetError(
                f'topic {stream.topic} of bag {bag.path} holds no events '
                f'({stream.messages} event messages); nothing to write'
            )
        part = sink.finish(stream, stream.sensor)
    return _summary(bag_path, config, stream, stream.sensor, part)


def _feed(
    bag: EventBag,
    config: ConvertConfig,
    topics: list[str],
    sink: _Sink,
    stream: _Stream,
    progress: bool,
) -> None:
    decoders: dict[str, PacketDecoder] = {}
    for topic, bag_ns, msg in _read(bag, topics, progress):
        if topic != stream.topic:
            stamp = stamp_to_ns(msg.header.stamp) or bag_ns
            stream.label_rows += _detection_rows(msg, stamp, config.classes, stream.label_messages)
            stream.label_messages += 1
            continue
        stream.sensor = _check_sensor(config, msg, stream)
        stream.encoding = msg.encoding
        events = _decode(decoders, msg, stream.messages)
        stream.messages += 1
        if len(events):
            stream.clock.append((msg.stamp_ns, int(events['t'][0])))
            stream.events += len(events)
            sink.add_events(events, stream.sensor)


def _summary(
    bag_path: str | Path,
    config: ConvertConfig,
    stream: _Stream,
    sensor: SensorSize,
    part: dict[str, Any],
) -> dict[str, Any]:
    frame, warnings = config.spec.frame, []
    if sensor.width > frame.width or sensor.height > frame.height:
        warnings.append(
            f'the {sensor.width}x{sensor.height} sensor is larger than the '
            f'{frame.width}x{frame.height} frame '
            f'asynet_training.datasets.{config.spec.reader} reads; '
            'it rejects samples with events outside that frame'
        )
    return {
        'format': config.fmt,
        'bag': str(bag_path),
        'topic': stream.topic,
        'encoding': stream.encoding,
        'width': sensor.width,
        'height': sensor.height,
        'messages': stream.messages,
        'events': stream.events,
        'label_messages': stream.label_messages,
        'labels': 0,
        **part,
        'files_written': len(part['files']),
        'warnings': warnings,
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='asynet-bag2dataset', description=__doc__.split('\n\n')[0])
    p.add_argument('bag', type=Path, help='rosbag2 folder (sqlite3 or mcap)')
    p.add_argument('--out', type=Path, required=True, help='dataset root folder')
    p.add_argument('--format', dest='fmt', required=True, choices=sorted(FORMATS))
    p.add_argument('--topic', help='event topic (default: the only one)')
    p.add_argument('--labels-topic', help='vision_msgs/Detection2DArray topic (gen1)')
    p.add_argument('--split', help='gen1: train|val|test; ncars: train|test (default train)')
    p.add_argument('--class-name', help='class folder (ncars: cars|background; ncaltech101)')
    window = p.add_mutually_exclusive_group()
    window.add_argument('--window-us', type=int, help='sample length in µs')
    window.add_argument('--window-events', type=int, help='sample length in events')
    p.add_argument('--classes', default='', help='gen1 class names in index order: a,b,...')
    p.add_argument('--overwrite', action='store_true', help='gen1: replace existing files')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    add_debug_option(p)
    return p


def _config(args: argparse.Namespace) -> ConvertConfig:
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
    )


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    args = _parser().parse_args(argv)
    return run_command('asynet-bag2dataset', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    summary = convert(args.bag, _config(args), progress=not args.no_progress)
    for warning in summary['warnings']:
        print(f'asynet-bag2dataset: warning: {warning}', file=sys.stderr)
    print(json.dumps(summary, indent=2))
    return 0
