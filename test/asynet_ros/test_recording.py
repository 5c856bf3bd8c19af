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

"""open_recording: bags and RAW / DAT files as the same event messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import concatenate_events, EVENT_DTYPE, SensorSize
from asynet_core.recordings import EventFileError
from asynet_ros.bag import BagError, Skipped
from asynet_ros.encoders import Evt3Encoder
from asynet_ros.pipeline.decoding import DECODED_ENCODING
from asynet_ros.recording import (
    cut_packets,
    FILE_FRAME_ID,
    is_bag_path,
    MAX_PACKET_US,
    open_recording,
)
from asynet_tools.events import write_synthetic_bag
from asynet_training.formats import write_dat

SENSOR = SensorSize(304, 240)


def _events(t_us: list[int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    events = np.zeros(len(t_us), dtype=EVENT_DTYPE)
    events['t'] = t_us
    events['x'] = rng.integers(0, SENSOR.width, len(t_us))
    events['y'] = rng.integers(0, SENSOR.height, len(t_us))
    events['p'] = rng.integers(0, 2, len(t_us))
    return events


def write_evt3_raw(path: Path, events: np.ndarray, sensor: SensorSize | None = SENSOR) -> Path:
    """An EVT 3.0 RAW file of ``events``, its header naming the size (or not: ``None``)."""
    lines = ['% evt 3.0']
    if sensor is not None:
        lines.append(f'% format EVT3;height={sensor.height};width={sensor.width}')
    header = ''.join(f'{line}\n' for line in [*lines, '% end']).encode('ascii')
    path.write_bytes(header + Evt3Encoder().encode(events))
    return path


@pytest.fixture(scope='module')
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp('rec') / 'bag'
    write_synthetic_bag(path, seconds=0.2, seed=3)
    return path


def test_a_bag_is_its_event_messages(bag: Path) -> None:
    with open_recording(bag) as rec:
        assert (rec.kind, rec.topic, rec.sensor, rec.count) == (
            'rosbag2',
            '/event_camera/events',
            None,  # the bag does not say before its first message
            200,
        )
        messages = list(rec.messages())
        assert rec.sensor == SENSOR
        events = concatenate_events(list(rec.events()))
        info = rec.describe()
    assert len(messages) == 200
    assert {m.encoding for _, m in messages} == {'evt3'}
    assert len(events) == 20_000
    assert np.all(np.diff(events['t']) >= 0)
    assert info == {
        'kind': 'rosbag2',
        'format': 'evt3',
        'sensor': [304, 240],
        'sensor_source': 'message',
        'time_order': None,
        'salvage': None,
    }


def test_a_truncated_bag_reports_its_salvage(bag: Path, tmp_path: Path) -> None:
    broken = tmp_path / 'bag'
    broken.mkdir()
    (broken / 'metadata.yaml').write_bytes((bag / 'metadata.yaml').read_bytes())
    db = next(bag.glob('*.db3'))
    (broken / db.name).write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    skipped = Skipped()  # the record cut in two may still deserialise wrongly
    with open_recording(broken) as rec:
        read = len(list(rec.messages(skipped)))
        salvage = rec.describe()['salvage']
    assert 0 < read < 200
    assert isinstance(salvage, dict)
    assert salvage['records_read'] == read + skipped.total
    assert salvage['messages_missing'] == 200 - salvage['records_read']


@pytest.mark.parametrize('packet_us', [1000, 250, 7000])
def test_an_evt3_file_is_cut_into_packets_of_sensor_time(tmp_path: Path, packet_us: int) -> None:
    rng = np.random.default_rng(packet_us)
    written = _events(np.sort(rng.integers(0, 30_000, 3000)).tolist())
    path = write_evt3_raw(tmp_path / 'rec.raw', written)
    with open_recording(path, packet_us=packet_us) as rec:
        assert (rec.kind, rec.topic, rec.sensor, rec.count) == ('evt3', None, SENSOR, None)
        messages = list(rec.messages())
        info = rec.describe()
    slots = written['t'] // packet_us
    assert len(messages) == len(np.unique(slots))  # one message per non-empty slot
    for seq, (timestamp, msg) in enumerate(messages):
        assert msg.events is not None
        assert len(np.unique(msg.events['t'] // packet_us)) == 1
        assert timestamp == msg.stamp_ns == int(msg.events['t'][0]) * 1000
        assert (msg.seq, msg.encoding, msg.payload) == (seq, DECODED_ENCODING, None)
        assert (msg.width, msg.height, msg.frame_id) == (304, 240, FILE_FRAME_ID)
    read = concatenate_events([m.events for _, m in messages])
    for name in 'xypt':
        assert np.array_equal(read[name], written[name]), name
    assert info['format'] == info['kind'] == 'evt3'
    assert (info['sensor'], info['sensor_source']) == ([304, 240], 'header')
    assert info['time_order']['steps_back'] == 0


def test_packets_span_chunks_and_restart_where_time_steps_back() -> None:
    t = [5, 6, 1003, 1004, 1999, 2000, 10, 11, 2500]
    events = _events(t)
    chunks = [events[:1], events[1:4], events[4:5], events[5:8], events[8:]]
    packets = [p['t'].tolist() for p in cut_packets(chunks, 1000)]
    assert packets == [[5, 6], [1003, 1004, 1999], [2000], [10, 11], [2500]]
    assert all(p.dtype == EVENT_DTYPE for p in cut_packets(chunks, 1000))


def test_dat_files_with_and_without_a_size(tmp_path: Path) -> None:
    written = _events(list(range(0, 50_000, 10)))
    sized, bare = tmp_path / 'sized.dat', tmp_path / 'bare.dat'
    write_dat(sized, written, SENSOR.width, SENSOR.height)
    write_dat(bare, written)
    with open_recording(sized) as rec:
        assert (rec.kind, rec.sensor, rec.sensor_source) == ('dat', SENSOR, 'header')
        assert sum(len(m.events) for _, m in rec.messages()) == len(written)
    with open_recording(bare, sensor=SensorSize(640, 480)) as rec:
        assert (rec.sensor, rec.sensor_source) == (SensorSize(640, 480), 'given')
        assert len(list(rec.messages())) == 50  # 10 µs apart over 50 ms: 50 packets of 1 ms


def test_an_expelliarmus_evt2_file(tmp_path: Path) -> None:
    wizard = pytest.importorskip('expelliarmus').Wizard
    theirs = np.zeros(400, dtype=[('t', '<i8'), ('x', '<i2'), ('y', '<i2'), ('p', 'u1')])
    theirs['t'] = np.arange(400) * 25
    theirs['x'], theirs['y'], theirs['p'] = np.arange(400) % 640, np.arange(400) % 480, 1
    path = tmp_path / 'rec.raw'
    wizard(encoding='evt2').save(path, theirs)
    with open_recording(path) as rec:
        assert (rec.kind, rec.sensor_source) == ('evt2', 'sensor name')
        read = concatenate_events(list(rec.events()))
    assert read['t'].tolist() == theirs['t'].tolist()
    assert read['x'].tolist() == theirs['x'].tolist()


def test_errors_name_the_path(tmp_path: Path, bag: Path) -> None:
    with pytest.raises(EventFileError, match=r'missing\.raw does not exist'):
        open_recording(tmp_path / 'missing.raw')
    with pytest.raises(BagError, match='does not exist'):
        open_recording(tmp_path / 'nobag')
    with pytest.raises(BagError, match='topic /nope is not in bag'):
        open_recording(bag, topic='/nope')
    unsized = write_evt3_raw(tmp_path / 'unsized.raw', _events([1, 2, 3]), None)
    with pytest.raises(EventFileError, match=r'unsized\.raw.*--width'):
        open_recording(unsized)
    with open_recording(unsized, sensor=SENSOR) as rec:
        assert (rec.sensor, rec.sensor_source) == (SENSOR, 'given')
    with pytest.raises(ValueError, match='no topic'):
        open_recording(unsized, topic='/events', sensor=SENSOR)
    with pytest.raises(ValueError, match='packet_us'):
        open_recording(unsized, sensor=SENSOR, packet_us=0)
    outside = _events([1, 2, 3])
    outside['x'][2] = 500  # beyond the header's 304 columns: the file or its header is wrong
    bad = write_evt3_raw(tmp_path / 'bad.raw', outside)
    with open_recording(bad) as rec, pytest.raises(EventFileError, match=r'bad\.raw'):
        list(rec.messages())


def test_bag_paths(tmp_path: Path, bag: Path) -> None:
    assert is_bag_path(bag)
    assert is_bag_path(next(bag.glob('*.db3')))
    assert is_bag_path(tmp_path / 'missing')
    assert not is_bag_path(tmp_path / 'missing.raw')


def test_an_aedat4_file(tmp_path: Path) -> None:
    pytest.importorskip('aedat')
    dv = pytest.importorskip('dv_processing')
    written = _events(list(range(1000, 6000, 5)))
    path = tmp_path / 'rec.aedat4'
    config = dv.io.MonoCameraWriter.Config('DAVIS346_test', dv.CompressionType.LZ4)
    config.addEventStream((SENSOR.width, SENSOR.height), 'events')
    writer = dv.io.MonoCameraWriter(str(path), config)
    store = dv.EventStore()
    for t, x, y, p in zip(written['t'], written['x'], written['y'], written['p'], strict=True):
        store.push_back(int(t), int(x), int(y), bool(p))
    writer.writeEvents(store, 'events')
    del writer  # flushes and closes the file
    with open_recording(path) as rec:
        assert (rec.sensor, rec.sensor_source) == (SENSOR, 'header')
        messages = list(rec.messages())
    assert len(messages) == 5  # 1000 .. 5995 µs: five 1 ms slots
    read = concatenate_events([m.events for _, m in messages])
    for name in 'xypt':
        assert np.array_equal(read[name], written[name]), name


@pytest.mark.parametrize('packet_us', [0, -1, MAX_PACKET_US + 1, 10**20, True, 1.5])
def test_packet_lengths_out_of_range_are_refused_for_files_and_bags(
    tmp_path: Path, bag: Path, packet_us: object
) -> None:
    raw = write_evt3_raw(tmp_path / 'r.raw', _events([1, 2, 3]))
    for path in (raw, bag):
        with pytest.raises(ValueError, match='--packet-us'):
            open_recording(path, packet_us=packet_us)  # type: ignore[arg-type]


def test_the_longest_packet_and_numpy_lengths_are_accepted(tmp_path: Path) -> None:
    raw = write_evt3_raw(tmp_path / 'r.raw', _events([1, 2, 3]))
    with open_recording(raw, packet_us=MAX_PACKET_US) as rec:
        assert len(list(rec.messages())) == 1
    with open_recording(raw, packet_us=np.int64(1)) as rec:  # type: ignore[arg-type]
        assert len(list(rec.messages())) == 3


def test_a_cut_off_file_reports_its_salvage_and_a_link_loop_is_named(tmp_path: Path) -> None:
    events = np.zeros(300, dtype=EVENT_DTYPE)
    events['x'], events['y'], events['t'] = np.arange(300) % 64, 5, np.arange(300) * 10
    whole = b'% evt 3.0\n% format EVT3;height=48;width=64\n% end\n' + Evt3Encoder().encode(events)
    cut = tmp_path / 'cut.raw'
    cut.write_bytes(whole[:-1])  # the recorder died inside a 2-byte word
    with open_recording(cut) as rec:
        got = concatenate_events(list(rec.events()))
        salvage = rec.describe()['salvage']
    assert 0 < len(got) <= 300
    assert salvage['bytes_unread'] == 1
    assert salvage['events_read'] == len(got)
    loop = tmp_path / 'l1.raw'
    loop.symlink_to(tmp_path / 'l2.raw')
    (tmp_path / 'l2.raw').symlink_to(loop)
    with pytest.raises(EventFileError, match=r'l1\.raw: is a symlink loop') as caught:
        open_recording(loop)
    assert 'does not exist' not in str(caught.value)
