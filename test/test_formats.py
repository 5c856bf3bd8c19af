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

"""asynet_training.formats readers and writers: round trips, the real N-Cars sample, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from asynet_core.errors import EventFormatError
from asynet_core.events import EVENT_DTYPE, make_events
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats import (
    BBOX_DTYPE,
    dat_info,
    dat_times,
    LEGACY_BBOX_DTYPE,
    NCALTECH_OVERFLOW_US,
    read_dat,
    read_est_npy,
    read_gen1_bbox,
    read_ncaltech_annotation,
    read_ncaltech_bin,
    write_dat,
    write_est_npy,
    write_gen1_bbox,
    write_ncaltech_annotation,
    write_ncaltech_bin,
)


def _events(rng: np.random.Generator, n: int, width: int, height: int, t_max: int) -> np.ndarray:
    t = np.sort(rng.integers(0, t_max, n))
    return make_events(
        rng.integers(0, width, n), rng.integers(0, height, n), t, rng.integers(0, 2, n)
    )


def _boxes(n: int) -> np.ndarray:
    boxes = np.zeros(n, dtype=BBOX_DTYPE)
    boxes['t'] = np.repeat([100_000, 250_000], [n // 2, n - n // 2])
    boxes['x'], boxes['y'] = np.arange(n) * 3.5, np.arange(n) * 2.0
    boxes['w'], boxes['h'] = 40.0, 30.5
    boxes['class_id'] = np.arange(n) % 2
    boxes['track_id'] = np.arange(n) + 7
    boxes['class_confidence'] = 1.0
    return boxes


# ---------------------------------------------------------------------------------------------
# The real N-Cars sample
# ---------------------------------------------------------------------------------------------


def test_ncars_sample_golden(real_data: Callable[[str], Path]) -> None:
    events, header = read_dat(real_data('ncars_sample.dat'))
    got = {
        'dtype': events.dtype == EVENT_DTYPE,
        'count': len(events),
        'event_type': header['event_type'],
        'event_size': header['event_size'],
        'version': header['Version'],
        'x_max': int(events['x'].max()),
        'y_max': int(events['y'].max()),
        'sum_x': int(events['x'].sum()),
        'sum_y': int(events['y'].sum()),
        'sum_t': int(events['t'].sum()),
        'on_count': int(events['p'].sum()),
        't_first': int(events['t'][0]),
        't_last': int(events['t'][-1]),
        'time_ordered': bool(np.all(np.diff(events['t']) >= 0)),
    }
    assert got == {
        'dtype': True,
        'count': 2009,
        'event_type': 0,
        'event_size': 8,
        'version': '2',
        'x_max': 77,
        'y_max': 41,
        'sum_x': 93457,
        'sum_y': 40463,
        'sum_t': 98196680,
        'on_count': 1350,
        't_first': 0,
        't_last': 99952,
        'time_ordered': True,
    }


def test_ncars_sample_rewrites_identically(
    tmp_path: Path, real_data: Callable[[str], Path]
) -> None:
    sample = real_data('ncars_sample.dat')
    events, _ = read_dat(sample)
    write_dat(tmp_path / 'copy.dat', events)
    again, _ = read_dat(tmp_path / 'copy.dat')
    assert np.array_equal(again, events)
    assert np.array_equal(read_dat(sample, start=100, stop=200)[0], events[100:200])


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(('width', 'height'), [(None, None), (304, 240), (1280, 720)])
@pytest.mark.parametrize('event_type', [0, 12])
@pytest.mark.parametrize('n', [0, 1, 500])
def test_dat_round_trip(
    tmp_path: Path,
    rng: np.random.Generator,
    width: int | None,
    height: int | None,
    event_type: int,
    n: int,
) -> None:
    events = _events(rng, n, width or 1 << 14, height or 1 << 14, 1 << 32)
    copy = events.copy()
    write_dat(tmp_path / 'a.dat', events, width, height, event_type)
    got, header = read_dat(tmp_path / 'a.dat')
    assert np.array_equal(got, events)
    assert np.array_equal(events, copy)
    assert (header['event_type'], header.get('width'), header.get('height')) == (
        event_type,
        width,
        height,
    )
    info = dat_info(tmp_path / 'a.dat')
    assert info.count == n
    assert np.array_equal(dat_times(tmp_path / 'a.dat'), events['t'])


def test_dat_legacy_headerless(tmp_path: Path, rng: np.random.Generator) -> None:
    events = _events(rng, 50, 120, 100, 100_000)
    write_dat(tmp_path / 'h.dat', events)
    data = (tmp_path / 'h.dat').read_bytes()
    (tmp_path / 'legacy.dat').write_bytes(data[data.index(bytes([0, 8])) + 2 :])
    got, header = read_dat(tmp_path / 'legacy.dat')
    assert np.array_equal(got, events)
    assert header == {'event_type': 0, 'event_size': 8}


@pytest.mark.parametrize('t_max', [1000, 1 << 23, 1 << 25])
def test_ncaltech_bin_round_trip(tmp_path: Path, rng: np.random.Generator, t_max: int) -> None:
    events = _events(rng, 2000, 240, 180, t_max)
    events['t'][-1] = t_max  # the largest timestamp is always present
    copy = events.copy()
    write_ncaltech_bin(tmp_path / 'a.bin', events)
    got = read_ncaltech_bin(tmp_path / 'a.bin')
    assert np.array_equal(got, events)
    assert np.array_equal(events, copy)
    markers = (tmp_path / 'a.bin').stat().st_size // 5 - len(events)
    expected = max(0, -(-(t_max - (1 << 23) + 1) // NCALTECH_OVERFLOW_US))
    assert markers == expected


def test_ncaltech_bin_decodes_overflow_markers(tmp_path: Path) -> None:
    records = np.array(
        [[10, 20, 0x80 | 0x7F, 0xFF, 0xFF], [0, 240, 0, 0, 0], [11, 21, 0, 0, 5]], dtype=np.uint8
    )
    records.tofile(tmp_path / 'm.bin')
    got = read_ncaltech_bin(tmp_path / 'm.bin')
    assert got.tolist() == [(10, 20, 1, (1 << 23) - 1), (11, 21, 0, 5 + (1 << 13))]


@pytest.mark.parametrize(
    ('corners', 'box'),
    [
        ([[10, 20], [60, 20], [60, 50], [10, 50]], (10, 20, 50, 30)),
        ([[-5, -3], [60, -3], [60, 50], [-5, 50]], (0, 0, 60, 50)),
        ([[0, 0], [239, 0], [239, 179], [0, 179]], (0, 0, 239, 179)),
    ],
)
def test_ncaltech_annotation_round_trip(
    tmp_path: Path, corners: list[list[int]], box: tuple[int, int, int, int]
) -> None:
    write_ncaltech_annotation(tmp_path / 'a.bin', np.array(corners))
    assert read_ncaltech_annotation(tmp_path / 'a.bin') == box


@pytest.mark.parametrize('legacy', [False, True])
@pytest.mark.parametrize('n', [0, 1, 9])
def test_gen1_bbox_round_trip(tmp_path: Path, legacy: bool, n: int) -> None:
    boxes = _boxes(n)
    write_gen1_bbox(tmp_path / 'b.npy', boxes, legacy=legacy)
    stored = np.load(tmp_path / 'b.npy')
    assert stored.dtype == (LEGACY_BBOX_DTYPE if legacy else BBOX_DTYPE)
    assert stored.dtype.itemsize == (33 if legacy else 40)
    got = read_gen1_bbox(tmp_path / 'b.npy')
    assert got.dtype == BBOX_DTYPE
    assert np.array_equal(got, boxes)


def test_gen1_bbox_reads_the_documented_legacy_row(tmp_path: Path) -> None:
    row = np.array([(59749999, 118.0, 96.0, 43.0, 39.0, 0, 1.0, 2753)], dtype=LEGACY_BBOX_DTYPE)
    np.save(tmp_path / 'b.npy', row)
    got = read_gen1_bbox(tmp_path / 'b.npy')
    assert got.tolist() == [(59749999, 118.0, 96.0, 43.0, 39.0, 0, 2753, 1.0)]


@pytest.mark.parametrize('time_unit', ['s', 'us'])
def test_est_npy_round_trip(tmp_path: Path, rng: np.random.Generator, time_unit: str) -> None:
    events = _events(rng, 1000, 240, 180, 400_000)
    copy = events.copy()
    write_est_npy(tmp_path / 'e.npy', events, time_unit=time_unit)
    stored = np.load(tmp_path / 'e.npy')
    assert set(np.unique(stored[:, 3])) <= {-1.0, 1.0}
    assert np.array_equal(read_est_npy(tmp_path / 'e.npy', time_unit=time_unit), events)
    assert np.array_equal(events, copy)


def test_est_npy_reads_seconds(tmp_path: Path) -> None:
    np.save(tmp_path / 'e.npy', np.array([[3.0, 4.0, 0.000001, -1.0], [5.0, 6.0, 0.25, 1.0]]))
    got = read_est_npy(tmp_path / 'e.npy')
    assert got.tolist() == [(3, 4, 0, 1), (5, 6, 1, 250_000)]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def _dat(tmp_path: Path, body: bytes, name: str = 'bad.dat') -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def _one_event(x: int, y: int, t: int = 5, p: int = 1) -> bytes:
    raw = np.array([(t, x | (y << 14) | (p << 28))], dtype=[('t', '<u4'), ('w', '<u4')])
    return raw.tobytes()


@pytest.mark.parametrize(
    ('body', 'match'),
    [
        (
            b'% Version 2\n\x00\x08' + _one_event(1, 1)[:-3],
            r'bad\.dat: truncated DAT file, 5 bytes',
        ),
        (b'% Version 2\n\x00\x10' + _one_event(1, 1), r'bad\.dat: DAT event size is 16 bytes'),
        (b'% Version 2\n\x0e\x08' + _one_event(1, 1), r'bad\.dat: DAT event type 14 is not a CD'),
        (b'% Version 2', r'bad\.dat: DAT header line at byte 0 has no line end'),
        (b'% Version 2\n', r'bad\.dat: DAT header is not followed by event type and size'),
        (b'% Width ten\n\x00\x08', r"bad\.dat: DAT header Width 'ten' is not an integer"),
        (
            b'% Width 10\n% Height 5\n\x00\x08' + _one_event(10, 1),
            r'bad\.dat: event 0 has x=10, outside the header Width 10',
        ),
        (
            b'% Width 10\n% Height 5\n\x00\x08' + _one_event(1, 1) + _one_event(2, 5),
            r'bad\.dat: event 1 has y=5, outside the header Height 5',
        ),
    ],
)
def test_read_dat_errors(tmp_path: Path, body: bytes, match: str) -> None:
    with pytest.raises(CorruptFileError, match=match):
        read_dat(_dat(tmp_path, body))


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError, match=r'nope\.dat: cannot read file'):
        read_dat(tmp_path / 'nope.dat')
    with pytest.raises(CorruptFileError, match=r'nope\.bin: cannot read file'):
        read_ncaltech_bin(tmp_path / 'nope.bin')


@pytest.mark.parametrize(
    ('kwargs', 'field', 'match'),
    [
        ({'width': 10}, 'x', r'w\.dat: event 0 has x=10, the format needs x < 10'),
        ({'height': 10}, 'y', r'w\.dat: event 0 has y=10, the format needs y < 10'),
        ({}, 'x', r'w\.dat: event 0 has x=16384, the format needs x < 16384'),
        ({}, 't', r'w\.dat: event 0 has t=4294967296, the format needs t < 4294967296'),
        ({'event_type': 14}, None, r'w\.dat: event_type 14 is not a CD event type'),
    ],
)
def test_write_dat_errors(
    tmp_path: Path, kwargs: dict[str, int], field: str | None, match: str
) -> None:
    events = make_events([0], [0], [0], [1])
    if field is not None:
        events[field] = {'x': 1 << 14, 'y': 10, 't': 1 << 32}[field] if not kwargs else 10
    with pytest.raises(DatasetConfigError, match=match):
        write_dat(tmp_path / 'w.dat', events, **kwargs)
    assert not (tmp_path / 'w.dat').exists()


def test_write_dat_negative_time_and_bad_dtype(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetConfigError, match=r'w\.dat: event 0 has t=-1, the format needs t >= 0'
    ):
        write_dat(tmp_path / 'w.dat', make_events([0], [0], [-1], [1]))
    with pytest.raises(EventFormatError, match='events must have dtype EVENT_DTYPE'):
        write_dat(tmp_path / 'w.dat', np.zeros(3))


def test_read_bin_truncated(tmp_path: Path) -> None:
    (tmp_path / 'image_0001.bin').write_bytes(b'\x00' * 12)
    with pytest.raises(
        CorruptFileError,
        match=r'image_0001\.bin: truncated \.bin file, 12 bytes is not a multiple',
    ):
        read_ncaltech_bin(tmp_path / 'image_0001.bin')


@pytest.mark.parametrize(
    ('x', 'y', 't', 'match'),
    [
        (256, 0, 0, r'o\.bin: event 0 has x=256, the format needs x < 256'),
        (0, 240, 0, r'o\.bin: event 0 has y=240, which \.bin reserves for overflow markers'),
        (0, 0, -4, r'o\.bin: event 0 has t=-4, the format needs t >= 0'),
    ],
)
def test_write_bin_errors(tmp_path: Path, x: int, y: int, t: int, match: str) -> None:
    with pytest.raises(DatasetConfigError, match=match):
        write_ncaltech_bin(tmp_path / 'o.bin', make_events([x], [y], [t], [0]))


def test_write_bin_rejects_times_it_cannot_encode(tmp_path: Path) -> None:
    events = make_events([0, 0], [0, 0], [1 << 24, 5], [0, 0])  # needs markers, then goes back
    with pytest.raises(
        DatasetConfigError,
        match=r'o\.bin: event 1 has t=5, below the 8396800 µs that the 1025 overflow markers',
    ):
        write_ncaltech_bin(tmp_path / 'o.bin', events)


@pytest.mark.parametrize('size', [0, 7, 18])
def test_read_annotation_too_short(tmp_path: Path, size: int) -> None:
    (tmp_path / 'annotation_0001.bin').write_bytes(b'\x01' * size)
    with pytest.raises(
        CorruptFileError, match=rf'annotation_0001\.bin: annotation has {size} bytes, expected'
    ):
        read_ncaltech_annotation(tmp_path / 'annotation_0001.bin')


@pytest.mark.parametrize(
    ('corners', 'match'),
    [
        (
            np.zeros((3, 2), dtype=int),
            r'a\.bin: corners must be a \[4, 2\] integer array, got shape \(3, 2\)',
        ),
        (
            np.zeros((4, 2)),
            r'a\.bin: corners must be a \[4, 2\] integer array, got shape \(4, 2\) dtype float64',
        ),
        (np.full((4, 2), 40_000), r'a\.bin: corners .* do not fit int16'),
    ],
)
def test_write_annotation_errors(tmp_path: Path, corners: np.ndarray, match: str) -> None:
    with pytest.raises(DatasetConfigError, match=match):
        write_ncaltech_annotation(tmp_path / 'a.bin', corners)


@pytest.mark.parametrize(
    ('array', 'match'),
    [
        (np.zeros(3), r'b\.npy: not a Gen1 box array: expected a 1-D structured array'),
        (
            np.zeros(2, dtype=[('t', '<i8'), ('x', '<f4')]),
            r"b\.npy: not a Gen1 box array: .* fields \['t', 'x'\]",
        ),
    ],
)
def test_read_bbox_errors(tmp_path: Path, array: np.ndarray, match: str) -> None:
    np.save(tmp_path / 'b.npy', array)
    with pytest.raises(CorruptFileError, match=match):
        read_gen1_bbox(tmp_path / 'b.npy')


def test_read_bbox_not_npy(tmp_path: Path) -> None:
    (tmp_path / 'b.npy').write_bytes(b'garbage')
    with pytest.raises(CorruptFileError, match=r'b\.npy: not a readable \.npy file'):
        read_gen1_bbox(tmp_path / 'b.npy')


def test_write_bbox_errors(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetConfigError, match=r'b\.npy: boxes must be a 1-D array of BBOX_DTYPE'
    ):
        write_gen1_bbox(tmp_path / 'b.npy', np.zeros(2))
    boxes = _boxes(2)
    boxes['class_id'][1] = 300
    with pytest.raises(
        DatasetConfigError,
        match=r'b\.npy: event 1 has class_id=300, the format needs class_id < 256',
    ):
        write_gen1_bbox(tmp_path / 'b.npy', boxes, legacy=True)


@pytest.mark.parametrize(
    ('array', 'match'),
    [
        (
            np.zeros((3, 3)),
            r'e\.npy: expected a real \[N, 4\] array \(x, y, t, p\), got shape \(3, 3\)',
        ),
        (np.array([[1.5, 0, 0, 1]]), r'e\.npy: row 0 has x=1\.5, not a pixel index'),
        (np.array([[1, -2, 0, 1]]), r'e\.npy: row 0 has y=-2\.0, not a pixel index'),
        (np.array([[1, 2, 0, 1], [1, 2, 0, 2]]), r'e\.npy: row 1 has p=2\.0, expected -1/\+1'),
        (np.array([[1, 2, -0.5, 1]]), r'e\.npy: row 0 has t=-500000\.0 µs, not a time >= 0'),
    ],
)
def test_read_est_errors(tmp_path: Path, array: np.ndarray, match: str) -> None:
    np.save(tmp_path / 'e.npy', array)
    with pytest.raises(CorruptFileError, match=match):
        read_est_npy(tmp_path / 'e.npy')


def test_est_unknown_time_unit(tmp_path: Path) -> None:
    match = r"e\.npy: unknown time_unit 'ms'; valid choices: \['s', 'us'\]"
    with pytest.raises(DatasetConfigError, match=match):
        read_est_npy(tmp_path / 'e.npy', time_unit='ms')
    with pytest.raises(DatasetConfigError, match=match):
        write_est_npy(tmp_path / 'e.npy', make_events([0], [0], [0], [0]), time_unit='ms')
