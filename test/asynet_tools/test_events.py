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

"""asynet-events stats on the real bags and a DAT file; a corrupt bag is a BagError."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path

import pytest

from asynet_ros.bag import BagError
from asynet_tools import events as events_cli


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
