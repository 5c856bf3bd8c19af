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

"""A dense VGG behind the engine's interface: the baseline a dense CNN gives on an event stream.

:class:`DenseEngine` keeps the dense input map ``[H, W, C]``, writes each site update into it and
runs the :class:`~asynet_core.models.DenseVGG` on the whole map, so every update costs one dense
forward pass, whatever changed. It answers the calls :class:`~asynet_core.stream.EventStream` and
the pipeline make on an :class:`~asynet_core.engine.AsyncEngine` (``update``, ``output``,
``resync``, ``reset``, ``from_model``, ``net``)::

    engine = DenseEngine.from_model(dense_model)
    out = engine.update(sites, values)  # sites [N, 2] (row, col); values [N, C], new vectors

Its output is ``model(x)`` on the map ``x`` laid out as training feeds a dense backbone
(``[1, C, H, W]``, the representation's values unchanged), bit for bit. Site activity plays no
part: a dense network sees the map's values, and ``active`` is only checked for its shape.
:class:`DenseUpdater` takes the place of the :class:`~asynet_core.adaptive.AdaptiveUpdater`: there
is no way to choose, each update is ``'dense'``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from asynet_core.errors import ConfigError, ShapeError
from asynet_core.models.dense_vgg import DenseVGG

__all__ = ['DENSE_MODE', 'DenseEngine', 'DenseUpdater']

#: The mode name of a dense update (what :attr:`DenseUpdater.last_mode` says).
DENSE_MODE = 'dense'

_DTYPES = (torch.float32, torch.float64)


def _as_numpy(array: Any) -> np.ndarray:
    """A numpy view of a CPU tensor, or ``np.asarray`` of anything else."""
    if torch.is_tensor(array):
        return array.detach().cpu().numpy()
    return np.asarray(array)


class DenseEngine:
    """One event stream through a :class:`DenseVGG`: the dense input map and its last output.

    Args:
        net: the dense network, in eval mode (not modified; its parameters set the dtype and
            device of the map).

    Attributes:
        net: the network; ``net.config`` is its :class:`ModelConfig`.
        updates: site updates applied since the last :meth:`reset`.
        resyncs: forward passes run by :meth:`resync` (every update runs one).
    """

    def __init__(self, net: DenseVGG) -> None:
        if not isinstance(net, DenseVGG):
            raise ConfigError(f'the dense engine needs a DenseVGG, got {type(net).__name__}')
        self.net = net
        weight = next(net.parameters())
        h, w = self.net.config.input_size
        c = self.net.config.in_channels
        self._map = torch.zeros(h, w, c, dtype=weight.dtype, device=weight.device)  # [H, W, C]
        self._out: torch.Tensor | None = None
        self.updates = 0
        self.resyncs = 0

    @classmethod
    def from_model(
        cls,
        model: nn.Module,
        dtype: torch.dtype = torch.float32,
        resync_every: int | None = None,
        track_stats: bool = False,
    ) -> DenseEngine:
        """An empty stream through ``model`` (a trained DenseVGG) computing in ``dtype``.

        ``model`` itself is used when it already has ``dtype``, else a converted copy.
        ``resync_every`` and ``track_stats`` are accepted for :meth:`AsyncEngine.from_model`'s
        signature and unused: every update is an exact recompute, and there are no per-layer
        stats.
        """
        del resync_every, track_stats  # see the docstring
        if dtype not in _DTYPES:
            raise ConfigError(f'dtype must be torch.float32 or torch.float64, got {dtype}')
        if not isinstance(model, DenseVGG):
            raise ConfigError(f'the dense engine needs a DenseVGG, got {type(model).__name__}')
        if next(model.parameters()).dtype != dtype:
            model = copy.deepcopy(model).to(dtype)
        return cls(model.eval())

    @property
    def dtype(self) -> torch.dtype:
        """The computation dtype."""
        return self._map.dtype

    @property
    def stats(self) -> list[Any]:
        """Per-layer work (always empty: a dense forward has no per-site work to count)."""
        return []

    def current_map(self) -> torch.Tensor:
        """The dense input map ``[H, W, C]`` (a copy)."""
        return self._map.clone()

    def reset(self) -> None:
        """Start a new stream: an all-zero map."""
        self._map.zero_()
        self._out = None
        self.updates = 0
        self.resyncs = 0

    def update(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """Write changed input sites into the map and run the network on all of it.

        Args:
            sites: ``[N, 2]`` integer (row, col) of the changed sites, unique.
            values: ``[N, C]`` their new full input vectors.
            active: optional ``[N]`` bool activity (checked, unused: see the module docstring).

        Returns:
            The output: logits ``[1, K]`` or the YOLO map ``[1, Hg, Wg, C]``.

        Raises:
            ShapeError: badly shaped, out-of-range or repeated sites, or bad values.
        """
        rows, cols, vals = self._check(sites, values, active)
        self._map[rows, cols] = vals
        self.updates += 1
        return self.resync()

    def recompute(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """The same as :meth:`update` (each update already is a full recompute)."""
        return self.update(sites, values, active)

    def resync(self) -> torch.Tensor:
        """Run the network on the current map; return its output.

        On torch's current threads, as the trainer runs it: torch's float sums can differ in
        the last bit between thread counts (seen on the ``ncars`` classifier), so pinning one
        thread here would break the equality with ``model(x)``. The front ends set one torch
        thread process-wide anyway.
        """
        x = self._map.permute(2, 0, 1).unsqueeze(0).contiguous()  # [1, C, H, W]
        with torch.no_grad():
            out: torch.Tensor = self.net(x)
        self.resyncs += 1
        self._out = out
        return out.clone()

    def output(self) -> torch.Tensor:
        """The output for the current map, without any update."""
        if self._out is None:
            return self.resync()
        return self._out.clone()

    def empty_output(self) -> torch.Tensor:
        """The output of an all-zero map."""
        x = torch.zeros_like(self._map).permute(2, 0, 1).unsqueeze(0)  # [1, C, H, W]
        with torch.no_grad():
            out: torch.Tensor = self.net(x)
        return out

    def _check(
        self, sites: Any, values: Any, active: Any
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Validate an update; return rows ``[N]``, cols ``[N]`` and values ``[N, C]``."""
        h, w = self.net.config.input_size
        c = self.net.config.in_channels
        s = _as_numpy(sites)
        if s.ndim != 2 or s.shape[1] != 2 or s.dtype.kind not in 'iu':
            raise ShapeError(
                f'sites must be an integer array [N, 2] of (row, col), got '
                f'{s.dtype} {tuple(s.shape)}'
            )
        s = s.astype(np.int64, copy=False)
        v = _as_numpy(values)
        if v.ndim != 2 or v.shape != (s.shape[0], c):
            raise ShapeError(
                f'values must be [N={s.shape[0]}, C={c}] (the model expects {c} input '
                f'channels), got {tuple(v.shape)}'
            )
        bad = (s[:, 0] < 0) | (s[:, 0] >= h) | (s[:, 1] < 0) | (s[:, 1] >= w)
        if bad.any():
            r, col = (int(i) for i in s[bad][0])
            raise ShapeError(f'site (row={r}, col={col}) is outside the {h}x{w} model input')
        if len(s) > 1 and np.unique(s[:, 0] * w + s[:, 1]).size != len(s):
            raise ShapeError('sites must be unique within one update')
        if active is not None:
            a = _as_numpy(active)
            if a.dtype != np.bool_ or a.shape != (s.shape[0],):
                raise ShapeError(
                    f'active must be a bool array [N={s.shape[0]}], got {a.dtype} {tuple(a.shape)}'
                )
        rows = torch.from_numpy(np.ascontiguousarray(s[:, 0])).to(self._map.device)
        cols = torch.from_numpy(np.ascontiguousarray(s[:, 1])).to(self._map.device)
        return rows, cols, torch.tensor(v, dtype=self.dtype, device=self._map.device)


class DenseUpdater:
    """The updater of a :class:`DenseEngine`: every update goes the one way, ``'dense'``.

    Stands where an :class:`~asynet_core.adaptive.AdaptiveUpdater` stands for the asynchronous
    engine (the ``updater`` of an :class:`~asynet_core.stream.EventStream`).

    Args:
        engine: the stream's engine.

    Attributes:
        mode: ``'dense'``.
        counts: updates done (``{'dense': n}``).
        last_mode: the way the last update went (``'dense'``).
    """

    def __init__(self, engine: DenseEngine) -> None:
        self.engine = engine
        self.mode = DENSE_MODE
        self.counts = {DENSE_MODE: 0}
        self.last_mode = DENSE_MODE

    def update(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """Apply the update by a dense forward pass; return the output."""
        out = self.engine.update(sites, values, active)
        self.counts[DENSE_MODE] += 1
        return out
