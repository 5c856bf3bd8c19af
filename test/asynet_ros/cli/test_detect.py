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

"""asynet-detect: its command line refuses what the parameter table refuses, naming the rule."""

from __future__ import annotations

import pytest


def test_an_option_the_table_refuses_names_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from asynet_ros.cli.detect import _parser

    with pytest.raises(SystemExit):
        _parser().parse_args(['--score-threshold', '1.5'])
    assert 'score_threshold must be in [0, 1], got 1.5' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _parser().parse_args(['--window-events', '100', '--window-us', '100'])
    assert 'not allowed with argument' in capsys.readouterr().err
