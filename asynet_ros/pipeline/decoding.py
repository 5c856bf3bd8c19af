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

"""Message checks and decoding for one stream: every encoding, dvs_msgs included, alike.

:class:`StreamDecoder` checks a message (encoding, sensor size), follows its ``seq`` for lost
messages and decodes it with the stream's stateful decoder of that encoding. Decoders come from
one registry (:data:`MESSAGE_DECODERS`: the payload encodings of :mod:`asynet_ros.decoders`,
``dvs_msgs``' decoded events and the :data:`DECODED_ENCODING` packets of event files) and share
one protocol, :class:`MessageDecoder`, whose ``dropped_out_of_range`` counter reports the events
it dropped. Every rejection goes through one ``reject(counter, kind, message, n)`` callback:
counted, and logged rate-limited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from asynet_core.events import SensorSize
from asynet_ros.decoders import DecodeError, ENCODINGS, make_decoder
from asynet_ros.event_message import DVS_ENCODING, EventMessage
from asynet_ros.pipeline.config import Counters, is_int

__all__ = [
    'DECODED_ENCODING',
    'MESSAGE_DECODERS',
    'MessageDecoder',
    'SeqGaps',
    'StreamDecoder',
]

MAX_SIDE = 1 << 16  # event coordinates are uint16
#: ``reject(counter, kind, message, n)``: add ``n`` to a counter and log (rate-limited by kind).
Reject = Callable[[str, str, str, int], None]
#: Pseudo-encoding of the packets cut from an event file (RAW, DAT): events already decoded, in
#: :attr:`EventMessage.events`, and ``seq`` counting the packets (see :mod:`asynet_ros.recording`).
DECODED_ENCODING = 'decoded'


class MessageDecoder(Protocol):
    """Decodes one stream's messages of one encoding, in order (it may keep state)."""

    dropped_out_of_range: int  # events outside the sensor dropped so far

    def decode(self, msg: EventMessage, sensor: SensorSize) -> np.ndarray:
        """The message's events (``EVENT_DTYPE``, ``t`` in µs); raises ``DecodeError``."""


class _PayloadDecoder:
    """An encoded payload (evt3, mono, libcaer, libcaer_cmp) through its decoder."""

    def __init__(self, encoding: str) -> None:
        self._decoder = make_decoder(encoding)

    @property
    def dropped_out_of_range(self) -> int:
        return int(getattr(self._decoder, 'dropped_out_of_range', 0))

    def decode(self, msg: EventMessage, sensor: SensorSize) -> np.ndarray:
        return np.asarray(
            self._decoder.decode(msg.payload, sensor.width, sensor.height, msg.time_base_ns)
        )


class _DecodedEvents:
    """Events decoded with the message (dvs_msgs, event files); those outside are dropped."""

    def __init__(self) -> None:
        self.dropped_out_of_range = 0

    def decode(self, msg: EventMessage, sensor: SensorSize) -> np.ndarray:
        events = msg.events
        if events is None:
            raise DecodeError('message without events')
        inside = (events['x'] < sensor.width) & (events['y'] < sensor.height)
        dropped = len(events) - int(np.count_nonzero(inside))
        self.dropped_out_of_range += dropped
        return events if not dropped else events[inside]


#: Encoding -> decoder factory: every encoding a stream takes.
MESSAGE_DECODERS: dict[str, Callable[[], MessageDecoder]] = {
    **{enc: (lambda enc=enc: _PayloadDecoder(enc)) for enc in ENCODINGS},
    DVS_ENCODING: _DecodedEvents,
    DECODED_ENCODING: _DecodedEvents,
}


