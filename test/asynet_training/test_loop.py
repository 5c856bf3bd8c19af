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

"""The per-batch Trainer: it learns a trivial task with either backbone; a detection step runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from asynet_core.events import SensorSize
from asynet_core.models import build_model, ModelConfig
from asynet_core.synthetic import moving_edges
from asynet_training.loop import collate, Trainer
from training_helpers import Sample, two_class_samples


@pytest.mark.parametrize('backbone', ['sparse', 'dense'])
def test_trainer_learns_a_trivial_task(backbone: str) -> None:
    torch.manual_seed(0)
    config = ModelConfig('ncars', 2, backbone=backbone)
    model = build_model(config)
    trainer = Trainer(model, config, SensorSize(120, 100))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = collate(two_class_samples(8, 0), trainer.rep)
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
    metrics = trainer.step(collate([Sample(ev, boxes=boxes)], trainer.rep), optimizer)
    assert np.isfinite(metrics['loss'])
    assert metrics['loss'] > 0
