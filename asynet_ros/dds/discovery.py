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

"""``ros_discovery_info``: how a bare DDS participant names its ROS node to ROS 2 tools.

Every rmw publishes, per participant, one ``rmw_dds_common/msg/ParticipantEntitiesInfo`` on the
DDS topic ``ros_discovery_info`` (no ``rt/`` prefix; RELIABLE, TRANSIENT_LOCAL, KEEP_LAST 1): the
participant's GID and, per node, its namespace, name and the GIDs of its readers and writers.
ROS 2 graph caches (``ros2 node list``, ``get_node_names_and_namespaces``,
``get_publisher_names_and_types_by_node``) attribute endpoints to nodes only through it; without
it they show ``_NODE_NAME_UNKNOWN_`` / ``_CREATED_BY_BARE_DDS_APP_``.

A GID is the 16-byte DDS GUID (12-byte prefix + entity id, as on the wire) in ``char[16]`` since
Iron (Jazzy, Kilted); Humble's ``char[24]`` zero-pads it and is not supported here.
:class:`NodeAnnouncer` publishes the whole state again after each change, as rmw does.
"""

from __future__ import annotations

from collections.abc import Iterable
import re
import sys
import threading
from typing import Any

from cyclonedds.core import DDSException
from cyclonedds.pub import DataWriter
from cyclonedds.topic import Topic
from rosbags.typesys import get_typestore, Stores

from asynet_ros.dds.errors import NodeNameError, TransportError
from asynet_ros.dds.qos import LATCHED
from asynet_ros.dds.types import idl_type

__all__ = [
    'DISCOVERY_TOPIC',
    'GID_SIZE',
    'NodeAnnouncer',
    'default_node_name',
    'gid_of',
    'validate_node_name',
]

#: The DDS topic of the rmw graph messages (``avoid_ros_namespace_conventions``: no ``rt/``).
DISCOVERY_TOPIC = 'ros_discovery_info'
#: Bytes in ``rmw_dds_common/msg/Gid.data`` (Iron and later).
GID_SIZE = 16
_INFO_TYPE = 'rmw_dds_common/msg/ParticipantEntitiesInfo'
_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_NAMESPACE = re.compile(r'/|(/[A-Za-z_][A-Za-z0-9_]*)+')
_MAX_NAME = 255  # string<=256 in NodeEntitiesInfo; rcl's node name limit is lower still
_STORE_LOCK = threading.Lock()
_STORE: list[Any] = []


def validate_node_name(name: str, namespace: str = '/') -> None:
    """Check a ROS node name (``[A-Za-z_][A-Za-z0-9_]*``) and namespace (``/`` or ``/a/b``).

    Raises:
        NodeNameError: either is malformed or too long.
    """
    if not _NAME.fullmatch(name) or len(name) > _MAX_NAME:
        raise NodeNameError(
            f'invalid ROS node name {name!r}: letters, digits and underscores, not starting '
            f'with a digit, at most {_MAX_NAME} characters'
        )
    if not _NAMESPACE.fullmatch(namespace) or len(namespace) > _MAX_NAME:
        raise NodeNameError(
            f"invalid ROS namespace {namespace!r}: '/' or absolute tokens such as '/robot1'"
        )


def default_node_name(program: str | None = None) -> str:
    """A node name made from ``program`` (default: this process's ``argv[0]``).

    ``asynet-play`` becomes ``asynet_play``: characters a node name cannot hold turn into
    underscores, and a leading digit gets an underscore in front.
    """
    text = program if program is not None else (sys.argv[0] if sys.argv else '')
    stem = re.sub(r'\.py$', '', text.replace('\\', '/').rsplit('/', 1)[-1])
    name = re.sub(r'[^A-Za-z0-9_]', '_', stem)[:_MAX_NAME] or 'asynet'
    return f'_{name[: _MAX_NAME - 1]}' if name[0].isdigit() else name


def gid_of(entity: Any) -> bytes:
    """The GID bytes of a cyclonedds entity: its 16-byte GUID (prefix + entity id).

    Raises:
        TransportError: the entity has no GUID (e.g. it was deleted).
    """
    try:
        return bytes(entity.guid.bytes)
    except DDSException as err:
        raise TransportError(f'cannot read the GUID of {entity!r}: {err}') from err


def _typestore() -> Any:
    """The Jazzy store: ``rmw_dds_common`` with 16-byte GIDs (the project's is Humble's)."""
    with _STORE_LOCK:
        if not _STORE:
            _STORE.append(get_typestore(Stores.ROS2_JAZZY))
        return _STORE[0]


class NodeAnnouncer:
    """Publishes this participant's node and endpoints on ``ros_discovery_info``.

    Args:
        participant: the cyclonedds ``DomainParticipant``.
        name: ROS node name, e.g. ``asynet_detector``.
        namespace: ROS namespace, ``/`` by default.

    Raises:
        NodeNameError: ``name`` or ``namespace`` is malformed.
        TransportError: the topic or writer could not be created, or a write failed.
    """

    def __init__(self, participant: Any, name: str, namespace: str = '/') -> None:
        validate_node_name(name, namespace)
        self.name = name
        self.namespace = namespace
        self._gid = gid_of(participant)
        self._readers: dict[bytes, None] = {}
        self._writers: dict[bytes, None] = {}
        self._lock = threading.Lock()
        self._closed = False
        store = _typestore()
        self._types = {
            short: idl_type(store, f'rmw_dds_common/msg/{short}')
            for short in ('Gid', 'NodeEntitiesInfo', 'ParticipantEntitiesInfo')
        }
        try:
            topic = Topic(participant, DISCOVERY_TOPIC, self._types['ParticipantEntitiesInfo'])
            self._writer = DataWriter(participant, topic, qos=LATCHED.to_qos())
        except DDSException as err:
            raise TransportError(f'cannot create the {DISCOVERY_TOPIC} writer: {err}') from err
        self.publish()

    def add(self, *, readers: Iterable[bytes] = (), writers: Iterable[bytes] = ()) -> None:
        """Attribute reader and writer GIDs to the node and publish the new state."""
        with self._lock:
            self._readers.update(dict.fromkeys(readers))
            self._writers.update(dict.fromkeys(writers))
        self.publish()

    def remove(self, gid: bytes) -> None:
        """Forget a reader or writer GID (unknown ones are ignored) and publish the new state."""
        with self._lock:
            known = gid in self._readers or gid in self._writers
            self._readers.pop(gid, None)
            self._writers.pop(gid, None)
        if known:
            self.publish()

    def message(self) -> Any:
        """The current ``ParticipantEntitiesInfo`` as a cyclonedds ``IdlStruct``."""
        gid, node, info = (
            self._types[k] for k in ('Gid', 'NodeEntitiesInfo', 'ParticipantEntitiesInfo')
        )
        with self._lock:
            entities = node(
                node_namespace=self.namespace,
                node_name=self.name,
                reader_gid_seq=[gid(data=g) for g in self._readers],
                writer_gid_seq=[gid(data=g) for g in self._writers],
            )
        return info(gid=gid(data=self._gid), node_entities_info_seq=[entities])

    def publish(self) -> None:
        """Write the current state (latched: late joiners get it too); a no-op once closed."""
        if self._closed:
            return
        try:
            self._writer.write(self.message())
        except DDSException as err:
            raise TransportError(f'{DISCOVERY_TOPIC}: write failed: {err}') from err

    def close(self) -> None:
        """Delete the writer (idempotent): readers see the node's entities go."""
        if not self._closed:
            self._closed = True
            self._writer.__del__()
