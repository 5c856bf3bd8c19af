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

"""Every recording as event messages, without ROS 2: rosbag2 bags and event files alike.

:func:`open_recording` opens a rosbag2 folder (or its ``.db3`` / ``.mcap``) through
:class:`~asynet_ros.bag.EventBag`, or a Prophesee RAW (EVT 2.0 / 2.1 / 3.0) or DAT file through
:mod:`asynet_core.recordings`, or an iniVation AEDAT4 file through :mod:`asynet_ros.aedat4`
(optional ``aedat`` package). Either way :meth:`Recording.messages` yields ``(timestamp ns,
EventMessage)``: a bag's own messages, or for a file pseudo-messages of ``packet_us`` of sensor
time each, like a driver's packets. A file's packet ``k`` holds the events whose
``t // packet_us`` is the same, in file order (a new packet starts wherever that slot changes, so
a time that steps back starts one too); empty slots have no message. Its events are already
decoded (encoding :data:`~asynet_ros.pipeline.decoding.DECODED_ENCODING`), its stamp and
timestamp are the first event's time (µs) times 1000, ``seq`` counts the packets and the frame id
is :data:`FILE_FRAME_ID`. Files are read in chunks: memory stays bounded whatever their length.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
import contextlib
import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np

from asynet_core.events import concatenate_events, SensorSize
from asynet_core.recordings import (
    check_regular_file,
    EventFile,
    EventFileError,
    open_event_file,
)
from asynet_ros.bag import BagError, EventBag, Skipped
from asynet_ros.decoders import DecodeError, make_decoder
from asynet_ros.event_message import EventMessage
from asynet_ros.pipeline.decoding import DECODED_ENCODING

__all__ = [
    'AEDAT4_SUFFIX',
    'BAG_KIND',
    'FILE_FRAME_ID',
    'MAX_PACKET_US',
    'RECORDING_ERRORS',
    'Recording',
    'cut_packets',
    'is_bag_path',
    'open_recording',
]

#: :attr:`Recording.kind` of a rosbag2 recording (an event file's kind is its format).
BAG_KIND = 'rosbag2'
#: Header frame id of the packets of an event file (the files name no frame).
FILE_FRAME_ID = 'event_camera'
#: Suffix of the iniVation files, read by :mod:`asynet_ros.aedat4`.
AEDAT4_SUFFIX = '.aedat4'
#: The longest packet :func:`open_recording` cuts an event file into: an hour of sensor time, µs.
MAX_PACKET_US = 3600 * 1_000_000
#: Events read from a file at a time.
_CHUNK_EVENTS = 1 << 20
#: The errors :func:`open_recording` and :meth:`Recording.messages` raise: each names the path.
RECORDING_ERRORS = (BagError, EventFileError)


def is_bag_path(path: str | Path) -> bool:
    """Whether ``path`` is read as a rosbag2 recording.

    A folder, a ``.db3`` or ``.mcap`` file, or a missing path without a suffix (then the bag
    reader says that the bag does not exist).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    return p.is_dir() or suffix in ('.db3', '.mcap') or (not suffix and not p.exists())


