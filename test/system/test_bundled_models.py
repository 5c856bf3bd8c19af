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

"""The bundled demo checkpoints load from the package and do what their notes say."""

from __future__ import annotations

from pathlib import Path

from asynet_core.models import load_checkpoint
import asynet_ros
from asynet_training.evaluate import evaluate
from asynet_training.synthetic import (
    SHAPE_CLASSES,
    write_synthetic_classification,
    write_synthetic_detection,
)

MODELS = Path(asynet_ros.__file__).resolve().parent / 'models'


def test_synthetic_cls_checkpoint_classifies_fresh_samples(tmp_path: Path) -> None:
    checkpoint = MODELS / 'synthetic_cls.pt'
    loaded = load_checkpoint(checkpoint, arch='ncars', task='classification')
    assert loaded.config.class_names == SHAPE_CLASSES
    assert (
        'python training/train.py --config config/train/synthetic_cls.yaml' in loaded.extra['note']
    )
    write_synthetic_classification(
        tmp_path, layout='ncaltech101', classes=SHAPE_CLASSES, num_train=1, num_val=1,
        num_test=6, seed=1234,
    )  # fmt: skip
    report = evaluate(checkpoint, 'test', [f'data.root={tmp_path}'], use_async=True, steps=4)
    assert report['samples'] == 30
    assert report['accuracy'] >= 0.9
    assert report['async_agreement'] == 1.0


def test_synthetic_det_checkpoint_detects_fresh_shapes(tmp_path: Path) -> None:
    checkpoint = MODELS / 'synthetic_det.pt'
    loaded = load_checkpoint(checkpoint, arch='small_det', task='detection')
    assert loaded.config.class_names == ('circle', 'square')
    assert (
        'python training/train.py --config config/train/synthetic_det.yaml' in loaded.extra['note']
    )
    assert checkpoint.stat().st_size < 10 * 2**20  # small enough to ship
    write_synthetic_detection(tmp_path, layout='gen1', num_train=1, num_val=1, num_test=10,
                              seed=1234)  # fmt: skip
    report = evaluate(checkpoint, 'test', [f'data.root={tmp_path}'], use_async=True, steps=3)
    assert report['samples'] == 40
    assert report['voc_map50'] >= 0.4  # 0.60 on the 100-window test split of its config
    assert report['async_agreement'] == 1.0
