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

"""Shared fixtures: a seeded random generator and a synthetic event factory."""

from __future__ import annotations

from collections.abc import Callable
import logging

import numpy as np
import pytest

from asynet_core.events import make_events, SensorSize

SEED = 20200823  # ECCV 2020

#: ``factory(rng, sensor, n, *, t0_us=0, max_dt_us=100)`` -> events.
EventFactory = Callable[..., np.ndarray]


def synthetic_events(
    rng: np.random.Generator,
    sensor: SensorSize,
    n: int,
    *,
    t0_us: int = 0,
    max_dt_us: int = 100,
) -> np.ndarray:
    """``n`` random events inside ``sensor``: uniform x, y and p, times from ``t0_us`` on.

    Consecutive times differ by a uniform integer in ``[0, max_dt_us]``, so equal timestamps occur
    (always with ``max_dt_us=0``).
    """
    x = rng.integers(0, sensor.width, n)
    y = rng.integers(0, sensor.height, n)
    t_us = t0_us + np.cumsum(rng.integers(0, max_dt_us + 1, n))
    p = rng.integers(0, 2, n)
    return make_events(x, y, t_us, p)


@pytest.fixture(autouse=True, scope='session')
def _package_loggers_propagate() -> None:
    """Let the package's loggers reach pytest's handlers (caplog) as they do outside pytest.

    launch_testing's pytest plugin imports ``launch``, which makes every logger created after it
    (ours, at collection) a ``LaunchLogger`` that does not propagate.
    """
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and name.split('.')[0] in _OUR_PACKAGES:
            logger.propagate = True


_OUR_PACKAGES = {
    'asynet_core',
    'asynet_ros',
    'asynet_benchmarks',
    'asynet_training',
    'asynet_tools',
}


@pytest.fixture
def rng() -> np.random.Generator:
    """A new generator with the suite's fixed seed."""
    return np.random.default_rng(SEED)


@pytest.fixture(scope='session')
def event_factory() -> EventFactory:
    """:func:`synthetic_events` (session-scoped, so hypothesis tests may use it)."""
    return synthetic_events
