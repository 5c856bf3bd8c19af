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

"""ROS 2 topics over plain Cyclone DDS, with CDR bytes in and out (no rclpy, no ROS install).

A :class:`DdsGraph` is one DDS participant that looks like a ROS 2 context to rmw_cyclonedds
(USER_DATA ``enclave=/;``) and announces one ROS node on ``ros_discovery_info``
(:mod:`asynet_ros.dds.discovery`), so ROS 2 tools list the node and its topics. Before creating
the participant it applies :func:`~asynet_ros.dds.config.use_interop` (Fast DDS 3 / Kilted).
:class:`RawPublisher` writes exactly the bytes
``typestore.serialize_cdr(msg, msgtype)`` returns, and :class:`RawSubscription` returns the
bytes ``typestore.deserialize_cdr`` takes, through cyclonedds-python's raw write/take calls
(``_clayer.ddspy_write`` / ``ddspy_take``), so no Python-level ``IdlStruct`` (de)serialisation
runs on the hot path. Topic and type names are mangled as rmw_cyclonedds does (``rt/...``,
``pkg::msg::dds_::Name_``), and endpoints carry ``typehash=RIHS01_...;`` in USER_DATA like
Iron/Jazzy endpoints (Humble ignores it).

``ddspy_write``/``ddspy_take`` are private cyclonedds-python API: the endpoints are written
against cyclonedds 11.0.x (:data:`CYCLONEDDS_TESTED`).

This module is the import path of the transport: it re-exports :class:`DdsGraph` from
:mod:`asynet_ros.dds.graph` and the endpoints from :mod:`asynet_ros.dds.endpoints`.

Example (``asynet-play`` does this for a whole bag)::

    ts = typestore()
    with DdsGraph(typestore=ts) as graph:
        pub = graph.publisher('/detections', 'vision_msgs/msg/Detection2DArray')
        pub.publish(ts.serialize_cdr(msg, 'vision_msgs/msg/Detection2DArray'))
"""

from __future__ import annotations

from asynet_ros.dds.endpoints import (
    CYCLONEDDS_TESTED,
    RawPublisher,
    RawSample,
    RawSubscription,
)
from asynet_ros.dds.graph import DdsGraph

__all__ = ['CYCLONEDDS_TESTED', 'DdsGraph', 'RawPublisher', 'RawSample', 'RawSubscription']
