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


"""asynet-bag2dataset: geometry options, the refusal of a sensor over the frame, class names.

Also labels from a second bag (``--labels-bag``) and LabelInfo class maps.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rosbags.rosbag2 import Writer

from asynet_core.events import make_events, SensorSize
from asynet_ros import messages
from asynet_ros.encoders import encode_mono
from asynet_ros.interfaces import typestore
from asynet_tools.bag2dataset import Bag2DatasetError, main
from asynet_tools.bag2dataset.geometry import fit_options, Geometry, parse_crop, parse_size
from asynet_training.datasets import Gen1, NCars
from asynet_training.formats import read_dat, read_gen1_bbox

ROS_ZERO = 1_800_000_000 * 10**9  # ROS time (ns) of sensor time 0
VGA = SensorSize(640, 480)
#: A detection: (centre x, centre y, w, h, class_id).
Det = tuple[float, float, float, float, str]


def _events(n: int, sensor: SensorSize, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, sensor.width, n), rng.integers(0, sensor.height, n)
    return make_events(x, y, np.arange(n) * 10, rng.integers(0, 2, n))


def _detections(f: messages.RosbagsFactory, stamp_ns: int, dets: Sequence[Det]) -> Any:
    out = []
    for cx, cy, w, h, cls in dets:
        hyp = f.make('vision_msgs/msg/ObjectHypothesis', class_id=cls, score=0.8)
        pose = f.make(
            'vision_msgs/msg/Pose2D',
            position=f.make('vision_msgs/msg/Point2D', x=cx, y=cy),
            theta=0.0,
        )
        box = f.make('vision_msgs/msg/BoundingBox2D', center=pose, size_x=w, size_y=h)
        result = f.make(
            'vision_msgs/msg/ObjectHypothesisWithPose',
            hypothesis=hyp,
            pose=messages._identity_pose(f),
        )
        out.append(
            f.make(
                'vision_msgs/msg/Detection2D',
                header=messages.header(f, stamp_ns, ''),
                results=[result],
                bbox=box,
                id='',
            )
        )
    return f.make(
        messages.DETECTION_ARRAY, header=messages.header(f, stamp_ns, ''), detections=out
    )


def write_bag(
    path: Path,
    events: np.ndarray | None,
    sensor: SensorSize,
    labels: Sequence[tuple[int, Sequence[Det]]] = (),
    names: Sequence[str] | None = None,
) -> Path:
    """A bag: events in mono packets on /ev, labels on /det, ``names`` as a LabelInfo on /info.

    Events go in packets of 1000, labels are (sensor time µs, detections); every stamp is
    ROS_ZERO + the sensor time.
    """
    ts = typestore()
    f = messages.RosbagsFactory(ts)
    records = []
    if events is not None:
        for seq, lo in enumerate(range(0, len(events), 1000)):
            part = events[lo : lo + 1000]
            t0 = int(part['t'][0]) * 1000
            msg = messages.event_packet(
                f,
                ROS_ZERO + t0,
                'cam',
                (sensor.width, sensor.height),
                'mono',
                encode_mono(part, t0),
                seq=seq,
                time_base_ns=t0,
            )
            records.append(('/ev', messages.EVENT_PACKET, ROS_ZERO + t0, msg))
    for t_us, dets in labels:
        stamp = ROS_ZERO + t_us * 1000
        records.append(('/det', messages.DETECTION_ARRAY, stamp, _detections(f, stamp, dets)))
    if names is not None:
        msg = messages.label_info(f, names, 0.5, ROS_ZERO, 'cam')
        records.append(('/info', messages.LABEL_INFO, ROS_ZERO, msg))
    with Writer(path, version=8) as writer:
        conns: dict[str, Any] = {}
        for topic, msgtype, stamp, msg in sorted(records, key=lambda r: r[2]):
            if topic not in conns:
                conns[topic] = writer.add_connection(topic, msgtype, typestore=ts)
            writer.write(conns[topic], stamp, bytes(ts.serialize_cdr(msg, msgtype)))
    return path


def run(argv: Sequence[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main([*map(str, argv), '--no-progress'])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else {}, err


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def test_events_go_through_crop_then_downscale_then_resize() -> None:
    sensor = SensorSize(100, 80)
    events = make_events(
        [10, 19, 20, 69, 70, 99, 40], [5, 5, 5, 64, 64, 79, 30], range(7), [1] * 7
    )
    crop = Geometry(crop=(10, 5, 60, 60))
    out = crop.events(events, sensor)
    assert out['x'].tolist() == [0, 9, 10, 59, 30]  # x=70 and y=64 are outside the crop
    assert out['y'].tolist() == [0, 0, 0, 59, 25]
    assert out['t'].tolist() == [0, 1, 2, 3, 6]
    assert crop.output_sensor(sensor) == SensorSize(60, 60)
    both = Geometry(crop=(10, 5, 60, 60), downscale=7)  # 60 // 7 = 8: column 56..59 is partial
    assert both.output_sensor(sensor) == SensorSize(8, 8)
    out = both.events(events, sensor)
    assert out['x'].tolist() == [0, 1, 1, 4]
    assert out['y'].tolist() == [0, 0, 0, 3]
    resized = Geometry(resize_to=SensorSize(50, 20))
    out = resized.events(events, sensor)
    assert out['x'].tolist() == [5, 9, 10, 34, 35, 49, 20]  # x * 50 // 100
    assert out['y'].tolist() == [1, 1, 1, 16, 16, 19, 7]  # y * 20 // 80
    all3 = Geometry(crop=(10, 5, 60, 60), downscale=2, resize_to=SensorSize(15, 45))
    assert all3.output_sensor(sensor) == SensorSize(15, 45)
    assert all3.events(events, sensor)['x'].tolist() == [0, 2, 2, 14, 7]  # (x // 2) * 15 // 30


def test_events_outside_the_input_sensor_are_dropped_and_the_input_is_not_modified() -> None:
    events = make_events([3, 200], [3, 3], [0, 1], [0, 1])
    assert Geometry().events(events, SensorSize(100, 80))['x'].tolist() == [3]
    kept = Geometry(downscale=2).events(events[:1], SensorSize(100, 80))
    assert kept['x'].tolist() == [1]
    assert events['x'].tolist() == [3, 200]


def test_boxes_are_clipped_scaled_and_dropped_when_empty() -> None:
    sensor = SensorSize(100, 80)
    g = Geometry(crop=(10, 10, 40, 40), downscale=2, resize_to=SensorSize(40, 10))
    x, y, w, h, keep = g.boxes(
        np.array([0.0, 20, 60]),
        np.array([0.0, 20, 20]),
        np.array([30.0, 10, 10]),
        np.array([30.0, 10, 10]),
        sensor,
    )
    assert keep.tolist() == [True, True, False]  # the third lies right of the crop
    # box 0: crop -> (0, 0, 20, 20); /2 -> (0, 0, 10, 10); resize x2 in x, /2 in y
    np.testing.assert_allclose([x[0], y[0], w[0], h[0]], [0, 0, 20, 5])
    np.testing.assert_allclose([x[1], y[1], w[1], h[1]], [10, 2.5, 10, 2.5])


def test_fit_options_are_computed_for_every_frame() -> None:
    assert fit_options(VGA, Gen1.sensor) == [
        '`--resize-to 304x240`',
        '`--crop 168,120,304,240`',
        '`--downscale 3` (213x160)',
    ]
    assert fit_options(VGA, NCars.sensor) == [
        '`--resize-to 120x100`',
        '`--crop 260,190,120,100`',
        '`--downscale 6` (106x80)',
    ]
    assert fit_options(SensorSize(300, 100), SensorSize(240, 180))[1:] == [
        '`--crop 30,0,240,100`',
        '`--downscale 2` (150x50)',
    ]
    assert fit_options(NCars.sensor, Gen1.sensor) == []
    for option in fit_options(VGA, NCars.sensor)[:2]:  # each one really fits
        text = option.strip('`').split(' ', 1)[1]
        g = (
            Geometry(crop=parse_crop(text))
            if ',' in text
            else Geometry(resize_to=parse_size(text))
        )
        assert g.output_sensor(VGA) == NCars.sensor


@pytest.mark.parametrize(
    ('call', 'message'),
    [
        (lambda: parse_crop('1,2,3'), r"--crop '1,2,3': expected X,Y,W,H"),
        (lambda: parse_crop('0,0,0,5'), 'the size W,H must be >= 1'),
        (lambda: parse_crop('-1,0,5,5'), 'the origin X,Y must be >= 0'),
        (lambda: parse_size('304'), r"--resize-to '304': expected WxH"),
        (lambda: parse_size('0x240'), "--resize-to '0x240'"),
        (lambda: Geometry(downscale=0), '--downscale must be an integer >= 1, got 0'),
        (lambda: Geometry(crop=(600, 0, 100, 10)).output_sensor(VGA), 'outside the 640x480'),
        (lambda: Geometry(downscale=500).output_sensor(VGA), 'use a factor <= 480'),
    ],
    ids=[
        'crop-3',
        'crop-empty',
        'crop-negative',
        'size-1',
        'size-0',
        'factor-0',
        'crop-out',
        'factor-big',
    ],
)
def test_bad_geometry_is_named(call: Any, message: str) -> None:
    with pytest.raises(Bag2DatasetError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# The command line: refusal before writing, written sensor sizes
# ---------------------------------------------------------------------------------------------


def test_a_sensor_over_the_frame_is_refused_before_anything_is_written(tmp_path, capsys) -> None:
    bag = write_bag(tmp_path / 'vga', _events(3000, VGA), VGA)
    out = tmp_path / 'o'
    argv = [
        bag,
        '--out',
        out,
        '--format',
        'ncars',
        '--class-name',
        'cars',
        '--window-events',
        '10',
    ]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert err.strip() == (
        'asynet-bag2dataset: error: the 640x480 sensor does not fit --format ncars: '
        'asynet_training.datasets.NCars reads a 120x100 sensor and refuses events outside it; '
        'nothing was written. Add `--resize-to 120x100` or `--crop 260,190,120,100` or '
        '`--downscale 6` (106x80)'
    )
    assert not out.exists()
    code, _, err = run([*argv, '--downscale', '2'], capsys)  # 320x240: still too large
    assert code == 2
    assert 'the 640x480 sensor (320x240 after --downscale 2) does not fit' in err
    code, _, err = run([*argv, '--crop', '600,0,100,100'], capsys)
    assert code == 2
    assert '--crop 600,0,100,100 reaches x < 700, y < 100, outside the 640x480 sensor' in err
    assert not out.exists()


def test_downscale_writes_the_new_size_and_ncars_reads_it(tmp_path, capsys) -> None:
    events = _events(3000, VGA)
    bag = write_bag(tmp_path / 'vga', events, VGA)
    out = tmp_path / 'o'
    for split in ('train', 'test'):
        argv = [bag, '--out', out, '--format', 'ncars', '--class-name', 'cars', '--split', split]
        code, summary, err = run([*argv, '--window-events', '1000', '--downscale', '6'], capsys)
        assert code == 0, err
        assert (summary['width'], summary['height'], summary['geometry']) == (
            106,
            80,
            '--downscale 6',
        )
        assert summary['events'] + summary['events_dropped'] == summary['events_read'] == 3000
        keep = (events['x'] < 636) & (events['y'] < 480)  # 640 // 6 * 6 = 636
        assert summary['events'] == int(keep.sum())
    written, header = read_dat(out / 'n-cars_train' / 'cars' / 'obj_000000_td.dat')
    assert (header['width'], header['height']) == (106, 80)
    np.testing.assert_array_equal(written['x'], events['x'][keep][:1000] // 6)
    background = out / 'n-cars_test' / 'background'  # the reader wants both class folders
    background.mkdir()
    src = out / 'n-cars_test' / 'cars' / 'obj_000000_td.dat'
    (background / 'obj_000000_td.dat').write_bytes(src.read_bytes())
    dataset = NCars(out, 'test', window_events=-1)
    assert len(dataset) == 4  # 3 windows of cars (1000, 1000, the rest) and one background
    assert [len(s.events) for s in dataset] == [1000, 1000, 1000, summary['events'] - 2000]


# ---------------------------------------------------------------------------------------------
# Labels: LabelInfo class names, a second bag, boxes through the geometry
# ---------------------------------------------------------------------------------------------

LABELS = [
    (5_000, [(200.0, 150.0, 40.0, 20.0, 'square'), (20.0, 20.0, 10.0, 10.0, 'circle')]),
    (20_000, [(330.0, 250.0, 60.0, 60.0, '0')]),
]


def test_labelinfo_names_the_classes_and_boxes_follow_the_crop(tmp_path, capsys) -> None:
    bag = write_bag(tmp_path / 'rec', _events(3000, VGA), VGA, LABELS, ['circle', 'square'])
    out = tmp_path / 'o'
    argv = [bag, '--out', out, '--format', 'gen1', '--labels-topic', '/det']
    code, summary, err = run([*argv, '--crop', '168,120,304,240'], capsys)
    assert code == 0, err
    assert summary['classes'] == {'circle': 0, 'square': 1}
    assert summary['classes_from'] == 'LabelInfo'
    assert (summary['labels'], summary['labels_outside_geometry']) == (2, 1)  # (15..25) is out
    boxes = read_gen1_bbox(out / 'train' / 'rec_bbox.npy')
    t0 = summary['t0_us']  # the first event inside the crop
    assert boxes['t'].tolist() == [5_000 - t0, 20_000 - t0]
    assert boxes[['x', 'y', 'w', 'h']].tolist() == [
        (12.0, 20.0, 40.0, 20.0),
        (132.0, 100.0, 60.0, 60.0),
    ]
    assert boxes['class_id'].tolist() == [1, 0]
    _, header = read_dat(out / 'train' / 'rec_td.dat')
    assert (header['width'], header['height']) == (304, 240)
    assert [s.t_us for s in Gen1(out, 'train', window_events=-1)] == [5_000 - t0, 20_000 - t0]


def test_labels_from_a_second_bag(tmp_path, capsys) -> None:
    bag = write_bag(tmp_path / 'rec', _events(3000, VGA), VGA)
    labels = write_bag(tmp_path / 'outputs', None, VGA, LABELS, ['circle', 'square'])
    out = tmp_path / 'o'
    argv = [bag, '--out', out, '--format', 'gen1', '--labels-bag', labels, '--downscale', '3']
    code, summary, err = run(argv, capsys)
    assert code == 0, err
    assert (summary['labels_bag'], summary['labels_topic']) == (str(labels), '/det')
    assert (summary['labels'], summary['label_messages']) == (3, 2)
    boxes = read_gen1_bbox(out / 'train' / 'rec_bbox.npy')
    np.testing.assert_allclose(boxes['x'], [180 / 3, 15 / 3, 300 / 3], rtol=1e-6)
    assert boxes['class_id'].tolist() == [1, 0, 0]
    assert summary['warnings'] == []


def test_class_names_without_labelinfo_need_classes(tmp_path, capsys) -> None:
    bag = write_bag(tmp_path / 'rec', _events(3000, Gen1.sensor), Gen1.sensor, LABELS[:1])
    argv = [bag, '--out', tmp_path / 'o', '--format', 'gen1', '--labels-topic', '/det']
    code, _, err = run(argv, capsys)
    assert code == 2
    assert (
        "labels message 0, detection 0: class_id 'square' is not a known class []; the labels "
        'bag has no vision_msgs/LabelInfo; give the class names in index order with --classes'
    ) in err
    assert not (tmp_path / 'o').exists()
    code, summary, err = run([*argv, '--classes', 'square,circle'], capsys)
    assert code == 0, err
    assert (summary['classes_from'], summary['labels']) == ('--classes', 2)
    assert read_gen1_bbox(tmp_path / 'o' / 'train' / 'rec_bbox.npy')['class_id'].tolist() == [0, 1]


def test_a_class_index_the_reader_rejects_is_refused(tmp_path, capsys) -> None:
    labels = [(5_000, [(20.0, 20.0, 10.0, 10.0, 'ring')])]
    names = ['circle', 'square', 'ring']
    bag = write_bag(tmp_path / 'rec', _events(3000, Gen1.sensor), Gen1.sensor, labels, names)
    code, _, err = run(
        [bag, '--out', tmp_path / 'o', '--format', 'gen1', '--labels-topic', '/det'], capsys
    )
    assert code == 2
    assert "class 'ring' has index 2, but the reader takes class ids 0..1 (car, pedestrian)" in err
    assert not (tmp_path / 'o').exists()
    other = write_bag(tmp_path / 'two', None, Gen1.sensor, labels, names)
    code, _, err = run(
        [
            bag,
            '--out',
            tmp_path / 'o',
            '--format',
            'gen1',
            '--labels-bag',
            other,
            '--label-info-topic',
            '/det',
        ],
        capsys,
    )
    assert code == 2
    assert 'label info topic /det of bag' in err
    assert 'expected vision_msgs/msg/LabelInfo' in err


# ---------------------------------------------------------------------------------------------
# The readers check the sensor size a file declares (what an older converter wrote)
# ---------------------------------------------------------------------------------------------


def test_readers_refuse_a_declared_sensor_over_theirs(tmp_path) -> None:
    from asynet_training.errors import CorruptFileError
    from asynet_training.formats import write_dat, write_gen1_bbox
    from asynet_training.formats.gen1 import BBOX_DTYPE

    events = make_events([5, 50], [5, 50], [0, 10], [0, 1])  # inside every frame
    for name in ('cars', 'background'):
        (tmp_path / 'n-cars_test' / name).mkdir(parents=True)
        write_dat(tmp_path / 'n-cars_test' / name / 'obj_0_td.dat', events, 120, 100)
    big = tmp_path / 'n-cars_test' / 'cars' / 'obj_1_td.dat'
    write_dat(big, events, 640, 480)
    with pytest.raises(CorruptFileError, match='the header declares a 640x480 sensor') as err:
        NCars(tmp_path, 'test')
    assert str(big) in str(err.value)
    assert '--resize-to 120x100' in str(err.value)
    lenient = NCars(tmp_path, 'test', strict=False)
    assert (len(lenient), [p for p, _ in lenient.skipped]) == (2, [big])
    (tmp_path / 'train').mkdir()
    write_dat(tmp_path / 'train' / 'r_td.dat', events, 304, 241)
    write_gen1_bbox(tmp_path / 'train' / 'r_bbox.npy', np.zeros(1, BBOX_DTYPE))
    with pytest.raises(CorruptFileError, match=r'304x241 sensor \(height 241\), larger than'):
        Gen1(tmp_path, 'train')
