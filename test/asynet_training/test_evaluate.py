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

"""``evaluate.py`` on a fresh clone: a synthetic dataset the checkpoint names is generated.

The bundled checkpoints' training configs name ``data/synthetic_det`` and ``data/synthetic_cls``,
which a fresh clone does not have; ``train.py`` generates a synthetic dataset into a missing
``data.root``, and ``evaluate.py`` does the same (the same files, from the config's seed), so
the README's evaluation commands run as written. A real dataset is never generated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asynet_ros import bundled_checkpoint
from asynet_training.errors import DatasetLayoutError
from asynet_training.evaluate import evaluate
from asynet_training.synthetic import (
    SHAPE_CLASSES,
    write_synthetic_classification,
    write_synthetic_detection,
)

SIZES = ['data.synthetic_train=1', 'data.synthetic_val=1', 'data.synthetic_test=1']


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file()}  # fmt: skip


def _reference(root: Path, name: str) -> None:
    """The dataset ``train.py`` generates for the same config (seed 0, one file per split)."""
    sizes = {'num_train': 1, 'num_val': 1, 'num_test': 1, 'seed': 0}
    if name == 'synthetic_det':
        write_synthetic_detection(root, layout='gen1', **sizes)
    else:
        write_synthetic_classification(root, layout='ncaltech101', classes=SHAPE_CLASSES, **sizes)


@pytest.mark.parametrize('name', ['synthetic_det', 'synthetic_cls'])
def test_a_missing_synthetic_dataset_is_generated_as_train_does(name: str, tmp_path: Path) -> None:
    root = tmp_path / 'data' / name
    report = evaluate(bundled_checkpoint(name), 'test', [f'data.root={root}', *SIZES], limit=1)
    assert report['samples'] == 1
    _reference(tmp_path / 'reference', name)
    assert _files(root) == _files(tmp_path / 'reference')


def test_an_existing_dataset_is_read_not_regenerated(tmp_path: Path) -> None:
    root = tmp_path / 'synthetic_det'
    write_synthetic_detection(root, layout='gen1', num_train=1, num_val=1, num_test=2, seed=5)
    before = _files(root)
    report = evaluate(bundled_checkpoint(), 'test', [f'data.root={root}', *SIZES])
    assert report['samples'] == 8  # 2 recordings x 4 label times, not the config's 1 recording
    assert _files(root) == before


def test_a_missing_real_dataset_is_an_error_not_generated(tmp_path: Path) -> None:
    root = tmp_path / 'gen1'
    with pytest.raises(DatasetLayoutError, match='directory not found'):
        evaluate(bundled_checkpoint(), 'test', [f'data.root={root}', 'data.dataset=gen1'])
    assert not root.exists()
