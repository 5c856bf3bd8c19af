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

"""The parameter table: checks with reasons, config/detector.yaml and the front ends in step."""

from __future__ import annotations

import re

import pytest
import yaml

from asynet_ros import params
from asynet_ros.pipeline import PipelineConfig
from checkout import ROOT


def test_detector_yaml_lists_every_parameter_with_a_valid_value() -> None:
    data = yaml.safe_load((ROOT / 'config' / 'detector.yaml').read_text(encoding='utf-8'))
    values = data['/**/asynet_detector']['ros__parameters']
    assert sorted(values) == sorted(params.defaults())
    for name, value in values.items():
        assert params.check(name, value) is None, name
    assert values == params.defaults()


@pytest.mark.parametrize(
    ('name', 'value', 'reason'),
    [
        ('score_threshold', 1.5, r'score_threshold must be in \[0, 1\], got 1.5'),
        ('mode', 'eager', "mode must be one of \\['async', 'recompute', 'adaptive'\\]"),
        ('queue_size', 0, 'queue_size must be >= 1, got 0'),
        ('window_events', 'many', 'window_events must be of type int, got str'),
        ('debug_image', 1, 'debug_image must be of type bool, got int'),
        ('message_type', 'x/msg/Y', 'message_type must be one of'),
        ('nope', 1, "unknown parameter 'nope'"),
    ],
)
def test_parameter_checks_give_reasons(name: str, value: object, reason: str) -> None:
    got = params.check(name, value)
    assert got is not None
    assert re.search(reason, got), got


def test_pipeline_config_from_parameters() -> None:
    values = params.defaults()
    config = params.pipeline_config(values, (5000, None))
    assert config == PipelineConfig(window_events=5000)
    values.update(window_us=20_000, update_every_events=100, mode='async')
    config = params.pipeline_config(values, (5000, None))
    assert (config.window_events, config.window_us) == (None, 20_000)
    assert config.update_every_events == 100
    assert config.mode == 'async'


@pytest.mark.parametrize('prog', ['asynet_ros.cli.detect', 'asynet_tools.replay.cli'])
def test_every_front_end_takes_every_pipeline_parameter_from_the_table(prog: str) -> None:
    import argparse
    import importlib

    parser: argparse.ArgumentParser = importlib.import_module(prog)._parser()
    flags = {a.dest: a for a in parser._actions}
    for name in params.PIPELINE_OPTIONS:  # device included
        assert name in flags, (prog, name)
        assert flags[name].default == params.defaults()[name], (prog, name)
    replay = prog.startswith('asynet_tools.replay')
    argv = ['x', '--out', 'o'] if replay else []
    args = parser.parse_args([*argv, '--device', 'cpu', '--score-threshold', '0.4'])
    values = params.option_values(args)
    assert values['score_threshold'] == 0.4
    assert values == {**{n: params.defaults()[n] for n in params.PIPELINE_OPTIONS},
                      'score_threshold': 0.4}  # fmt: skip


@pytest.mark.parametrize(
    ('name', 'value', 'reason'),
    [
        ('window_events', -5, 'window_events must be >= 0, got -5'),
        ('drop_policy', 'random', "drop_policy must be one of ['oldest', 'newest'], got 'random'"),
        ('diagnostics_period_s', 0.0, 'diagnostics_period_s must be > 0, got 0.0'),
        ('device', 'tpu', "device must be one of ['cpu', 'cuda'], got 'tpu'"),
        ('input_topic', 5, 'input_topic must be of type str, got int 5'),
    ],
)
def test_runtime_parameter_rejected_with_reason(name: str, value: object, reason: str) -> None:
    assert params.check(name, value) == reason
