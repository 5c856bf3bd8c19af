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

"""Decoder of the deprecated ``mono`` encoding of ``event_camera_msgs``.

Each event is one little-endian 64-bit word: polarity bit 63, y bits 62..48 (15 bits), x bits
47..32 (16 bits), dt bits 31..0 in nanoseconds. The event time is ``time_base + dt`` ns; the
decoder returns ``t = (time_base + dt) // 1000`` in **microseconds** (floor), computed without
overflow for any ``time_base`` below 2**63 ns. The format has no cross-packet state; the decoder
keeps only a counter of dropped out-of-range events.
"""

from __future__ import annotations

import numpy as np

from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders._payload import check_size, check_time_base, payload_bytes

__all__ = ['MonoDecoder']

_WORD_BYTES = 8
_NS_PER_US = 1000


class MonoDecoder:
    """Decode ``mono`` payloads into :data:`EVENT_DTYPE` arrays.

    Attributes:
        dropped_out_of_range: events dropped for ``x >= width`` or ``y >= height``.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero the counters (the format itself carries no state)."""
        self.dropped_out_of_range = 0

    def decode(
        self, payload: bytes | np.ndarray, width: int, height: int, time_base: int = 0
    ) -> np.ndarray:
        """Decode one packet.

        Args:
            payload: the message's ``events`` bytes (or a 1-D ``uint8`` array), little-endian.
            width: sensor width; events with ``x >= width`` are dropped.
            height: sensor height; events with ``y >= height`` are dropped.
            time_base: the message's ``time_base`` in ns, added to every event's dt.

        Returns:
            The events, of :data:`EVENT_DTYPE`, ``t`` in µs.

        Raises:
            DecodeError: the payload is not bytes / 1-D uint8, its length is not a multiple of 8,
                the sensor size is not positive or ``time_base`` is not an int in
                ``[0, 2**63)`` ns.
        """
        check_size(width, height)
        base_us, base_rest_ns = divmod(check_time_base(time_base, 'mono'), _NS_PER_US)
        words = _as_words(payload).astype(np.uint64)
        events = np.empty(words.size, dtype=EVENT_DTYPE)
        events['p'] = (words >> np.uint64(63)).astype(np.int16)
        events['y'] = ((words >> np.uint64(48)) & np.uint64(0x7FFF)).astype(np.uint16)
        events['x'] = ((words >> np.uint64(32)) & np.uint64(0xFFFF)).astype(np.uint16)
        dt_ns = (words & np.uint64(0xFFFFFFFF)).astype(np.int64)
        events['t'] = base_us + (base_rest_ns + dt_ns) // _NS_PER_US  # no int64 overflow
        inside = (events['x'] < width) & (events['y'] < height)
        dropped = events.size - int(np.count_nonzero(inside))
        if dropped == 0:
            return events
        self.dropped_out_of_range += dropped
        return events[inside]


def _as_words(payload: object) -> np.ndarray:
    """The payload as little-endian 64-bit words."""
    return payload_bytes(payload, 'mono', _WORD_BYTES).view('<u8')
