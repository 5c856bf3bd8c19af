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

"""open_aedat4: AEDAT4 files written by iniVation's dv-processing, read back through aedat."""

from __future__ import annotations

import os
from pathlib import Path
import re
import sys
import types
from typing import Any, ClassVar

import numpy as np
import pytest

from asynet_core.events import concatenate_events, EVENT_DTYPE, SensorSize
from asynet_core.recordings import EventFile, EventFileError
from asynet_ros.aedat4 import AEDAT4_MAGIC, IGNORED_KINDS, open_aedat4

SENSOR = SensorSize(346, 260)  # a DAVIS346
EPOCH_US = 1_700_000_000_000_000  # AEDAT4 times are µs since the Unix epoch


def _events(count: int, seed: int = 0, sensor: SensorSize = SENSOR) -> np.ndarray:
    rng = np.random.default_rng(seed)
    events = np.zeros(count, dtype=EVENT_DTYPE)
    events['t'] = EPOCH_US + np.cumsum(rng.integers(0, 4, count))
    events['x'] = rng.integers(0, sensor.width, count)
    events['y'] = rng.integers(0, sensor.height, count)
    events['p'] = rng.integers(0, 2, count)
    return events


def _store(dv: Any, events: np.ndarray) -> Any:
    store = dv.EventStore()
    for t, x, y, p in zip(events['t'], events['x'], events['y'], events['p'], strict=True):
        store.push_back(int(t), int(x), int(y), bool(p))
    return store


