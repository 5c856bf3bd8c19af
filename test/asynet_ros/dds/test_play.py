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

"""asynet-play's errors, no DDS needed: a missing or corrupt bag, an unknown topic, a bad rate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import shutil

import pytest

from asynet_ros.dds.play import main as play_main

EVENT_PACKET = 'event_camera_msgs/msg/EventPacket'


def test_play_reports_a_missing_bag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert play_main([str(tmp_path / 'nothing')]) == 2
    assert 'asynet-play: error: no bag at' in capsys.readouterr().err


def test_play_lists_the_topics_when_one_is_unknown(
    capsys: pytest.CaptureFixture[str], real_bag: Callable[[str], Path]
) -> None:
    bag = real_bag('metavision_evt3')
    assert play_main([str(bag), '--topic', '/nope']) == 2
    err = capsys.readouterr().err
    assert 'topic(s) /nope not in the bag' in err
    assert f'available: /event_camera/events [{EVENT_PACKET}]' in err


def test_play_reports_a_corrupt_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], real_bag: Callable[[str], Path]
) -> None:
    bag = real_bag('metavision_evt3')
    broken = tmp_path / 'broken'
    broken.mkdir()
    shutil.copy(bag / 'metadata.yaml', broken / 'metadata.yaml')
    (broken / 'test_events_1.db3').write_bytes(b'not a sqlite database' * 100)
    assert play_main([str(broken), '--rate', '0']) == 2
    err = capsys.readouterr().err
    assert 'asynet-play: error: cannot open bag' in err
    assert 'file is not a database' in err


def test_play_rejects_a_negative_rate() -> None:
    with pytest.raises(SystemExit) as exit_info:
        play_main(['bag', '--rate', '-1'])
    assert exit_info.value.code == 2