class Recording(ABC):
    """An open recording: its description and its event messages. Use as a context manager.

    Attributes:
        path: the recording as given.
        kind: ``'rosbag2'`` or the event file's format (``'evt3'``, ``'evt2'``, ``'evt2.1'``,
            ``'dat'``).
        topic: a bag's event topic; ``None`` for a file.
        sensor: the sensor size; ``None`` for a bag until its first message is read.
        count: how many messages :meth:`messages` yields, where known beforehand (a bag's topic).
    """

    path: Path
    kind: str
    topic: str | None = None
    sensor: SensorSize | None = None
    count: int | None = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Release the file or bag."""

    @abstractmethod
    def messages(self, skipped: Skipped | None = None) -> Iterator[tuple[int, EventMessage]]:
        """(timestamp ns, message) of every event message, in recording order.

        Args:
            skipped: for a bag, where to count its messages that cannot be read as events and go
                on (``None``: raise on the first); a file has no such messages.

        Raises:
            BagError / EventFileError: the recording is damaged where reading stops.
        """

    def events(self, skipped: Skipped | None = None) -> Iterator[np.ndarray]:
        """The decoded events of every message, in order (``EVENT_DTYPE``, ``t`` in µs).

        Encoded payloads go through one stateful decoder per encoding, as a stream's would.

        Raises:
            BagError: as :meth:`messages`, and a payload that does not decode (naming its time).
            EventFileError: as :meth:`messages`.
        """
        decoders: dict[str, Any] = {}
        for timestamp, msg in self.messages(skipped):
            if msg.events is not None:
                yield msg.events
                continue
            try:
                decoder = decoders.get(msg.encoding)
                if decoder is None:
                    decoder = decoders[msg.encoding] = make_decoder(msg.encoding)
                events = decoder.decode(msg.payload, msg.width, msg.height, msg.time_base_ns)
            except DecodeError as err:
                raise BagError(f'{self.path}: message at bag time {timestamp} ns: {err}') from err
            yield events

    @property
    def data_format(self) -> str | None:
        """An event file's format, or the encoding of a bag's messages read so far."""
        return None

    @property
    def sensor_source(self) -> str | None:
        """Where :attr:`sensor` came from (see :class:`asynet_core.recordings.EventFileInfo`)."""
        return None

    @property
    def time_order(self) -> dict[str, Any] | None:
        """An event file's time-order report (how often time steps back) so far; ``None``: bag."""
        return None

    @property
    def salvage(self) -> Any:
        """What the bag reader reports about a truncated bag (JSON-ready), or ``None``."""
        return None

    def describe(self) -> dict[str, Any]:
        """``{kind, format, sensor, sensor_source, time_order, salvage}`` for a JSON report."""
        sensor = None if self.sensor is None else [self.sensor.width, self.sensor.height]
        return {
            'kind': self.kind,
            'format': self.data_format,
            'sensor': sensor,
            'sensor_source': self.sensor_source,
            'time_order': self.time_order,
            'salvage': self.salvage,
        }


class _BagRecording(Recording):
    """A rosbag2 recording: the messages of one event topic."""

    def __init__(self, path: Path, topic: str | None) -> None:
        self.path, self.kind = path, BAG_KIND
        self.bag = EventBag(path)
        try:
            chosen = self.bag.pick_topic(topic)
        except BagError:
            self.bag.close()
            raise
        self.topic, self.count = chosen.name, chosen.count
        self._encoding: str | None = None

    def close(self) -> None:
        self.bag.close()

    def messages(self, skipped: Skipped | None = None) -> Iterator[tuple[int, EventMessage]]:
        for timestamp, msg in self.bag.event_messages(self.topic, skipped):
            if self.sensor is None:
                self.sensor = SensorSize(int(msg.width), int(msg.height))
                self._encoding = msg.encoding
            yield timestamp, msg

    @property
    def data_format(self) -> str | None:
        return self._encoding

    @property
    def sensor_source(self) -> str | None:
        return None if self.sensor is None else 'message'

    @property
    def salvage(self) -> Any:
        return _json_ready(getattr(self.bag, 'salvage', None))


def _json_ready(value: Any) -> Any:
    """A report object as JSON values: its ``to_dict()``, a dataclass's fields, or itself."""
    if value is None:
        return None
    if callable(getattr(value, 'to_dict', None)):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


class _FileRecording(Recording):
    """An event file cut into pseudo-messages of ``packet_us`` µs (see the module docstring)."""

    def __init__(self, path: Path, sensor: SensorSize | None, packet_us: int) -> None:
        self.path, self.packet_us = path, packet_us
        self._stack = contextlib.ExitStack()
        self.file: EventFile = self._stack.enter_context(_open_file(path, sensor))
        self.kind = self.file.info.format
        self.sensor = self._size = self.file.info.sensor

    def close(self) -> None:
        self._stack.close()

    def messages(self, skipped: Skipped | None = None) -> Iterator[tuple[int, EventMessage]]:
        packets = cut_packets(self.file.chunks(max_events=_CHUNK_EVENTS), self.packet_us)
        for seq, packet in enumerate(packets):
            stamp_ns = int(packet['t'][0]) * 1000
            yield stamp_ns, self._message(stamp_ns, packet, seq)

    def _message(self, stamp_ns: int, events: np.ndarray, seq: int) -> EventMessage:
        return EventMessage(
            stamp_ns=stamp_ns,
            frame_id=FILE_FRAME_ID,
            width=self._size.width,
            height=self._size.height,
            encoding=DECODED_ENCODING,
            payload=None,
            events=events,
            seq=seq,
        )

    @property
    def data_format(self) -> str | None:
        return self.kind

    @property
    def sensor_source(self) -> str | None:
        return self.file.info.sensor_source

    @property
    def time_order(self) -> dict[str, Any] | None:
        return dict(self.file.time_order.to_dict())

    @property
    def salvage(self) -> Any:
        """A cut-off file's loss (events read, bytes unread), complete after a pass."""
        return _json_ready(self.file.salvage)


