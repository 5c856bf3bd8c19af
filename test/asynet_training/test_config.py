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

"""Training configuration: overrides, errors that name the key, the shipped configurations."""

from __future__ import annotations

from pathlib import Path

import pytest

from asynet_core.errors import ConfigError
from asynet_core.models import (
    ModelConfig,
)
from asynet_training.config import load_config
from checkout import ROOT
from training_helpers import write_config


def test_config_loads_with_overrides(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path), ['optim.lr=0.01', 'model.backbone=dense'])
    assert config.optim.lr == 0.01
    assert config.model.backbone == 'dense'
    assert config.optim.milestones == [5]
    assert config.seed == 3


@pytest.mark.parametrize(
    ('overrides', 'message'),
    [
        (['optim.lrr=1'], r"unknown keys \['optim.lrr'\]; valid keys: \['batch_size', 'lr',"),
        (['optim.lr=fast'], r"optim.lr must be float, got 'fast'"),
        (['optim.milestones=3'], r'optim.milestones must be a list, got 3'),
        (['data.dataset=mnist'], r"unknown data.dataset 'mnist'; valid choices: \['gen1',"),
        (['data.window_us=1000'], r'data: give exactly one of window_events or window_us'),
        (['device=tpu'], r"unknown device 'tpu'; valid choices: \['auto', 'cpu', 'cuda'\]"),
        (['nokey'], r"override 'nokey' must look like key=value"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(tmp_path), overrides)


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r'cannot read config .*missing.yaml'):
        load_config(tmp_path / 'missing.yaml')
    with pytest.raises(ConfigError, match=r'config .*c.yaml is not valid YAML'):
        load_config(write_config(tmp_path, 'a: [1'))


SHIPPED = sorted((ROOT / 'config' / 'train').glob('*.yaml'))


@pytest.mark.parametrize('path', SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_configs_load(path: Path) -> None:
    config = load_config(path)
    assert ModelConfig(config.model.arch, 2).task == (
        'detection'
        if config.data.dataset in ('gen1', 'ncaltech101_det', 'synthetic_det')
        else 'classification'
    )
    assert len(SHIPPED) == 6


def test_training_config_unknown_key_and_wrong_type(tmp_path: Path) -> None:
    cfg = tmp_path / 'c.yaml'
    cfg.write_text('data: {dataset: ncars, root: /x, bogus: 1}\nmodel: {arch: ncars}\n')
    with pytest.raises(
        ConfigError, match=r"unknown keys \['data.bogus'\]; valid keys: \['dataset'"
    ):
        load_config(cfg)
    cfg.write_text('seed: zero\ndata: {dataset: ncars, root: /x}\nmodel: {arch: ncars}\n')
    with pytest.raises(ConfigError, match="seed must be int, got 'zero'"):
        load_config(cfg)
