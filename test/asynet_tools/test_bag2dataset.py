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

"""``asynet-bag2dataset``: bags built here converted to each format and read back by training."""

from __future__ import annotations

from collections.abc import Sequence
import itertools
import json
from pathlib import Path
import re
from typing import Any

import numpy as np
import pytest
from rosbags.rosbag2 import Writer

from asynet_core.events import EVENT_DTYPE, make_events, SensorSize
from asynet_ros.interfaces import typestore
from asynet_tools.bag2dataset import (
    Bag2DatasetError,
    ConvertConfig,
    main,
    sensor_time_us,
)
from asynet_training.datasets import Gen1, NCaltech101Bin, NCars
from asynet_training.formats import read_dat, read_gen1_bbox, read_ncaltech_bin

PACKET = 'event_camera_msgs/msg/EventPacket'
DETECTIONS = 'vision_msgs/msg/Detection2DArray'
#: ROS time (ns) of sensor time 0 in the synthetic bags: stamp = ROS_ZERO + t_us * 1000.
ROS_ZERO = 1_700_000_000 * 10**9
PACKET_US = 1000

#: A label: (sensor time µs, [(cx, cy, w, h, class_id, score, id), ...]).
Label = tuple[int, list[tuple[float, float, float, float, str, float, str]]]


# ---------------------------------------------------------------------------------------------
# Bag building
# ---------------------------------------------------------------------------------------------


def mono_payload(events: np.ndarray, time_base_ns: int) -> np.ndarray:
    """``mono`` words: polarity bit 63, y 62..48, x 47..32, dt (ns after time_base) 31..0."""
    dt = events['t'].astype(np.uint64) * np.uint64(1000) - np.uint64(time_base_ns)
    words = (
        (events['p'].astype(np.uint64) << np.uint64(63))
        | (events['y'].astype(np.uint64) << np.uint64(48))
        | (events['x'].astype(np.uint64) << np.uint64(32))
        | dt
    )
    return words.astype('<u8').view(np.uint8)


