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

"""Real ROS 2 on loopback only: a Fast DDS profile, and the environment that selects it.

Fast DDS with one UDPv4 transport whitelisted to 127.0.0.1 and no built-in transports (no traffic
off the machine, no shared memory between runs), ``ROS_AUTOMATIC_DISCOVERY_RANGE=SYSTEM_DEFAULT``
(with ``LOCALHOST`` rmw would add its own transports) and a domain id of the caller's. Used by
the tests, the demo and the node benchmark; imports nothing from ROS 2.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import os
from pathlib import Path

__all__ = ['FASTDDS_LOOPBACK_XML', 'ROS_KEYS', 'environ_scope', 'ros_env', 'ros_session']
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
def environ_scope(values: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for ``None``, unset) these variables of this process; restore them on exit."""
    saved = {key: os.environ.get(key) for key in values}
    _apply(values)
    try:
        yield
    finally:
        _apply(saved)


def _apply(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextlib.contextmanager
def ros_session(tmp_dir: Path, domain_id: int) -> Iterator[dict[str, str]]:
    """This process (its next ``rclpy.init``) and its children on loopback in ``domain_id``.

    Yields the children's environment; restores this process's environment on exit.
    """
    env = ros_env(tmp_dir, domain_id)
    with environ_scope({key: env.get(key) for key in ROS_KEYS}):
        yield env