def _write(
    path: Path,
    streams: dict[str, np.ndarray],
    *,
    sensor: SensorSize = SENSOR,
    compression: str = 'LZ4',
    imu_t_us: tuple[int, ...] = (),
    trigger_t_us: tuple[int, ...] = (),
) -> Path:
    """Write an AEDAT4 file with dv-processing: event streams (in order), IMU and triggers."""
    dv = pytest.importorskip('dv_processing')
    config = dv.io.MonoCameraWriter.Config(
        'DAVIS346_test', getattr(dv.CompressionType, compression)
    )
    for name in streams:
        config.addEventStream((sensor.width, sensor.height), name)
    if imu_t_us:
        config.addImuStream()
    if trigger_t_us:
        config.addTriggerStream()
    writer = dv.io.MonoCameraWriter(str(path), config)
    for name, events in streams.items():
        writer.writeEvents(_store(dv, events), name)
    for t in imu_t_us:
        writer.writeImu(dv.IMU(t, 25.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    for t in trigger_t_us:
        writer.writeTrigger(dv.Trigger(t, dv.TriggerType.EXTERNAL_SIGNAL_RISING_EDGE))
    del writer  # the writer flushes and closes the file when destroyed
    return path


@pytest.fixture
def aedat() -> Any:
    """The optional aedat package (the test skips without it)."""
    return pytest.importorskip('aedat')


@pytest.mark.usefixtures('aedat')
@pytest.mark.parametrize('compression', ['NONE', 'LZ4', 'ZSTD'])
def test_reads_back_exactly_what_dv_wrote(tmp_path: Path, compression: str) -> None:
    events = _events(5000)
    path = _write(tmp_path / 'rec.aedat4', {'events': events}, compression=compression)
    with open_aedat4(path) as f:
        assert isinstance(f, EventFile)
        assert f.info.path == path
        assert f.info.format == 'aedat4'
        assert f.info.sensor == SENSOR
        assert f.info.sensor_source == 'header'
        assert f.info.header['streams'] == '0: events 346x260'
        assert 'note' not in f.info.header
        got = f.read_all()
        assert f.time_order.steps_back == 0
        assert f.skipped_before_time == 0
        assert f.ignored == dict.fromkeys(IGNORED_KINDS, 0)
    assert got.dtype == EVENT_DTYPE
    for name in ('t', 'x', 'y', 'p'):
        np.testing.assert_array_equal(got[name], events[name])
    assert int(got['t'][0]) == int(events['t'][0]) > EPOCH_US  # kept as recorded, not shifted
    assert int(got['t'][-1]) == int(events['t'][-1])
    assert int(got['p'].sum()) == int(events['p'].sum())


@pytest.mark.usefixtures('aedat')
def test_chunks_are_bounded_and_every_pass_starts_over(tmp_path: Path) -> None:
    events = _events(3000, seed=1)
    path = _write(tmp_path / 'rec.aedat4', {'events': events})
    with open_aedat4(path) as f:
        for max_events in (1, 777, 3000, 1 << 20):
            chunks = list(f.chunks(max_events))
            assert all(0 < len(c) <= max_events and c.dtype == EVENT_DTYPE for c in chunks)
            assert len(chunks) == -(-len(events) // max_events)
            np.testing.assert_array_equal(concatenate_events(chunks)['t'], events['t'])
        with pytest.raises(ValueError, match='max_events'):
            next(f.chunks(0))
    with pytest.raises(EventFileError, match='closed'):
        next(f.chunks())


@pytest.mark.usefixtures('aedat')
def test_first_event_stream_only_and_the_rest_counted(tmp_path: Path) -> None:
    first, second = _events(400, seed=2), _events(150, seed=3)
    path = _write(
        tmp_path / 'two.aedat4',
        {'events': first, 'events_b': second},
        imu_t_us=(EPOCH_US + 1, EPOCH_US + 2),
        trigger_t_us=(EPOCH_US + 5, EPOCH_US + 6, EPOCH_US + 7),
    )
    with open_aedat4(path) as f:
        header = f.info.header
        assert header['event_stream'] == '0'
        assert header['ignored_event_streams'] == '1'
        assert 'only the first (id 0)' in header['note']
        assert header['streams'] == '0: events 346x260, 1: events 346x260, 2: imus, 3: triggers'
        got = f.read_all()
        assert f.ignored == {
            'frames': 0,
            'imu_samples': 2,
            'triggers': 3,
            'other_stream_events': len(second),
        }
    np.testing.assert_array_equal(got['t'], first['t'])
    np.testing.assert_array_equal(got['x'], first['x'])


@pytest.mark.usefixtures('aedat')
def test_given_sensor_must_agree_with_the_stream(tmp_path: Path) -> None:
    path = _write(tmp_path / 'rec.aedat4', {'events': _events(10)})
    with open_aedat4(path, sensor=SENSOR) as f:
        assert f.info.sensor_source == 'header'
    with pytest.raises(EventFileError, match=r'rec\.aedat4.*640x480 contradicts'):
        open_aedat4(path, sensor=SensorSize(640, 480))


@pytest.mark.usefixtures('aedat')
def test_event_outside_the_stream_size_is_an_error(tmp_path: Path) -> None:
    small = SensorSize(8, 8)
    events = _events(3, sensor=small)
    events['x'][2] = 9  # dv-processing writes it as it is
    path = _write(tmp_path / 'out.aedat4', {'events': events}, sensor=small)
    with (
        open_aedat4(path) as f,
        pytest.raises(EventFileError, match=r'out\.aedat4: event 2 at x=9'),
    ):
        f.read_all()


@pytest.mark.usefixtures('aedat')
def test_truncated_file_keeps_the_whole_packets_and_reports_the_loss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = _events(30000, seed=4)
    path = _write(tmp_path / 'cut.aedat4', {'events': events})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 2000])
    with open_aedat4(path) as f, caplog.at_level('WARNING', 'asynet_core.recordings'):
        got = f.read_all()
        assert f.salvage is not None
        salvage = f.salvage.to_dict()
    assert 0 < len(got) < len(events)
    np.testing.assert_array_equal(got, events[: len(got)])
    assert salvage['events_read'] == len(got)
    assert 0 < salvage['bytes_unread'] < 2000 + len(data) // 2
    assert re.search(r'AEDAT4 packet \d+ cannot be decoded .*truncated', salvage['reason'])
    assert [r.getMessage() for r in caplog.records] == [
        f'event file {path} is damaged ({salvage["reason"]}): read {len(got)} events up to the '
        f'last good data, {salvage["bytes_unread"]} bytes unread'
    ]
    path.write_bytes(data)
    with open_aedat4(path) as f:
        assert len(f.read_all()) == len(events)
        assert f.salvage is None
    path.write_bytes(data[: len(AEDAT4_MAGIC) + 10])  # inside the IOHeader
    with pytest.raises(EventFileError, match=r'cut\.aedat4: cannot read the AEDAT4 header'):
        open_aedat4(path)


@pytest.mark.usefixtures('aedat')
def test_corrupt_ioheader_is_an_event_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path / 'hdr.aedat4', {'events': _events(100, seed=5)})
    data = bytearray(path.read_bytes())
    data[20:60] = np.random.default_rng(0).integers(0, 256, 40, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(EventFileError, match=r'hdr\.aedat4: cannot read the AEDAT4 header'):
        open_aedat4(path).read_all()


PanicException = type('PanicException', (BaseException,), {})  # as pyo3_runtime names it


class _PanickingDecoder:
    """An aedat.Decoder stand-in that panics like the Rust decoder (when ``where`` says)."""

    where: ClassVar[str] = 'open'
    error: ClassVar[type[BaseException]] = PanicException

    def __init__(self, path: str) -> None:
        if self.where == 'open':
            raise self.error('range start index 3989372952 out of range')

    def id_to_stream(self) -> dict[int, dict[str, Any]]:
        return {0: {'type': 'events', 'width': 10, 'height': 10}}

    def __next__(self) -> dict[str, Any]:
        raise self.error('failed to fill whole buffer')


def test_decoder_panic_is_caught_but_not_keyboard_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / 'panic.aedat4'
    path.write_bytes(AEDAT4_MAGIC)
    monkeypatch.setitem(sys.modules, 'aedat', types.SimpleNamespace(Decoder=_PanickingDecoder))
    header = r'panic\.aedat4: cannot read the AEDAT4 header \(the aedat decoder panicked: range'
    with pytest.raises(EventFileError, match=header):
        open_aedat4(path)
    monkeypatch.setattr(_PanickingDecoder, 'where', 'packet')
    with open_aedat4(path) as f:
        assert len(f.read_all()) == 0
        assert f.salvage is not None
        assert f.salvage.reason.startswith('AEDAT4 packet 0 cannot be decoded (the aedat decoder')
    monkeypatch.setattr(_PanickingDecoder, 'error', KeyboardInterrupt)
    with open_aedat4(path) as f, pytest.raises(KeyboardInterrupt):
        f.read_all()


def test_not_a_regular_file_is_refused_before_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, 'aedat', types.SimpleNamespace(Decoder=_FakeDecoder))
    fifo = tmp_path / 'f.aedat4'
    os.mkfifo(fifo)
    with pytest.raises(
        EventFileError, match=r'f\.aedat4: is a FIFO \(named pipe\), not a regular'
    ):
        open_aedat4(fifo)


