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

"""Choose, per update, the asynchronous update or a full recompute, from a FLOPs cost model.

An asynchronous update costs about what the changed sites reach through the network; a full
recompute costs a dense forward pass, whatever changed. When a burst changes a large share of the
input, the recompute is cheaper, and it bounds the cost of any single update. The cost model
predicts both in seconds as ``seconds_per_flop * flops``:

* recompute: the ``batch_dense`` FLOPs of the network, its seconds per FLOP measured at start by
  timing recomputes of the empty state;
* asynchronous: the ``async_dense`` FLOPs of the changed sites (the 3x3 dilation of the changed
  sites at every layer, an upper bound that ignores sparsity), its seconds per FLOP learned as an
  exponential average of the measured updates, separately for each power-of-two bucket of the
  number of changed sites (sparsity makes the true cost per counted FLOP depend on it).

The first update each way is not learned from (it builds caches). Below a full recompute's
FLOPs, the cheap bound ``n_changed * flops_of_one_site`` stands in for the mask count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch

from asynet_core.engine.engine import AsyncEngine
from asynet_core.errors import ConfigError
from asynet_core.flops import dense_flops

__all__ = ['UPDATE_MODES', 'AdaptiveUpdater', 'UpdateMode']

UpdateMode = Literal['async', 'recompute', 'adaptive']
UPDATE_MODES: tuple[str, ...] = ('async', 'recompute', 'adaptive')


class AdaptiveUpdater:
    """Applies input updates to an :class:`AsyncEngine` in the cheaper of two exact ways.

    Args:
        engine: the stream's engine.
        mode: ``adaptive`` (choose per update), ``async`` or ``recompute`` (always that way).
        smoothing: weight of the newest measurement in the learned seconds per FLOP.
        clock: monotonic clock in seconds (injectable for tests).
        calibrate: time the recompute at start (``adaptive`` only); without it both ways start
            at the same seconds per FLOP, so the choice is by FLOPs alone until measured.

    Attributes:
        counts: updates done each way.
        last_mode: the way the last update went.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        mode: str = 'adaptive',
        *,
        smoothing: float = 0.1,
        clock: Callable[[], float] = time.perf_counter,
        calibrate: bool = True,
    ) -> None:
        if mode not in UPDATE_MODES:
            raise ConfigError(f'unknown update mode {mode!r}; valid choices: {list(UPDATE_MODES)}')
        if not 0.0 < smoothing <= 1.0:
            raise ConfigError(f'smoothing must be in (0, 1], got {smoothing}')
        self.engine = engine
        self.mode = mode
        self.smoothing = smoothing
        self.clock = clock
        h, w = engine.net.config.input_size
        self._size = (h, w)
        self.full_flops = dense_flops(engine.net)
        centre = torch.zeros(h, w, dtype=torch.bool)
        centre[h // 2, w // 2] = True
        self.site_flops = dense_flops(engine.net, centre)  # the most one changed site can reach
        self.seconds_per_flop: dict[str, float | None] = {'async': None, 'recompute': None}
        self._async_rates: dict[int, float] = {}  # seconds per FLOP by bucket of changed sites
        self._warm = {'async': False, 'recompute': False}
        self.counts = {'async': 0, 'recompute': 0}
        self.last_mode = 'async'
        if mode == 'adaptive' and calibrate:
            self._calibrate()

    def _calibrate(self) -> None:
        """Time two recomputes of the empty state (the first warms caches up)."""
        for _ in range(2):
            start = self.clock()
            self.engine.resync()
            elapsed = self.clock() - start
        self.engine.reset()
        self.seconds_per_flop['recompute'] = elapsed / self.full_flops

    def async_flops(self, sites: np.ndarray) -> int:
        """FLOPs model of an asynchronous update of ``sites`` ``[N, 2]``.

        ``N * flops_of_one_site`` while that is below a full recompute (cheap, no mask), else the
        ``async_dense`` count of the changed-site mask (overlapping reaches counted once).
        """
        bound = len(sites) * self.site_flops
        if bound <= self.full_flops:
            return bound
        mask = torch.zeros(self._size, dtype=torch.bool)
        index = torch.from_numpy(np.asarray(sites, dtype=np.int64))
        mask[index[:, 0], index[:, 1]] = True
        return dense_flops(self.engine.net, mask)

    def predict(self, sites: np.ndarray) -> dict[str, float]:
        """Predicted seconds of updating ``sites`` ``[N, 2]`` each way."""
        recompute_rate = self.seconds_per_flop['recompute'] or 1.0
        async_rate = self._async_rate(len(sites)) or recompute_rate
        return {
            'async': async_rate * self.async_flops(sites),
            'recompute': recompute_rate * self.full_flops,
        }

    def choose(self, sites: np.ndarray) -> str:
        """The way the next update of ``sites`` goes."""
        if self.mode != 'adaptive':
            return self.mode
        cost = self.predict(sites)
        return 'async' if cost['async'] <= cost['recompute'] else 'recompute'

    def update(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """Apply the update the chosen way; learn from its duration; return the output."""
        sites_np = np.asarray(sites)
        way = self.choose(sites_np)
        start = self.clock()
        if way == 'async':
            out = self.engine.update(sites_np, values, active)
        else:
            out = self.engine.recompute(sites_np, values, active)
        elapsed = self.clock() - start
        self._learn(way, sites_np, elapsed)
        self.counts[way] += 1
        self.last_mode = way
        return out

    def _async_rate(self, n: int) -> float | None:
        """Learned seconds per FLOP of the nearest bucket to ``n`` changed sites."""
        if not self._async_rates:
            return None
        bucket = _bucket(n)
        nearest = min(self._async_rates, key=lambda b: (abs(b - bucket), b))
        return self._async_rates[nearest]

    def _learn(self, way: str, sites: np.ndarray, elapsed: float) -> None:
        if self.mode != 'adaptive' or len(sites) == 0:
            return
        if not self._warm[way]:
            self._warm[way] = True
            return
        flops = self.full_flops if way == 'recompute' else self.async_flops(sites)
        rate = elapsed / max(flops, 1)
        if way == 'async':
            bucket = _bucket(len(sites))
            old_rate = self._async_rates.get(bucket)
            self._async_rates[bucket] = _smooth(old_rate, rate, self.smoothing)
        self.seconds_per_flop[way] = _smooth(self.seconds_per_flop[way], rate, self.smoothing)


def _bucket(n: int) -> int:
    return int(n).bit_length()


def _smooth(old: float | None, new: float, weight: float) -> float:
    return new if old is None else old + weight * (new - old)
