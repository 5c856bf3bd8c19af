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

::

    asynet-bag2dataset BAG --out DIR --format gen1 [--split train|val|test]
        [--labels-topic L --classes car,pedestrian] [--overwrite]
    asynet-bag2dataset BAG --out DIR --format ncars --class-name cars|background
        [--split train|test] [--window-us 100000 | --window-events N]
    asynet-bag2dataset BAG --out DIR --format ncaltech101 --class-name NAME
        [--window-events 50000 | --window-us N]

Every format takes ``--topic T`` (default: the bag's only event topic) and ``--no-progress``.
The event topic may be any event message type and encoding; one decoder per encoding keeps its
state across the messages of the stream. The trees are those :mod:`asynet_training.datasets` reads:

* ``gen1``: one recording ``DIR/<split>/<bag name>_td.dat`` (Prophesee DAT with ``% Width`` /
  ``% Height``), times rebased so that the earliest event is at 0 µs (the summary gives the
  subtracted ``t0_us``). With ``--labels-topic`` (``vision_msgs/Detection2DArray``) also
  ``<bag name>_bbox.npy`` (canonical Gen1 box dtype): per detection the best-scoring result gives
  ``class_id`` (its name's index in ``--classes``, or the number itself when ``class_id`` is a
  digit string) and ``class_confidence``; ``x, y, w, h`` = centre - size / 2 and size;
  ``track_id`` = the detection ``id`` when it is a digit string, else 0. Existing files are kept
  unless ``--overwrite`` (which also deletes a stale ``_bbox.npy`` when no labels are given). The
  recording is held in memory until written (16 bytes per event).
* ``ncars``: samples ``DIR/n-cars_<split>/<class-name>/obj_NNNNNN_td.dat`` (``val`` is carved from
  ``n-cars_train`` by the reader, so only ``train`` and ``test`` exist); convert one bag per class.
* ``ncaltech101``: samples ``DIR/Caltech101/<class-name>/image_NNNN.bin`` (the reader splits each
  class itself, so there is no ``--split``). The format stores x and y in 8 bits and reserves
  y = 240, so a sensor over 256 px wide or 240 px high is refused.

Samples cut the stream into consecutive windows: ``--window-us`` (default 100 000 for ncars), from
the first event on, empty windows skipped; or ``--window-events`` (default 50 000 for ncaltech101).
The last, shorter window is kept. Each sample's times are rebased to start at 0; numbering goes on
after the files already in the class folder, so several bags can fill one class.

**Label time rule.** Detection2DArray stamps are ROS time (ns), events are on the sensor clock
(µs). Every event message with events gives a pair (header stamp, its first event's ``t``); a
label's stamp is mapped through these pairs by linear interpolation (``np.interp``), and before
the first or after the last pair by that pair's offset (clock rate 1). A label stamp of zero is
replaced by the bag's record time. Labels mapped before the first event are dropped and counted.

A sensor larger than the frame the dataset class reads (Gen1 304x240, NCars 120x100,
NCaltech101Bin 240x180) is converted but warned about: that class rejects events outside it.

Prints a JSON summary: ``files``, ``samples``, ``events``, ``labels`` and the details. Errors
(missing bag, wrong topic type, missing class name, empty stream, ...) go to stderr, exit code 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
import struct
import sys
from typing import Any, Protocol

import numpy as np
from rosbags.serde import SerdeError
from tqdm import tqdm

from asynet_core.errors import AsynetError
from asynet_core.events import concatenate_events, empty_events, SensorSize
from asynet_ros.bag import EventBag
from asynet_ros.decoders import make_decoder, PacketDecoder
from asynet_ros.event_message import EventMessage, stamp_to_ns
from asynet_training import formats
from asynet_training.datasets import Gen1, NCaltech101Bin, NCars
from asynet_training.errors import DatasetError

__all__ = ['FORMATS', 'Bag2DatasetError', 'ConvertConfig', 'convert', 'main']

DETECTION_ARRAY = 'vision_msgs/msg/Detection2DArray'
NCARS_CLASSES = ('background', 'cars')


class Bag2DatasetError(AsynetError, ValueError):
    """Bad options, a bad labels topic or label, or a bag without events."""


@dataclass(frozen=True)
class _Format:
    splits: tuple[str, ...]
    default_window: tuple[str, int] | None  # ('events' | 'us', value); None: whole recording
    limit: SensorSize  # largest sensor the file format holds
    frame: SensorSize  # the frame the training dataset class reads
    reader: str


_DAT_LIMIT = SensorSize(1 << 14, 1 << 14)  # 14-bit x and y
_BIN_LIMIT = SensorSize(256, 240)  # 8-bit x and y, y = 240 marks a time overflow
FORMATS = {
    'gen1': _Format(('train', 'val', 'test'), None, _DAT_LIMIT, Gen1.sensor, 'Gen1'),
    'ncars': _Format(('train', 'test'), ('us', 100_000), _DAT_LIMIT, NCars.sensor, 'NCars'),
    'ncaltech101': _Format(
        (), ('events', 50_000), _BIN_LIMIT, NCaltech101Bin.sensor, 'NCaltech101Bin'
    ),
}


@dataclass(frozen=True)
class ConvertConfig:
    """What to write; checked on construction (:class:`Bag2DatasetError` naming the option)."""

    fmt: str
    out: Path
    topic: str | None = None
    labels_topic: str | None = None
    split: str | None = None
    class_name: str | None = None
    window_us: int | None = None
    window_events: int | None = None
    classes: tuple[str, ...] = ()
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise Bag2DatasetError(f'unknown --format {self.fmt!r}; valid: {sorted(FORMATS)}')
        _check_split(self)
        _check_class_name(self)
        _check_window(self)
        if self.fmt != 'gen1' and (self.labels_topic or self.classes):
            raise Bag2DatasetError('--labels-topic and --classes are only used by --format gen1')

    @property
    def spec(self) -> _Format:
        """The format's limits and defaults."""
        return FORMATS[self.fmt]

    def window(self) -> tuple[str, int]:
        """('events' | 'us', length) of the samples (ncars, ncaltech101)."""
        if self.window_events is not None:
            return 'events', self.window_events
        if self.window_us is not None:
            return 'us', self.window_us
        return self.spec.default_window or ('events', -1)


def _check_split(c: ConvertConfig) -> None:
    splits = c.spec.splits
    if c.split is not None and c.split not in splits:
        why = {
            'ncars': 'the NCars reader carves val from n-cars_train',
            'ncaltech101': 'the NCaltech101Bin reader splits each class folder itself',
        }.get(c.fmt, 'unknown split')
        raise Bag2DatasetError(
            f'--split {c.split} is not valid for --format {c.fmt} ({why}); valid: {list(splits)}'
        )


def _check_class_name(c: ConvertConfig) -> None:
    if c.fmt == 'gen1':
        if c.class_name is not None:
            raise Bag2DatasetError('--class-name is not used by --format gen1 (use --classes)')
        return
    if not c.class_name:
        raise Bag2DatasetError(f'--format {c.fmt} needs --class-name (the class folder)')
    if c.fmt == 'ncars' and c.class_name not in NCARS_CLASSES:
        raise Bag2DatasetError(
            f'--class-name {c.class_name!r} is not an N-Cars class; valid: {list(NCARS_CLASSES)}'
        )
    if c.class_name in ('.', '..') or '/' in c.class_name or '\\' in c.class_name:
        raise Bag2DatasetError(f'--class-name {c.class_name!r} is not a folder name')


def _check_window(c: ConvertConfig) -> None:
    given = [
        (k, v) for k, v in (('events', c.window_events), ('us', c.window_us)) if v is not None
    ]
    if c.fmt == 'gen1' and given:
        raise Bag2DatasetError('--format gen1 writes the whole recording: no --window-* options')
    if len(given) > 1:
        raise Bag2DatasetError('give one of --window-us and --window-events, not both')
    if given and given[0][1] < 1:
        raise Bag2DatasetError(f'--window-{given[0][0]} must be >= 1, got {given[0][1]}')


# ---------------------------------------------------------------------------------------------
# Reading the bag
# ---------------------------------------------------------------------------------------------


@dataclass
class _Stream:
    """What the conversion has seen of the bag."""

    topic: str
    sensor: SensorSize | None = None
    encoding: str = ''
    messages: int = 0
    events: int = 0
    label_messages: int = 0
    clock: list[tuple[int, int]] = field(default_factory=list)  # (stamp ns, first event t µs)
    label_rows: list[tuple[Any, ...]] = field(default_factory=list)


def _labels_topic(bag: EventBag, topic: str) -> str:
    for t in bag.topics:
        if t.name == topic:
            if t.msgtype != DETECTION_ARRAY:
                raise Bag2DatasetError(
                    f'labels topic {topic} has type {t.msgtype}, expected {DETECTION_ARRAY}'
                )
            return topic
    names = [f'{t.name} ({t.msgtype})' for t in bag.topics]
    raise Bag2DatasetError(f'labels topic {topic} is not in bag {bag.path}; topics: {names}')


def _read(bag: EventBag, topics: list[str], progress: bool) -> Iterator[tuple[str, int, Any]]:
    """(topic, bag time ns, message) of ``topics`` in bag order; event messages as EventMessage."""
    total = sum(t.count for t in bag.topics if t.name in topics)
    bar = tqdm(total=total, unit='msg', desc='bag2dataset', disable=not progress, file=sys.stderr)
    with bar:
        for topic, msgtype, timestamp, raw in bag.raw_messages(topics):
            bar.update(1)
            if topic == topics[0]:
                yield topic, timestamp, bag.to_event_message(raw, msgtype)
            else:
                yield topic, timestamp, _deserialize_labels(bag, raw, msgtype, timestamp)


def _deserialize_labels(bag: EventBag, raw: bytes, msgtype: str, timestamp: int) -> Any:
    try:
        return bag.typestore.deserialize_cdr(raw, msgtype)
    except (SerdeError, ValueError, IndexError, KeyError, TypeError, struct.error) as err:
        raise Bag2DatasetError(
            f'cannot deserialise the {msgtype} at {timestamp} ns: {err}'
        ) from err


def _decode(decoders: dict[str, PacketDecoder], msg: EventMessage, index: int) -> np.ndarray:
    if msg.events is not None:
        return msg.events
    try:
        if msg.encoding not in decoders:
            decoders[msg.encoding] = make_decoder(msg.encoding)
        return decoders[msg.encoding].decode(msg.payload, msg.width, msg.height, msg.time_base_ns)
    except (AsynetError, ValueError) as err:
        raise Bag2DatasetError(f'event message {index} ({msg.encoding!r}): {err}') from err


def _check_sensor(config: ConvertConfig, msg: EventMessage, stream: _Stream) -> SensorSize:
    try:
        sensor = SensorSize(msg.width, msg.height)
    except AsynetError as err:
        raise Bag2DatasetError(f'event message {stream.messages}: {err}') from err
    if stream.sensor is not None and sensor != stream.sensor:
        raise Bag2DatasetError(
            f'event message {stream.messages}: the sensor size changed from '
            f'{stream.sensor.width}x{stream.sensor.height} to {sensor.width}x{sensor.height}'
        )
    limit = config.spec.limit
    if sensor.width > limit.width or sensor.height > limit.height:
        raise Bag2DatasetError(
            f'the {sensor.width}x{sensor.height} sensor does not fit --format {config.fmt}, '
            f'which holds at most {limit.width}x{limit.height} (x < {limit.width}, '
            f'y < {limit.height}); crop the events before converting'
        )
    return sensor


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------


def _class_index(name: str, classes: tuple[str, ...], where: str) -> int:
    if name in classes:
        return classes.index(name)
    if name.isdigit():
        return int(name)
    raise Bag2DatasetError(
        f'{where}: class_id {name!r} is not a known class {list(classes)}; give the class names '
        'in index order with --classes'
    )


def _detection_rows(
    msg: Any, stamp_ns: int, classes: tuple[str, ...], index: int
) -> list[tuple[Any, ...]]:
    """(stamp, x, y, w, h, class, track, score) of each detection of a Detection2DArray."""
    rows = []
    for k, det in enumerate(msg.detections):
        where = f'labels message {index}, detection {k}'
        if not det.results:
            raise Bag2DatasetError(f'{where}: no results, so no class')
        best = max(det.results, key=lambda r: r.hypothesis.score).hypothesis
        w, h = det.bbox.size_x, det.bbox.size_y
        x, y = det.bbox.center.position.x - w / 2, det.bbox.center.position.y - h / 2
        track = int(det.id) if str(det.id).isdigit() else 0
        cls = _class_index(str(best.class_id), classes, where)
        rows.append((stamp_ns, x, y, w, h, cls, track, best.score))
    return rows


def sensor_time_us(stamps_ns: np.ndarray, clock: list[tuple[int, int]]) -> np.ndarray:
    """Map ROS stamps (ns) to sensor time (µs, float64) through (stamp ns, sensor µs) pairs.

    Linear interpolation between the pairs (``np.interp``); before the first or after the last
    pair, that pair's offset (a clock rate of 1). Of pairs with equal stamps the first is used.

    Raises:
        Bag2DatasetError: no pairs.
    """
    if not clock:
        raise Bag2DatasetError('no event message with events to map label times onto')
    pairs = np.array(sorted(clock, key=lambda p: p[0]), dtype=np.int64)  # [n, 2]
    keys, first = np.unique(pairs[:, 0], return_index=True)
    xp = (keys - keys[0]).astype(np.float64) / 1000.0  # µs after the first stamp
    fp = pairs[first, 1].astype(np.float64)
    x = (np.asarray(stamps_ns, dtype=np.int64) - keys[0]).astype(np.float64) / 1000.0
    out: np.ndarray = np.interp(x, xp, fp)
    out = np.where(x < xp[0], fp[0] + (x - xp[0]), out)
    return np.where(x > xp[-1], fp[-1] + (x - xp[-1]), out)


def _label_boxes(rows: list[tuple[Any, ...]], clock: list[tuple[int, int]], t0: int) -> np.ndarray:
    """Rows as BBOX_DTYPE on the rebased sensor clock, sorted by time."""
    boxes = np.zeros(len(rows), dtype=formats.BBOX_DTYPE)
    if not rows:
        return boxes
    cols = list(zip(*rows, strict=True))
    stamps = np.array(cols[0], dtype=np.int64)
    boxes['t'] = np.rint(sensor_time_us(stamps, clock)).astype(np.int64) - t0
    for i, name in enumerate(('x', 'y', 'w', 'h', 'class_id', 'track_id', 'class_confidence')):
        boxes[name] = cols[i + 1]
    return boxes[np.argsort(boxes['t'], kind='stable')]


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


class _Sink(Protocol):

    def add_events(self, events: np.ndarray, sensor: SensorSize) -> None: ...

    def finish(self, stream: _Stream, sensor: SensorSize) -> dict[str, Any]: ...


class _Gen1Sink:
    """Collects the recording in memory and writes it (and its labels) at the end."""

    def __init__(self, config: ConvertConfig, stem: str) -> None:
        folder = config.out / (config.split or 'train')
        self.td, self.bbox = folder / f'{stem}_td.dat', folder / f'{stem}_bbox.npy'
        self.config = config
        for path in (self.td, self.bbox):
            if path.exists() and not config.overwrite:
                raise Bag2DatasetError(f'{path} exists; pass --overwrite to replace it')
        self.chunks: list[np.ndarray] = []

    def add_events(self, events: np.ndarray, sensor: SensorSize) -> None:
        self.chunks.append(events)

    def finish(self, stream: _Stream, sensor: SensorSize) -> dict[str, Any]:
        events = concatenate_events(self.chunks)
        t0 = int(events['t'].min())
        events['t'] -= t0
        self.td.parent.mkdir(parents=True, exist_ok=True)
        formats.write_dat(self.td, events, sensor.width, sensor.height)
        out: dict[str, Any] = {'files': [str(self.td)], 'samples': 1, 't0_us': t0}
        if not self.config.labels_topic:
            self.bbox.unlink(missing_ok=True)  # a stale box file would pair with new events
            return out
        boxes = _label_boxes(stream.label_rows, stream.clock, t0)
        keep = boxes['t'] >= 0
        formats.write_gen1_bbox(self.bbox, boxes[keep])
        out['files'].append(str(self.bbox))
        return {**out, 'labels': int(keep.sum()), 'labels_dropped': int((~keep).sum())}


class _Windower:
    """Cuts a stream into consecutive windows of N events, or of W µs from the first event."""

    def __init__(self, kind: str, length: int) -> None:
        self.kind, self.length = kind, length
        self.pending = empty_events()
        self.origin: int | None = None

    def push(self, events: np.ndarray) -> list[np.ndarray]:
        """The windows that ``events`` completes."""
        pending = concatenate_events([self.pending, events])
        if not len(pending):
            return []
        if self.kind == 'events':
            n = len(pending) // self.length * self.length
            self.pending = pending[n:].copy()
            return [pending[i : i + self.length] for i in range(0, n, self.length)]
        if self.origin is None:
            self.origin = int(pending['t'][0])
        k = (pending['t'] - self.origin) // self.length  # window index of each event
        pieces = np.split(pending, np.flatnonzero(np.diff(k)) + 1)
        self.pending = pieces[-1].copy()
        return pieces[:-1]

    def flush(self) -> list[np.ndarray]:
        """The last, incomplete window (if it has events)."""
        rest, self.pending = self.pending, empty_events()
        return [rest] if len(rest) else []


class _SampleSink:
    """Writes each window as one sample file of a class folder (ncars, ncaltech101)."""

    def __init__(self, config: ConvertConfig) -> None:
        if config.fmt == 'ncars':
            self.folder = config.out / f'n-cars_{config.split or "train"}' / str(config.class_name)
            self.name, pattern, start = 'obj_{:06d}_td.dat', r'obj_(\d+)_td\.dat', 0
        else:
            self.folder = config.out / 'Caltech101' / str(config.class_name)
            self.name, pattern, start = 'image_{:04d}.bin', r'image_(\d+)\.bin', 1
        found = [re.fullmatch(pattern, p.name) for p in self.folder.glob('*')]
        numbers = [int(m.group(1)) for m in found if m]
        self.next = max(numbers) + 1 if numbers else start
        self.config = config
        self.windower = _Windower(*config.window())
        self.files: list[str] = []

    def add_events(self, events: np.ndarray, sensor: SensorSize) -> None:
        for window in self.windower.push(events):
            self._write(window, sensor)

    def _write(self, window: np.ndarray, sensor: SensorSize) -> None:
        sample = window.copy()
        sample['t'] -= sample['t'].min()
        path = self.folder / self.name.format(self.next)
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.config.fmt == 'ncars':
            formats.write_dat(path, sample, sensor.width, sensor.height)
        else:
            formats.write_ncaltech_bin(path, sample)
        self.files.append(str(path))
        self.next += 1

    def finish(self, stream: _Stream, sensor: SensorSize) -> dict[str, Any]:
        for window in self.windower.flush():
            self._write(window, sensor)
        kind, length = self.config.window()
        return {'files': self.files, 'samples': len(self.files), f'window_{kind}': length}


# ---------------------------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------------------------


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
    try:
        summary = convert(args.bag, _config(args), progress=not args.no_progress)
    except (AsynetError, DatasetError, OSError, ValueError) as err:
        print(f'asynet-bag2dataset: error: {err}', file=sys.stderr)
        return 2
    for warning in summary['warnings']:
        print(f'asynet-bag2dataset: warning: {warning}', file=sys.stderr)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
