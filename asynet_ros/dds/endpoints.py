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


"""The endpoints of a :class:`~asynet_ros.dds.graph.DdsGraph`: raw CDR bytes in and out.

:class:`RawPublisher` writes exactly the bytes ``typestore.serialize_cdr(msg, msgtype)`` returns,
and :class:`RawSubscription` returns the bytes ``typestore.deserialize_cdr`` takes, through
cyclonedds-python's raw write/take calls (``_clayer.ddspy_write`` / ``ddspy_take``), so no
Python-level ``IdlStruct`` (de)serialisation runs on the hot path. Endpoints carry
``typehash=RIHS01_...;`` in USER_DATA like Iron/Jazzy endpoints (Humble ignores it).

``ddspy_write``/``ddspy_take`` are private cyclonedds-python API: this module is written
against cyclonedds 11.0.x (:data:`CYCLONEDDS_TESTED`). Import these names from
:mod:`asynet_ros.dds.transport` (or :mod:`asynet_ros.dds`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
import time
from typing import Any, NamedTuple, TYPE_CHECKING, TypeVar

from cyclonedds import _clayer
from cyclonedds.core import DDSException, InstanceState, ReadCondition, SampleState, ViewState
from cyclonedds.core import WaitSet as _WaitSet
from cyclonedds.pub import DataWriter
from cyclonedds.qos import Policy
from cyclonedds.sub import DataReader

from asynet_core.errors import AsynetError
from asynet_ros.dds.discovery import gid_of
from asynet_ros.dds.errors import TransportError
from asynet_ros.dds.qos import DEFAULT, QosProfile

if TYPE_CHECKING:
    from asynet_ros.dds.graph import DdsGraph

__all__ = ['CYCLONEDDS_TESTED', 'RawPublisher', 'RawSample', 'RawSubscription']

#: The cyclonedds (Python) versions whose private raw write/take API this module uses.
CYCLONEDDS_TESTED = '>=11.0,<11.1'

_ANY_STATE = SampleState.Any | ViewState.Any | InstanceState.Any
_XCDR1_IDS = (b'\x00\x00', b'\x00\x01')  # CDR_BE, CDR_LE encapsulation identifiers
_PAD_MASK = 0x3  # XTypes 7.6.3.1.2: padding count in the low bits of the options field
_POLL_S = 0.01
_E = TypeVar('_E', bound='_Endpoint')
_T = TypeVar('_T')


class RawSample(NamedTuple):
    """One received sample: its CDR bytes and the writer's source timestamp.

    Attributes:
        data: CDR bytes with the 4-byte encapsulation header, padding removed.
        source_timestamp_ns: the writer's clock at ``publish`` (ns since the Unix epoch).
    """

    data: bytes
    source_timestamp_ns: int


class _Endpoint:
    """What publishers and subscriptions share: names, QoS and a matched-count poll."""

    def __init__(self, graph: DdsGraph, ros_topic: str, msgtype: str, qos: QosProfile) -> None:
        self._node = graph.node
        self._gid = b''
        self.ros_topic = ros_topic
        self.msgtype = msgtype
        self.qos = qos
        self._topic = graph.topic(ros_topic, msgtype)
        self._cqos = qos.to_qos(graph.endpoint_user_data(msgtype))

    def _describe(self) -> str:
        return f'{self.ros_topic} [{self.msgtype}]'

    def _matched_handles(self) -> list[int]:
        raise NotImplementedError

    def _matched_endpoint(self, handle: int) -> Any:
        raise NotImplementedError

    def matched_count(self) -> int:
        """How many endpoints (remote or in this process) currently match this one."""
        try:
            return len(self._matched_handles())
        except DDSException as err:
            raise TransportError(f'{self._describe()}: matching query failed: {err}') from err

    def matched_user_data(self) -> list[bytes]:
        """USER_DATA of the matched endpoints, e.g. ``b'typehash=RIHS01_...;'`` (b'' if unset).

        Lets a caller compare the peers' type hashes with its own (Iron/Jazzy send them).
        """
        found = []
        try:
            for handle in self._matched_handles():
                endpoint = self._matched_endpoint(handle)
                qos = endpoint.qos if endpoint is not None else {}
                found.append(qos[Policy.Userdata].data if Policy.Userdata in qos else b'')
        except DDSException as err:
            raise TransportError(f'{self._describe()}: matching query failed: {err}') from err
        return found

    def wait_for_matched(self, count: int = 1, timeout_s: float = 5.0) -> bool:
        """Poll until at least ``count`` endpoints match; false after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while self.matched_count() < count:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True

    def close(self) -> None:
        """Delete the DDS entities of this endpoint (idempotent)."""
        raise NotImplementedError

    def __enter__(self: _E) -> _E:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RawPublisher(_Endpoint):
    """A DataWriter on ``rt/<topic>`` that publishes ready-made CDR bytes.

    Args:
        graph: the owning :class:`DdsGraph`.
        ros_topic: fully qualified ROS topic, e.g. ``/event_camera/events``.
        msgtype: ROS type, e.g. ``event_camera_msgs/msg/EventPacket``.
        qos: e.g. :data:`~asynet_ros.dds.qos.EVENTS_DRIVER` for event streams.

    Raises:
        TopicNameError, TypeMappingError, TransportError: as :meth:`DdsGraph.topic`, or the
            writer could not be created.
    """

    def __init__(
        self, graph: DdsGraph, ros_topic: str, msgtype: str, qos: QosProfile = DEFAULT
    ) -> None:
        super().__init__(graph, ros_topic, msgtype, qos)
        self._writer = _create(
            lambda: DataWriter(graph.participant, self._topic, qos=self._cqos),
            f'publisher {self._describe()}',
        )
        self._gid = gid_of(self._writer)
        self._node.add(writers=[self._gid])

    def publish(self, cdr: bytes | bytearray | memoryview) -> None:
        """Write one serialised message (what ``serialize_cdr`` returns, header included).

        The payload is zero-padded to a multiple of 4 bytes with the pad count in the header's
        options field, as Cyclone's own serialiser does.

        Raises:
            TransportError: not an XCDR1 payload, or the write failed (e.g. a RELIABLE write
                blocked longer than ``qos.max_blocking_s``).
        """
        ret = _clayer.ddspy_write(self._writer._ref, self._padded(cdr))
        if ret < 0:
            raise TransportError(f'publish on {self._describe()} failed: {DDSException(ret)}')

    def _padded(self, cdr: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
        view = memoryview(cdr).cast('B')
        if len(view) < 4 or bytes(view[:2]) not in _XCDR1_IDS:
            raise TransportError(
                f'publish on {self._describe()}: not a plain XCDR1 payload (header '
                f'{bytes(view[:4]).hex(" ")}, expected 00 01 00 00); pass serialize_cdr output'
            )
        pad = -len(view) % 4
        if not pad:
            return view
        data = bytearray(len(view) + pad)
        data[: len(view)] = view
        data[3] = (data[3] & ~_PAD_MASK) | pad
        return data

    def wait_for_acks(self, timeout_s: float) -> bool:
        """Block until matched RELIABLE readers acknowledged all samples; false on timeout."""
        # DataWriter.wait_for_acks (cyclonedds 11.0.1) raises AttributeError on a timeout.
        ret = self._writer._wait_for_acks(self._writer._ref, max(0, int(timeout_s * 1e9)))
        if ret == DDSException.DDS_RETCODE_TIMEOUT:
            return False
        if ret < 0:
            raise TransportError(f'wait for acks on {self._describe()}: {DDSException(ret)}')
        return True

    def _matched_handles(self) -> list[int]:
        return list(self._writer.get_matched_subscriptions())

    def _matched_endpoint(self, handle: int) -> Any:
        return self._writer.get_matched_subscription_data(handle)

    def close(self) -> None:
        """Delete the writer (idempotent); matched readers see it leave."""
        with suppress(TransportError):  # the node's state is best effort while closing
            self._node.remove(self._gid)
        _delete(self._writer)


class RawSubscription(_Endpoint):
    """A DataReader on ``rt/<topic>`` that returns received CDR bytes.

    Args:
        graph: the owning :class:`DdsGraph`.
        ros_topic: fully qualified ROS topic.
        msgtype: ROS type.
        qos: BEST_EFFORT (e.g. :data:`~asynet_ros.dds.qos.SENSOR_DATA`) for event drivers,
            which never match a RELIABLE reader; ``depth`` bounds the samples kept untaken.

    Raises:
        TopicNameError, TypeMappingError, TransportError: as :meth:`DdsGraph.topic`, or the
            reader could not be created.
    """

    def __init__(
        self, graph: DdsGraph, ros_topic: str, msgtype: str, qos: QosProfile = DEFAULT
    ) -> None:
        super().__init__(graph, ros_topic, msgtype, qos)
        self._reader = _create(
            lambda: DataReader(graph.participant, self._topic, qos=self._cqos),
            f'subscription {self._describe()}',
        )
        self._condition = ReadCondition(self._reader, _ANY_STATE)
        self._waitset = _WaitSet(graph.participant)
        self._waitset.attach(self._condition)
        self._gid = gid_of(self._reader)
        self._node.add(readers=[self._gid])

    def take_samples(self, max_n: int = 64) -> list[RawSample]:
        """Take up to ``max_n`` samples without waiting (oldest first, valid data only)."""
        ret = _clayer.ddspy_take(self._reader._ref, _ANY_STATE, max_n)
        if isinstance(ret, int):
            raise TransportError(f'take on {self._describe()} failed: {DDSException(ret)}')
        return [
            RawSample(_unpadded(data), info.source_timestamp)
            for data, info in ret
            if info.valid_data
        ]

    def take(self, max_n: int = 64) -> list[bytes]:
        """Take up to ``max_n`` messages' CDR bytes (header included) without waiting."""
        return [sample.data for sample in self.take_samples(max_n)]

    def wait(self, timeout_s: float) -> bool:
        """Block until samples are available or ``timeout_s`` passes; true if any are.

        A sample may be an invalid one (a writer left), so :meth:`take` can still return
        nothing after ``True``.
        """
        try:
            return self._waitset.wait(max(0, int(timeout_s * 1e9))) > 0
        except DDSException as err:
            raise TransportError(f'wait on {self._describe()} failed: {err}') from err

    def _matched_handles(self) -> list[int]:
        return list(self._reader.get_matched_publications())

    def _matched_endpoint(self, handle: int) -> Any:
        return self._reader.get_matched_publication_data(handle)

    def close(self) -> None:
        """Delete the reader, its condition and waitset (idempotent)."""
        with suppress(TransportError):
            self._node.remove(self._gid)
        with suppress(DDSException):  # already gone with the participant
            self._waitset.detach(self._condition)
        for entity in (self._waitset, self._condition, self._reader):
            _delete(entity)


def _unpadded(data: bytes) -> bytes:
    """``data`` without the trailing padding its header announces, pad count cleared.

    That restores exactly what ``serialize_cdr`` returned on the writing side.
    """
    pad = data[3] & _PAD_MASK if len(data) >= 4 else 0
    if not pad or len(data) < 4 + pad:
        return data
    view = memoryview(data)
    return b''.join((view[:3], bytes((data[3] & ~_PAD_MASK,)), view[4 : len(data) - pad]))


def _create(factory: Callable[[], _T], what: str) -> _T:
    """Run a cyclonedds constructor, turning its errors into a :class:`TransportError`."""
    try:
        return factory()
    except AsynetError:
        raise
    except (DDSException, TypeError, ValueError) as err:
        raise TransportError(f'cannot create {what}: {err}') from err


def _delete(entity: Any) -> None:
    """Delete a DDS entity now: cyclonedds-python only deletes it when garbage collected.

    ``Entity.__del__`` is idempotent (it forgets the handle first), so the later garbage
    collection is a no-op.
    """
    entity.__del__()
