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


"""The warnings of the bag2dataset summary about a doubtful event file input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asynet_core.events import SensorSize
from asynet_core.recordings import EventFileError
from asynet_tools.bag2dataset import ConvertConfig
from asynet_tools.bag2dataset.cli import convert


def _headerless_size_dat(path: Path, t_us: list[int], x_max: int = 99, y_max: int = 79) -> Path:
    """A DAT file with a header but no Width/Height; events at (x, y) up to the given maxima."""
    count = len(t_us)
    x = np.linspace(0, x_max, count).astype(np.uint32)
    y = np.linspace(0, y_max, count).astype(np.uint32)
    raw = np.zeros(count, dtype=[('t', '<u4'), ('w', '<u4')])
    raw['t'] = t_us
    raw['w'] = x | (y << 14)
    path.write_bytes(b'% Version 2\n' + bytes([0, 8]) + raw.tobytes())
    return path


def test_size_from_extent_and_time_steps_back_are_warned(tmp_path: Path) -> None:
    t_us = [*range(0, 1000, 10), 500, *range(1000, 2000, 10)]  # one step back of 490
    path = _headerless_size_dat(tmp_path / 'rec.dat', t_us)
    config = ConvertConfig('ncars', tmp_path / 'ds', class_name='cars', split='train')
    summary = convert(path, config)
    assert (summary['input_width'], summary['input_height']) == (100, 80)
    assert summary['warnings'] == [
        'the recording time steps back 1 times (largest step 490 us, first at event 100): the '
        'input is corrupt or out of order; check the samples written',
        'rec.dat gives no sensor size: 100x80 was taken from the extent of its events; give the '
        'real size with --width/--height',
    ]


def test_no_warning_for_a_sized_ordered_input(tmp_path: Path) -> None:
    path = _headerless_size_dat(tmp_path / 'rec.dat', list(range(0, 2000, 10)))
    config = ConvertConfig(
        'ncars', tmp_path / 'ds', class_name='cars', split='train', sensor=SensorSize(120, 100)
    )
    summary = convert(path, config)
    assert (summary['input_width'], summary['input_height']) == (120, 100)
    assert summary['warnings'] == []


def test_corrupt_extent_is_refused(tmp_path: Path) -> None:
    path = _headerless_size_dat(tmp_path / 'mid.dat', list(range(0, 200, 10)), x_max=16370)
    config = ConvertConfig('ncars', tmp_path / 'ds', class_name='cars', split='train')
    with pytest.raises(
        EventFileError, match=r'mid\.dat: .*span 16371x80 pixels.*--width/--height'
    ):
        convert(path, config)
    assert not (tmp_path / 'ds').exists()
