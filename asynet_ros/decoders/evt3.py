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

"""Vectorised, stateful decoder of the Prophesee EVT 3.0 (``evt3``) encoding.

The payload is a stream of little-endian 16-bit words; the word type is bits 15..12:

====  ===============  ==============================================================
type  name             payload (bits 11..0)
====  ===============  ==============================================================
0x0   EVT_ADDR_Y       y[10:0], system type [11]: sets the current row
0x2   EVT_ADDR_X       x[10:0], polarity [11]: one CD event at (x, y, t)
0x3   VECT_BASE_X      x[10:0], polarity [11]: vector base column and polarity
0x4   VECT_12          valid mask [11:0]: events at base_x + i; then base_x += 12
0x5   VECT_8           valid mask [7:0]: events at base_x + i; then base_x += 8
0x6   EVT_TIME_LOW     bits 11..0 of the 24-bit microsecond time
0x7   CONTINUED_4      ignored
0x8   EVT_TIME_HIGH    bits 23..12 of the 24-bit microsecond time
0x9   padding          ignored
0xA   EXT_TRIGGER      edge [0] (1 rising, 0 falling), id [11:8]: counted
0xE   OTHERS           monitoring, ignored
0xF   CONTINUED_12     ignored
====  ===============  ==============================================================

Time: ``t_us = rollovers * 2**24 + (TIME_HIGH << 12 | TIME_LOW)``, in sensor **microseconds**.
A rollover is counted when a TIME_HIGH is lower than the previous one by more than 10, so ``t``
keeps increasing past the 16.77 s period of the 24-bit counter. The message's ``time_base`` is
undefined for evt3 and ignored. Decoding starts after the first TIME_HIGH followed by a TIME_LOW;
events before that are dropped (counted in :attr:`Evt3Decoder.dropped_before_time`), as are
events outside the sensor (:attr:`Evt3Decoder.dropped_out_of_range`).

Decoding runs in :func:`asynet_core.ops.evt3_decode`: the compiled extension when it is built (a
block-wise scalar decoder), else its numpy reference twin; both give identical results. The
decoder state (time, row, vector base, counters) is an explicit array carried from one packet to
the next, so a packet may end at any word.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from asynet_core import evt3_ref
from asynet_core.errors import EventFormatError
from asynet_ros.decoders._payload import check_size, payload_bytes
from asynet_ros.decoders.errors import DecodeError

__all__ = ['ROLLOVER_TOLERANCE', 'TIME_PERIOD_US', 'TRIGGER_DTYPE', 'Evt3Decoder']

#: External-trigger events: edge ``p`` (1 rising, 0 falling), time ``t`` in µs, channel ``id``.
TRIGGER_DTYPE = evt3_ref.EVT3_TRIGGER_DTYPE
#: Period of the 24-bit microsecond counter.
TIME_PERIOD_US = 1 << 24
#: A TIME_HIGH lower than the previous one by more than this counts as a rollover.
ROLLOVER_TOLERANCE = 10

_FIELD = {name: i for i, name in enumerate(evt3_ref.EVT3_STATE_FIELDS)}


class Evt3Decoder:
    """Decode ``evt3`` payloads packet after packet into :data:`EVENT_DTYPE` arrays.

    Use one instance per event stream and feed it the packets in order; :meth:`reset` starts a
    new stream.

    Attributes:
        last_triggers: the external-trigger events of the last decoded packet
            (:data:`TRIGGER_DTYPE`).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the stream state and zero the counters."""
        self._state = evt3_ref.evt3_initial_state()
        self.last_triggers = np.zeros(0, dtype=TRIGGER_DTYPE)

    @property
    def triggers_rising(self) -> int:
        """External-trigger words with edge 1 seen since the last reset."""
        return self._get('triggers_rising')

    @property
    def triggers_falling(self) -> int:
        """External-trigger words with edge 0 seen since the last reset."""
        return self._get('triggers_falling')

    @property
    def dropped_out_of_range(self) -> int:
        """CD events dropped for ``x >= width`` or ``y >= height``."""
        return self._get('dropped_out_of_range')

    @property
    def dropped_before_time(self) -> int:
        """CD events dropped because no time (or no row, or no vector base) was known yet."""
        return self._get('dropped_before_time')

    @property
    def time_us(self) -> int | None:
        """Current sensor time in µs (with rollovers), or None before decoding started."""
        if not self._get('started'):
            return None
        return self._get('time_high_us') + self._get('time_low')

    def decode(
        self, payload: bytes | np.ndarray, width: int, height: int, time_base: int = 0
    ) -> np.ndarray:
        """Decode one packet.

        Args:
            payload: the message's ``events`` bytes (or a 1-D ``uint8`` array), little-endian.
            width: sensor width; events with ``x >= width`` are dropped.
            height: sensor height; events with ``y >= height`` are dropped.
            time_base: the message's ``time_base``; undefined for evt3 and ignored.

        Returns:
            The CD events of the packet, of :data:`EVENT_DTYPE`, ``t`` in sensor µs.

        Raises:
            DecodeError: the payload is not bytes / 1-D uint8, has an odd length, holds a word
                of an unknown type (then nothing of the packet is decoded), or the sensor size is
                not positive.
        """
        del time_base  # evt3 carries absolute sensor time; time_base is "content undefined"
        check_size(width, height)
        words = payload_bytes(payload, 'evt3', 2).view('<u2')
        try:
            events, triggers, state = _ops().evt3_decode(
                words, int(width), int(height), self._state
            )
        except EventFormatError as err:
            raise DecodeError(str(err)) from err
        self._state = state
        self.last_triggers = triggers
        return events

    def _get(self, name: str) -> int:
        return int(self._state[_FIELD[name]])


def _ops() -> Any:
    """:mod:`asynet_core.ops`, imported on the first decode (the compiled kernels load torch).

    Modules that only name the decoders (command-line parsers) so start at once.
    """
    from asynet_core import ops

    return ops
