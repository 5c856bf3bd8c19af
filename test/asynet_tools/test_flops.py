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

"""asynet-flops --recording: FLOPs on windows of a bag or an event file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import EVENT_DTYPE, SensorSize
from asynet_core.recordings import EventFileError
from asynet_tools.events import BAG_SENSOR_REFUSAL, write_synthetic_bag
from asynet_tools.flops import main, MAX_WINDOW_EVENTS, recording_windows, window_used
from asynet_training.formats import write_dat

ARGS = ['--arch', 'ncars', '--window', '800', '--update-events', '5', '--samples', '2']


def _dat(path: Path, n: int, sensor: SensorSize | None) -> np.ndarray:
    rng = np.random.default_rng(0)
    events = np.zeros(n, dtype=EVENT_DTYPE)
    events['t'] = np.arange(n) * 3  # every time once: a window shows where it was cut
    events['x'] = rng.integers(0, 200, n)
    events['y'] = rng.integers(0, 150, n)
    events['p'] = rng.integers(0, 2, n)
    if sensor is None:
        write_dat(path, events)
    else:
        write_dat(path, events, sensor.width, sensor.height)
    return events


def test_windows_are_consecutive_events_at_seeded_offsets(tmp_path: Path) -> None:
    path = tmp_path / 'rec.dat'
    _dat(path, 5000, SensorSize(200, 150))
    windows, sensor, info = recording_windows(path, 1000, 6, seed=4)
    assert sensor == SensorSize(200, 150)
    assert (info['path'], info['kind'], info['events']) == (str(path), 'dat', 5000)
    starts = []
    for w in windows:
        assert w.dtype == EVENT_DTYPE
        assert len(w) == 1000
        assert np.array_equal(np.diff(w['t']), np.full(999, 3))
        starts.append(int(w['t'][0]) // 3)
    assert len(set(starts)) > 1  # random offsets, not always the start
    again, _, _ = recording_windows(path, 1000, 6, seed=4)
    assert [int(w['t'][0]) for w in again] == [s * 3 for s in starts]
    whole, _, _ = recording_windows(path, 10_000, 2, seed=0)  # longer than the recording
    assert [len(w) for w in whole] == [5000, 5000]


def test_flops_of_a_dat_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / 'rec.dat'
    _dat(path, 3000, None)
    out = tmp_path / 'flops.json'
    assert main([*ARGS, '--recording', str(path), '--json', str(out)]) == 0
    report = json.loads(out.read_text())
    assert report['source'] == 'recording'
    assert report['recording']['sensor_source'] == 'extent'
    assert report['sensor'] == report['recording']['sensor']
    modes = report['modes']
    assert (
        0 < modes['async_sparse']['flops_per_update'] <= modes['batch_sparse']['flops_per_update']
    )
    given = [*ARGS, '--recording', str(path), '--width', '640', '--height', '480']
    assert main(given) == 0
    assert 'async_sparse' in capsys.readouterr().out


def test_flops_of_a_bag(tmp_path: Path) -> None:
    bag = tmp_path / 'bag'
    write_synthetic_bag(bag, seconds=0.2, seed=0)
    out = tmp_path / 'flops.json'
    assert main([*ARGS, '--recording', str(bag), '--json', str(out)]) == 0
    report = json.loads(out.read_text())
    assert report['sensor'] == [304, 240]
    assert report['recording']['kind'] == 'rosbag2'
    assert report['recording']['events'] == 20_000
    assert main([*ARGS, '--recording', str(bag), '--topic', '/none']) == 2


def test_bad_arguments_and_recordings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in (
        ['--recording', 'a.raw', '--dataset', 'ncars', '--root', 'r'],
        ['--width', '10', '--height', '10'],
        ['--topic', '/t'],
        ['--recording', 'a.raw', '--width', '10'],
    ):
        with pytest.raises(SystemExit):
            main([*ARGS, *extra])
    assert main([*ARGS, '--recording', str(tmp_path / 'none.raw')]) == 2
    assert 'none.raw does not exist' in capsys.readouterr().err
    one = tmp_path / 'one.dat'
    _dat(one, 1, SensorSize(200, 150))
    with pytest.raises(ValueError, match='a window cannot slide'):
        recording_windows(one, 10, 1, seed=0)
    with pytest.raises(EventFileError):
        recording_windows(tmp_path / 'none.dat', 10, 1, seed=0)


def test_without_a_recording_it_is_the_training_command(tmp_path: Path) -> None:
    out = tmp_path / 'edges.json'
    assert main([*ARGS, '--json', str(out)]) == 0
    assert json.loads(out.read_text())['source'] == 'moving_edges'


def test_the_torch_free_name_lists_match_the_registries() -> None:
    from asynet_core.flops_cli import ARCH_DATASETS
    from asynet_core.models import ARCHS
    from asynet_training.data import READERS
    from asynet_training.flops import DATASETS

    assert sorted(ARCH_DATASETS) == sorted(ARCHS)
    assert list(DATASETS) == sorted(READERS)


def test_a_short_recording_reports_the_window_it_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / 'short.dat'
    _dat(path, 500, SensorSize(200, 150))  # fewer than --window 800 + --update-events 5
    out = tmp_path / 'short.json'
    assert main([*ARGS, '--recording', str(path), '--json', str(out)]) == 0
    printed = capsys.readouterr()
    assert 'ncars: window 495, update 5 events' in printed.out
    assert 'holds 500 events' in printed.err
    assert 'shortened to 495 events' in printed.err
    report = json.loads(out.read_text())
    assert (report['window'], report['window_requested']) == (495, 800)
    exact = tmp_path / 'exact.json'
    asked = ['--arch', 'ncars', '--window', '495', '--update-events', '5', '--samples', '2']
    assert main([*asked, '--recording', str(path), '--json', str(exact)]) == 0
    assert 'shortened' not in capsys.readouterr().err
    again = json.loads(exact.read_text())
    assert again['window'] == again['window_requested'] == 495
    assert again['modes'] == report['modes']  # the same updates were counted
    assert window_used(path, 500, 800, 5) == 495
    assert window_used(path, 500, 100, 5) == 100


def test_a_recording_too_short_to_slide_and_absurd_windows_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / 'short.dat'
    _dat(path, 500, SensorSize(200, 150))
    slide = ['--arch', 'ncars', '--update-events', '500', '--recording', str(path)]
    assert main(slide) == 2
    assert 'short.dat holds 500 events: a window cannot slide by 500' in capsys.readouterr().err
    for option in ('--window', '--update-events'):
        with pytest.raises(SystemExit) as exit_info:
            main([*ARGS, '--recording', str(path), option, '99999999999999999999'])
        assert exit_info.value.code == 2
        assert (
            f'argument {option}: must be in 1..{MAX_WINDOW_EVENTS}, got' in capsys.readouterr().err
        )


def test_a_sensor_size_is_refused_for_a_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = tmp_path / 'bag'
    write_synthetic_bag(bag, seconds=0.2, seed=0)
    with pytest.raises(SystemExit) as exit_info:
        main([*ARGS, '--recording', str(bag), '--width', '10', '--height', '10'])
    assert exit_info.value.code == 2
    assert BAG_SENSOR_REFUSAL in capsys.readouterr().err


@pytest.mark.parametrize(
    ('value', 'message'),
    [('abc', "not a whole number: 'abc'"), ('0', 'must be in 1..'), ('10' * 10, 'must be in 1..')],
)
def test_count_options_say_what_is_wrong(value: str, message: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(['--arch', 'ncars', '--samples', value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f'argument --samples: {message}' in err
    assert '_positive' not in err
    assert '_count' not in err
