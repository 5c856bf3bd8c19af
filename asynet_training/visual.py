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

"""Images for TensorBoard: event frames with boxes, confusion matrices (pure tensor code)."""

from __future__ import annotations

import torch

__all__ = ['confusion_image', 'draw_boxes', 'frame_image']


def frame_image(maps: torch.Tensor) -> torch.Tensor:
    """An input map ``[H, W, C]`` as an RGB image ``[3, H, W]`` in [0, 1].

    Histograms: red = ON counts, blue = OFF counts (each scaled by its maximum). Other
    representations: the first channel in grey.
    """
    h, w, c = maps.shape
    if c == 2:
        off, on = (maps[..., i] / maps[..., i].max().clamp_min(1e-9) for i in range(2))
        return torch.stack([on, torch.zeros(h, w), off])  # [3, H, W]
    grey = maps[..., 0].abs() / maps[..., 0].abs().max().clamp_min(1e-9)
    return grey.expand(3, h, w).clone()


def draw_boxes(image: torch.Tensor, boxes: torch.Tensor, color: tuple[float, float, float]
               ) -> torch.Tensor:  # fmt: skip
    """Copy of ``image`` ``[3, H, W]`` with outlines of ``boxes`` ``[n, 4+]`` (x, y, w, h)."""
    out = image.clone()
    _, h, w = out.shape
    rgb = torch.tensor(color).view(3, 1)
    for x, y, bw, bh in boxes[:, :4].round().long().tolist():
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + bw, w - 1), min(y + bh, h - 1)
        if x1 < x0 or y1 < y0:
            continue
        out[:, y0, x0 : x1 + 1] = rgb
        out[:, y1, x0 : x1 + 1] = rgb
        out[:, y0 : y1 + 1, x0] = rgb
        out[:, y0 : y1 + 1, x1] = rgb
    return out


def confusion_image(matrix: torch.Tensor) -> torch.Tensor:
    """Row-normalised confusion matrix ``[K, K]`` as a grey image ``[1, K, K]`` in [0, 1]."""
    rows = matrix.float() / matrix.sum(dim=1, keepdim=True).clamp_min(1)
    return rows.unsqueeze(0)