def _header(ts: Any, stamp_ns: int) -> Any:
    t = ts.types
    time = t['builtin_interfaces/msg/Time'](sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
    return t['std_msgs/msg/Header'](stamp=time, frame_id='cam')


def packet_message(ts: Any, events: np.ndarray, sensor: SensorSize, seq: int) -> Any:
    """An EventPacket (mono) stamped ROS_ZERO + first event time."""
    t0 = int(events['t'][0]) if len(events) else seq * PACKET_US
    return ts.types[PACKET](
        header=_header(ts, ROS_ZERO + t0 * 1000),
        height=sensor.height,
        width=sensor.width,
        seq=seq,
        time_base=t0 * 1000,
        encoding='mono',
        is_bigendian=False,
        events=mono_payload(events, t0 * 1000),
    )


def detections_message(ts: Any, stamp_ns: int, boxes: Sequence[tuple]) -> Any:
    """A Detection2DArray holding ``(cx, cy, w, h, class_id, score, id)`` boxes."""
    t = ts.types
    pose = t['geometry_msgs/msg/PoseWithCovariance'](
        pose=t['geometry_msgs/msg/Pose'](
            position=t['geometry_msgs/msg/Point'](x=0.0, y=0.0, z=0.0),
            orientation=t['geometry_msgs/msg/Quaternion'](x=0.0, y=0.0, z=0.0, w=1.0),
        ),
        covariance=np.zeros(36),
    )
    header = _header(ts, stamp_ns)
    detections = []
    for cx, cy, w, h, cls, score, ident in boxes:
        hyp = t['vision_msgs/msg/ObjectHypothesisWithPose'](
            hypothesis=t['vision_msgs/msg/ObjectHypothesis'](class_id=cls, score=score), pose=pose
        )
        centre = t['vision_msgs/msg/Pose2D'](
            position=t['vision_msgs/msg/Point2D'](x=cx, y=cy), theta=0.0
        )
        bbox = t['vision_msgs/msg/BoundingBox2D'](center=centre, size_x=w, size_y=h)
        detections.append(
            t['vision_msgs/msg/Detection2D'](header=header, results=[hyp], bbox=bbox, id=ident)
        )
    return t[DETECTIONS](header=header, detections=detections)


def write_bag(
    path: Path,
    events: np.ndarray,
    sensor: SensorSize,
    labels: Sequence[Label] = (),
    *,
    zero_stamp_labels: Sequence[int] = (),
) -> Path:
    """A sqlite3 bag: ``events`` as 1 ms mono packets on /events, labels on /labels.

    Label ``i`` in ``zero_stamp_labels`` gets a zero header stamp (its bag time stays right).
    """
    ts = typestore()
    edges = np.arange(0, int(events['t'][-1]) + 2 * PACKET_US, PACKET_US)
    cuts = np.searchsorted(events['t'], edges)
    records = []
    for seq, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        if hi > lo:
            msg = packet_message(ts, events[lo:hi], sensor, seq)
            records.append((ROS_ZERO + int(events['t'][lo]) * 1000, 0, msg, PACKET))
    for i, (t_us, boxes) in enumerate(labels):
        stamp = ROS_ZERO + t_us * 1000
        msg = detections_message(ts, 0 if i in zero_stamp_labels else stamp, boxes)
        records.append((stamp, 1, msg, DETECTIONS))
    with Writer(path, version=8) as writer:
        conns = [writer.add_connection('/events', PACKET, typestore=ts)]
        conns.append(writer.add_connection('/labels', DETECTIONS, typestore=ts))
        for stamp, k, msg, msgtype in sorted(records, key=lambda r: (r[0], r[1])):
            writer.write(conns[k], stamp, bytes(ts.serialize_cdr(msg, msgtype)))
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    """main(argv + --no-progress): (exit code, parsed JSON summary or {}, stderr)."""
    code = main([*map(str, argv), '--no-progress'])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else {}, err


def events_of(rng: np.random.Generator, sensor: SensorSize, n: int, t0_us: int) -> np.ndarray:
    """``n`` random events inside ``sensor``, times from ``t0_us`` on, 0-40 µs apart."""
    t_us = t0_us + np.cumsum(rng.integers(0, 41, n))
    x, y = rng.integers(0, sensor.width, n), rng.integers(0, sensor.height, n)
    return make_events(x, y, t_us, rng.integers(0, 2, n))


def rebased(events: np.ndarray) -> np.ndarray:
    out = events.copy()
    out['t'] -= out['t'].min()
    return out


def assert_events_equal(actual: np.ndarray, expected: np.ndarray) -> None:
    for name in EVENT_DTYPE.names or ():
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)


# ---------------------------------------------------------------------------------------------
# gen1
# ---------------------------------------------------------------------------------------------


GEN1 = SensorSize(304, 240)


