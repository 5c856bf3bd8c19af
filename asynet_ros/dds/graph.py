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


""":class:`DdsGraph`: one DDS participant that ROS 2 tools see as a ROS node.

The participant looks like a ROS 2 context to rmw_cyclonedds (USER_DATA ``enclave=/;``) and
announces one ROS node on ``ros_discovery_info`` (:mod:`asynet_ros.dds.discovery`), so ROS 2
tools list the node and its topics. Before creating the participant it applies
:func:`~asynet_ros.dds.config.use_interop` (Fast DDS 3 / Kilted). Topic and type names are
mangled as rmw_cyclonedds does (``rt/...``, ``pkg::msg::dds_::Name_``). Its endpoints are in
:mod:`asynet_ros.dds.endpoints`; import all of them from :mod:`asynet_ros.dds.transport`.
"""

from __future__ import annotations

from typing import Any

from cyclonedds.builtin import BuiltinDataReader, BuiltinTopicDcpsPublication
from cyclonedds.core import InstanceState
from cyclonedds.domain import DomainParticipant
from cyclonedds.qos import Policy, Qos
from cyclonedds.topic import Topic

from asynet_core.errors import AsynetError
from asynet_ros.dds.config import domain_id_from_env, use_interop
from asynet_ros.dds.discovery import default_node_name, NodeAnnouncer
from asynet_ros.dds.endpoints import _create, _delete, RawPublisher, RawSubscription
from asynet_ros.dds.errors import TransportError
from asynet_ros.dds.qos import DEFAULT, QosProfile
from asynet_ros.dds.types import idl_type, ros_topic_to_dds, ros_type_name
from asynet_ros.interfaces import typestore as project_typestore

__all__ = ['DdsGraph']


class DdsGraph:
    """One DDS participant on a ROS 2 domain, owning topics and endpoints.

    Args:
        domain_id: the DDS domain, i.e. ``ROS_DOMAIN_ID`` (default: that variable, else 0).
        typestore: rosbags typestore that defines the message types (default:
            :func:`asynet_ros.interfaces.typestore`).
        enclave: the SROS enclave announced in participant USER_DATA (rmw_cyclonedds lists a
            remote participant only when the key is present).
        node_name: the ROS node this graph announces (default: the program's name, e.g.
            ``asynet_play`` for ``asynet-play``).
        namespace: that node's namespace.

    Raises:
        ConfigError: the domain id is invalid.
        NodeNameError: ``node_name`` or ``namespace`` is malformed.
        TransportError: the participant could not be created (e.g. a bad ``CYCLONEDDS_URI``).
    """

    def __init__(
        self,
        domain_id: int | None = None,
        typestore: Any = None,
        *,
        enclave: str = '/',
        node_name: str | None = None,
        namespace: str = '/',
    ) -> None:
        self.domain_id = domain_id_from_env(domain_id)
        self.typestore = project_typestore() if typestore is None else typestore
        qos = Qos(Policy.Userdata(f'enclave={enclave};'.encode()))
        use_interop()
        self.participant = _create(
            lambda: DomainParticipant(self.domain_id, qos=qos),
            f'participant on domain {self.domain_id} (check CYCLONEDDS_URI)',
        )
        self._topics: dict[str, tuple[str, Topic[Any]]] = {}
        self._publications: Any = None  # the discovered writers, read on demand
        try:
            self.node = NodeAnnouncer(
                self.participant, node_name or default_node_name(), namespace
            )
        except AsynetError:
            _delete(self.participant)
            raise

    def topic(self, ros_topic: str, msgtype: str) -> Topic[Any]:
        """The DDS topic of ``ros_topic`` with type ``msgtype``, created once per graph.

        Raises:
            TopicNameError: ``ros_topic`` is not a fully qualified ROS name.
            TypeMappingError: ``msgtype`` is not in the typestore.
            TransportError: the topic exists here with another type, or creation failed.
        """
        name = ros_topic_to_dds(ros_topic)
        if name in self._topics:
            known, topic = self._topics[name]
            if known != msgtype:
                raise TransportError(f'topic {ros_topic} already has type {known}, not {msgtype}')
            return topic
        datatype = idl_type(self.typestore, msgtype)
        topic = _create(
            lambda: Topic(self.participant, name, datatype), f'topic {ros_topic} [{msgtype}]'
        )
        self._topics[name] = (msgtype, topic)
        return topic

    def publisher(self, ros_topic: str, msgtype: str, qos: QosProfile = DEFAULT) -> RawPublisher:
        """A :class:`RawPublisher` on this graph."""
        return RawPublisher(self, ros_topic, msgtype, qos)

    def subscription(
        self, ros_topic: str, msgtype: str, qos: QosProfile = DEFAULT
    ) -> RawSubscription:
        """A :class:`RawSubscription` on this graph."""
        return RawSubscription(self, ros_topic, msgtype, qos)

    def writer_types(self, ros_topic: str) -> set[str]:
        """ROS types of the writers discovered on ``ros_topic`` (other participants included).

        A reader whose type differs from a writer's never matches it, and DDS says nothing: this
        lets a subscriber name the mismatch.
        """
        if self._publications is None:
            self._publications = _create(
                lambda: BuiltinDataReader(self.participant, BuiltinTopicDcpsPublication),
                'reader of the discovered publications',
            )
        name = ros_topic_to_dds(ros_topic)
        samples = self._publications.read(N=1024)
        return {
            ros_type_name(s.type_name)
            for s in samples
            if s.topic_name == name and s.sample_info.instance_state == InstanceState.Alive
        }

    def endpoint_user_data(self, msgtype: str) -> bytes:
        """USER_DATA of an endpoint of ``msgtype``: ``typehash=RIHS01_<sha256>;``."""
        return f'typehash={self.typestore.hash_rihs01(msgtype)};'.encode()

    def close(self) -> None:
        """Delete the participant and everything in it (idempotent)."""
        self.node.close()
        self._topics.clear()
        _delete(self.participant)

    def __enter__(self) -> DdsGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
