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

"""Prophesee DAT files: the real N-Cars sample, round trips, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from asynet_core.errors import EventFormatError
from asynet_core.events import EVENT_DTYPE, make_events
from asynet_training.errors import CorruptFileError, DatasetConfigError
from asynet_training.formats import (
    dat_info,
    dat_times,
    read_dat,
    read_ncaltech_bin,
    write_dat,
)
from training_helpers import random_events


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
    events = random_events(rng, n, width or 1 << 14, height or 1 << 14, 1 << 32)
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
    events = random_events(rng, 50, 120, 100, 100_000)
    write_dat(tmp_path / 'h.dat', events)
    data = (tmp_path / 'h.dat').read_bytes()
    (tmp_path / 'legacy.dat').write_bytes(data[data.index(bytes([0, 8])) + 2 :])
    got, header = read_dat(tmp_path / 'legacy.dat')
    assert np.array_equal(got, events)
    assert header == {'event_type': 0, 'event_size': 8}


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
