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

"""asynet-events: stats of bags and every event file kind, reindex; a corrupt bag is a BagError."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import EVENT_DTYPE, SensorSize
from asynet_core.recordings import EventFileError
from asynet_ros.bag import BagError
from asynet_ros.encoders import Evt3Encoder
from asynet_tools import events as events_cli
from asynet_training.formats import write_dat

SENSOR = SensorSize(304, 240)


def _events(n: int, seed: int, sensor: SensorSize = SENSOR) -> np.ndarray:
    rng = np.random.default_rng(seed)
    events = np.zeros(n, dtype=EVENT_DTYPE)
    events['t'] = np.sort(rng.integers(0, 20_000, n))
    events['x'] = rng.integers(0, sensor.width, n)
    events['y'] = rng.integers(0, sensor.height, n)
    events['p'] = rng.integers(0, 2, n)
    return events


def _expected(events: np.ndarray) -> dict[str, int]:
    on = int(np.count_nonzero(events['p']))
    return {
        'events': len(events),
        'on': on,
        'off': len(events) - on,
        'sum_x': int(events['x'].sum(dtype=np.int64)),
        'sum_y': int(events['y'].sum(dtype=np.int64)),
        't_first_ns': int(events['t'][0]) * 1000,
        't_last_ns': int(events['t'][-1]) * 1000,
    }


def _write_evt3_raw(path: Path, events: np.ndarray, size_line: bool) -> Path:
    header = '% evt 3.0\n' + ('% format EVT3;height=240;width=304\n' if size_line else '')
    path.write_bytes((header + '% end\n').encode('ascii') + Evt3Encoder().encode(events))
    return path


def test_stats_of_the_metavision_bag(
    capsys: pytest.CaptureFixture[str], real_bag: Callable[[str], Path]
) -> None:
    assert events_cli.main(['stats', str(real_bag('metavision_evt3'))]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats == {
        'messages': 517,
        'events': 343474,
        'on': 125183,
        'off': 218291,
        'sum_x': 116731888,
        'sum_y': 80879209,
        't_first_ns': 7139845000,
        't_last_ns': 9218023000,
        'width': 640,
        'height': 480,
        'encoding': 'evt3',
        'kind': 'rosbag2',
        'format': 'evt3',
        'sensor_source': 'message',
        'time_order': None,
        'salvage': None,
    }


def test_stats_of_the_legacy_mono_bag_and_a_dat_file(
    real_bag: Callable[[str], Path], real_data: Callable[[str], Path]
) -> None:
    mono = events_cli.event_stats(real_bag('legacy_mono'))
    assert (mono['events'], mono['sum_x'], mono['sum_y'], mono['on']) == (100, 34450, 26450, 50)
    assert mono['encoding'] == 'mono'
    dat = events_cli.event_stats(real_data('ncars_sample.dat'))
    assert (dat['events'], dat['on'], dat['off']) == (2009, 1350, 659)


def test_corrupt_bag_is_a_bag_error(tmp_path: Path) -> None:
    bag = tmp_path / 'bag'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=0)
    db = next(bag.glob('*.db3'))
    db.write_bytes(db.read_bytes()[:4096])
    with pytest.raises(BagError, match='bag'):
        events_cli.event_stats(bag)


def test_stats_of_an_evt3_raw_file_with_and_without_a_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _events(3000, seed=1)
    sized = events_cli.event_stats(_write_evt3_raw(tmp_path / 'a.raw', events, True))
    assert {k: sized[k] for k in _expected(events)} == _expected(events)
    assert sized['messages'] == len(np.unique(events['t'] // 1000))  # its 1 ms packets
    assert (sized['width'], sized['height'], sized['encoding']) == (304, 240, 'evt3')
    assert (sized['kind'], sized['format'], sized['sensor_source']) == ('evt3', 'evt3', 'header')
    assert sized['time_order'] == {
        'steps_back': 0,
        'largest_step_back_us': 0,
        'first_step_back_index': None,
    }
    assert sized['salvage'] is None  # read whole
    bare = str(_write_evt3_raw(tmp_path / 'b.raw', events, False))
    assert events_cli.main(['stats', bare]) == 2
    assert 'b.raw' in capsys.readouterr().err
    assert events_cli.main(['stats', bare, '--width', '640', '--height', '480']) == 0
    given = json.loads(capsys.readouterr().out)
    assert (given['width'], given['height'], given['sensor_source']) == (640, 480, 'given')
    assert given['events'] == sized['events']
    with pytest.raises(SystemExit):
        events_cli.main(['stats', bare, '--width', '640'])


def test_stats_of_dat_files(tmp_path: Path) -> None:
    events = _events(2000, seed=2)
    write_dat(tmp_path / 'sized.dat', events, 304, 240)
    write_dat(tmp_path / 'bare.dat', events)
    sized = events_cli.event_stats(tmp_path / 'sized.dat')
    assert {k: sized[k] for k in _expected(events)} == _expected(events)
    assert (sized['format'], sized['sensor_source'], sized['width']) == ('dat', 'header', 304)
    bare = events_cli.event_stats(tmp_path / 'bare.dat')
    assert bare['sensor_source'] == 'extent'
    assert (bare['width'], bare['height']) == (
        int(events['x'].max()) + 1,
        int(events['y'].max()) + 1,
    )


@pytest.mark.parametrize(('encoding', 'suffix'), [('evt2', '.raw'), ('dat', '.dat')])
def test_stats_of_expelliarmus_files(tmp_path: Path, encoding: str, suffix: str) -> None:
    wizard = pytest.importorskip('expelliarmus').Wizard
    ours = _events(1500, seed=3, sensor=SensorSize(640, 480))
    theirs = np.zeros(len(ours), dtype=[('t', '<i8'), ('x', '<i2'), ('y', '<i2'), ('p', 'u1')])
    for name in 'txyp':
        theirs[name] = ours[name]
    path = tmp_path / f'rec{suffix}'
    wizard(encoding=encoding).save(path, theirs)
    stats = events_cli.event_stats(path, sensor=SensorSize(640, 480))
    assert {k: stats[k] for k in _expected(ours)} == _expected(ours)
    assert stats['format'] == encoding
    assert stats['sensor_source'] == ('sensor name' if encoding == 'evt2' else 'given')


def test_stats_of_an_npy_file_keeps_its_reader(tmp_path: Path) -> None:
    path = tmp_path / 'sample.npy'
    np.save(path, np.array([[1, 2, 0.001, 1], [3, 4, 0.0005, -1]], dtype=np.float64))
    stats = events_cli.event_stats(path)
    assert (stats['events'], stats['on'], stats['sum_x'], stats['t_first_ns']) == (2, 1, 4, 10**6)
    assert (stats['width'], stats['height'], stats['sensor_source']) == (4, 5, 'extent')
    assert stats['time_order']['steps_back'] == 1  # 1000 µs then 500 µs
    given = events_cli.event_stats(path, sensor=SensorSize(10, 10))
    assert (given['width'], given['sensor_source']) == (10, 'given')


def test_missing_and_unknown_files_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(EventFileError, match=r'x\.raw does not exist'):
        events_cli.event_stats(tmp_path / 'x.raw')
    (tmp_path / 'x.foo').write_bytes(b'1234')
    assert events_cli.main(['stats', str(tmp_path / 'x.foo')]) == 2
    assert "x.foo: unknown event file type '.foo'" in capsys.readouterr().err


def test_reindex_writes_the_metadata_of_a_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = tmp_path / 'bag'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=0)
    before = events_cli.event_stats(bag)
    (bag / 'metadata.yaml').unlink()
    assert events_cli.main(['reindex', str(bag)]) == 0
    assert capsys.readouterr().out.strip() == str(bag / 'metadata.yaml')
    assert events_cli.event_stats(bag) == before
    assert events_cli.main(['reindex', str(bag)]) == 2  # it exists now
    assert 'metadata.yaml' in capsys.readouterr().err
    assert events_cli.main(['reindex', str(bag), '--overwrite']) == 0


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The stderr of a command line that argparse refuses with exit code 2."""
    with pytest.raises(SystemExit) as exit_info:
        events_cli.main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_stats_refuses_a_sensor_size_for_a_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = tmp_path / 'bag'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=1)
    for path in (bag, next(bag.glob('*.db3'))):
        err = _usage_error(['stats', str(path), '--width', '10', '--height', '10'], capsys)
        assert events_cli.BAG_SENSOR_REFUSAL in err
    raw = _write_evt3_raw(tmp_path / 'a.raw', _events(50, 2), size_line=False)
    assert events_cli.main(['stats', str(raw), '--width', '304', '--height', '240']) == 0
    assert json.loads(capsys.readouterr().out)['width'] == 304


