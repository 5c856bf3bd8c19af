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


@pytest.mark.parametrize('name', ['queue_size', 'queue_bytes'])
def test_a_queue_bound_the_table_refuses_is_a_usage_error(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Checked while parsing (before torch), as asynet-replay --realtime checks it.
    from asynet_ros.cli.detect import _parser

    flag = '--' + name.replace('_', '-')
    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args([flag, '0'])
    assert exit_.value.code == 2
    assert f'argument {flag}: {name} must be >= 1, got 0' in capsys.readouterr().err


@pytest.mark.parametrize('flag', ['--drop-policy', '--drop'])
def test_the_queue_options_are_the_node_parameters(flag: str) -> None:
    # The node's names (asynet-replay's and asynet-replay-compare's flags); --drop still works.
    from asynet_ros import params
    from asynet_ros.cli.detect import _parser, ros_overrides

    defaults = ros_overrides(_parser().parse_args([]))
    for name in ('queue_size', 'queue_bytes', 'drop_policy'):
        assert defaults[name] == params.defaults()[name], name
    given = ['--queue-size', '8', '--queue-bytes', '4096', flag, 'newest']
    overrides = ros_overrides(_parser().parse_args(given))
    assert (overrides['queue_size'], overrides['queue_bytes']) == (8, 4096)
    assert overrides['drop_policy'] == 'newest'


def test_a_duration_for_the_ros_node_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rclpy node runs until SIGINT, SIGTERM or a lifecycle shutdown: --duration was ignored.
    from asynet_ros.cli import detect

    def started(_: object) -> int:
        pytest.fail('the node was started (and would have run on past --duration)')

    monkeypatch.setattr(detect, '_run_ros_node', started)
    with pytest.raises(SystemExit) as exit_:
        detect.main(['--transport', 'ros', '--duration', '5'])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert 'error: --duration applies to --transport dds' in err