@pytest.mark.usefixtures('aedat')
def test_not_aedat4(tmp_path: Path) -> None:
    raw = tmp_path / 'prophesee.aedat4'
    raw.write_bytes(b'% evt 3.0\n% format EVT3;height=720;width=1280\n% end\n' + bytes(64))
    with pytest.raises(EventFileError, match=r'prophesee\.aedat4: not an AEDAT 4\.0 file'):
        open_aedat4(raw)
    empty = tmp_path / 'empty.aedat4'
    empty.write_bytes(b'')
    with pytest.raises(EventFileError, match=r'empty\.aedat4: not an AEDAT 4\.0 file'):
        open_aedat4(empty)
    with pytest.raises(EventFileError, match=r'missing\.aedat4: cannot open file'):
        open_aedat4(tmp_path / 'missing.aedat4')


@pytest.mark.usefixtures('aedat')
def test_file_without_event_stream(tmp_path: Path) -> None:
    path = _write(tmp_path / 'imu.aedat4', {}, imu_t_us=(EPOCH_US,))
    with pytest.raises(EventFileError, match=r'imu\.aedat4: .*no event stream \(streams: 0: imus'):
        open_aedat4(path)


def test_missing_aedat_package_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, 'aedat', None)  # import aedat raises ImportError
    with pytest.raises(EventFileError, match=r'rec\.aedat4: .*pip install aedat'):
        open_aedat4(tmp_path / 'rec.aedat4')


class _FakeDecoder:
    """An aedat.Decoder stand-in yielding given packets (for what dv-processing cannot write)."""

    packets: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, path: str) -> None:
        self._packets = iter(self.packets)

    def id_to_stream(self) -> dict[int, dict[str, Any]]:
        return {0: {'type': 'events', 'width': 10, 'height': 10}}

    def __next__(self) -> dict[str, Any]:
        return next(self._packets)


def _aedat_packet(t_us: list[int]) -> dict[str, Any]:
    dtype = np.dtype([('t', '<u8'), ('x', '<u2'), ('y', '<u2'), (('p', 'on'), '?')])
    events = np.zeros(len(t_us), dtype=dtype)
    events['t'] = t_us
    return {'stream_id': 0, 'events': events}


def test_time_order_counted_across_packets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / 'back.aedat4'
    path.write_bytes(AEDAT4_MAGIC)
    packets = [_aedat_packet([10, 20, 15]), _aedat_packet([]), _aedat_packet([30, 5, 6])]
    monkeypatch.setattr(_FakeDecoder, 'packets', packets)
    monkeypatch.setitem(sys.modules, 'aedat', types.SimpleNamespace(Decoder=_FakeDecoder))
    with open_aedat4(path) as f:
        chunks = list(f.chunks(2))
        assert [len(c) for c in chunks] == [2, 2, 2]
        assert f.time_order.to_dict() == {
            'steps_back': 2,
            'largest_step_back_us': 25,
            'first_step_back_index': 2,
        }
    monkeypatch.setattr(_FakeDecoder, 'packets', [_aedat_packet([1, 2**63])])
    with open_aedat4(path) as f, pytest.raises(EventFileError, match=r'back\.aedat4: .*int64'):
        f.read_all()