class SeqGaps:
    """Detects lost messages from the EventPacket ``seq``, which a driver increments by one.

    A step of more than one counts a gap and its missing messages; a step back (a restarted
    driver, a looped bag) restarts the count. ``after_gap`` stays set until the next message is
    ordered, so a time reset that a lost message causes (evt3 loses its TIME_HIGH) is attributed.
    """

    def __init__(self) -> None:
        self.last: int | None = None
        self.after_gap = False

    def see(self, seq: int, counters: Counters) -> int:
        """Take the next message's ``seq``; return how many messages were lost before it."""
        last, self.last = self.last, seq
        if last is None or seq <= last:
            return 0
        lost = seq - last - 1
        if lost > 0:
            counters.seq_gaps += 1
            counters.lost_messages += lost
            self.after_gap = True
        return lost


class StreamDecoder:
    """Checks and decodes the messages of one stream (see the module docstring).

    Args:
        counters: where the lost messages are counted.
        reject: counts and logs a rejection.
        log_seq: reports ``lost`` messages found missing before the message of a ``seq``.
    """

    def __init__(
        self, counters: Counters, reject: Reject, log_seq: Callable[[int, int], None]
    ) -> None:
        self.counters = counters
        self.reject = reject
        self.log_seq = log_seq
        self.sensor: SensorSize | None = None
        self.decoders: dict[str, MessageDecoder] = {}  # of ``sensor``'s stream
        self.seq = SeqGaps()

    def follow(self, seq: int) -> None:
        """Follow the ``seq`` of a message received (decoded or not); count and log a gap."""
        lost = self.seq.see(seq, self.counters)
        if lost:
            self.log_seq(lost, seq)

    def reset(self) -> None:
        """Forget the decoders' state and the ``seq`` history."""
        self.sensor, self.decoders, self.seq = None, {}, SeqGaps()

    def adopt(self, sensor: SensorSize, decoders: dict[str, MessageDecoder]) -> None:
        """Make ``decoders`` (those of a message that proved usable) the stream's."""
        self.sensor, self.decoders = sensor, decoders

    def decode(
        self, msg: EventMessage, *, fresh: bool = False
    ) -> tuple[SensorSize, dict[str, MessageDecoder], np.ndarray] | None:
        """(sensor, the decoders used, events), or ``None`` when the message is rejected.

        A message of another sensor size (or any message with ``fresh``: a loop) is decoded with
        fresh decoders, which the caller :meth:`adopt` s once the message proved usable.
        """
        if msg.encoding not in MESSAGE_DECODERS:
            valid = [*ENCODINGS, DVS_ENCODING]  # what a ROS message may carry
            reason = f'dropped message: unknown encoding {msg.encoding!r}; valid: {valid}'
            self.reject('unknown_encoding', 'encoding', reason, 1)
            return None
        if not all(is_int(v) and 0 < v <= MAX_SIDE for v in (msg.width, msg.height)):
            reason = (
                f'dropped message: sensor size {msg.width!r}x{msg.height!r} is not in '
                f'[1, {MAX_SIDE}]'
            )
            self.reject('bad_sensor_size', 'size', reason, 1)
            return None
        if msg.encoding != DVS_ENCODING:
            self.follow(int(msg.seq))
        sensor = SensorSize(int(msg.width), int(msg.height))
        decoders = self.decoders if sensor == self.sensor and not fresh else {}
        decoder = decoders.get(msg.encoding)
        if decoder is None:
            decoder = decoders[msg.encoding] = MESSAGE_DECODERS[msg.encoding]()
        before = decoder.dropped_out_of_range
        try:
            events = decoder.decode(msg, sensor)
        except DecodeError as err:
            what = 'dvs_msgs' if msg.encoding == DVS_ENCODING else msg.encoding
            self.reject(
                'decode_errors', 'decode', f'dropped {what} message seq {msg.seq}: {err}', 1
            )
            return None
        dropped = decoder.dropped_out_of_range - before
        if dropped > 0:
            reason = f'dropped {dropped} events outside the {sensor.width}x{sensor.height} sensor'
            self.reject('dropped_out_of_range', 'range', reason, dropped)
        return sensor, decoders, events
