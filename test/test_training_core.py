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

"""Training core: config loading, YOLO loss, the per-batch trainer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from asynet_core.errors import ConfigError, ShapeError
from asynet_core.events import SensorSize
from asynet_core.models import build_model, ModelConfig
from asynet_core.synthetic import moving_edges
from asynet_training.config import load_config
from asynet_training.loop import collate, Trainer
from asynet_training.loss import YoloLoss

CONFIG = """
seed: 3
data: {dataset: synthetic_cls, root: data/x, window_events: 2000}
model: {arch: ncars}
optim: {batch_size: 4, lr: 0.001, milestones: [5], epochs: 2}
"""


def _write(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / 'c.yaml'
    path.write_text(text)
    return path


def test_config_loads_with_overrides(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path), ['optim.lr=0.01', 'model.backbone=dense'])
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
        (['data.window_us=1000'], r'set exactly one of data.window_events and data.window_us'),
        (['device=tpu'], r"unknown device 'tpu'; valid choices: \['auto', 'cpu', 'cuda'\]"),
        (['nokey'], r"override 'nokey' must look like key=value"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path), overrides)


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r'cannot read config .*missing.yaml'):
        load_config(tmp_path / 'missing.yaml')
    with pytest.raises(ConfigError, match=r'config .*c.yaml is not valid YAML'):
        load_config(_write(tmp_path, 'a: [1'))


def _perfect_output(loss: YoloLoss, boxes: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """A head output that predicts ``boxes`` exactly with its first box slot."""
    nb, (h, w) = loss.num_boxes, loss.input_size
    out = torch.zeros(1, *grid, loss.num_classes + 5 * nb)
    out[..., 4 * nb : 5 * nb] = -30.0  # no object anywhere ...
    ch, cw = h / grid[0], w / grid[1]
    for x, y, bw, bh, cls in boxes.tolist():
        cy, cx = y + bh / 2, x + bw / 2
        r, c = int(cy // ch), int(cx // cw)
        out[0, r, c, 0], out[0, r, c, nb] = cy / ch - r, cx / cw - c
        out[0, r, c, 2 * nb], out[0, r, c, 3 * nb] = (bh / h) ** 0.5, (bw / w) ** 0.5
        out[0, r, c, 4 * nb] = 30.0  # ... but here, confidently (IoU 1)
        out[0, r, c, 5 * nb + int(cls)] = 30.0
    return out


def test_yolo_loss_is_near_zero_for_a_perfect_prediction() -> None:
    loss = YoloLoss((100, 140), num_classes=3)
    boxes = torch.tensor([[10.0, 12.0, 30.0, 20.0, 2.0], [90.0, 60.0, 20.0, 30.0, 0.0]])
    terms = loss(_perfect_output(loss, boxes, (5, 7)), [boxes])
    assert float(terms.total) < 1e-6


def test_yolo_loss_gradients_and_empty_targets() -> None:
    loss = YoloLoss((100, 140), num_classes=3)
    out = torch.randn(2, 5, 7, 13, requires_grad=True)
    boxes = [torch.tensor([[10.0, 12.0, 30.0, 20.0, 1.0]]), torch.zeros(0, 5)]
    terms = loss(out, boxes)
    terms.total.backward()
    assert out.grad is not None
    assert float(out.grad.abs().sum()) > 0
    empty = loss(torch.randn(1, 5, 7, 13), [torch.zeros(0, 5)])
    assert float(empty.offset) == 0.0
    assert float(empty.no_object) > 0.0
    with pytest.raises(
        ShapeError, match=r'output \(1, 5, 7, 12\) and 1 targets do not fit 3 classes'
    ):
        loss(torch.randn(1, 5, 7, 12), [torch.zeros(0, 5)])


@dataclass
class _Sample:
    events: np.ndarray
    label: int | None = None
    boxes: np.ndarray | None = None


def _two_class_samples(n: int, seed: int) -> list[_Sample]:
    """Class 0: edges confined to the left half of the sensor; class 1: the right half."""
    out = []
    for i in range(n):
        cls = i % 2
        ev = moving_edges(SensorSize(60, 100), 1500, seed + i)
        ev['x'] += 60 * cls
        out.append(_Sample(ev, cls))
    return out


@pytest.mark.parametrize('backbone', ['sparse', 'dense'])
def test_trainer_learns_a_trivial_task(backbone: str) -> None:
    torch.manual_seed(0)
    config = ModelConfig('ncars', 2, backbone=backbone)
    model = build_model(config)
    trainer = Trainer(model, config, SensorSize(120, 100))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = collate(_two_class_samples(8, 0), trainer.rep)
    first = trainer.step(batch, optimizer)['loss']
    for _ in range(6):
        last = trainer.step(batch, optimizer)
    assert last['loss'] < first
    assert last['accuracy'] == 1.0


def test_trainer_detection_step_runs() -> None:
    torch.manual_seed(0)
    config = ModelConfig('ncaltech101_det', 3)
    model = build_model(config)
    trainer = Trainer(model, config, SensorSize(240, 180))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    ev = moving_edges(SensorSize(240, 180), 3000, 1)
    boxes = np.array([[20.0, 30.0, 40.0, 50.0, 1.0]], dtype=np.float32)
    metrics = trainer.step(collate([_Sample(ev, boxes=boxes)], trainer.rep), optimizer)
    assert np.isfinite(metrics['loss'])
    assert metrics['loss'] > 0


def _bundle(n: int) -> object:
    from asynet_training.data import DataBundle

    return DataBundle(
        _two_class_samples(n, 0), _two_class_samples(4, 100), SensorSize(120, 100), ('a', 'b'),
        'classification',
    )  # fmt: skip


def test_run_writes_checkpoints_and_resumes(tmp_path: Path) -> None:
    from asynet_core.models import load_checkpoint
    from asynet_training.train import run

    config = load_config(_write(tmp_path), [f'out_dir={tmp_path / "out"}', 'optim.epochs=1'])
    lines: list[str] = []
    data = _bundle(8)
    run(config, data, log=lines.append)  # type: ignore[arg-type]
    last = load_checkpoint(tmp_path / 'out' / 'last.pt', arch='ncars')
    assert last.extra['epoch'] == 1
    assert last.config.class_names == ('a', 'b')
    assert last.extra['train_config']['optim']['lr'] == 0.001
    assert (tmp_path / 'out' / 'best.pt').exists()
    more = load_config(_write(tmp_path), [f'out_dir={tmp_path / "out"}', 'optim.epochs=2'])
    last = tmp_path / 'out' / 'last.pt'
    run(more, data, resume=last, log=lines.append)  # type: ignore[arg-type]
    assert load_checkpoint(tmp_path / 'out' / 'last.pt').extra['epoch'] == 2
    assert any(line.startswith('epoch 1 step 0') for line in lines)


def test_run_rejects_a_task_mismatch(tmp_path: Path) -> None:
    from asynet_training.train import run

    config = load_config(_write(tmp_path), ['model.arch=gen1_det', f'out_dir={tmp_path}'])
    with pytest.raises(
        ConfigError, match=r"model.arch 'gen1_det' is a detection model but dataset"
    ):
        run(config, _bundle(2))  # type: ignore[arg-type]


SHIPPED = sorted((Path(__file__).resolve().parents[1] / 'config' / 'train').glob('*.yaml'))


@pytest.mark.parametrize('path', SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_configs_load(path: Path) -> None:
    config = load_config(path)
    assert ModelConfig(config.model.arch, 2).task == (
        'detection'
        if config.data.dataset in ('gen1', 'ncaltech101_det', 'synthetic_det')
        else 'classification'
    )
    assert len(SHIPPED) == 6


def test_training_window_from_checkpoint_extra() -> None:
    """Older checkpoints' window, for export to write into their model args."""
    from asynet_training.export import trained_window

    def training_window(extra: dict[str, Any]) -> tuple[int | None, int | None]:
        window = trained_window(extra)
        return window.events, window.us

    assert training_window({'train_config': {'data': {'window_events': 5000}}}) == (5000, None)
    data = {'window_events': None, 'window_us': 50_000}
    assert training_window({'train_config': {'data': data}}) == (None, 50_000)
    assert training_window({}) == (25_000, None)