def test_gen1_events_and_labels_round_trip(tmp_path, rng, capsys) -> None:
    events = events_of(rng, GEN1, 3000, t0_us=7_000)
    t0 = int(events['t'][0])
    t_mid, t_late = t0 + 20_000, t0 + 50_000
    labels: list[Label] = [
        (t0 - 3_000, [(50.0, 50.0, 10.0, 10.0, 'car', 0.9, '1')]),  # before the events: dropped
        (
            t_mid,
            [(60.5, 40.5, 21.0, 11.0, 'car', 0.9, '7'), (100.0, 80.0, 30.0, 60.0, '1', 1.0, '')],
        ),
        (t_late, [(150.0, 120.0, 40.0, 20.0, 'pedestrian', 0.5, 'x')]),
    ]
    bag = write_bag(tmp_path / 'drive_a', events, GEN1, labels, zero_stamp_labels=[2])
    out = tmp_path / 'gen1'
    argv = [bag, '--out', out, '--format', 'gen1', '--labels-topic', '/labels']
    code, summary, err = run([*argv, '--classes', 'car,pedestrian'], capsys)
    assert code == 0, err
    assert summary['files'] == [
        str(out / 'train' / 'drive_a_td.dat'),
        str(out / 'train' / 'drive_a_bbox.npy'),
    ]
    assert (summary['events'], summary['samples'], summary['t0_us']) == (3000, 1, t0)
    assert (summary['labels'], summary['labels_dropped'], summary['label_messages']) == (3, 1, 3)
    assert summary['warnings'] == []

    written, header = read_dat(out / 'train' / 'drive_a_td.dat')
    assert_events_equal(written, rebased(events))
    assert (header['width'], header['height']) == (304, 240)
    boxes = read_gen1_bbox(out / 'train' / 'drive_a_bbox.npy')
    assert boxes['t'].tolist() == [t_mid - t0, t_mid - t0, t_late - t0]
    assert boxes[['x', 'y', 'w', 'h']].tolist() == [
        (50.0, 35.0, 21.0, 11.0),
        (85.0, 50.0, 30.0, 60.0),
        (130.0, 110.0, 40.0, 20.0),
    ]
    assert boxes['class_id'].tolist() == [0, 1, 1]
    assert boxes['track_id'].tolist() == [7, 0, 0]
    np.testing.assert_allclose(boxes['class_confidence'], [0.9, 1.0, 0.5])

    dataset = Gen1(out, 'train', window_events=-1)
    assert [s.t_us for s in dataset] == [t_mid - t0, t_late - t0]
    sample = dataset[0]
    np.testing.assert_array_equal(sample.boxes, [[50, 35, 21, 11, 0], [85, 50, 30, 60, 1]])
    assert_events_equal(sample.events, rebased(events)[events['t'] <= t_mid])


def test_gen1_without_labels_and_overwrite(tmp_path, rng, capsys) -> None:
    events = events_of(rng, GEN1, 500, t0_us=0)
    bag = write_bag(tmp_path / 'rec', events, GEN1)
    argv = [bag, '--out', tmp_path / 'ds', '--format', 'gen1', '--split', 'val']
    code, summary, _ = run(argv, capsys)
    assert code == 0
    assert summary['files'] == [str(tmp_path / 'ds' / 'val' / 'rec_td.dat')]
    assert summary['labels'] == 0
    code, _, err = run(argv, capsys)
    assert code == 2
    assert f'{tmp_path / "ds" / "val" / "rec_td.dat"} exists; pass --overwrite' in err
    code, _, _ = run([*argv, '--overwrite'], capsys)
    assert code == 0
    assert len(read_dat(tmp_path / 'ds' / 'val' / 'rec_td.dat')[0]) == 500


def test_label_time_rule_interpolates_and_extends() -> None:
    clock = [(2_000_000, 1_000), (0, 100), (4_000_000, 2_000), (4_000_000, 9_999)]
    stamps = np.array([0, 1_000_000, 3_000_000, -500_000, 5_000_000])
    np.testing.assert_allclose(
        sensor_time_us(stamps, clock), [100.0, 550.0, 1_500.0, -400.0, 3_000.0]
    )
    with pytest.raises(Bag2DatasetError, match='no event message with events'):
        sensor_time_us(stamps, [])


# ---------------------------------------------------------------------------------------------
# ncars and ncaltech101
# ---------------------------------------------------------------------------------------------


NCARS = SensorSize(120, 100)
NCALTECH = SensorSize(240, 180)


def time_windows(events: np.ndarray, window_us: int) -> list[np.ndarray]:
    k = (events['t'] - events['t'][0]) // window_us
    return [rebased(events[k == i]) for i in np.unique(k)]


def test_ncars_time_windows_read_back_by_ncars(tmp_path, rng, capsys) -> None:
    out = tmp_path / 'ncars'
    expected = {}
    for name, t0 in (('cars', 3_000), ('background', 0)):
        events = events_of(rng, NCARS, 1200, t0_us=t0)
        bag = write_bag(tmp_path / name, events, NCARS)
        argv = [bag, '--out', out, '--format', 'ncars', '--class-name', name, '--split', 'test']
        code, summary, err = run([*argv, '--window-us', '7000'], capsys)
        assert code == 0, err
        expected[name] = time_windows(events, 7000)
        assert (summary['samples'], summary['events']) == (len(expected[name]), 1200)
        assert summary['window_us'] == 7000
        assert summary['files'][0] == str(out / 'n-cars_test' / name / 'obj_000000_td.dat')
    dataset = NCars(out, 'test', window_events=-1)
    assert len(dataset) == len(expected['cars']) + len(expected['background'])
    for sample in dataset:
        name = dataset.classes[sample.label]
        index = int(sample.path.name.split('_')[1])
        assert_events_equal(sample.events, expected[name][index])


