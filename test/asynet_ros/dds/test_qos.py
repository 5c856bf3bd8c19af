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

"""The QoS presets match ROS 2's, and each message type gets its preset."""

from __future__ import annotations

import pytest

from asynet_core.errors import ConfigError
from asynet_ros.dds import (
    DEFAULT,
    EVENTS_DRIVER,
    LATCHED,
    QosProfile,
    SENSOR_DATA,
)
from asynet_ros.dds.play import qos_for

EVENT_PACKET = 'event_camera_msgs/msg/EventPacket'
DETECTIONS = 'vision_msgs/msg/Detection2DArray'
LABEL_INFO = 'vision_msgs/msg/LabelInfo'


def test_qos_presets_match_ros() -> None:
    assert (SENSOR_DATA.reliable, SENSOR_DATA.transient_local, SENSOR_DATA.depth) == (
        False, False, 5)  # fmt: skip
    assert (EVENTS_DRIVER.reliable, EVENTS_DRIVER.transient_local, EVENTS_DRIVER.depth) == (
        False, False, 1000)  # fmt: skip
    assert (DEFAULT.reliable, DEFAULT.transient_local, DEFAULT.depth) == (True, False, 10)
    assert (LATCHED.reliable, LATCHED.transient_local, LATCHED.depth) == (True, True, 1)
    assert qos_for(EVENT_PACKET) is EVENTS_DRIVER
    assert qos_for('event_array_msgs/msg/EventArray') is EVENTS_DRIVER
    assert qos_for(LABEL_INFO) is LATCHED
    assert qos_for(DETECTIONS) is DEFAULT
    with pytest.raises(ConfigError, match='QoS depth must be >= 1'):
        QosProfile(reliable=True, transient_local=False, depth=0)
