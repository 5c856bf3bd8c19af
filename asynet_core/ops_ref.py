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

"""Pure-torch reference kernels of the asynchronous engine's hot path.

These are the reference twin of the compiled extension: ``asynet_core.ops`` exposes the same
    functions and picks
a backend once. Every map is ``[S + 1, C]`` with a zero, inactive sentinel row ``S``; tables come
from :class:`asynet_core.engine.geometry.Geometry`. No function loops over sites or rules in
Python.
"""

from __future__ import annotations

import torch

__all__ = ['bn_relu_rows', 'conv_delta', 'conv_recompute', 'pool_rows']


def conv_delta(
    y: torch.Tensor,
    sites: torch.Tensor,
    delta: torch.Tensor,
    outputs: torch.Tensor,
    active_out: torch.Tensor,
    w_cat: torch.Tensor,
) -> torch.Tensor:
    """Add input changes to the raw outputs: ``y[o] += W_k^T delta[i]`` for every rule.

    Args:
        y: ``[S_out + 1, C_out]`` raw (pre-BN) outputs, updated in place.
        sites: ``[n]`` input sites whose value changed.
        delta: ``[n, C_in]`` new minus old input value at ``sites``.
        outputs: ``[S_in + 1, 9]`` output site per input site and tap.
        active_out: ``[S_out + 1]`` current output activity (rules only reach active outputs).
        w_cat: ``[C_in, 9 * C_out]`` weights, tap-major along the columns.

    Returns:
        ``[r]`` output site of every applied rule (with repetitions).
    """
    n, c_out = sites.shape[0], y.shape[1]
    targets = outputs[sites]  # [n, 9]
    valid = active_out[targets]  # [n, 9]
    products = (delta @ w_cat).view(n, 9, c_out)  # [n, 9, C_out]
    hit = targets[valid]  # [r]
    y.index_add_(0, hit, products[valid])
    return hit


def conv_recompute(
    y: torch.Tensor,
    sites: torch.Tensor,
    inputs: torch.Tensor,
    x: torch.Tensor,
    w_col: torch.Tensor,
) -> None:
    """Recompute raw outputs in full from the current input map: ``y[o] = sum_k W_k^T x[i_k(o)]``.

    Inactive inputs hold 0 in ``x``, so only active neighbours contribute.

    Args:
        y: ``[S_out + 1, C_out]`` raw outputs, rows ``sites`` overwritten.
        sites: ``[n]`` output sites to recompute.
        inputs: ``[S_out + 1, 9]`` input site per output site and tap.
        x: ``[S_in + 1, C_in]`` current input map.
        w_col: ``[9 * C_in, C_out]`` weights, tap-major along the rows.
    """
    gathered = x[inputs[sites]]  # [n, 9, C_in]
    y[sites] = gathered.reshape(sites.shape[0], -1) @ w_col  # [n, C_out]


def bn_relu_rows(
    y: torch.Tensor, active: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor
) -> torch.Tensor:
    """Eval BatchNorm (folded to ``scale``/``shift``) + ReLU on rows, zero where inactive."""
    out = torch.relu(y * scale + shift)  # [n, C]
    return out * active.unsqueeze(1).to(out.dtype)


def pool_rows(
    z: torch.Tensor, active: torch.Tensor, sites: torch.Tensor, inputs: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """3x3 max-pool of a non-negative map at output ``sites``: (values, activity).

    Inputs are post-ReLU (>= 0) and inactive sites hold 0, so the max over the whole window equals
    the max over its active inputs; an output is active iff any input of its window is active
    (geometric activity).
    """
    window = inputs[sites]  # [n, 9]
    return z[window].amax(dim=1), active[window].any(dim=1)
