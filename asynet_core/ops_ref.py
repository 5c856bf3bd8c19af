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

"""Pure-torch reference of the asynchronous engine's hot path, one function per layer update.

This is the reference twin of the compiled extension: :mod:`asynet_core.ops` exposes the same
functions and picks a backend once. Every map is ``[S + 1, C]`` with a zero, inactive sentinel
row ``S``; tables come from :class:`asynet_core.engine.geometry.Geometry`. No function loops over
sites or rules in Python. The numpy evt3 decoder lives in :mod:`asynet_core.evt3_ref` and is
re-exported here, so this module names every reference twin of the extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from asynet_core.evt3_ref import (
    check_evt3_args,
    evt3_decode,
    evt3_initial_state,
    EVT3_ROLLOVER_TOLERANCE,
    EVT3_STATE_FIELDS,
    EVT3_TIME_PERIOD_US,
    EVT3_TRIGGER_DTYPE,
)

__all__ = [
    'EVT3_ROLLOVER_TOLERANCE',
    'EVT3_STATE_FIELDS',
    'EVT3_TIME_PERIOD_US',
    'EVT3_TRIGGER_DTYPE',
    'ConvKernel',
    'ConvWeights',
    'LayerUpdate',
    'PoolKernel',
    'TrunkRunner',
    'check_evt3_args',
    'conv_update',
    'event_queue_update',
    'evt3_decode',
    'evt3_initial_state',
    'histogram_update',
    'linear_update',
    'pool_update',
]


class ConvWeights(NamedTuple):
    """Converted weights of a 3x3 conv + folded eval BatchNorm.

    Attributes:
        taps: ``[9, C_in, C_out]`` one matrix per tap (the compiled kernels' layout).
        cat: ``[C_in, 9 * C_out]`` taps side by side (the reference's all-taps GEMM).
        col: ``[9 * C_in, C_out]`` taps stacked (im2col recompute).
        scale: ``[C_out]`` BatchNorm scale ``gamma / sqrt(var + eps)``.
        shift: ``[C_out]`` BatchNorm shift ``beta - mean * scale``.
    """

    taps: torch.Tensor
    cat: torch.Tensor
    col: torch.Tensor
    scale: torch.Tensor
    shift: torch.Tensor


class LayerUpdate(NamedTuple):
    """What one layer update changed in its output map, and the work it did.

    Attributes:
        sites: ``[n]`` output sites whose value vector changed (sorted).
        delta: ``[n, C]`` new minus old value at ``sites``.
        born: ``[b]`` output sites that switched on (sorted).
        died: ``[d]`` output sites that switched off (sorted).
        rules: applied (input, output, tap) rules into active outputs (conv; 0 for pools).
        delta_rules: the part of ``rules`` applied to input differences.
        touched: output sites recomputed (BN + ReLU for convs, max for pools).
    """

    sites: torch.Tensor
    delta: torch.Tensor
    born: torch.Tensor
    died: torch.Tensor
    rules: int
    delta_rules: int
    touched: int


def _unique(candidates: torch.Tensor, sentinel: int) -> torch.Tensor:
    """Sorted unique sites of ``candidates`` without the sentinel (the largest index)."""
    sites: torch.Tensor = torch.unique(candidates)
    if sites.numel() and int(sites[-1]) == sentinel:
        return sites[:-1]
    return sites


def _activity(
    in_active: torch.Tensor,
    out_active: torch.Tensor,
    born: torch.Tensor,
    died: torch.Tensor,
    inputs: torch.Tensor,
    outputs: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Geometric activity of a stride-2 layer's outputs near switched inputs.

    Returns the touched outputs and those that switched on and off; updates ``out_active``.
    """
    sentinel = out_active.shape[0] - 1
    touched = _unique(outputs[torch.cat([born, died])].flatten(), sentinel)
    now = in_active[inputs[touched]].any(dim=1)  # [n]
    before = out_active[touched]
    out_active[touched] = now
    return touched, touched[now & ~before], touched[before & ~now]


def _store(
    out: torch.Tensor, touched: torch.Tensor, new: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Write new output rows; return the sites whose rows changed and the differences."""
    delta = new - out[touched]  # [n, C]
    out[touched] = new
    moved = (delta != 0).any(dim=1)
    return touched[moved], delta[moved]


def _conv_rules(
    y: torch.Tensor,
    sites: torch.Tensor,
    delta: torch.Tensor,
    outputs: torch.Tensor,
    active: torch.Tensor,
    w_cat: torch.Tensor,
) -> torch.Tensor:
    """``y[o] += W_k^T delta[i]`` for every rule into an active output; return rule outputs."""
    n, c_out = sites.shape[0], y.shape[1]
    targets = outputs[sites]  # [n, 9]
    valid = active[targets]  # [n, 9]
    products = (delta @ w_cat).view(n, 9, c_out)  # [n, 9, C_out]: all taps in one GEMM
    hit = targets[valid]  # [r]
    y.index_add_(0, hit, products[valid].to(y.dtype))  # float32 products, float64 accumulator
    return hit


def _count_rules(
    hit: torch.Tensor,
    born: torch.Tensor,
    in_active: torch.Tensor,
    inputs: torch.Tensor,
    sites: int,
) -> tuple[int, int]:
    """(all rules, difference rules): rules into switched-on outputs are replaced by full ones."""
    delta_rules = int(hit.numel())
    if not born.numel():
        return delta_rules, delta_rules
    is_born = torch.zeros(sites + 1, dtype=torch.bool, device=hit.device)
    is_born[born] = True
    delta_rules -= int(is_born[hit].sum())
    return delta_rules + int(in_active[inputs[born]].sum()), delta_rules


def conv_update(
    y: torch.Tensor,
    z: torch.Tensor,
    out_active: torch.Tensor,
    x: torch.Tensor,
    in_active: torch.Tensor,
    change: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    inputs: torch.Tensor,
    outputs: torch.Tensor,
    weights: ConvWeights,
    submanifold: bool,
    count: bool = False,
) -> LayerUpdate:
    """Update a 3x3 conv + eval BN + ReLU layer after its input changed.

    Outputs that stay active get ``y[o] += W_k^T (x_new - x_old)[i]`` for every rule from a
    changed input; outputs that switch on are recomputed from all their active inputs; outputs that
    switch off are zeroed. A submanifold layer's output activity is its input's (the same tensor);
    a stride-2 layer's output is active iff its 3x3 window holds an active input.

    Args:
        y: ``[S_out + 1, C_out]`` raw conv outputs (updated).
        z: ``[S_out + 1, C_out]`` post-activation outputs, 0 where inactive (updated).
        out_active: ``[S_out + 1]`` output activity (updated for stride-2 layers).
        x: ``[S_in + 1, C_in]`` current input map (after the update).
        in_active: ``[S_in + 1]`` current input activity.
        change: input (sites ``[n]``, delta ``[n, C_in]``, born ``[b]``, died ``[d]``).
        inputs: ``[S_out + 1, 9]`` input site of each output site and tap.
        outputs: ``[S_in + 1, 9]`` output site of each input site and tap.
        weights: converted weights.
        submanifold: stride 1 (shared activity) or stride 2 (geometric output activity).
        count: also count rules (costs a few extra ops here).
    """
    sites, delta, born, died = change
    if not submanifold:
        _, born, died = _activity(in_active, out_active, born, died, inputs, outputs)
    hit = _conv_rules(y, sites, delta, outputs, out_active, weights.cat)
    if born.numel():
        full = x[inputs[born]].reshape(born.shape[0], -1) @ weights.col  # [b, C_out]
        y[born] = full.to(y.dtype)
    y[died] = 0
    touched = _unique(torch.cat([hit, born, died]), y.shape[0] - 1)
    raw = y[touched]  # [t, C_out]
    new = torch.relu(raw.to(z.dtype) * weights.scale + weights.shift)  # y rounded once
    new = new * out_active[touched].unsqueeze(1).to(new.dtype)
    moved, diff = _store(z, touched, new)
    rules, delta_rules = (
        _count_rules(hit, born, in_active, inputs, y.shape[0] - 1) if count else (0, 0)
    )
    return LayerUpdate(moved, diff, born, died, rules, delta_rules, int(touched.numel()))


def pool_update(
    z: torch.Tensor,
    out_active: torch.Tensor,
    x: torch.Tensor,
    in_active: torch.Tensor,
    change: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    inputs: torch.Tensor,
    outputs: torch.Tensor,
) -> LayerUpdate:
    """Update a 3x3 stride-2 max-pool of a post-ReLU map (>= 0, 0 where inactive).

    Outputs with a changed or switched input in their window are recomputed from their 9 inputs:
    the max over the window equals the max over its active inputs, and an output is active iff
    its window holds an active input. Arguments as :func:`conv_update` (``change`` delta unused).
    """
    sites, _, born, died = change
    touched = _unique(outputs[torch.cat([sites, born, died])].flatten(), z.shape[0] - 1)
    window = inputs[touched]  # [t, 9]
    now = in_active[window].any(dim=1)
    before = out_active[touched]
    out_active[touched] = now
    moved, diff = _store(z, touched, x[window].amax(dim=1))
    n = int(touched.numel())
    return LayerUpdate(moved, diff, touched[now & ~before], touched[before & ~now], 0, 0, n)


def linear_update(
    acc: torch.Tensor, sites: torch.Tensor, delta: torch.Tensor, w_site: torch.Tensor
) -> None:
    """``acc += sum_{n, c} delta[n, c] * w_site[sites[n], c, :]``, added to ``acc`` at once.

    Args:
        acc: ``[F]`` accumulated linear output, float64 (updated).
        sites: ``[n]`` changed head-map sites.
        delta: ``[n, C]`` their differences.
        w_site: ``[S, C, F]`` the linear weight per head site and channel.
    """
    if not sites.numel():
        return
    # This update's contribution in the weights' dtype, added to the float64 accumulator once.
    acc += torch.einsum('nc,ncf->f', delta, w_site[sites]).to(acc.dtype)


class ConvKernel:
    """A conv + BN + ReLU layer prepared once (twin of ``asynet_core_cpp._ext.ConvKernel``)."""

    def __init__(
        self, weights: ConvWeights, inputs: torch.Tensor, outputs: torch.Tensor, submanifold: bool
    ) -> None:
        self.weights = weights
        self.inputs = inputs
        self.outputs = outputs
        self.submanifold = submanifold

    def update(
        self,
        y: torch.Tensor,
        z: torch.Tensor,
        out_active: torch.Tensor,
        x: torch.Tensor,
        in_active: torch.Tensor,
        change: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
        count: bool = False,
    ) -> LayerUpdate:
        """See :func:`conv_update`."""
        return conv_update(
            y, z, out_active, x, in_active, change, self.inputs, self.outputs, self.weights,
            self.submanifold, count,
        )  # fmt: skip


class PoolKernel:
    """A 3x3 stride-2 max-pool prepared once (twin of ``asynet_core_cpp._ext.PoolKernel``)."""

    def __init__(self, inputs: torch.Tensor, outputs: torch.Tensor) -> None:
        self.inputs = inputs
        self.outputs = outputs

    def update(
        self,
        z: torch.Tensor,
        out_active: torch.Tensor,
        x: torch.Tensor,
        in_active: torch.Tensor,
        change: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
        count: bool = False,
    ) -> LayerUpdate:
        """See :func:`pool_update` (``count`` is accepted for a uniform signature)."""
        del count
        return pool_update(z, out_active, x, in_active, change, self.inputs, self.outputs)


Work = tuple[int, int, int]


class TrunkRunner:
    """One input change through every layer of a trunk (twin of ``_ext.TrunkRunner``).

    Args:
        kernels: prepared layers, input side first.
        arrays: per layer, its state tensors in ``update()`` order (conv: y, z, out_active, x,
            in_active; pool: z, out_active, x, in_active).
    """

    def __init__(
        self,
        kernels: Sequence[ConvKernel | PoolKernel],
        arrays: Sequence[tuple[torch.Tensor, ...]],
    ) -> None:
        self.kernels = kernels
        self.arrays = arrays

    def update(
        self,
        change: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
        count: bool = False,
    ) -> tuple[LayerUpdate, list[Work]]:
        """Apply a change of the first input map; return the last map's change and the work."""
        work: list[Work] = []
        for kernel, arrays in zip(self.kernels, self.arrays, strict=True):
            r = kernel.update(*arrays, change, count)  # type: ignore[arg-type, call-arg]
            work.append((r.rules, r.delta_rules, r.touched))
            change = (r.sites, r.delta, r.born, r.died)
        return r, work

    def update_input(
        self, sites: np.ndarray, values: np.ndarray, active: np.ndarray, count: bool = False
    ) -> tuple[LayerUpdate, list[Work]]:
        """Write new input vectors (0 where not active) of flat ``sites``; run every layer.

        Args:
            sites: ``[n]`` int64 unique flat input sites.
            values: ``[n, C_in]`` their new input vectors.
            active: ``[n]`` bool their new activity.
            count: count the rules.
        """
        x, on = self.arrays[0][3], self.arrays[0][4]
        if np.unique(sites).size != sites.size:
            raise ValueError('TrunkRunner.update_input: sites must be unique')
        flat = torch.from_numpy(sites).to(x.device)
        act = torch.from_numpy(active).to(x.device)
        vals = torch.from_numpy(values).to(x.device)
        vals = torch.where(act.unsqueeze(1), vals, torch.zeros_like(vals))  # not *: inf * 0
        delta = vals - x[flat]  # [n, C_in]
        before = on[flat]
        x[flat] = vals
        on[flat] = act
        moved = (delta != 0).any(dim=1)
        change = (flat[moved], delta[moved], flat[act & ~before], flat[before & ~act])
        return self.update(change, count)


def histogram_update(
    counts: np.ndarray,
    hist: np.ndarray,
    added: np.ndarray,
    added_p: np.ndarray,
    removed: np.ndarray,
    removed_p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slide an event histogram; return exactly the cells whose counts or activity changed.

    Args:
        counts: ``[S]`` int64 events per cell (updated).
        hist: ``[S, 2]`` float32 OFF and ON counts per cell (updated).
        added: ``[a]`` int64 flat cells of the events entering the window.
        added_p: ``[a]`` int16 their polarities (0 OFF, 1 ON).
        removed: ``[r]`` int64 flat cells of the events leaving the window.
        removed_p: ``[r]`` int16 their polarities.

    Returns:
        (cells ``[m]`` sorted, new values ``[m, 2]`` float32, new activity ``[m]`` bool).
    """
    cells = np.unique(np.concatenate((added, removed)))
    before, was_active = hist[cells].copy(), counts[cells] > 0
    np.add.at(hist, (added, added_p), 1.0)
    np.add.at(hist, (removed, removed_p), -1.0)
    np.add.at(counts, added, 1)
    np.add.at(counts, removed, -1)
    now, active = hist[cells], counts[cells] > 0
    changed = np.any(now != before, axis=1) | (active != was_active)
    return cells[changed], now[changed], active[changed]


def event_queue_update(
    counts: np.ndarray,
    qmap: np.ndarray,
    queue_t: np.ndarray,
    queue_p: np.ndarray,
    added: np.ndarray,
    added_t: np.ndarray,
    added_p: np.ndarray,
    removed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slide an event queue (the ``k`` newest events per cell); return exactly the changed cells.

    A touched cell's new queue is the newest ``min(count, k)`` of its entering events (newest
    first) followed by its old queue: the leaving events are the cell's oldest, so they are never
    among them.

    Args:
        counts: ``[S]`` int64 events per cell (updated).
        qmap: ``[S, 2k]`` float32 normalised ages then polarities per cell (updated).
        queue_t: ``[S, k]`` int64 per cell its newest timestamps in µs, newest first (updated).
        queue_p: ``[S, k]`` int16 their polarities (updated).
        added: ``[a]`` int64 flat cells of the entering events, in time order.
        added_t: ``[a]`` int64 their timestamps in µs.
        added_p: ``[a]`` int16 their polarities (0 OFF, 1 ON).
        removed: ``[r]`` int64 flat cells of the leaving events.

    Returns:
        (cells ``[m]`` sorted, new values ``[m, 2k]`` float32, new activity ``[m]`` bool).
    """
    k = queue_t.shape[1]
    cells = np.unique(np.concatenate((added, removed)))
    before, was_active = qmap[cells].copy(), counts[cells] > 0
    old_n = np.minimum(counts[cells], k)
    np.add.at(counts, added, 1)
    np.add.at(counts, removed, -1)
    new_n = np.minimum(counts[cells], k)
    qt, qp = _merge_queues(cells, old_n, new_n, queue_t, queue_p, (added, added_t, added_p))
    queue_t[cells], queue_p[cells] = qt, qp
    values = _queue_rows(qt, qp, new_n)
    qmap[cells] = values
    active = counts[cells] > 0
    changed = np.any(values != before, axis=1) | (active != was_active)
    return cells[changed], values[changed], active[changed]


def _merge_queues(
    cells: np.ndarray,
    old_n: np.ndarray,
    new_n: np.ndarray,
    queue_t: np.ndarray,
    queue_p: np.ndarray,
    added: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """New ``[G, k]`` queues of the touched cells: entering events, then the old queues."""
    k = queue_t.shape[1]
    flat, t_new, p_new = added
    g_old, slot = np.nonzero(np.arange(k)[None, :] < old_n[:, None])  # filled old slots
    group = np.concatenate((np.searchsorted(cells, flat), g_old))
    key = np.concatenate((-np.arange(1, len(flat) + 1), slot))  # newest first within a cell
    t = np.concatenate((t_new, queue_t[cells[g_old], slot]))
    p = np.concatenate((p_new, queue_p[cells[g_old], slot]))
    order = np.lexsort((key, group))
    group, t, p = group[order], t[order], p[order]
    rank = np.arange(len(group)) - np.searchsorted(group, group)  # 0 = newest of its cell
    keep = rank < new_n[group]
    qt = np.zeros((len(cells), k), dtype=np.int64)
    qp = np.zeros((len(cells), k), dtype=np.int16)
    qt[group[keep], rank[keep]] = t[keep]
    qp[group[keep], rank[keep]] = p[keep]
    return qt, qp


def _queue_rows(qt: np.ndarray, qp: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Map rows ``[G, 2k]`` from queues: ages over the oldest kept age, then polarities +-1."""
    k = qt.shape[1]
    filled = np.arange(k)[None, :] < n[:, None]  # [G, k]
    oldest = qt[np.arange(len(qt)), np.maximum(n - 1, 0)]
    scale = np.maximum(qt[:, 0] - oldest, 1)  # int64 [G]
    rows = np.zeros((len(qt), 2 * k), dtype=np.float32)
    rows[:, :k] = np.where(filled, (qt[:, :1] - qt) / scale[:, None], 0.0)
    rows[:, k:] = np.where(filled, 2.0 * qp - 1.0, 0.0)
    return rows