def test_ncars_event_windows_number_on(tmp_path, rng, capsys) -> None:
    events = events_of(rng, NCARS, 1000, t0_us=0)
    bag = write_bag(tmp_path / 'b', events, NCARS)
    argv = [bag, '--out', tmp_path / 'o', '--format', 'ncars', '--class-name', 'cars']
    for _ in range(2):
        code, summary, _ = run([*argv, '--window-events', '400'], capsys)
        assert code == 0
    folder = tmp_path / 'o' / 'n-cars_train' / 'cars'
    assert summary['files'] == [str(folder / f'obj_{i:06d}_td.dat') for i in (3, 4, 5)]
    sizes = [len(read_dat(folder / f'obj_{i:06d}_td.dat')[0]) for i in range(6)]
    assert sizes == [400, 400, 200] * 2
    assert_events_equal(read_dat(folder / 'obj_000004_td.dat')[0], rebased(events[400:800]))


def test_ncaltech_event_windows_read_back_by_ncaltech(tmp_path, rng, capsys) -> None:
    events = events_of(rng, NCALTECH, 1800, t0_us=0)
    events['y'] %= 180  # N-Caltech101 frame
    bag = write_bag(tmp_path / 'b', events, NCALTECH)
    out = tmp_path / 'nc'
    argv = [bag, '--out', out, '--format', 'ncaltech101', '--class-name', 'airplanes']
    code, summary, err = run([*argv, '--window-events', '500'], capsys)
    assert code == 0, err
    folder = out / 'Caltech101' / 'airplanes'
    assert summary['files'] == [str(folder / f'image_{i:04d}.bin') for i in (1, 2, 3, 4)]
    assert (summary['samples'], summary['events'], summary['window_events']) == (4, 1800, 500)
    for i, lo in enumerate(range(0, 1800, 500)):
        assert_events_equal(
            read_ncaltech_bin(folder / f'image_{i + 1:04d}.bin'), rebased(events[lo : lo + 500])
        )
    paths = []
    for split in ('train', 'val', 'test'):
        dataset = NCaltech101Bin(out, split, window_events=-1)
        assert dataset.classes == ['airplanes']
        paths += [path for path, _ in dataset.items]
        for sample in dataset:
            index = int(sample.path.stem.split('_')[1]) - 1
            assert_events_equal(sample.events, rebased(events[500 * index : 500 * index + 500]))
    assert sorted(paths) == [folder / f'image_{i:04d}.bin' for i in (1, 2, 3, 4)]


def test_ncaltech_refuses_a_sensor_too_large(tmp_path, rng, capsys) -> None:
    bag = write_bag(tmp_path / 'b', events_of(rng, GEN1, 100, t0_us=0), GEN1)
    argv = [bag, '--out', tmp_path / 'o', '--format', 'ncaltech101', '--class-name', 'a']
    code, _, err = run(argv, capsys)
    assert code == 2
    assert (
        'the 304x240 sensor does not fit --format ncaltech101: asynet_training.datasets.'
        'NCaltech101Bin reads a 240x180 sensor' in err
    )
    assert '`--resize-to 240x180` or `--crop 32,30,240,180` or `--downscale 2` (152x120)' in err
    assert not (tmp_path / 'o').exists()


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def small_bag(tmp_path, rng) -> Path:
    labels: list[Label] = [(500, [(10.0, 10.0, 4.0, 4.0, 'truck', 1.0, '')])]
    return write_bag(tmp_path / 'small', events_of(rng, NCARS, 200, t0_us=0), NCARS, labels)