def _open_file(path: Path, sensor: SensorSize | None) -> EventFile:
    """The event file's reader: AEDAT4 here (optional ``aedat``), the rest in the core."""
    if path.suffix.lower() == AEDAT4_SUFFIX:
        from asynet_ros.aedat4 import open_aedat4  # imports the optional package on use

        return open_aedat4(path, sensor)
    return open_event_file(path, sensor=sensor)


def cut_packets(chunks: Iterable[np.ndarray], packet_us: int) -> Iterator[np.ndarray]:
    """The events of ``chunks`` cut where ``t // packet_us`` changes (a packet spans chunks).

    A slot that holds a chunk's worth of events or more (a time standing still) is cut there too,
    so a packet never grows past :data:`_CHUNK_EVENTS` plus one chunk.
    """
    pending: list[np.ndarray] = []  # the open packet's parts: one slot's events
    slot: int | None = None
    for chunk in chunks:
        if not len(chunk):
            continue
        slots = chunk['t'] // packet_us
        starts = np.flatnonzero(slots[1:] != slots[:-1]) + 1
        bounds = [0, *starts.tolist(), len(chunk)]
        for lo, hi in itertools.pairwise(bounds):
            if slot is not None and int(slots[lo]) != slot:
                yield _joined(pending)
                pending = []
            pending.append(chunk[lo:hi])
            slot = int(slots[lo])
        if sum(len(p) for p in pending) >= _CHUNK_EVENTS:  # a time that stands still
            yield _joined(pending)
            pending = []
    if pending:
        yield _joined(pending)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0].copy() if len(parts) == 1 else concatenate_events(parts)


def _check_packet_us(packet_us: object) -> None:
    """Refuse a packet length that is not a whole number of µs in [1, MAX_PACKET_US]."""
    if (
        isinstance(packet_us, bool)
        or not isinstance(packet_us, int | np.integer)
        or not 1 <= packet_us <= MAX_PACKET_US
    ):
        raise ValueError(
            f'packet_us (--packet-us) must be a whole number of µs in [1, {MAX_PACKET_US}] (an '
            f"hour), got {packet_us!r}: give a packet length such as 1000 (1 ms, a driver's)"
        )


def open_recording(
    path: str | Path,
    *,
    topic: str | None = None,
    sensor: SensorSize | None = None,
    packet_us: int = 1000,
) -> Recording:
    """Open a rosbag2 recording or an event file (see the module docstring).

    Args:
        path: a rosbag2 folder (or its ``.db3`` / ``.mcap`` file), or a ``.raw`` / ``.dat`` /
            ``.aedat4`` file.
        topic: a bag's event topic (``None``: its only one); refused for a file.
        sensor: a file's sensor size where its header gives none (ignored for a bag, whose
            messages carry it).
        packet_us: a file's packet length in µs of sensor time.

    Raises:
        BagError: the bag is missing, corrupt, or lacks the event topic.
        EventFileError: the file does not exist, is of an unknown format, is corrupt or gives no
            size.
        ValueError: ``packet_us`` is not a whole number in [1, :data:`MAX_PACKET_US`] (checked
            for a bag too, before anything is read), or a topic was given for a file.
    """
    _check_packet_us(packet_us)
    p = Path(path)
    if is_bag_path(p):
        return _BagRecording(p, topic)
    if topic is not None:
        raise ValueError(f'{p} is an event file, not a rosbag2 bag: it has no topic {topic!r}')
    if not p.exists() and not p.is_symlink():  # a link loop or dangling link: said below
        raise EventFileError(
            f'{p} does not exist: give a rosbag2 folder or an event file (.raw, .dat, .aedat4)'
        )
    check_regular_file(p)
    return _FileRecording(p, sensor, packet_us)
