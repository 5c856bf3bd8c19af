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

"""EVT 2.1 files from a test-side encoder, and the DAT, TimeOrder and sensor-name pieces.

The EVT 2.1 encoder below is written here from the Prophesee ``evt21.html`` page (64-bit words:
type[63:60], ts[59:54], x[53:43], y[42:32], valid mask[31:0]; TIME_HIGH with the time's bits
33..6 in [59:32]), independently of :mod:`asynet_core.recordings.evt2`, and lays the words out in
both byte orders: ``legacy`` (the upper 32-bit half first, as IMX636 sends it) and ``little``
(one little-endian 64-bit word, as GenX320 sends it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import SensorSize
from asynet_core.recordings import (
    EventFileError,
    KNOWN_SENSORS,
    open_event_file,
    read_event_file,
    TimeOrder,
)
from asynet_core.recordings.opening import MAX_EXTENT_SIDE
from asynet_core.recordings.sensors import sensors_named


def evt21_file(
    path: Path, header: list[str], rows: list[tuple[int, int, int, int, int]], order: str
) -> Path:
    """Write (x_base, y, p, t, mask) rows as EVT 2.1, one TIME_HIGH before each row."""
    words: list[int] = []
    for x, y, p, t, mask in rows:
        words.append((0x8 << 60) | (((t >> 6) & 0xFFFFFFF) << 32))
        words.append((p << 60) | ((t & 0x3F) << 54) | (x << 43) | (y << 32) | mask)
    w = np.array(words, dtype=np.uint64)
    if order == 'legacy':
        halves = np.stack([(w >> np.uint64(32)), w & np.uint64(0xFFFFFFFF)], axis=1)
        data = halves.astype('<u4').tobytes()
    else:
        data = w.astype('<u8').tobytes()
    path.write_bytes(''.join(f'% {line}\n' for line in header).encode() + data)
    return path


def expected(rows: list[tuple[int, int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    return [(x + i, y, p, t) for x, y, p, t, mask in rows for i in range(32) if mask >> i & 1]


ROWS = [
    (32, 5, 1, 1000, 0x80000001),
    (0, 719, 0, 1063, 0x0000F00F),
    (1248, 0, 1, 70_000, 0xFFFFFFFF),
]


@pytest.mark.parametrize(
    ('extra', 'order'),
    [
        ([], 'legacy'),
        (['endianness legacy'], 'legacy'),
        (['endianness little'], 'little'),
        (['plugin_name hal_plugin_genx320_evk'], 'little'),
    ],
)
def test_evt21_both_byte_orders(tmp_path: Path, extra: list[str], order: str) -> None:
    header = ['evt 2.1', 'format EVT21;height=720;width=1280', *extra]
    if extra and 'genx320' in extra[0]:
        header = ['evt 2.1', *extra, 'geometry 1280x720']  # size from the header, not the name
    path = evt21_file(tmp_path / 'a.raw', header, ROWS, order)
    with open_event_file(path) as f:
        parts = list(f.chunks(max_events=5))
        assert f.info.format == 'evt2.1'
    events = np.concatenate(parts)
    assert events[['x', 'y', 'p', 't']].tolist() == expected(ROWS)
    assert len(events) == 2 + 8 + 32


def test_evt21_order_matters(tmp_path: Path) -> None:
    """Legacy bytes read as whole little-endian words are not the events (the order is real)."""
    header = ['evt 2.1', 'endianness little', 'geometry 1280x720']
    path = evt21_file(tmp_path / 'a.raw', header, ROWS, 'legacy')
    with open_event_file(path) as f:
        events = f.read_all()
        assert events[['x', 'y', 'p', 't']].tolist() != expected(ROWS)
        assert f.skipped_before_time > 0  # the TIME_HIGH words read as CD words without a time


def test_dat_ext_trigger_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / 'trig.dat'
    path.write_bytes(b'% Version 2\n' + bytes([0x0E, 8]) + bytes(16))
    with pytest.raises(EventFileError, match=r'DAT event type 14 is not a CD event type'):
        open_event_file(path)


def test_dat_width_height_header(tmp_path: Path) -> None:
    raw = np.array(
        [(5, 3 | (4 << 14) | (1 << 28)), (9, 303 | (239 << 14))],
        dtype=[('t', '<u4'), ('w', '<u4')],
    )
    path = tmp_path / 'a.dat'
    path.write_bytes(b'% Width 304\n% Height 240\n' + bytes([0, 8]) + raw.tobytes())
    events, info, _ = read_event_file(path)
    assert (info.sensor, info.sensor_source) == (SensorSize(304, 240), 'header')
    assert events[['x', 'y', 'p', 't']].tolist() == [(3, 4, 1, 5), (303, 239, 0, 9)]
    with pytest.raises(EventFileError, match='contradicts the header'):
        open_event_file(path, SensorSize(640, 480))


def test_dat_size_from_extent_and_its_limit(tmp_path: Path) -> None:
    def dat(name: str, x: int, y: int) -> Path:
        raw = np.array([(5, 0), (9, x | (y << 14))], dtype=[('t', '<u4'), ('w', '<u4')])
        path = tmp_path / name
        path.write_bytes(b'% Version 2\n' + bytes([0, 8]) + raw.tobytes())
        return path

    with open_event_file(dat('ok.dat', MAX_EXTENT_SIDE - 1, 9)) as f:
        assert (f.info.sensor, f.info.sensor_source) == (SensorSize(MAX_EXTENT_SIDE, 10), 'extent')
    bad = dat('mid.dat', 16370, 3)
    with pytest.raises(
        EventFileError,
        match=r'mid\.dat: the DAT file has no Width/Height, and its events span 16371x4 pixels, '
        r'more than any event camera \(over 4096 on a side\).*give the sensor size with '
        '--width/--height',
    ):
        open_event_file(bad)
    with pytest.raises(EventFileError, match=r'mid\.dat: event 1 at x=16370.*outside the 640x480'):
        read_event_file(bad, SensorSize(640, 480))


def test_headerless_dat_stepping_back_is_not_a_dat_file(tmp_path: Path) -> None:
    raw = np.array([(50, 1), (10, 2)], dtype=[('t', '<u4'), ('w', '<u4')])
    path = tmp_path / 'a.dat'
    path.write_bytes(raw.tobytes())
    with pytest.raises(EventFileError, match='not a DAT file'):
        read_event_file(path, SensorSize(10, 10))


def test_time_order_across_updates() -> None:
    order = TimeOrder()
    order.update(np.array([1, 5, 3], dtype=np.int64))
    order.update(np.array([2, 9], dtype=np.int64))  # 2 < 3: a step back across the boundary
    order.update(np.zeros(0, dtype=np.int64))
    assert order.to_dict() == {
        'steps_back': 2,
        'largest_step_back_us': 2,
        'first_step_back_index': 2,
    }
    order.reset()
    order.update(np.array([7, 7], dtype=np.int64))  # equal times are no step back
    assert order.to_dict() == {
        'steps_back': 0,
        'largest_step_back_us': 0,
        'first_step_back_index': None,
    }


@pytest.mark.parametrize(
    ('header', 'size'),
    [
        ({'plugin_name': 'hal_plugin_imx636_evk4'}, SensorSize(1280, 720)),
        ({'plugin_name': 'hal_plugin_gen31_fx3'}, SensorSize(640, 480)),
        ({'plugin_name': 'hal_plugin_genx320_evk'}, SensorSize(320, 320)),
        ({'sensor_generation': '4.2', 'serial_number': '00ca0009'}, SensorSize(1280, 720)),
        ({'integrator_name': 'Prophesee', 'serial_number': '00000307'}, None),
    ],
)
def test_sensor_names(header: dict[str, str], size: SensorSize | None) -> None:
    sizes = set(sensors_named(header).values())
    assert sizes == ({size} if size else set())


def test_known_sensors_are_sensor_sizes() -> None:
    assert KNOWN_SENSORS['gen41'] == SensorSize(1280, 720)
    assert all(isinstance(s, SensorSize) for s in KNOWN_SENSORS.values())


def test_read_all_keeps_the_event_dtype_layout(tmp_path):
    """np.concatenate repacks the structured dtype (14-byte items); read_all must not."""
    from asynet_core.events import check_event_array, EVENT_DTYPE, make_events
    from asynet_training.formats import write_dat

    path = tmp_path / 'a.dat'
    write_dat(path, make_events([1, 2, 3], [4, 5, 6], [10, 20, 30], [0, 1, 0]), width=8, height=8)
    events = read_event_file(path)[0]
    assert events.dtype == EVENT_DTYPE
    check_event_array(events)
