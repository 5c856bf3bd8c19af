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

"""YoloLoss: near zero for a perfect prediction, gradients, empty targets, shape errors."""

from __future__ import annotations

import pytest
import torch

from asynet_core.errors import ShapeError
from asynet_training.loss import YoloLoss


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
