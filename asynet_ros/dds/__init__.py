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

"""ROS 2 topics over plain Cyclone DDS, without ROS 2: types, QoS, raw CDR transport, playback.

* :mod:`~asynet_ros.dds.types`: ``IdlStruct`` classes built from a rosbags typestore, with the
  rmw_cyclonedds names (``rt/a/b``, ``pkg::msg::dds_::Name_``).
* :mod:`~asynet_ros.dds.transport`: :class:`DdsGraph`, :class:`RawPublisher` and
  :class:`RawSubscription`, which move ``serialize_cdr`` bytes unchanged.
* :mod:`~asynet_ros.dds.qos`: the ROS QoS presets; :mod:`~asynet_ros.dds.config`: domain id,
  a loopback-only Cyclone configuration and the Fast DDS 3 (Kilted) compatibility setting.
* :mod:`~asynet_ros.dds.discovery`: ``ros_discovery_info``, which names the node to ROS tools.
* :mod:`~asynet_ros.dds.play`: the ``asynet-play`` bag player.

Written against cyclonedds (Python) 11.0.x, whose private raw write/take calls it uses.
"""

from __future__ import annotations

import importlib
from typing import Any, TYPE_CHECKING

if TYPE_CHECKING:
    from asynet_ros.dds.config import (
        domain_id_from_env,
        interop_uri,
        loopback_config,
        MAX_DOMAIN_ID,
        use_interop,
        use_loopback,
        write_loopback_config,
    )
    from asynet_ros.dds.discovery import NodeAnnouncer
    from asynet_ros.dds.errors import (
        BagError,
        NodeNameError,
        TopicNameError,
        TransportError,
        TypeMappingError,
    )
    from asynet_ros.dds.qos import DEFAULT, EVENTS_DRIVER, LATCHED, QosProfile, SENSOR_DATA
    from asynet_ros.dds.transport import (
        CYCLONEDDS_TESTED,
        DdsGraph,
        RawPublisher,
        RawSample,
        RawSubscription,
    )
    from asynet_ros.dds.types import (
        dds_topic_to_ros,
        dds_type_name,
        from_idl,
        idl_type,
        ros_topic_to_dds,
        to_idl,
    )

__all__ = [
    'CYCLONEDDS_TESTED',
    'DEFAULT',
    'EVENTS_DRIVER',
    'LATCHED',
    'MAX_DOMAIN_ID',
    'SENSOR_DATA',
    'BagError',
    'DdsGraph',
    'NodeAnnouncer',
    'NodeNameError',
    'QosProfile',
    'RawPublisher',
    'RawSample',
    'RawSubscription',
    'TopicNameError',
    'TransportError',
    'TypeMappingError',
    'dds_topic_to_ros',
    'dds_type_name',
    'domain_id_from_env',
    'from_idl',
    'idl_type',
    'interop_uri',
    'loopback_config',
    'ros_topic_to_dds',
    'to_idl',
    'use_interop',
    'use_loopback',
    'write_loopback_config',
]

# Each name from its module on first use: cyclonedds and rosbags take a second to import, and
# ``asynet-play --help`` (a submodule of this package) must answer at once.
_LAZY = {
    **dict.fromkeys(
        ('domain_id_from_env', 'interop_uri', 'loopback_config', 'MAX_DOMAIN_ID', 'use_interop',
         'use_loopback', 'write_loopback_config'),
        'config',
    ),
    'NodeAnnouncer': 'discovery',
    **dict.fromkeys(
        ('BagError', 'NodeNameError', 'TopicNameError', 'TransportError', 'TypeMappingError'),
        'errors',
    ),
    **dict.fromkeys(('DEFAULT', 'EVENTS_DRIVER', 'LATCHED', 'QosProfile', 'SENSOR_DATA'), 'qos'),
    **dict.fromkeys(
        ('CYCLONEDDS_TESTED', 'DdsGraph', 'RawPublisher', 'RawSample', 'RawSubscription'),
        'transport',
    ),
    **dict.fromkeys(
        ('dds_topic_to_ros', 'dds_type_name', 'from_idl', 'idl_type', 'ros_topic_to_dds',
         'to_idl'),
        'types',
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """The names of :data:`_LAZY`, imported from their module when first asked for."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
        globals()[name] = value  # once: later lookups do not come here
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted({*globals(), *_LAZY})
