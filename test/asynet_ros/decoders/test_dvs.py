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

"""Tests of the dvs_msgs/msg/EventArray decoder against rosbags' own CDR serialisation, fuzzed."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
import numpy as np
import pytest

from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders import decode_event_array, DecodeError, EventArrayView
from asynet_ros.event_message import (
    EVENT_ARRAY_TYPE,
)
from fuzzing import FUZZ, H, mutate, MUTATION, shared_typestore, W, watchdog

TYPE = 'dvs_msgs/msg/EventArray'
FRAME_IDS = ['', 'a', 'ab', 'abc', 'cam0', 'camera_5', 'événement']  # each length mod 4, UTF-8


@pytest.fixture(scope='module')
def ts(rosbags_typesys: ModuleType) -> Any:
    from asynet_ros.interfaces import typestore  # needs rosbags

    return typestore()


def make_msg(ts: Any, events: list[tuple[int, int, int, int, bool]], frame_id: str) -> Any:
    t = ts.types
    time = t['builtin_interfaces/msg/Time']
    evs = [
        t['dvs_msgs/msg/Event'](x=x, y=y, ts=time(sec=s, nanosec=ns), polarity=p)
        for x, y, s, ns, p in events
    ]
    header = t['std_msgs/msg/Header'](stamp=time(sec=1_700_000_000, nanosec=42), frame_id=frame_id)
    return t[TYPE](header=header, height=480, width=640, events=evs)


def random_events(rng: np.random.Generator, n: int) -> list[tuple[int, int, int, int, bool]]:
    return [
        (
            int(rng.integers(0, 1 << 16)),
            int(rng.integers(0, 1 << 16)),
            int(rng.integers(-(1 << 31), 1 << 31)),
            int(rng.integers(0, 10**9)),
            bool(rng.integers(0, 2)),
        )
        for _ in range(n)
    ]


def serialize(ts: Any, msg: Any, little_endian: bool = True) -> bytes:
    return bytes(ts.serialize_cdr(msg, TYPE, little_endian=little_endian))


@pytest.mark.parametrize('little_endian', [True, False])
@pytest.mark.parametrize('n', [0, 1, 2, 3, 1000])
@pytest.mark.parametrize('frame_id', FRAME_IDS)
def test_matches_rosbags_serialisation(
    ts: Any, rng: np.random.Generator, n: int, frame_id: str, little_endian: bool
) -> None:
    events = random_events(rng, n)
    raw = serialize(ts, make_msg(ts, events, frame_id), little_endian)
    view = decode_event_array(raw)
    expected = np.array(
        [(x, y, int(p), s * 1_000_000 + ns // 1000) for x, y, s, ns, p in events],
        dtype=EVENT_DTYPE,
    )
    assert view == EventArrayView(
        stamp_ns=1_700_000_000 * 10**9 + 42,
        frame_id=frame_id,
        width=640,
        height=480,
        events=view.events,
    )
    assert view.events.dtype == EVENT_DTYPE
    np.testing.assert_array_equal(view.events, expected)
    prefix = (8 + 4 + len(frame_id.encode()) + 1 + 3) // 4 * 4 + 12
    assert len(raw) == 4 + prefix + (16 * n - 3 if n else 0)


def test_layout_by_hand() -> None:
    # frame_id 'cam0' (5 bytes with NUL, padded to 16), height, width, n = 2; event 0 at payload
    # offset 28: x, y, sec, nanosec, polarity, 1 pad; event 1 at 42: x, y, 2 pad, sec, nanosec,
    # polarity (no trailing pad).
    payload = (
        bytes.fromhex('00010000')
        + (5).to_bytes(4, 'little')
        + (999_999_999).to_bytes(4, 'little')
        + (5).to_bytes(4, 'little')
        + b'cam0\x00\x00\x00\x00'
        + (3).to_bytes(4, 'little')
        + (4).to_bytes(4, 'little')
        + (2).to_bytes(4, 'little')
        + bytes.fromhex('0100 0200 07000000 e8030000 01 00')
        + bytes.fromhex('0300 0400 0000 ffffffff d0070000 00')
    )
    view = decode_event_array(payload)
    assert (view.stamp_ns, view.frame_id, view.width, view.height) == (5_999_999_999, 'cam0', 4, 3)
    assert view.events.tolist() == [(1, 2, 1, 7_000_001), (3, 4, 0, -1_000_000 + 2)]


def test_accepts_memoryview_array_and_dds_padding(ts: Any, rng: np.random.Generator) -> None:
    raw = serialize(ts, make_msg(ts, random_events(rng, 3), 'cam0'))
    reference = decode_event_array(raw).events
    for data in (memoryview(raw), np.frombuffer(raw, np.uint8), raw + b'\x00\x00\x00'):
        np.testing.assert_array_equal(decode_event_array(data).events, reference)


def truncations(ts: Any) -> list[tuple[bytes, str]]:
    raw = serialize(ts, make_msg(ts, [(1, 2, 3, 4, True)] * 2, 'cam0'))
    return [
        (raw[:3], r'truncated: 3 bytes, shorter than the CDR header'),
        (raw[:6], r'truncated: header.stamp.sec needs 4 bytes at payload offset 0, 2 left'),
        (raw[:10], r'header.stamp.nanosec needs 4 bytes at payload offset 4, 2 left'),
        (raw[:14], r'header.frame_id length needs 4 bytes at payload offset 8'),
        (raw[:18], r'header.frame_id needs 5 bytes at payload offset 12, 2 left'),
        (raw[:24], r'truncated: height needs 4 bytes at payload offset 20, 0 left'),
        (raw[:28], r'truncated: width needs 4'),
        (raw[:32], r'truncated: events length needs 4'),
        (raw[:-1], r'truncated: 2 events needs 29 bytes at payload offset 32, 28 left'),
        (raw + b'\x00' * 4, r'4 unexpected bytes after the 2 events'),
    ]


def test_truncated_messages_name_the_field(ts: Any) -> None:
    for raw, match in truncations(ts):
        with pytest.raises(DecodeError, match=match):
            decode_event_array(raw)


def test_garbage_count_is_a_truncation_not_a_crash(ts: Any) -> None:
    raw = bytearray(serialize(ts, make_msg(ts, [], 'cam0')))
    raw[32:36] = (0xFFFFFFFF).to_bytes(4, 'little')
    with pytest.raises(DecodeError, match=r'4294967295 events needs 68719476717 bytes'):
        decode_event_array(bytes(raw))


def patched(ts: Any, offset: int, value: bytes) -> bytes:
    raw = bytearray(serialize(ts, make_msg(ts, [(1, 2, 3, 4, True)] * 2, 'cam0')))
    raw[offset : offset + len(value)] = value
    return bytes(raw)


@pytest.mark.parametrize(
    ('offset', 'value', 'match'),
    [
        (0, b'\x00\x03', r'unsupported CDR encapsulation 0x0003 \(expected 0x0001 little-endian'),
        (1, b'\x07', r'unsupported CDR encapsulation 0x0007'),
        (20, b'\x01', r'header.frame_id of length 5 does not end in a NUL byte'),
        (16, b'\xff', r'header.frame_id is not UTF-8'),
        (8, (10**9).to_bytes(4, 'little'), r'header.stamp has nanosec 1000000000 >= 10\*\*9'),
        (4 + 32 + 14 + 10, (10**9 + 1).to_bytes(4, 'little'), r'event 1 ts has nanosec 10+1 '),
        (4 + 32 + 12, b'\x02', r'event 0 has polarity byte 2, not 0 or 1'),
    ],
)
def test_garbage_is_rejected(ts: Any, offset: int, value: bytes, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        decode_event_array(patched(ts, offset, value))


def test_zero_length_frame_id_is_rejected(ts: Any) -> None:
    raw = bytearray(serialize(ts, make_msg(ts, [], '')))
    raw[12:16] = bytes(4)  # length 0: CDR strings always hold their NUL
    with pytest.raises(DecodeError, match=r'frame_id of length 0 does not end in a NUL byte'):
        decode_event_array(bytes(raw))


def test_rejects_non_bytes() -> None:
    with pytest.raises(DecodeError, match=r'dvs EventArray payload must be bytes or a uint8 arr'):
        decode_event_array([0, 1, 0, 0])  # type: ignore[arg-type]


# -- found by the fuzzer, and fuzzed CDR (test/helpers/fuzzing.py) --------------------------------


def test_dvs_non_contiguous_memoryview_is_read() -> None:
    raw = dvs_cdr(shared_typestore(), [(1, 2, 3, 4, True)], 'cam', little_endian=True)
    spread = bytearray(2 * len(raw))
    spread[::2] = raw
    assert decode_event_array(memoryview(spread)[::2]).events.tolist() == [(1, 2, 1, 3_000_000)]


DVS_EVENT = st.tuples(
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.integers(-(1 << 31), (1 << 31) - 1),
    st.integers(0, 10**9 - 1),
    st.booleans(),
)


def dvs_cdr(
    ts: Any, events: list[tuple[int, ...]], frame_id: str, *, little_endian: bool
) -> bytes:
    """A ``dvs_msgs/msg/EventArray`` serialised by rosbags."""
    t = ts.types
    stamp = t['builtin_interfaces/msg/Time'](sec=5, nanosec=6)
    msg = t[EVENT_ARRAY_TYPE](
        header=t['std_msgs/msg/Header'](stamp=stamp, frame_id=frame_id),
        height=H,
        width=W,
        events=[
            t['dvs_msgs/msg/Event'](
                x=x, y=y, ts=t['builtin_interfaces/msg/Time'](sec=s, nanosec=ns), polarity=p
            )
            for x, y, s, ns, p in events
        ],
    )
    return bytes(ts.serialize_cdr(msg, EVENT_ARRAY_TYPE, little_endian=little_endian))


@FUZZ
@given(
    events=st.lists(DVS_EVENT, max_size=20),
    frame_id=st.text(max_size=12),
    little_endian=st.booleans(),
    mutations=st.lists(MUTATION, max_size=4),
)
def test_decode_event_array_on_mutated_cdr(
    events: list[tuple[int, ...]], frame_id: str, little_endian: bool, mutations: list[Any]
) -> None:
    ts = shared_typestore()
    raw = dvs_cdr(ts, events, frame_id, little_endian=little_endian)
    other = dvs_cdr(ts, events[:3], 'x', little_endian=not little_endian)
    with watchdog():
        try:
            view = decode_event_array(mutate(raw, mutations, [raw, other]))
        except DecodeError:
            assert mutations, 'a valid message was rejected'
            return
    assert view.events.dtype == EVENT_DTYPE
    assert set(np.unique(view.events['p']).tolist()) <= {0, 1}
    assert 0 <= view.width < 1 << 32
    assert 0 <= view.height < 1 << 32
    assert isinstance(view.frame_id, str)
    if not mutations:
        expected = [(x, y, int(p), s * 10**6 + ns // 1000) for x, y, s, ns, p in events]
        assert view.events.tolist() == expected
        assert (view.stamp_ns, view.frame_id, view.width, view.height) == (
            5 * 10**9 + 6,
            frame_id,
            W,
            H,
        )
