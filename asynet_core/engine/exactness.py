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

"""How far an output is from the exact one: the measure behind the engine's float32 promise.

``output_error(out, ref, scale)`` is ``max |out - ref| / max(max |ref|, scale)``: the largest
absolute error relative to the output's magnitude, where ``scale`` is a floor for outputs that
are small because their terms cancel. The engine's floor is the magnitude of its output on an
empty input (:meth:`AsyncEngine.empty_output`: the head's biases alone), the scale of what the
network says with nothing in view. Float32 rounding is relative to the terms summed, not to their
sum, so an output that cancels towards zero would otherwise turn a rounding of 1e-7 of its terms
into an arbitrarily large "relative" error.

The promise (README, "Exactness"): in float32, every output of the engine is within
:data:`FLOAT32_BOUND` of the float64 result by this measure, at every update, whatever the
architecture, representation or number of events per update.
"""

from __future__ import annotations

import torch

__all__ = ['FLOAT32_BOUND', 'output_error', 'output_scale']

#: The float32 engine's bound on :func:`output_error` against the float64 result.
FLOAT32_BOUND = 1e-4


def output_scale(ref: torch.Tensor, floor: float = 0.0) -> float:
    """``max(max |ref|, floor)``: the magnitude errors are measured against."""
    top = float(ref.detach().abs().max()) if ref.numel() else 0.0
    return max(top, floor)


def output_error(out: torch.Tensor, ref: torch.Tensor, floor: float = 0.0) -> float:
    """``max |out - ref| / max(max |ref|, floor)``, computed in float64; 0 for equal outputs.

    Raises:
        ValueError: the shapes differ.
    """
    if out.shape != ref.shape:
        raise ValueError(f'output shape {tuple(out.shape)} != reference {tuple(ref.shape)}')
    if not out.numel():
        return 0.0
    diff = float((out.detach().double() - ref.detach().double()).abs().max())
    if diff == 0.0:
        return 0.0
    scale = output_scale(ref, floor)
    return diff / scale if scale > 0.0 else float('inf')
