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

"""Shared fixtures: a seeded random generator, a synthetic event factory, and the skip rules.

The test tree mirrors the sources (``test/<package>/test_<module>.py``; ``test/system/`` and
``test/lint/`` apart; helper modules in ``test/helpers/``), collected in importlib mode
(``pyproject.toml``), so basenames may repeat; :func:`pytest_pycollect_makemodule` keeps
launch_testing's plugin to the launch tests.

What a checkout may lack is a fixture that skips with the reason (naming the missing path or
package): ``../shared/data`` (:func:`shared_data`, :func:`real_data`, :func:`real_bag`,
:func:`read_bag`), the compiled extension (:func:`cpp_ext`; under ``ASYNET_REQUIRE_CPP=1`` it
fails instead), rosbags (:func:`rosbag2`, :func:`rosbags_typesys`) and real ROS 2
(:func:`ros2`).
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from asynet_core.events import make_events, SensorSize
from checkout import require_cpp_ext, SHARED_DATA
from ros_helpers import rclpy_missing

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


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Module | None:
    """Collect a test module as pytest does, except a launch test: launch_testing collects that.

    launch_testing's pytest plugin imports every test module to look for
    ``generate_test_description``, under its basename and in prepend mode: two modules of the same
    basename (``test/asynet_core/test_events.py`` and ``test/asynet_tools/test_events.py``) would
    collide there. Only the launch tests (their basenames are unique) are left to the plugin.
    """
    if 'def generate_test_description' in module_path.read_text(encoding='utf-8'):
        return None
    return pytest.Module.from_parent(parent, path=module_path)


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


# -- what a checkout may lack ---------------------------------------------------------------------


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """``../shared/data`` beside the repository (the real recordings); skips where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f'real data {SHARED_DATA} absent (../shared/data not checked out beside the repo)'
        )
    return SHARED_DATA


@pytest.fixture(scope='session')
def real_data(shared_data: Path) -> Callable[[str], Path]:
    """Give the path of ``../shared/data/<name>``; a missing one skips the test, naming it.

    A factory: ``real_data('ncars_sample.dat')``.
    """

    def get(name: str) -> Path:
        path = shared_data / name
        if not path.exists():
            pytest.skip(
                f'real data {path} absent (../shared/data not checked out beside the repo)'
            )
        return path

    return get


@pytest.fixture(scope='session')
def real_bag(shared_data: Path) -> Callable[[str], Path]:
    """Give the bag directory ``../shared/data/bags/<name>``; a missing one skips, naming it.

    A factory: ``real_bag('metavision_evt3')``.
    """

    def get(name: str) -> Path:
        bag = shared_data / 'bags' / name
        if not bag.is_dir():
            pytest.skip(f'real bag {bag} absent (../shared/data not checked out)')
        return bag

    return get


@pytest.fixture(scope='session')
def cpp_ext() -> ModuleType:
    """``asynet_core_cpp._ext``; skips where it is not built (fails: ``ASYNET_REQUIRE_CPP=1``)."""
    return require_cpp_ext()


@pytest.fixture(scope='session')
def rosbag2() -> ModuleType:
    """``rosbags.rosbag2`` (bag reader and writer); skips where rosbags is not installed."""
    return pytest.importorskip('rosbags.rosbag2', reason='rosbags not installed')


@pytest.fixture(scope='session')
def rosbags_typesys() -> ModuleType:
    """``rosbags.typesys`` (message definitions, CDR); skips where rosbags is not installed."""
    return pytest.importorskip('rosbags.typesys', reason='rosbags not installed')


#: The upstream definition of event_camera_msgs/EventPacket (and event_array_msgs/EventArray).
EVENT_MSG = (
    'std_msgs/Header header\nuint32 height\nuint32 width\nuint64 seq\nuint64 time_base\n'
    'string encoding\nbool is_bigendian\nuint8[] events\n'
)
EVENT_MSG_TYPES = ('event_camera_msgs/msg/EventPacket', 'event_array_msgs/msg/EventArray')


@pytest.fixture(scope='session')
def read_bag(
    real_bag: Callable[[str], Path], rosbag2: ModuleType, rosbags_typesys: ModuleType
) -> Callable[[str], list[Any]]:
    """Give every message of a shared event bag, deserialised in order.

    A factory: ``read_bag('legacy_mono')``. With the upstream message definitions
    (:data:`EVENT_MSG`), not the project's typestore: the decoders' golden tests read the bags as
    the upstream packages write them. Skips where the bag or rosbags is absent.
    """

    def read(name: str) -> list[Any]:
        bag = real_bag(name)
        store = rosbags_typesys.get_typestore(rosbags_typesys.Stores.ROS2_HUMBLE)
        types: dict[str, Any] = {}
        for name_ in EVENT_MSG_TYPES:
            types.update(rosbags_typesys.get_types_from_msg(EVENT_MSG, name_))
        store.register(types)
        with rosbag2.Reader(bag) as reader:
            return [store.deserialize_cdr(raw, conn.msgtype) for conn, _, raw in reader.messages()]

    return read


@pytest.fixture(scope='session')
def ros2() -> None:
    """Real ROS 2 (rclpy and the message packages); skips with the reason where it is missing."""
    reason = rclpy_missing()
    if reason is not None:
        pytest.skip(reason)
