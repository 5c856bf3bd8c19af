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

"""Our readers against the third-party encoder/decoder expelliarmus, on the same files.

expelliarmus (``Wizard(encoding=...).save``) writes a DAT header without Width/Height and RAW
headers ``% evt 2.0`` / ``% evt 3.0`` with ``% plugin_name hal_plugin_gen3_fx3`` (EVT 2.0) or
``hal_plugin_gen41_evk3`` (EVT 3.0) and no format/geometry line, so these files also exercise the
sensor-name and extent paths. Its EVT 3.0 writer emits a single TIME_HIGH at the start and none
when the time's upper 12 bits change later (its own reader guesses a TIME_HIGH step from a falling
TIME_LOW); such files are non-conforming, so the exact comparisons keep t < 4096 µs there, and a
later test shows what a conforming reader sees in a longer one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import SensorSize
from asynet_core.recordings import open_event_file, read_event_file

Wizard = pytest.importorskip('expelliarmus').Wizard  # a test extra of setup.py

_THEIR_DTYPE = np.dtype([('t', '<i8'), ('x', '<i2'), ('y', '<i2'), ('p', 'u1')])


def _their_events(n: int, t_max_us: int, width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    events = np.zeros(n, dtype=_THEIR_DTYPE)
    events['t'] = np.sort(rng.integers(0, t_max_us, n))
    events['x'] = rng.integers(0, width, n)
    events['y'] = rng.integers(0, height, n)
    events['p'] = rng.integers(0, 2, n)
    return events


def _summary(events: np.ndarray) -> dict[str, int]:
    p = events['p'].astype(np.int64)
    return {
        'n': len(events),
        'on': int(np.count_nonzero(p == 1)),
        'off': int(np.count_nonzero(p == 0)),
        'sum_x': int(events['x'].astype(np.int64).sum()),
        'sum_y': int(events['y'].astype(np.int64).sum()),
        'first_t': int(events['t'][0]),
        'last_t': int(events['t'][-1]),
    }


def _same_events(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert _summary(ours) == _summary(theirs)
    for name in 'xypt':
        assert np.array_equal(ours[name].astype(np.int64), theirs[name].astype(np.int64)), name


@pytest.mark.parametrize(
    ('encoding', 'suffix', 't_max_us', 'fmt', 'sensor', 'source'),
    [
        ('dat', '.dat', 5_000_000, 'dat', SensorSize(640, 480), 'given'),
        ('evt2', '.raw', 5_000_000, 'evt2', SensorSize(640, 480), 'sensor name'),
        ('evt3', '.raw', 4096, 'evt3', SensorSize(1280, 720), 'sensor name'),
    ],
)
def test_reads_what_expelliarmus_reads(
    tmp_path: Path,
    encoding: str,
    suffix: str,
    t_max_us: int,
    fmt: str,
    sensor: SensorSize,
    source: str,
) -> None:
    path = tmp_path / f'rec{suffix}'
    written = _their_events(3000, t_max_us, 640, 480, seed=1)
    Wizard(encoding=encoding).save(path, written)
    theirs = Wizard(encoding=encoding).read(path)
    ours, info, order = read_event_file(path, SensorSize(640, 480) if fmt == 'dat' else None)
    _same_events(ours, theirs)
    _same_events(ours, written)  # and both are the events written
    assert (info.format, info.sensor, info.sensor_source) == (fmt, sensor, source)
    assert order.steps_back == 0


def test_dat_without_size_takes_the_extent(tmp_path: Path) -> None:
    path = tmp_path / 'rec.dat'
    written = _their_events(500, 10**6, 300, 200, seed=2)
    Wizard(encoding='dat').save(path, written)
    _, info, _ = read_event_file(path)
    assert info.sensor == SensorSize(int(written['x'].max()) + 1, int(written['y'].max()) + 1)
    assert info.sensor_source == 'extent'


def test_expelliarmus_evt3_without_time_high_steps_back(tmp_path: Path) -> None:
    """Past 4096 µs its EVT 3.0 file lacks TIME_HIGH words: by the spec, time then steps back."""
    path = tmp_path / 'rec.raw'
    written = np.zeros(3, dtype=_THEIR_DTYPE)
    written['t'] = [100, 4000, 4200]  # 4200 = TIME_HIGH 1, TIME_LOW 104; only TIME_LOW is written
    written['x'], written['y'], written['p'] = [1, 2, 3], [4, 5, 6], [1, 0, 1]
    Wizard(encoding='evt3').save(path, written)
    ours, _, order = read_event_file(path)
    assert ours['t'].tolist() == [100, 4000, 104]
    assert order.to_dict() == {
        'steps_back': 1,
        'largest_step_back_us': 3896,
        'first_step_back_index': 2,
    }


@pytest.mark.parametrize(
    ('encoding', 'suffix'), [('dat', '.dat'), ('evt2', '.raw'), ('evt3', '.raw')]
)
def test_chunks_stream_the_same_events(tmp_path: Path, encoding: str, suffix: str) -> None:
    path = tmp_path / f'rec{suffix}'
    Wizard(encoding=encoding).save(path, _their_events(2000, 4000, 640, 480, seed=3))
    with open_event_file(path, SensorSize(640, 480) if suffix == '.dat' else None) as f:
        whole = f.read_all()
        parts = list(f.chunks(max_events=37))
        order = f.time_order.to_dict()
    assert all(1 <= len(p) <= 37 for p in parts)
    assert np.array_equal(np.concatenate(parts), whole)
    assert order['steps_back'] == 0


def test_real_ncars_sample(real_data: Callable[[str], Path]) -> None:
    path = real_data('ncars_sample.dat')
    events, info, order = read_event_file(path)
    theirs = Wizard(encoding='dat').read(path)
    assert len(events) == 2009
    _same_events(events, theirs)
    assert (info.format, info.sensor_source, info.header['Version']) == ('dat', 'extent', '2')
    assert info.sensor == SensorSize(int(events['x'].max()) + 1, int(events['y'].max()) + 1)
    assert (int(events['t'][0]), int(events['t'][-1]), order.steps_back) == (0, 99952, 0)
    with open_event_file(path) as f:
        assert np.array_equal(np.concatenate(list(f.chunks(100))), events)
    assert order.steps_back == f.time_order.steps_back
