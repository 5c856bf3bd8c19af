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

"""The adaptive update: a full recompute gives the asynchronous answer; the cost model chooses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from asynet_core.adaptive import AdaptiveUpdater
from asynet_core.engine.engine import AsyncEngine
from asynet_core.errors import ConfigError, ShapeError
from asynet_core.flops import dense_flops
from model_factory import make_model, random_updates

ARCH = 'small_det'


def _engine(dtype: torch.dtype = torch.float64) -> AsyncEngine:
    return AsyncEngine.from_model(make_model(ARCH, dtype, num_classes=2), dtype)


@pytest.mark.parametrize('way', ['async', 'recompute', 'adaptive'])
def test_every_mode_gives_the_asynchronous_output(way: str) -> None:
    reference, engine = _engine(), _engine()
    updater = AdaptiveUpdater(engine, way)
    size = reference.net.config.input_size
    for sites, values, _ in random_updates(size, 2, steps=8, seed=3, dtype=torch.float64):
        want = reference.update(sites, values)
        got = updater.update(sites, values)
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)
    assert sum(updater.counts.values()) == 8
    if way != 'adaptive':
        assert updater.counts[way] == 8


def test_recompute_then_async_updates_stay_exact() -> None:
    """After a recompute the deeper layers are rebuilt, so later async updates are exact."""
    reference, engine = _engine(), _engine()
    size = reference.net.config.input_size
    for step, (sites, values, _) in enumerate(
        random_updates(size, 2, steps=10, seed=5, dtype=torch.float64)
    ):
        want = reference.update(sites, values)
        got = engine.recompute(sites, values) if step % 3 == 0 else engine.update(sites, values)
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


def test_recompute_validates_like_update() -> None:
    engine = _engine()
    with pytest.raises(ShapeError, match='outside the 120x152 model input'):
        engine.recompute(np.array([[500, 0]]), np.ones((1, 2)))


class _Clock:

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_adaptive_choice_follows_the_cost_model() -> None:
    engine = _engine(torch.float32)
    updater = AdaptiveUpdater(engine, 'adaptive', calibrate=False, clock=_Clock())
    h, w = engine.net.config.input_size
    one = np.array([[h // 2, w // 2]])
    everything = np.stack(np.meshgrid(np.arange(h), np.arange(w), indexing='ij'), -1).reshape(
        -1, 2
    )
    # changing every site reaches every site: the FLOPs of a full recompute
    assert updater.async_flops(one) == updater.site_flops < updater.full_flops
    assert updater.async_flops(everything) == updater.full_flops
    # dense recompute twice as fast per FLOP: one site goes async, everything recomputes
    updater.seconds_per_flop['recompute'] = 1e-12
    updater._async_rates = {1: 2e-12}
    assert updater.choose(one) == 'async'
    assert updater.choose(everything) == 'recompute'
    # a measured asynchronous path 1000x slower per FLOP flips small updates to recompute
    updater._async_rates = {1: 1e-9}
    assert updater.choose(one) == 'recompute'


def test_adaptive_learns_rates_after_the_warm_up_update() -> None:
    clock = _Clock()
    engine = _engine(torch.float32)
    updater = AdaptiveUpdater(engine, 'adaptive', calibrate=False, clock=clock, smoothing=1.0)
    h, w = engine.net.config.input_size
    sites, values = np.array([[h // 2, w // 2]]), np.ones((1, 2), np.float32)
    original = engine.update

    def slow_update(*args: object) -> torch.Tensor:
        clock.now += 0.5
        return original(*args)  # type: ignore[arg-type]

    engine.update = slow_update  # type: ignore[method-assign]
    updater.update(sites, values)
    assert updater.seconds_per_flop['async'] is None  # the first one warms caches up
    updater.update(sites, 2 * values)
    assert updater.seconds_per_flop['async'] == pytest.approx(0.5 / updater.site_flops)


def test_full_recompute_flops_are_the_batch_dense_count() -> None:
    engine = _engine(torch.float32)
    h, w = engine.net.config.input_size
    assert dense_flops(engine.net) == dense_flops(engine.net, torch.ones(h, w, dtype=torch.bool))


def test_bad_arguments() -> None:
    engine = _engine(torch.float32)
    with pytest.raises(ConfigError, match="unknown update mode 'fast'"):
        AdaptiveUpdater(engine, 'fast')
    with pytest.raises(ConfigError, match='smoothing must be in'):
        AdaptiveUpdater(engine, 'async', smoothing=0.0)


def test_one_stall_does_not_lock_the_choice_on_recompute() -> None:
    clock = _Clock()
    engine = _engine(torch.float32)
    updater = AdaptiveUpdater(engine, 'adaptive', calibrate=False, clock=clock, smoothing=0.5)
    cost = {'update': 0.001, 'recompute': 0.010}  # async is 10x cheaper here
    for name in cost:
        original = getattr(engine, name)

        def timed(*args: object, _f: object = original, _name: str = name) -> torch.Tensor:
            clock.now += cost[_name]
            return _f(*args)  # type: ignore[operator,no-any-return]

        setattr(engine, name, timed)
    h, w = engine.net.config.input_size
    sites, values = np.array([[h // 2, w // 2]]), np.ones((1, 2), np.float32)
    updater.seconds_per_flop['recompute'] = 0.010 / updater.full_flops
    updater._warm['recompute'] = True
    for i in range(5):
        updater.update(sites, values * (i + 1))
    assert updater.last_mode == 'async'
    cost['update'] = 0.5  # one stall
    updater.update(sites, values * 7)
    cost['update'] = 0.001
    modes = []
    for i in range(300):
        updater.update(sites, values * (i + 8))
        modes.append(updater.last_mode)
    assert modes[-50:].count('async') >= 45