@pytest.mark.parametrize(
    ('extra', 'message'),
    [
        (['--format', 'ncars'], 'error: --format ncars needs --class-name'),
        (['--format', 'ncaltech101'], 'error: --format ncaltech101 needs --class-name'),
        (
            ['--format', 'ncars', '--class-name', 'car'],
            "'car' is not an N-Cars class; valid: \\['background', 'cars'\\]",
        ),
        (
            ['--format', 'ncars', '--class-name', 'cars', '--split', 'val'],
            'carves val from n-cars_train',
        ),
        (
            ['--format', 'ncaltech101', '--class-name', 'a', '--split', 'test'],
            'splits each class folder itself',
        ),
        (['--format', 'gen1', '--window-us', '5'], 'gen1 writes the whole recording'),
        (['--format', 'gen1', '--class-name', 'cars'], 'not used by --format gen1'),
        (
            ['--format', 'ncars', '--class-name', 'cars', '--labels-topic', '/labels'],
            'only used by --format gen1',
        ),
        (
            ['--format', 'ncars', '--class-name', 'cars', '--window-events', '0'],
            '--window-events must be >= 1',
        ),
        (
            ['--format', 'gen1', '--topic', '/labels'],
            'topic /labels of bag .* has type vision_msgs/msg/Detection2DArray, not an event '
            'message type',
        ),
        (['--format', 'gen1', '--topic', '/nope'], 'topic /nope is not in bag'),
        (
            ['--format', 'gen1', '--labels-topic', '/events'],
            'labels topic /events of bag .* has type event_camera_msgs/msg/EventPacket, expected '
            'vision_msgs/msg/Detection2DArray',
        ),
        (['--format', 'gen1', '--labels-topic', '/x'], 'labels topic /x is not in bag'),
        (
            ['--format', 'gen1', '--labels-topic', '/labels', '--classes', 'car,pedestrian'],
            "labels message 0, detection 0: class_id 'truck' is not a known class "
            "\\['car', 'pedestrian'\\]; add it to --classes",
        ),
    ],
    ids=[
        'ncars-no-class',
        'ncaltech-no-class',
        'ncars-bad-class',
        'ncars-val',
        'ncaltech-split',
        'gen1-window',
        'gen1-class-name',
        'ncars-labels',
        'zero-window',
        'topic-wrong-type',
        'topic-missing',
        'labels-wrong-type',
        'labels-missing',
        'unknown-class',
    ],
)
def test_bad_options_exit_2(small_bag, tmp_path, capsys, extra, message) -> None:
    code, _, err = run([small_bag, '--out', tmp_path / 'o', *extra], capsys)
    assert code == 2
    assert err.startswith('asynet-bag2dataset: error: ')
    assert re.search(message, err), err


def test_missing_bag_and_empty_stream(tmp_path, capsys) -> None:
    code, _, err = run([tmp_path / 'nope', '--out', tmp_path / 'o', '--format', 'gen1'], capsys)
    assert (code, err.strip()) == (
        2,
        f'asynet-bag2dataset: error: bag {tmp_path / "nope"} does not exist',
    )
    ts = typestore()
    with Writer(tmp_path / 'empty', version=8) as writer:
        conn = writer.add_connection('/events', PACKET, typestore=ts)
        for seq in range(2):
            msg = packet_message(ts, np.zeros(0, EVENT_DTYPE), NCARS, seq)
            writer.write(conn, ROS_ZERO + seq, bytes(ts.serialize_cdr(msg, PACKET)))
    code, _, err = run([tmp_path / 'empty', '--out', tmp_path / 'o', '--format', 'gen1'], capsys)
    assert code == 2
    assert 'topic /events of bag' in err
    assert 'holds no events (2 event messages); nothing written' in err
    assert not (tmp_path / 'o').exists()


def test_both_windows_are_refused(tmp_path) -> None:
    with pytest.raises(SystemExit):
        main(['b', '--out', 'o', '--format', 'ncars', '--window-us', '1', '--window-events', '1'])
    with pytest.raises(Bag2DatasetError, match='give one of --window-us and --window-events'):
        ConvertConfig('ncars', tmp_path, class_name='cars', window_us=1, window_events=1)
    with pytest.raises(Bag2DatasetError, match="unknown --format 'gen2'"):
        ConvertConfig('gen2', tmp_path)


