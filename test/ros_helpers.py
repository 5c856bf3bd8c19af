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

"""Real ROS 2 in tests: a loopback-only Fast DDS profile, a per-run domain and a skip reason.

Every test that starts rclpy (in this process or in a child) uses :func:`ros_env`: Fast DDS
with one UDPv4 transport whitelisted to 127.0.0.1 and no built-in transports (no traffic off the
machine, no shared memory between runs), ``ROS_AUTOMATIC_DISCOVERY_RANGE=SYSTEM_DEFAULT`` (with
``LOCALHOST`` rmw would add its own transports) and a domain id of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import random

import pytest

FASTDDS_LOOPBACK_XML = """<?xml version="1.0" encoding="UTF-8"?>
<profiles xmlns="http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles">
  <transport_descriptors>
    <transport_descriptor>
      <transport_id>asynet_loopback_udp</transport_id>
      <type>UDPv4</type>
      <interfaceWhiteList><address>127.0.0.1</address></interfaceWhiteList>
    </transport_descriptor>
  </transport_descriptors>
  <participant profile_name="asynet_loopback" is_default_profile="true">
    <rtps>
      <userTransports><transport_id>asynet_loopback_udp</transport_id></userTransports>
      <useBuiltinTransports>false</useBuiltinTransports>
    </rtps>
  </participant>
</profiles>
"""

#: Set by :func:`ros_env` (and restored by :func:`ros_session`).
ROS_KEYS = (
    'FASTRTPS_DEFAULT_PROFILES_FILE',
    'ROS_AUTOMATIC_DISCOVERY_RANGE',
    'ROS_DOMAIN_ID',
    'RMW_IMPLEMENTATION',
    'ROS_LOCALHOST_ONLY',
)


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


def ros_env(tmp_dir: Path, domain_id: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: the environment) for Fast DDS on loopback in ``domain_id``."""
    env = dict(os.environ if base is None else base)
    profile = tmp_dir / 'fastdds_loopback.xml'
    profile.write_text(FASTDDS_LOOPBACK_XML, encoding='utf-8')
    env.pop('ROS_LOCALHOST_ONLY', None)
    env.update(
        FASTRTPS_DEFAULT_PROFILES_FILE=str(profile),
        ROS_AUTOMATIC_DISCOVERY_RANGE='SYSTEM_DEFAULT',
        ROS_DOMAIN_ID=str(domain_id),
        RMW_IMPLEMENTATION='rmw_fastrtps_cpp',
        PYTHONUNBUFFERED='1',
    )
    return env


@contextlib.contextmanager
def ros_session(tmp_dir: Path, domain_id: int) -> Iterator[dict[str, str]]:
    """This process (its next ``rclpy.init``) and its children on loopback in ``domain_id``.

    Yields the children's environment; restores this process's environment on exit.
    """
    env = ros_env(tmp_dir, domain_id)
    saved = {key: os.environ.get(key) for key in ROS_KEYS}
    for key in ROS_KEYS:
        if key in env:
            os.environ[key] = env[key]
        else:
            os.environ.pop(key, None)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
