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
* asynchronous: ``n_changed`` times the ``async_dense`` FLOPs of one changed site (what its
  3x3 dilations reach through the layers, ignoring sparsity), capped at a full recompute; its
  seconds per FLOP learned as an exponential average of the measured updates, separately for
  each power-of-two bucket of ``n_changed`` (sparsity and overlapping reaches make the true cost
  per counted FLOP depend on it).

The first update each way is not learned from (it builds caches), nor an asynchronous update
that ran the engine's scheduled resync; a measurement counts for at most 4x the current
estimate, and after 64 recomputes in a row one asynchronous update re-measures, so one stall
cannot lock the choice.
"""

from __future__ import annotations

from collections.abc import Callable
import time
from typing import Any

import numpy as np
import torch

from asynet_core.engine.engine import AsyncEngine
from asynet_core.errors import ConfigError
from asynet_core.flops import dense_flops
from asynet_core.modes import UPDATE_MODES, UpdateMode

__all__ = ['UPDATE_MODES', 'AdaptiveUpdater', 'UpdateMode']

#: After this many recomputes in a row, one asynchronous update re-measures its cost.
EXPLORE_EVERY = 64
#: A measurement counts for at most this many times the current estimate.
OUTLIER_FACTOR = 4.0


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
        self._streak = 0  # recomputes in a row
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
        """The FLOPs model of an asynchronous update of ``sites`` ``[N, 2]``.

        ``min(N * flops_of_one_site, batch_dense)``: each changed site reaches at most what the
        centre site reaches, and no update recomputes more than every site. It ignores overlaps
        between the reaches of neighbouring sites; the seconds per FLOP learned per bucket of
        ``N`` absorbs that (a mask-exact ``async_dense`` count cost 2-3 ms per update, as much
        as a small update itself).
        """
        return min(len(sites) * self.site_flops, self.full_flops)

    def predict(self, sites: np.ndarray, flops: int | None = None) -> dict[str, float]:
        """Predicted seconds of updating ``sites`` ``[N, 2]`` each way.

        ``flops``: :meth:`async_flops` of ``sites`` when already known.
        """
        recompute_rate = self.seconds_per_flop['recompute'] or 1.0
        async_rate = self._async_rate(len(sites)) or recompute_rate
        flops = self.async_flops(sites) if flops is None else flops
        return {'async': async_rate * flops, 'recompute': recompute_rate * self.full_flops}

    def choose(self, sites: np.ndarray, flops: int | None = None) -> str:
        """The way the next update of ``sites`` goes."""
        if self.mode != 'adaptive':
            return self.mode
        cost = self.predict(sites, flops)
        return 'async' if cost['async'] <= cost['recompute'] else 'recompute'

    def update(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """Apply the update the chosen way; learn from its duration; return the output."""
        sites_np = np.asarray(sites)
        flops = self.async_flops(sites_np) if self.mode == 'adaptive' else 0
        way = self.choose(sites_np, flops)
        if way == 'recompute' and self.mode == 'adaptive':
            self._streak += 1
            if self._streak >= EXPLORE_EVERY:  # re-measure the other way now and then
                way, self._streak = 'async', 0
        resyncs, start = self.engine.resyncs, self.clock()
        if way == 'async':
            out = self.engine.update(sites_np, values, active)
        else:
            out = self.engine.recompute(sites_np, values, active)
        elapsed = self.clock() - start
        if way == 'recompute' or self.engine.resyncs == resyncs:  # a scheduled resync: no sample
            self._learn(way, len(sites_np), flops, elapsed)
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

    def _learn(self, way: str, n_sites: int, async_flops: int, elapsed: float) -> None:
        if self.mode != 'adaptive' or n_sites == 0:
            return
        if not self._warm[way]:
            self._warm[way] = True
            return
        flops = self.full_flops if way == 'recompute' else async_flops
        rate = elapsed / max(flops, 1)
        if way == 'async':
            bucket = _bucket(n_sites)
            old_rate = self._async_rates.get(bucket)
            self._async_rates[bucket] = _smooth(old_rate, rate, self.smoothing)
        self.seconds_per_flop[way] = _smooth(self.seconds_per_flop[way], rate, self.smoothing)


def _bucket(n: int) -> int:
    return int(n).bit_length()


def _smooth(old: float | None, new: float, weight: float) -> float:
    if old is None:
        return new
    new = min(new, OUTLIER_FACTOR * old)  # one stall (GC, preemption) must not stick
    return old + weight * (new - old)
