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

"""Per-stream state of the asynchronous engine and the change records passed between its layers.

Layers hold weights only; everything that depends on the event stream lives in these objects, which
the engine creates with ``init_state()`` and clears with :meth:`AsyncState.reset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = [
    'ACC_DTYPE',
    'AsyncState',
    'ConvState',
    'HeadState',
    'LayerStats',
    'LevelChange',
    'MapState',
]

#: dtype of the incremental accumulators (raw conv outputs ``y``, the head's ``acc``) whatever the
#: engine's dtype: a float32 accumulator rounds to its own magnitude at every difference added, so
#: its error grows with the number of updates; in float64 only the float32 products' rounding is
#: left (see README, "Exactness").
ACC_DTYPE = torch.float64


@dataclass
class MapState:
    """A dense site map ``[S + 1, C]`` (sentinel row ``S``) and its activity ``[S + 1]``."""

    values: torch.Tensor
    active: torch.Tensor

    @classmethod
    def zeros(
        cls, sites: int, channels: int, dtype: torch.dtype, device: torch.device
    ) -> MapState:
        """All-zero, all-inactive map."""
        values = torch.zeros(sites + 1, channels, dtype=dtype, device=device)
        return cls(values, torch.zeros(sites + 1, dtype=torch.bool, device=device))

    def reset(self) -> None:
        """Back to all-zero, all-inactive."""
        self.values.zero_()
        self.active.zero_()


@dataclass
class ConvState:
    """State of a conv + BN + ReLU layer: raw outputs ``y``, post-activation map ``out``.

    ``y`` is :data:`ACC_DTYPE`, ``out`` the engine's dtype.

    For a submanifold conv ``out.active`` is the input level's activity tensor itself (shared, not
    copied).
    """

    y: torch.Tensor
    out: MapState

    def reset(self) -> None:
        """Back to zero; a shared activity tensor is reset by its owner too (idempotent)."""
        self.y.zero_()
        self.out.reset()


@dataclass
class HeadState:
    """Accumulated linear layer output (``linear_1`` for detection, ``fc`` for classification).

    ``acc`` is :data:`ACC_DTYPE`; ``bias`` the engine's dtype.
    """

    acc: torch.Tensor
    bias: torch.Tensor

    def reset(self) -> None:
        """Back to the bias (the output of an all-zero input)."""
        self.acc.copy_(self.bias)


@dataclass
class LevelChange:
    """What changed in one map during an update; the input of the next layer.

    Attributes:
        sites: ``[n]`` sites whose value vector changed.
        delta: ``[n, C]`` new minus old value at ``sites``.
        current: the map after the update (a view of the producing layer's state).
        born: ``[b]`` sites that switched on.
        died: ``[d]`` sites that switched off.
    """

    sites: torch.Tensor
    delta: torch.Tensor
    current: MapState
    born: torch.Tensor
    died: torch.Tensor

    def parts(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(sites, delta, born, died), the change as the kernels take it."""
        return (self.sites, self.delta, self.born, self.died)


@dataclass(frozen=True)
class LayerStats:
    """Work of one layer in one update, for FLOPs counting.

    Attributes:
        name: layer name in the training model.
        kind: ``conv`` (incl. the strided head conv), ``pool`` or ``linear``.
        c_in: input channels (linear: input features).
        c_out: output channels (linear: output features).
        rules: conv: applied (input, output, tap) rules into active outputs; linear: changed input
            features.
        delta_rules: the part of ``rules`` applied to input differences (they cost one extra
            subtraction).
        sites: output sites whose BN + ReLU (conv) or max (pool) was recomputed.
    """

    name: str
    kind: str
    c_in: int
    c_out: int
    rules: int
    delta_rules: int
    sites: int


@dataclass
class AsyncState:
    """Everything an asynchronous network remembers about one event stream."""

    input: MapState  # noqa: A003 (the trunk's input, as the paper names it)
    layers: list[Any]  # per layer: ConvState, MapState (pool) or HeadState (last)
    updates: int = 0
    stats: list[LayerStats] | None = field(default=None)
    #: The runner bound to these tensors (they are only ever updated in place), keyed by the
    #: backend and the layer kernels it runs.
    runners: dict[tuple[object, ...], Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget the stream: all maps zero and inactive, head back to its bias, counters zero."""
        self.input.reset()
        for layer in self.layers:
            layer.reset()
        self.updates = 0
        if self.stats is not None:
            self.stats.clear()