# ---------------------------------------------------------------------------------------------
# The real recording
# ---------------------------------------------------------------------------------------------


def test_real_evt3_bag_to_gen1(tmp_path, capsys, real_bag) -> None:
    bag = real_bag('metavision_evt3')
    code, _, err = run([bag, '--out', tmp_path, '--format', 'gen1'], capsys)
    assert code == 2
    assert 'the 640x480 sensor does not fit --format gen1' in err
    assert '`--resize-to 304x240` or `--crop 168,120,304,240` or `--downscale 3` (213x160)' in err
    assert not (tmp_path / 'train').exists()
    code, summary, err = run(
        [bag, '--out', tmp_path, '--format', 'gen1', '--resize-to', '304x240'], capsys
    )
    assert code == 0, err
    events, header = read_dat(tmp_path / 'train' / 'metavision_evt3_td.dat')
    assert len(events) == summary['events'] == summary['events_read'] == 343474
    assert (header['width'], header['height']) == (summary['width'], summary['height'])
    assert (summary['input_width'], summary['input_height']) == (640, 480)
    assert (summary['width'], summary['height']) == (304, 240)
    assert (int(events['x'].max()), int(events['y'].max())) == (303, 239)  # the whole frame
    assert int(events['t'].min()) == 0
    assert summary['encoding'] == 'evt3'


def test_corrupt_labels_message(tmp_path, rng, capsys) -> None:
    bag = write_bag(tmp_path / 'b', events_of(rng, GEN1, 100, t0_us=0), GEN1)
    ts = typestore()
    bad = tmp_path / 'bad'
    bad.mkdir()
    with Writer(bad / 'b', version=8) as writer:
        conn = writer.add_connection('/events', PACKET, typestore=ts)
        labels = writer.add_connection('/labels', DETECTIONS, typestore=ts)
        for _, _, raw in _raw_records(bag):
            writer.write(conn, ROS_ZERO, raw)
        writer.write(labels, ROS_ZERO + 1, b'\x00\x01\x00\x00\x07')
    argv = [bad / 'b', '--out', tmp_path / 'o', '--format', 'gen1', '--labels-topic', '/labels']
    code, _, err = run(argv, capsys)
    assert code == 2
    assert f'cannot deserialise the {DETECTIONS} at {ROS_ZERO + 1} ns' in err


def _raw_records(path: Path) -> list[tuple[str, int, bytes]]:
    from rosbags.rosbag2 import Reader

    with Reader(path) as reader:
        return [(c.topic, t, bytes(raw)) for c, t, raw in reader.messages()]