def test_bad_option_values_read_as_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _usage_error(['stats', 'a.raw', '--width', 'abc', '--height', '1'], capsys)
    assert "argument --width: invalid pixel count value: 'abc'" in err
    assert '_size_option' not in err
    err = _usage_error(['synth', 'out', '--packet-us', 'x'], capsys)
    assert "argument --packet-us: invalid packet length value: 'x'" in err
    for bad in ('0', '99999999999999999999'):
        err = _usage_error(['synth', 'out', '--packet-us', bad], capsys)
        assert f'must be in [1, 3600000000] us of sensor time (an hour at most), got {bad}' in err
    with pytest.raises(ValueError, match='packet_us'):
        events_cli.write_synthetic_bag(tmp_path / 'never', packet_us=10**20)
    assert not (tmp_path / 'never').exists()


def test_reindex_of_a_damaged_bag_needs_damaged(tmp_path: Path, capsys) -> None:
    bag = tmp_path / 'bag'
    events_cli.write_synthetic_bag(bag, seconds=0.3, seed=2)
    (bag / 'metadata.yaml').unlink()
    db3 = next(bag.glob('*.db3'))
    data = db3.read_bytes()
    db3.write_bytes(data[: len(data) // 2])
    capsys.readouterr()
    assert events_cli.main(['reindex', str(bag)]) == 2
    assert '--damaged' in capsys.readouterr().err
    assert not (bag / 'metadata.yaml').exists()
    assert events_cli.main(['reindex', str(bag), '--damaged']) == 0
    assert (bag / 'metadata.yaml').is_file()
