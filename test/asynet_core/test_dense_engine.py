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

"""DenseEngine: a dense checkpoint behind the engine's interface equals the trainer's forward."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from asynet_core.dense_engine import DenseEngine, DenseUpdater
from asynet_core.errors import ConfigError, ShapeError
from asynet_core.events import SensorSize
from asynet_core.models import (
    build_model,
    DenseVGG,
    load_checkpoint,
    ModelConfig,
    save_checkpoint,
    SparseVGG,
)
from asynet_core.representations import InputMapping, make_representation
from asynet_core.stream import EventStream
from asynet_core.synthetic import moving_edges
from asynet_core.window import WindowSpec
from asynet_training.loop import Batch, collate, Trainer
from model_factory import randomise_batchnorm

SENSOR = SensorSize(160, 130)
TASKS = [('ncars', 3), ('small_det', 2)]  # classification, detection


def dense_checkpoint(path: Path, arch: str, classes: int, representation: str) -> Path:
    """A DenseVGG with seeded random weights and BN statistics, saved as a checkpoint."""
    torch.manual_seed(7)
    config = ModelConfig(arch, classes, representation=representation, backbone='dense')
    model = build_model(config)
    randomise_batchnorm(model, seed=7)
    save_checkpoint(path, model, config)
    return path


def stream_of(model: DenseVGG, window: WindowSpec) -> tuple[EventStream, DenseUpdater]:
    config = model.config
    engine = DenseEngine.from_model(model)
    rep = make_representation(config.representation, InputMapping(SENSOR, config.input_size))
    updater = DenseUpdater(engine)
    return EventStream(engine, rep, window, updater), updater


@pytest.mark.parametrize(('arch', 'classes'), TASKS)
@pytest.mark.parametrize('representation', ['histogram', 'event_queue'])
def test_every_push_equals_the_trainers_forward_on_the_window(
    tmp_path: Path, arch: str, classes: int, representation: str
) -> None:
    loaded = load_checkpoint(dense_checkpoint(tmp_path / 'd.pt', arch, classes, representation))
    model = loaded.model
    assert isinstance(model, DenseVGG)
    trainer = Trainer(model, loaded.config, SENSOR)
    stream, updater = stream_of(model, WindowSpec(events=900))
    events = moving_edges(SENSOR, 3000, seed=11)
    for chunk in np.array_split(events, 6):  # the window slides from the third push on
        out = stream.push(chunk)
        maps = torch.from_numpy(stream.current_input()).unsqueeze(0)  # [1, H, W, C]
        want = trainer.predict(Batch(maps, None, None))
        assert torch.equal(out, want)
        assert torch.equal(stream.output(), want)
        sample = SimpleNamespace(events=stream.window.events(), label=0, boxes=None)
        assert torch.equal(out, trainer.predict(collate([sample], trainer.rep)))
    assert len(stream.window) == 900
    assert updater.counts == {'dense': 6}
    assert updater.last_mode == 'dense'
    assert stream.engine.updates == stream.engine.resyncs == 6


def test_clear_and_reset_give_the_empty_output(tmp_path: Path) -> None:
    model = load_checkpoint(dense_checkpoint(tmp_path / 'd.pt', 'small_det', 2, 'histogram')).model
    assert isinstance(model, DenseVGG)
    stream, _ = stream_of(model, WindowSpec(events=500))
    engine = stream.engine
    empty = model(torch.zeros(1, 2, *model.config.input_size)).detach()
    stream.push(moving_edges(SENSOR, 800, seed=3))
    assert not torch.equal(stream.output(), empty)
    assert torch.equal(stream.clear(), empty)
    assert not stream.current_input().any()
    stream.reset()
    stream.push(moving_edges(SENSOR, 800, seed=4))  # from time 0 again
    assert not torch.equal(engine.output(), empty)
    stream.reset()
    assert torch.equal(engine.output(), empty)
    assert torch.equal(engine.empty_output(), empty)
    assert engine.updates == 0


def test_an_update_of_no_site_recomputes_the_same_output(tmp_path: Path) -> None:
    model = load_checkpoint(dense_checkpoint(tmp_path / 'd.pt', 'ncars', 3, 'histogram')).model
    engine = DenseEngine.from_model(model)
    sites = np.array([[3, 4], [50, 60]])
    first = engine.update(sites, np.array([[1.0, 0.0], [0.0, 2.0]], np.float32))
    again = engine.update(np.zeros((0, 2), np.int64), np.zeros((0, 2), np.float32))
    assert torch.equal(first, again)
    assert engine.resyncs == 2
    x = engine.current_map()
    assert x[3, 4].tolist() == [1.0, 0.0]
    assert x[50, 60].tolist() == [0.0, 2.0]
    assert float(x.abs().sum()) == 3.0


def test_values_of_inactive_sites_still_reach_the_dense_model(tmp_path: Path) -> None:
    model = load_checkpoint(dense_checkpoint(tmp_path / 'd.pt', 'ncars', 3, 'histogram')).model
    engine = DenseEngine.from_model(model)
    sites, values = np.array([[10, 20]]), np.array([[2.0, 1.0]], np.float32)
    inactive = engine.update(sites, values, np.array([False]))
    engine.reset()
    assert torch.equal(engine.update(sites, values, np.array([True])), inactive)


def test_float64_computes_on_a_copy(tmp_path: Path) -> None:
    model = load_checkpoint(dense_checkpoint(tmp_path / 'd.pt', 'ncars', 3, 'histogram')).model
    single = DenseEngine.from_model(model)
    double = DenseEngine.from_model(model, torch.float64)
    assert single.net is model
    assert double.net is not model
    assert next(model.parameters()).dtype == torch.float32
    sites = np.stack([np.arange(0, 90, 3), np.arange(0, 120, 4)], axis=1)
    values = np.random.default_rng(5).integers(0, 4, (30, 2)).astype(np.float32)
    out64 = double.update(sites, values)
    assert out64.dtype == torch.float64
    torch.testing.assert_close(single.update(sites, values), out64.float(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ('sites', 'values', 'active', 'match'),
    [
        (np.zeros((2, 3), np.int64), np.zeros((2, 2)), None, r'sites must be an integer array'),
        (np.zeros((2, 2)), np.zeros((2, 2)), None, r'sites must be an integer array'),
        (np.zeros((2, 2), np.int64), np.zeros((2, 3)), None, r'values must be \[N=2, C=2\]'),
        (np.array([[95, 0]]), np.zeros((1, 2)), None, r'site \(row=95, col=0\) is outside'),
        (np.array([[0, -1]]), np.zeros((1, 2)), None, r'site \(row=0, col=-1\) is outside'),
        (np.array([[1, 1], [1, 1]]), np.zeros((2, 2)), None, 'sites must be unique'),
        (np.array([[1, 1]]), np.zeros((1, 2)), np.array([1]), r'active must be a bool array'),
    ],
)
def test_bad_updates_raise_and_change_nothing(
    tmp_path: Path, sites: np.ndarray, values: np.ndarray, active: np.ndarray | None, match: str
) -> None:
    model = load_checkpoint(dense_checkpoint(tmp_path / 'd.pt', 'ncars', 3, 'histogram')).model
    engine = DenseEngine.from_model(model)
    before = engine.update(np.array([[5, 5]]), np.ones((1, 2), np.float32))
    with pytest.raises(ShapeError, match=match):
        engine.update(sites, values, active)
    assert torch.equal(engine.output(), before)
    assert float(engine.current_map().sum()) == 2.0


def test_only_a_dense_vgg_in_float32_or_float64() -> None:
    sparse = SparseVGG(ModelConfig('ncars', 2))
    with pytest.raises(ConfigError, match='the dense engine needs a DenseVGG, got SparseVGG'):
        DenseEngine.from_model(sparse)
    with pytest.raises(ConfigError, match='the dense engine needs a DenseVGG, got SparseVGG'):
        DenseEngine(sparse)  # type: ignore[arg-type]
    dense = DenseVGG(ModelConfig('ncars', 2, backbone='dense'))
    with pytest.raises(ConfigError, match=r'dtype must be torch\.float32 or torch\.float64'):
        DenseEngine.from_model(dense, torch.float16)