def test_dvs_msgs_bag_to_ncars(tmp_path, rng, capsys) -> None:
    """dvs_msgs events carry ROS times (µs since the epoch): samples are rebased to 0."""
    events = events_of(rng, NCARS, 300, t0_us=ROS_ZERO // 1000)
    ts, msgtype = typestore(), 'dvs_msgs/msg/EventArray'
    t = ts.types
    with Writer(tmp_path / 'dvs', version=8) as writer:
        conn = writer.add_connection('/dvs/events', msgtype, typestore=ts)
        for lo in range(0, 300, 100):
            part = events[lo : lo + 100]
            msg = t[msgtype](
                header=_header(ts, int(part['t'][0]) * 1000),
                height=NCARS.height,
                width=NCARS.width,
                events=[
                    t['dvs_msgs/msg/Event'](
                        x=int(e['x']),
                        y=int(e['y']),
                        ts=_header(ts, int(e['t']) * 1000).stamp,
                        polarity=bool(e['p']),
                    )
                    for e in part
                ],
            )
            writer.write(conn, int(part['t'][0]) * 1000, bytes(ts.serialize_cdr(msg, msgtype)))
    argv = [tmp_path / 'dvs', '--out', tmp_path / 'o', '--format', 'ncars', '--class-name', 'cars']
    code, summary, err = run([*argv, '--window-events', '150'], capsys)
    assert code == 0, err
    assert (summary['encoding'], summary['samples'], summary['events']) == ('dvs_msgs', 2, 300)
    written = read_dat(tmp_path / 'o' / 'n-cars_train' / 'cars' / 'obj_000001_td.dat')[0]
    assert_events_equal(written, rebased(events[150:]))


def test_unknown_encoding(tmp_path, rng, capsys) -> None:
    ts = typestore()
    msg = packet_message(ts, events_of(rng, NCARS, 10, t0_us=0), NCARS, 0)
    msg.encoding = 'evt9'
    with Writer(tmp_path / 'b', version=8) as writer:
        conn = writer.add_connection('/events', PACKET, typestore=ts)
        writer.write(conn, ROS_ZERO, bytes(ts.serialize_cdr(msg, PACKET)))
    code, _, err = run([tmp_path / 'b', '--out', tmp_path / 'o', '--format', 'gen1'], capsys)
    assert code == 2
    assert "error: event message 0 ('evt9'): unknown encoding 'evt9'; valid: [" in err


# ---------------------------------------------------------------------------------------------
# event files as input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize('kind', ['evt3', 'dat'])
def test_an_event_file_converts_as_the_bag_of_the_same_events(tmp_path, rng, capsys, kind) -> None:
    from asynet_ros.encoders import Evt3Encoder
    from asynet_training.formats import write_dat

    events = events_of(rng, NCALTECH, 1800, t0_us=0)
    events['y'] %= 180
    bag = write_bag(tmp_path / 'b', events, NCALTECH)
    if kind == 'evt3':  # a header without size: --width/--height give it
        path = tmp_path / 'rec.raw'
        path.write_bytes(b'% evt 3.0\n% end\n' + Evt3Encoder().encode(events))
        size = ['--width', '240', '--height', '180']
    else:
        path = tmp_path / 'rec.dat'
        write_dat(path, events, 240, 180)
        size = []
    for source, out, extra in (
        (bag, tmp_path / 'from_bag', []),
        (path, tmp_path / 'from_file', size),
    ):
        argv = [source, '--out', out, '--format', 'ncaltech101', '--class-name', 'airplanes']
        code, summary, err = run([*argv, '--window-events', '500', *extra], capsys)
        assert code == 0, err
        assert (summary['samples'], summary['events']) == (4, 1800)
    for i in (1, 2, 3, 4):
        name = Path('Caltech101', 'airplanes', f'image_{i:04d}.bin')
        got = (tmp_path / 'from_file' / name).read_bytes()
        assert got == (tmp_path / 'from_bag' / name).read_bytes()


def test_an_event_file_needs_a_labels_bag_and_a_size(tmp_path, rng, capsys) -> None:
    from asynet_ros.encoders import Evt3Encoder

    path = tmp_path / 'rec.raw'
    path.write_bytes(b'% evt 3.0\n% end\n' + Evt3Encoder().encode(events_of(rng, GEN1, 100, 0)))
    out = tmp_path / 'g'
    code, _, err = run([path, '--out', out, '--format', 'gen1', '--labels-topic', '/l'], capsys)
    assert code == 2
    assert 'rec.raw is an event file: it holds no labels; give them with --labels-bag' in err
    code, _, err = run([path, '--out', out, '--format', 'gen1'], capsys)
    assert code == 2
    assert 'rec.raw' in err
    assert '--width/--height' in err
    assert not out.exists()


def test_width_and_height_are_refused_for_a_bag(tmp_path, rng, capsys) -> None:
    bag = write_bag(tmp_path / 'b', events_of(rng, NCALTECH, 100, 0), NCALTECH)
    argv = [bag, '--out', tmp_path / 'o', '--format', 'ncaltech101', '--class-name', 'a']
    with pytest.raises(SystemExit) as stop:
        run([*argv, '--width', '10', '--height', '10'], capsys)
    assert stop.value.code == 2
    assert "a bag's messages carry the sensor size" in capsys.readouterr().err
