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

"""QoS profiles of the ROS 2 presets and drivers the transport talks to (rmw ``qos_profiles.h``).

A profile turns into a cyclonedds :class:`~cyclonedds.qos.Qos` with the endpoint USER_DATA
(``typehash=RIHS01_...;``, as Iron/Jazzy rmw endpoints send) and the XCDR1-only data
representation rmw_cyclonedds requires. Matching (requested vs offered): a BEST_EFFORT reader
matches any writer, a RELIABLE reader no BEST_EFFORT writer, a TRANSIENT_LOCAL reader no VOLATILE
writer.
"""

from __future__ import annotations

from dataclasses import dataclass

from cyclonedds.qos import Policy, Qos
from cyclonedds.util import duration

from asynet_core.errors import ConfigError

__all__ = ['DEFAULT', 'EVENTS_DRIVER', 'LATCHED', 'SENSOR_DATA', 'QosProfile']


@dataclass(frozen=True)
class QosProfile:
    """History depth, reliability and durability of a ROS endpoint (KEEP_LAST history).

    Attributes:
        reliable: RELIABLE when true, else BEST_EFFORT.
        transient_local: TRANSIENT_LOCAL (late joiners get the last ``depth`` samples) when
            true, else VOLATILE.
        depth: KEEP_LAST depth, at least 1.
        max_blocking_s: how long a RELIABLE ``publish`` may block on a full writer history
            before it fails (rmw blocks without limit; a bounded wait surfaces stuck readers).
    """

    reliable: bool
    transient_local: bool
    depth: int
    max_blocking_s: float = 1.0

    def __post_init__(self) -> None:
        if self.depth < 1:
            raise ConfigError(f'QoS depth must be >= 1, got {self.depth}')
        if self.max_blocking_s < 0:
            raise ConfigError(f'max_blocking_s must be >= 0, got {self.max_blocking_s}')

    def to_qos(self, user_data: bytes = b'') -> Qos:
        """The cyclonedds QoS of a reader or writer with this profile and ``user_data``."""
        reliability = (
            Policy.Reliability.Reliable(max_blocking_time=duration(seconds=self.max_blocking_s))
            if self.reliable
            else Policy.Reliability.BestEffort
        )
        durability = Policy.Durability.Volatile
        if self.transient_local:
            durability = Policy.Durability.TransientLocal
        policies = [
            reliability,
            durability,
            Policy.History.KeepLast(self.depth),
            Policy.DataRepresentation(use_cdrv0_representation=True),
        ]
        if user_data:
            policies.append(Policy.Userdata(user_data))
        return Qos(*policies)


#: ``qos_profile_sensor_data``: BEST_EFFORT, VOLATILE, KEEP_LAST(5).
SENSOR_DATA = QosProfile(reliable=False, transient_local=False, depth=5)
#: What metavision_driver / libcaer_driver offer on ``~/events``: BEST_EFFORT, VOLATILE,
#: KEEP_LAST(1000).
EVENTS_DRIVER = QosProfile(reliable=False, transient_local=False, depth=1000)
#: ``rmw_qos_profile_default`` (``create_publisher(..., 10)``): RELIABLE, VOLATILE, KEEP_LAST(10).
DEFAULT = QosProfile(reliable=True, transient_local=False, depth=10)
#: Latched topics such as ``LabelInfo``: RELIABLE, TRANSIENT_LOCAL, KEEP_LAST(1).
LATCHED = QosProfile(reliable=True, transient_local=True, depth=1)
