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

"""Neighbour tables of 3x3 sparse layers on flat site indices.

Every map of the engine is stored as ``[S + 1, C]`` with ``S = H * W`` sites in row-major order
plus one
*sentinel* row ``S`` that is always zero and inactive. A table entry that would fall outside the
grid points to the sentinel, so gathers need no bounds checks and scatters into it are discarded.

For a 3x3 layer with stride ``s`` and padding ``p``, kernel offset ``k = (ky, kx)`` (``k = 3 * ky +
kx``) links input site ``i`` and output site ``o`` when ``i = s * o + k - p`` per axis
(cross-correlation, the layout of spconv 2.x weights ``[out, ky, kx, in]`` and of
``torch.nn.functional.conv2d``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ['Geometry']

KERNEL = 3
TAPS = KERNEL * KERNEL


def _axis_inputs(n_out: int, n_in: int, stride: int, padding: int) -> torch.Tensor:
    """``[n_out, 3]`` input coordinate per output coordinate and kernel tap, -1 when outside."""
    o = torch.arange(n_out).unsqueeze(1)  # [n_out, 1]
    i = stride * o + torch.arange(KERNEL).unsqueeze(0) - padding  # [n_out, 3]
    return torch.where((i >= 0) & (i < n_in), i, torch.full_like(i, -1))


def _axis_outputs(n_in: int, n_out: int, stride: int, padding: int) -> torch.Tensor:
    """``[n_in, 3]`` output coordinate per input coordinate and kernel tap, -1 when none."""
    i = torch.arange(n_in).unsqueeze(1)  # [n_in, 1]
    num = i + padding - torch.arange(KERNEL).unsqueeze(0)  # [n_in, 3]
    o = torch.div(num, stride, rounding_mode='floor')
    ok = (num % stride == 0) & (o >= 0) & (o < n_out)
    return torch.where(ok, o, torch.full_like(o, -1))


def _table(rows: torch.Tensor, cols: torch.Tensor, width: int, sentinel: int) -> torch.Tensor:
    """Combine per-axis ``[n_r, 3]``, ``[n_c, 3]`` tables into ``[n_r * n_c + 1, 9]`` sites."""
    r = rows[:, None, :, None]  # [n_r, 1, 3, 1]
    c = cols[None, :, None, :]  # [1, n_c, 1, 3]
    flat = r * width + c  # [n_r, n_c, 3, 3]
    flat = torch.where((r >= 0) & (c >= 0), flat, torch.full_like(flat, sentinel))
    flat = flat.reshape(rows.shape[0] * cols.shape[0], TAPS)
    pad = torch.full((1, TAPS), sentinel, dtype=flat.dtype)
    return torch.cat([flat, pad]).contiguous()


@dataclass(frozen=True, eq=False)
class Geometry:
    """Site tables of one 3x3 layer mapping an ``in_size`` grid to an ``out_size`` grid.

    Attributes:
        in_size: input (height, width).
        out_size: output (height, width).
        stride: 1 (submanifold conv) or 2 (max-pool, strided head conv).
        inputs: ``[S_out + 1, 9]`` input site of each output site and tap (sentinel ``S_in``).
        outputs: ``[S_in + 1, 9]`` output site fed by each input site through each tap (sentinel
            ``S_out``); column ``k`` is the tap whose weight carries that input to that output.
    """

    in_size: tuple[int, int]
    out_size: tuple[int, int]
    stride: int
    inputs: torch.Tensor
    outputs: torch.Tensor

    @classmethod
    def build(cls, in_size: tuple[int, int], stride: int, padding: int) -> Geometry:
        """Tables for a 3x3 layer; the output size follows the usual convolution arithmetic."""
        (hi, wi) = in_size
        ho, wo = (
            (hi + 2 * padding - KERNEL) // stride + 1,
            (wi + 2 * padding - KERNEL) // stride + 1,
        )
        s_in, s_out = hi * wi, ho * wo
        inputs = _table(
            _axis_inputs(ho, hi, stride, padding), _axis_inputs(wo, wi, stride, padding), wi, s_in
        )
        outputs = _table(
            _axis_outputs(hi, ho, stride, padding),
            _axis_outputs(wi, wo, stride, padding),
            wo,
            s_out,
        )
        return cls(in_size, (ho, wo), stride, inputs, outputs)

    @property
    def in_sites(self) -> int:
        """Number of input sites (the input sentinel index)."""
        return self.in_size[0] * self.in_size[1]

    @property
    def out_sites(self) -> int:
        """Number of output sites (the output sentinel index)."""
        return self.out_size[0] * self.out_size[1]

    def to(self, device: torch.device) -> Geometry:
        """Copy of the tables on ``device``."""
        return Geometry(
            self.in_size,
            self.out_size,
            self.stride,
            self.inputs.to(device),
            self.outputs.to(device),
        )
