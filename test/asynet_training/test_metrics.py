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

"""VOC and COCO mAP and the confusion matrix on known cases."""

from __future__ import annotations

import numpy as np
import pytest

from asynet_training.metrics import coco_map, confusion_matrix, voc_ap, voc_map


def test_voc_ap_of_known_curves() -> None:
    assert voc_ap(np.array([0.5, 1.0]), np.array([1.0, 1.0])) == 1.0
    assert voc_ap(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3])) == pytest.approx(
        0.5 + 0.5 * 2 / 3
    )


def test_voc_map_ranks_by_score_and_skips_classes_without_truth() -> None:
    box = np.array([0.0, 0.0, 10.0, 10.0])
    truths = [(0, 0, box), (1, 0, box + 20)]
    perfect = [(0, 0, 0.9, box), (1, 0, 0.8, box + 20)]
    assert voc_map(perfect, truths, 2)[0] == 1.0
    assert np.isnan(voc_map(perfect, truths, 2)[1][1])
    false_first = [(0, 0, 0.99, box + 50), *perfect]
    mean, _ = voc_map(false_first, truths, 2)
    assert mean == pytest.approx(2 / 3)  # envelope: precision 2/3 at every recall
    assert coco_map(perfect, truths, 2, 2) == pytest.approx(1.0)
    assert coco_map(false_first, truths, 2, 2) < 1.0
    assert confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist() == [
        [1, 0],
        [1, 1],
    ]


def test_coco_map_keeps_pycocotools_lines_off_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    box = np.array([10.0, 10.0, 30.0, 30.0])
    found = coco_map([(0, 0, 0.9, box)], [(0, 0, box)], num_classes=1, images=1)
    assert found == pytest.approx(1.0)
    assert capsys.readouterr().out == ''  # the commands print their JSON reports there
