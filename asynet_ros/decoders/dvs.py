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

"""Decoder of whole ``dvs_msgs/msg/EventArray`` CDR messages (ROS 2) into :data:`EVENT_DTYPE`.

The message is ``std_msgs/Header header, uint32 height, uint32 width, Event[] events`` with
``Event = uint16 x, uint16 y, builtin_interfaces/Time ts, bool polarity``. Its CDR bytes are a
4-byte encapsulation header (``00 01`` little-endian CDR, ``00 00`` big-endian; both are read)
and the payload, aligned relative to the byte after the header:

==========  ============================================================================
offset      field
==========  ============================================================================
0           ``stamp.sec`` int32, 4: ``stamp.nanosec`` uint32
8           ``frame_id``: uint32 length L (with the NUL), then L bytes ending in NUL
align 4: B  ``height``, ``width``, events count n (uint32 each); events start at B + 12
==========  ============================================================================

The events start 4-aligned whatever the frame id's length, so their layout is fixed: event 0
holds x @0, y @2, sec @4, nanosec @8, polarity @12 (13 bytes), and event k >= 1 starts at
14 + 16 (k - 1) (2 mod 4): x @0, y @2, 2 padding bytes, sec @6, nanosec @10, polarity @14.
n >= 1 events take 16 n - 3 bytes. :func:`decode_event_array` reads them through one strided
numpy view (event 0's x and y patched in), with no per-event Python object.

Events keep their coordinates as sent (``width`` and ``height`` are returned, not applied; some
drivers leave them 0); ``t = sec * 10**6 + nanosec // 1000`` µs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders._payload import payload_bytes
from asynet_ros.decoders.errors import DecodeError

__all__ = ['EventArrayView', 'decode_event_array']

_WHAT = 'dvs EventArray'
_ENCAPSULATIONS = {b'\x00\x01': '<', b'\x00\x00': '>'}  # CDR_LE, CDR_BE
_NS_PER_S = 10**9
#: Trailing bytes tolerated after the events (DDS pads payloads to a multiple of 4).
_MAX_PADDING = 3


@dataclass(frozen=True)
class EventArrayView:
    """One decoded ``dvs_msgs/msg/EventArray`` message.

    Attributes:
        stamp_ns: ``header.stamp`` in ns since the epoch.
        frame_id: ``header.frame_id``.
        width: the message's sensor width (not applied to the events).
        height: the message's sensor height (not applied to the events).
        events: the events, of :data:`EVENT_DTYPE`, ``t`` in µs.
    """

    stamp_ns: int
    frame_id: str
    width: int
    height: int
    events: np.ndarray


def decode_event_array(raw: bytes | bytearray | memoryview | np.ndarray) -> EventArrayView:
    """Decode the CDR bytes of one ``dvs_msgs/msg/EventArray`` (with the 4-byte header).

    Raises:
        DecodeError: not bytes / 1-D uint8, an unsupported encapsulation, a truncated message
            (naming the field), a frame id without its NUL or not UTF-8, a polarity byte other
            than 0 / 1, a nanosecond field >= 10**9, or unexpected bytes after the events.
    """
    buf = payload_bytes(raw, _WHAT, 1)
    order = _encapsulation(buf)
    reader = _Reader(buf[4:], order)
    sec, nanosec = reader.i32(0, 'header.stamp.sec'), reader.u32(4, 'header.stamp.nanosec')
    _check_nanosec(np.array([nanosec]), 'header.stamp')
    frame_id, end = reader.string(8, 'header.frame_id')
    start = (end + 3) & ~3
    height, width = reader.u32(start, 'height'), reader.u32(start + 4, 'width')
    count = reader.u32(start + 8, 'events length')
    events = reader.events(start + 12, count)
    return EventArrayView(sec * _NS_PER_S + nanosec, frame_id, width, height, events)


def _encapsulation(buf: np.ndarray) -> str:
    """The byte order ('<' or '>') named by the 4-byte CDR encapsulation header."""
    if buf.size < 4:
        raise DecodeError(f'{_WHAT} truncated: {buf.size} bytes, shorter than the CDR header')
    head = buf[:2].tobytes()
    if head not in _ENCAPSULATIONS:
        raise DecodeError(
            f'{_WHAT}: unsupported CDR encapsulation 0x{head.hex()} '
            '(expected 0x0001 little-endian or 0x0000 big-endian plain CDR)'
        )
    return _ENCAPSULATIONS[head]


class _Reader:
    """Bounds-checked reads from the CDR payload (offsets relative to its start)."""

    def __init__(self, body: np.ndarray, order: str) -> None:
        self.body = body
        self.order = order

    def need(self, offset: int, size: int, what: str) -> None:
        if offset + size > self.body.size:
            raise DecodeError(
                f'{_WHAT} truncated: {what} needs {size} bytes at payload offset {offset}, '
                f'{max(self.body.size - offset, 0)} left'
            )

    def scalar(self, offset: int, dtype: str, what: str) -> int:
        dt = np.dtype(self.order + dtype)
        self.need(offset, dt.itemsize, what)
        return int(self.body[offset : offset + dt.itemsize].view(dt)[0])

    def u32(self, offset: int, what: str) -> int:
        return self.scalar(offset, 'u4', what)

    def i32(self, offset: int, what: str) -> int:
        return self.scalar(offset, 'i4', what)

    def string(self, offset: int, what: str) -> tuple[str, int]:
        """The string at ``offset`` (without its NUL) and the offset after it."""
        length = self.u32(offset, f'{what} length')
        self.need(offset + 4, length, what)
        data = self.body[offset + 4 : offset + 4 + length].tobytes()
        if length == 0 or data[-1] != 0:
            raise DecodeError(f'{_WHAT}: {what} of length {length} does not end in a NUL byte')
        try:
            text = data[:-1].decode('utf-8')
        except UnicodeDecodeError as err:
            raise DecodeError(f'{_WHAT}: {what} is not UTF-8: {err}') from err
        return text, offset + 4 + length

    def events(self, start: int, count: int) -> np.ndarray:
        """``count`` events from ``start`` (4-aligned), as :data:`EVENT_DTYPE`."""
        size = 16 * count - 3 if count else 0
        self.need(start, size, f'{count} events')
        extra = self.body.size - start - size
        if extra > _MAX_PADDING:
            raise DecodeError(f'{_WHAT}: {extra} unexpected bytes after the {count} events')
        if count == 0:
            return np.zeros(0, dtype=EVENT_DTYPE)
        # Event k >= 1 starts at start + 14 + 16 (k - 1); seen from start - 2 with stride 16,
        # event 0 has the same sec / nanosec / polarity offsets, only its x and y differ.
        o = self.order
        layout = np.dtype(
            {
                'names': ['x', 'y', 'sec', 'nanosec', 'polarity'],
                'formats': [o + 'u2', o + 'u2', o + 'i4', o + 'u4', 'u1'],
                'offsets': [0, 2, 6, 10, 14],
                'itemsize': 15,
            }
        )
        view = np.ndarray((count,), layout, self.body, offset=start - 2, strides=(16,))
        first = self.body[start : start + 4].view(o + 'u2')  # event 0: x @0, y @2
        return _to_events(view, first)


def _to_events(view: np.ndarray, first_xy: np.ndarray) -> np.ndarray:
    _check_nanosec(view['nanosec'], 'events')
    polarity = view['polarity']
    bad = np.flatnonzero(polarity > 1)
    if bad.size:
        i = int(bad[0])
        raise DecodeError(f'{_WHAT}: event {i} has polarity byte {int(polarity[i])}, not 0 or 1')
    events = np.empty(view.size, dtype=EVENT_DTYPE)
    events['x'] = view['x']
    events['y'] = view['y']
    events['x'][0], events['y'][0] = first_xy
    events['p'] = polarity
    events['t'] = view['sec'].astype(np.int64) * 1_000_000 + view['nanosec'] // 1000
    return events


def _check_nanosec(nanosec: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(nanosec >= _NS_PER_S)
    if bad.size:
        i = int(bad[0])
        where = what if what == 'header.stamp' else f'event {i} ts'
        raise DecodeError(f'{_WHAT}: {where} has nanosec {int(nanosec[i])} >= 10**9')
