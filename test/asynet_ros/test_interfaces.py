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

"""The shipped .msg definitions give the ROS 2 type hashes of the real packages."""

from __future__ import annotations

import numpy as np
import pytest
from rosbags.typesys import Stores

from asynet_ros.interfaces import definitions, typestore

# RIHS01 hashes of the real interface packages (rosbags 0.11.9; vision_msgs 4.1.1; the
# EventPacket hash is also the one in rosbags-converted driver bags).
HASHES = {
    'vision_msgs/msg/Detection2DArray':
        'RIHS01_214274120007f4a683866481336b70310268cfa107aebe9d594a6acf75bda968',
    'vision_msgs/msg/Classification':
        'RIHS01_f74db28d0eaef3afb78f48bf2161cd709a1383a0309d3454383b25be11345143',
    'vision_msgs/msg/LabelInfo':
        'RIHS01_3d37df4015cdf660cc851c51897f2acd957e1ca6205ba0a99aebffb9406b0783',
    'dvs_msgs/msg/EventArray':
        'RIHS01_0ea4aa5f4670adab1336550158b2e3c9bf60fe515a284c4215ed605bd559c995',
    'dvs_msgs/msg/Event':
        'RIHS01_51cfc8e311acf01bf39b01e0e8f2fee8f9fa97e7979cf505c0610c8a8bc3fc3a',
    'event_camera_msgs/msg/EventPacket':
        'RIHS01_d6fa176260b1f37e5a40845305315e150a0f18191241eb64f407442aa29844aa',
}  # fmt: skip


@pytest.mark.parametrize('store', [Stores.ROS2_HUMBLE, Stores.ROS2_JAZZY])
def test_type_hashes_match_the_real_packages(store: Stores) -> None:
    types = typestore(store)
    assert {name: types.hash_rihs01(name) for name in HASHES} == HASHES


def test_every_message_is_shipped_and_the_legacy_name_is_known() -> None:
    names = set(definitions())
    vision = {'Detection2DArray', 'Detection2D', 'BoundingBox2D', 'Pose2D', 'Point2D',
              'ObjectHypothesis', 'ObjectHypothesisWithPose', 'Classification', 'LabelInfo',
              'VisionClass'}  # fmt: skip
    assert {f'vision_msgs/msg/{n}' for n in vision} <= names
    assert {'dvs_msgs/msg/Event', 'dvs_msgs/msg/EventArray'} <= names
    assert 'event_array_msgs/msg/EventArray' in names


def test_cdr_round_trip_of_a_detection_array() -> None:
    types = typestore()
    t = types.types
    header = t['std_msgs/msg/Header'](
        stamp=t['builtin_interfaces/msg/Time'](sec=5, nanosec=7), frame_id='camera'
    )
    box = t['vision_msgs/msg/BoundingBox2D'](
        center=t['vision_msgs/msg/Pose2D'](
            position=t['vision_msgs/msg/Point2D'](x=10.5, y=20.0), theta=0.0
        ),
        size_x=4.0,
        size_y=6.0,
    )
    pose = t['geometry_msgs/msg/PoseWithCovariance'](
        pose=t['geometry_msgs/msg/Pose'](
            position=t['geometry_msgs/msg/Point'](x=0.0, y=0.0, z=0.0),
            orientation=t['geometry_msgs/msg/Quaternion'](x=0.0, y=0.0, z=0.0, w=1.0),
        ),
        covariance=np.zeros(36),
    )
    hypothesis = t['vision_msgs/msg/ObjectHypothesisWithPose'](
        hypothesis=t['vision_msgs/msg/ObjectHypothesis'](class_id='car', score=0.9), pose=pose
    )
    detection = t['vision_msgs/msg/Detection2D'](
        header=header, results=[hypothesis], bbox=box, id=''
    )
    message = t['vision_msgs/msg/Detection2DArray'](header=header, detections=[detection])
    name = 'vision_msgs/msg/Detection2DArray'
    raw = types.serialize_cdr(message, name)
    back = types.deserialize_cdr(raw, name)
    assert types.serialize_cdr(back, name) == raw
    assert back.detections[0].bbox.center.position.x == 10.5
    assert back.detections[0].results[0].hypothesis.class_id == 'car'
