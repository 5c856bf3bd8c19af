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

"""Real ROS 2 in tests: the loopback environment, a per-test domain and a skip reason.

Every test that starts rclpy (in this process or in a child) enters :func:`ros_session` (or
passes :func:`ros_env` to its children): see :mod:`asynet_benchmarks.ros_env`.
"""

from __future__ import annotations

import random

import pytest

from asynet_benchmarks.ros_env import FASTDDS_LOOPBACK_XML, ros_env, ROS_KEYS, ros_session

__all__ = [
    'FASTDDS_LOOPBACK_XML',
    'ROS_KEYS',
    'random_domain_id',
    'rclpy_missing',
    'require_rclpy',
    'ros_env',
    'ros_session',
]


def rclpy_missing() -> str | None:
    """Why real rclpy cannot run here (``None``: it can)."""
    try:
        import rclpy  # noqa: F401
        import vision_msgs.msg  # noqa: F401
    except ImportError as err:
        return f'real ROS 2 is not installed ({err}); `make test` installs it into .venv'
    return None


def require_rclpy() -> None:
    """Skip the calling test (or module, at import) when rclpy is not installed."""
    reason = rclpy_missing()
    if reason is not None:
        pytest.skip(reason, allow_module_level=True)


def random_domain_id() -> int:
    """A ROS domain id in [1, 99], different per test, so parallel runs rarely meet."""
    return random.SystemRandom().randrange(1, 100)
