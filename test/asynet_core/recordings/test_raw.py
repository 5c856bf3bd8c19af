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

"""Prophesee RAW files built word by word here: headers, sizes, wraps, corrupt payloads.

The words are written by the small test-side encoders below, built from the Prophesee EVT 2.0,
EVT 2.1 and EVT 3.0 format pages independently of the readers under test.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import SensorSize
from asynet_core.recordings import EventFileError, open_event_file, read_event_file

GEN41_HEADER = ['evt 3.0', 'plugin_name hal_plugin_gen41_evk3']


def write_raw(path: Path, header: list[str], words: np.ndarray, extra: bytes = b'') -> Path:
    lines = ''.join(f'% {line}\n' for line in header)
    path.write_bytes(lines.encode('ascii') + words.tobytes() + extra)
    return path


def evt3_words(events: list[tuple[int, int, int, int]]) -> np.ndarray:
    """EVT 3.0 words for (x, y, p, t) events: TIME_HIGH, TIME_LOW, ADDR_Y, ADDR_X each."""
    words: list[int] = []
    for x, y, p, t in events:
        t24 = t % (1 << 24)
        words += [0x8000 | (t24 >> 12), 0x6000 | (t24 & 0xFFF), y, 0x2000 | (p << 11) | x]
    return np.array(words, dtype='<u2')


def evt2_cd(x: int, y: int, p: int, t: int) -> int:
    return (p << 28) | ((t & 0x3F) << 22) | (x << 11) | y


def evt2_high(t: int) -> int:
    return (0x8 << 28) | ((t >> 6) & 0xFFFFFFF)


def test_gen41_plugin_name_gives_the_size(tmp_path: Path) -> None:
    path = write_raw(tmp_path / 'a.raw', GEN41_HEADER, evt3_words([(1279, 719, 1, 5)]))
    events, info, _ = read_event_file(path)
    assert (info.format, info.sensor, info.sensor_source) == (
        'evt3',
        SensorSize(1280, 720),
        'sensor name',
    )
    assert info.header == {'evt': '3.0', 'plugin_name': 'hal_plugin_gen41_evk3'}
    assert events[['x', 'y', 'p', 't']].tolist() == [(1279, 719, 1, 5)]


@pytest.mark.parametrize(
    'line', ['format EVT3;height=480;width=640', 'geometry 640x480', 'sensor_generation 3.1']
)
def test_size_lines(tmp_path: Path, line: str) -> None:
    path = write_raw(tmp_path / 'a.raw', ['evt 3.0', line, 'end'], evt3_words([(2, 3, 0, 9)]))
    with open_event_file(path) as f:
        assert f.info.sensor == SensorSize(640, 480)
        assert f.info.sensor_source == ('sensor name' if 'generation' in line else 'header')


def test_no_size_is_an_error_until_one_is_given(tmp_path: Path) -> None:
    path = write_raw(tmp_path / 'a.raw', ['evt 3.0'], evt3_words([(300, 200, 1, 7)]))
    with pytest.raises(
        EventFileError, match=r'a\.raw: the RAW header gives no sensor size.*--width'
    ):
        open_event_file(path)
    events, info, _ = read_event_file(path, SensorSize(304, 240))
    assert (info.sensor, info.sensor_source, len(events)) == (SensorSize(304, 240), 'given', 1)


def test_given_size_contradicting_the_header_is_an_error(tmp_path: Path) -> None:
    path = write_raw(tmp_path / 'a.raw', [*GEN41_HEADER, 'geometry 1280x720'], evt3_words([]))
    with pytest.raises(EventFileError, match='contradicts the header'):
        open_event_file(path, SensorSize(640, 480))
    with open_event_file(path, SensorSize(1280, 720)) as f:
        assert f.info.sensor_source == 'header'


def test_event_outside_the_sensor_is_named(tmp_path: Path) -> None:
    words = evt3_words([(5, 5, 1, 1), (640, 5, 1, 2)])
    path = write_raw(tmp_path / 'a.raw', ['evt 3.0', 'geometry 640x480'], words)
    with pytest.raises(EventFileError, match=r'event 1 at x=640, y=5, t=2 us lies outside'):
        read_event_file(path)


def test_evt3_time_high_wrap(tmp_path: Path) -> None:
    period = 1 << 24
    events = [(1, 1, 1, period - 10), (2, 2, 0, period + 20), (3, 3, 1, period + 5000)]
    path = write_raw(tmp_path / 'a.raw', GEN41_HEADER, evt3_words(events))
    got, _, order = read_event_file(path)
    assert got['t'].tolist() == [period - 10, period + 20, period + 5000]
    assert order.steps_back == 0


def test_evt2_time_high_wrap_and_steps_back(tmp_path: Path) -> None:
    period = 1 << 34
    times = [period - 100, period - 300, period + 70, period + 65]
    words = []
    for i, t in enumerate(times):
        words += [evt2_high(t), evt2_cd(i, 2 * i, i % 2, t)]
    header = ['evt 2.0', 'format EVT2;height=480;width=640']
    path = write_raw(tmp_path / 'a.raw', header, np.array(words, dtype='<u4'))
    got, info, order = read_event_file(path)
    assert info.format == 'evt2'
    assert got[['x', 'y', 'p']].tolist() == [(0, 0, 0), (1, 2, 1), (2, 4, 0), (3, 6, 1)]
    assert got['t'].tolist() == times
    assert order.to_dict() == {
        'steps_back': 2,
        'largest_step_back_us': 200,
        'first_step_back_index': 1,
    }


def test_evt2_events_before_a_time_high_are_skipped(tmp_path: Path) -> None:
    words = np.array([evt2_cd(1, 1, 1, 0), evt2_high(128), evt2_cd(2, 2, 0, 130)], dtype='<u4')
    path = write_raw(tmp_path / 'a.raw', ['evt 2.0', 'geometry 640x480'], words)
    with open_event_file(path) as f:
        assert f.read_all()[['x', 't']].tolist() == [(2, 130)]
        assert f.skipped_before_time == 1


def test_cut_last_word_is_read_up_to_the_last_whole_word(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    words = evt3_words([(1, 1, 1, 1), (2, 2, 0, 7)])
    path = write_raw(tmp_path / 'a.raw', GEN41_HEADER, words, b'\x01')
    with open_event_file(path) as f, caplog.at_level('WARNING', 'asynet_core.recordings'):
        assert f.salvage is not None
        assert f.read_all()[['x', 't']].tolist() == [(1, 1), (2, 7)]
        salvage = f.salvage.to_dict()
    reason = 'truncated evt3 file: it ends 1 bytes into a 2-byte word (the recording was cut off)'
    assert salvage == {'reason': reason, 'events_read': 2, 'bytes_unread': 1}
    assert [r.getMessage() for r in caplog.records] == [
        f'event file {path} is damaged ({reason}): read 2 events up to the last good data, '
        '1 bytes unread'
    ]
    whole = write_raw(tmp_path / 'b.raw', GEN41_HEADER, words)
    with open_event_file(whole) as f:
        assert len(f.read_all()) == 2
        assert f.salvage is None


def test_sensor_names_that_disagree_are_named(tmp_path: Path) -> None:
    header = ['evt 3.0', 'plugin_name hal_plugin_gen41_evk3', 'sensor_generation 3.1']
    path = write_raw(tmp_path / 'a.raw', header, evt3_words([(1, 1, 1, 1)]))
    with pytest.raises(
        EventFileError,
        match=r'a\.raw: .*sensor names disagree on the size \(plugin_name=hal_plugin_gen41_evk3: '
        r'1280x720, sensor_generation=3\.1: 640x480\); pass the right --width/--height',
    ):
        open_event_file(path)
    with open_event_file(path, SensorSize(640, 480)) as f:
        assert (f.info.sensor, f.info.sensor_source) == (SensorSize(640, 480), 'given')


def test_format_line_values_may_have_spaces(tmp_path: Path) -> None:
    header = ['format  EVT3 ; height = 480 ; width = 640']
    path = write_raw(tmp_path / 'a.raw', header, evt3_words([(639, 479, 1, 1)]))
    events, info, _ = read_event_file(path)
    assert (info.format, info.sensor, info.sensor_source) == (
        'evt3',
        SensorSize(640, 480),
        'header',
    )
    assert events[['x', 'y']].tolist() == [(639, 479)]


def test_format_line_key_given_twice_differently_is_an_error(tmp_path: Path) -> None:
    path = write_raw(
        tmp_path / 'a.raw', ['format EVT3;height=480;width=640;height=10'], evt3_words([])
    )
    with pytest.raises(EventFileError, match=r"a\.raw: .*gives height twice \('480' and '10'\)"):
        open_event_file(path)
    same = write_raw(
        tmp_path / 'b.raw', ['format EVT3;height=480;width=640;height=480'], evt3_words([])
    )
    with open_event_file(same) as f:
        assert f.info.sensor == SensorSize(640, 480)


def test_symlink_loop_and_dangling_link_are_named(tmp_path: Path) -> None:
    (tmp_path / 'l1.raw').symlink_to('l2.raw')
    (tmp_path / 'l2.raw').symlink_to('l1.raw')
    with pytest.raises(EventFileError, match=r'l1\.raw: is a symlink loop'):
        open_event_file(tmp_path / 'l1.raw')
    (tmp_path / 'd.raw').symlink_to('gone.raw')
    with pytest.raises(EventFileError, match=r'd\.raw: is a dangling symlink \(to gone\.raw'):
        open_event_file(tmp_path / 'd.raw')
    with pytest.raises(EventFileError, match=r'missing\.raw: cannot open file: No such file'):
        open_event_file(tmp_path / 'missing.raw')


def test_fifo_directory_and_device_are_refused_before_opening(tmp_path: Path) -> None:
    fifo = tmp_path / 'f.raw'
    os.mkfifo(fifo)
    with pytest.raises(EventFileError, match=r'f\.raw: is a FIFO \(named pipe\), not a regular'):
        open_event_file(fifo)  # opening a FIFO for reading would block
    folder = tmp_path / 'dir.raw'
    folder.mkdir()
    with pytest.raises(EventFileError, match=r'dir\.raw: is a directory, not a regular file'):
        open_event_file(folder)
    device = tmp_path / 'null.raw'
    device.symlink_to('/dev/null')
    with pytest.raises(EventFileError, match=r'null\.raw: is a character device, not a regular'):
        open_event_file(device)


@pytest.mark.parametrize(
    ('header', 'words', 'match'),
    [
        (
            GEN41_HEADER,
            np.array([0x8000, 0x6000, 0x0001, 0xB123], dtype='<u2'),
            r'word 3 \(byte offset 52, value 0xb123\): unknown EVT 3.0 word type 0xb',
        ),
        (
            ['evt 2.0', 'geometry 640x480'],
            np.array([evt2_high(0), 0x30000000], dtype='<u4'),
            r'word 1 \(byte offset 33, value 0x30000000\): unknown EVT 2.0 word type 0x3',
        ),
    ],
)
def test_unknown_word_type_names_its_offset(
    tmp_path: Path, header: list[str], words: np.ndarray, match: str
) -> None:
    path = write_raw(tmp_path / 'a.raw', header, words)
    with open_event_file(path) as f, pytest.raises(EventFileError, match=match):
        f.read_all()


@pytest.mark.parametrize(
    ('name', 'header', 'match'),
    [
        ('a.raw', ['plugin_name hal_plugin_gen41_evk3'], 'names no encoding'),
        ('a.raw', ['evt 4.0', 'geometry 640x480'], 'unsupported RAW encoding'),
        ('a.raw', ['evt 3.0', 'format EVT2;width=640;height=480'], 'disagree on the encoding'),
        (
            'a.raw',
            ['evt 3.0', 'format EVT3;width=640;height=480', 'geometry 320x320'],
            'disagree on the sensor size',
        ),
        ('a.aedat', ['evt 3.0'], "unknown event file type '.aedat'"),
    ],
)
def test_bad_headers(tmp_path: Path, name: str, header: list[str], match: str) -> None:
    path = write_raw(tmp_path / name, header, evt3_words([]))
    with pytest.raises(EventFileError, match=match):
        open_event_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match=r'nope\.raw: cannot open file'):
        open_event_file(tmp_path / 'nope.raw')


def test_max_events_must_be_positive(tmp_path: Path) -> None:
    path = write_raw(tmp_path / 'a.raw', GEN41_HEADER, evt3_words([(1, 1, 1, 1)]))
    with open_event_file(path) as f, pytest.raises(ValueError, match='max_events'):
        next(f.chunks(0))
