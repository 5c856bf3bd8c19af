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

"""Tests of the libcaer and libcaer_cmp decoders: hand-built bit layouts, state, errors."""

from __future__ import annotations

import numpy as np
import pytest

from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders import DecodeError, LIBCAER_DTYPE, LibcaerCmpDecoder, LibcaerDecoder


def as_tuples(events: np.ndarray) -> list[tuple[int, int, int, int]]:
    return [(int(e['x']), int(e['y']), int(e['p']), int(e['t'])) for e in events]


# --- libcaer (uncompressed) -------------------------------------------------------------------


def record(x: int, y: int, p: int, ts: int, valid: int = 1) -> tuple[int, int]:
    return (x << 17 | y << 2 | p << 1 | valid, ts)


def pack_records(records: list[tuple[int, int]]) -> bytes:
    return np.array(records, dtype=LIBCAER_DTYPE).tobytes()


def test_libcaer_bit_layout_and_time_base() -> None:
    payload = pack_records([record(32767, 32767, 1, 0x7FFFFFFF), record(639, 479, 0, 5)])
    assert payload[:8] == bytes.fromhex('ffffffff ffffff7f')  # all-ones fields, LE
    events = LibcaerDecoder().decode(payload, 1 << 15, 1 << 15, time_base=1_000_999)
    assert events.dtype == EVENT_DTYPE
    # t_ns = time_base + ts * 1000 (+ 2**31 * 1000 per wrap): the second timestamp wrapped.
    assert as_tuples(events) == [
        (32767, 32767, 1, 1000 + 0x7FFFFFFF),
        (639, 479, 0, 1000 + (1 << 31) + 5),
    ]


def test_libcaer_counts_every_wrap_inside_the_packet() -> None:
    stamps = [10, 20, 5, 5, 30, 2, 3]  # decreases at 5 and 2: two wraps
    events = LibcaerDecoder().decode(pack_records([record(1, 1, 1, t) for t in stamps]), 8, 8)
    wraps = [0, 0, 1, 1, 1, 2, 2]
    assert events['t'].tolist() == [t + w * (1 << 31) for t, w in zip(stamps, wraps, strict=True)]


def test_libcaer_drops_and_counts_invalid_and_outside_events() -> None:
    decoder = LibcaerDecoder()
    records = [
        record(1, 2, 1, 100),
        record(3, 4, 0, 101, valid=0),
        record(8, 0, 1, 102),  # x >= width
        record(0, 6, 1, 103),  # y >= height
        record(7, 5, 0, 104),
    ]
    events = decoder.decode(pack_records(records), 8, 6)
    assert as_tuples(events) == [(1, 2, 1, 100), (7, 5, 0, 104)]
    assert (decoder.dropped_invalid, decoder.dropped_out_of_range) == (1, 2)
    decoder.reset()
    assert (decoder.dropped_invalid, decoder.dropped_out_of_range) == (0, 0)


def test_libcaer_empty_payload() -> None:
    assert LibcaerDecoder().decode(b'', 8, 8).size == 0


@pytest.mark.parametrize(
    ('payload', 'time_base', 'match'),
    [
        (b'\x01' * 12, 0, r'libcaer payload length must be a multiple of 8 \(64-bit words\)'),
        (pack_records([record(1, 1, 1, -5)]), 0, r'libcaer event 0 has a negative timestamp -5'),
        (b'', -1, r'libcaer time_base must be in \[0, 2\*\*63\) ns, got -1'),
        (b'', 1.5, r'libcaer time_base must be an int \(ns\), got 1.5'),
        (np.zeros(8, dtype=np.int8), 0, r'libcaer payload array must be 1-D uint8, got 1-D int8'),
    ],
)
def test_libcaer_errors(payload: object, time_base: int, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        LibcaerDecoder().decode(payload, 8, 8, time_base)  # type: ignore[arg-type]


# --- libcaer_cmp ------------------------------------------------------------------------------


def token(code: int, payload: int) -> int:
    assert 0 <= code < 16
    assert 0 <= payload < 1 << 12
    return code << 12 | payload


def time_high(v: int) -> int:
    return token(0, v)


def time_low(v: int) -> int:
    return token(1, v)


def addr_x(x: int) -> int:
    return token(2, x)


def addr_y(y: int, p: int) -> int:
    return token(3, p << 11 | y)


def vect_base_y(y: int, p: int) -> int:
    return token(4, p << 11 | y)


def vect8(mask: int) -> int:
    return token(5, mask)


def pack(words: list[int]) -> bytes:
    return np.asarray(words, dtype='<u2').tobytes()


def test_cmp_tokens_and_time() -> None:
    payload = pack(
        [
            addr_x(2047),
            addr_y(5, 1),  # TIME_HIGH = TIME_LOW = 0 at the message start: t = time_base
            time_high(0xABC),
            time_low(0x123),
            addr_y(2047, 0),
            addr_x(3),
            time_low(0xFFF),
            addr_y(0, 1),
        ]
    )
    assert payload[:2] == b'\xff\x27'  # code 2 in bits 15..12, x in 10..0, little-endian
    base_us = 7_000
    events = LibcaerCmpDecoder().decode(payload, 2048, 2048, time_base=base_us * 1000 + 999)
    assert as_tuples(events) == [
        (2047, 5, 1, base_us),
        (2047, 2047, 0, base_us + (0xABC << 12 | 0x123)),
        (3, 0, 1, base_us + (0xABC << 12 | 0xFFF)),
    ]


def test_cmp_vectors_run_along_y_and_advance_the_base() -> None:
    payload = pack(
        [
            addr_x(9),
            vect_base_y(100, 1),
            vect8(0b1000_0001 | 0xF00),  # bits 11..8 of VECT_8 are unused
            vect8(0b10),
            addr_y(7, 0),  # a single event between vectors keeps the vector state
            vect8(0b1),
        ]
    )
    events = LibcaerCmpDecoder().decode(payload, 640, 480)
    assert as_tuples(events) == [
        (9, 100, 1, 0),
        (9, 107, 1, 0),
        (9, 109, 1, 0),
        (9, 7, 0, 0),
        (9, 116, 1, 0),
    ]


def test_cmp_x_and_vector_base_persist_time_restarts_per_message() -> None:
    decoder = LibcaerCmpDecoder()
    first = decoder.decode(pack([time_high(1), addr_x(4), vect_base_y(8, 1), vect8(1)]), 16, 32)
    second = decoder.decode(pack([addr_y(2, 0), vect8(0b100)]), 16, 32, time_base=5000)
    assert as_tuples(first) == [(4, 8, 1, 1 << 12)]
    assert as_tuples(second) == [(4, 2, 0, 5), (4, 18, 1, 5)]
    decoder.reset()
    assert as_tuples(decoder.decode(pack([vect8(1), addr_y(1, 1)]), 16, 32)) == [
        (0, 0, 0, 0),  # upstream starts at x = 0, base row 0, polarity 0
        (0, 1, 1, 0),
    ]


def test_cmp_drops_events_outside_the_sensor() -> None:
    decoder = LibcaerCmpDecoder()
    payload = pack([addr_x(5), addr_y(1, 1), vect_base_y(2, 0), vect8(0xFF), addr_x(4)])
    events = decoder.decode(payload + pack([addr_y(3, 0)]), 5, 6)
    assert as_tuples(events) == [(4, 3, 0, 0)]
    assert decoder.dropped_out_of_range == 9


def test_cmp_vector_base_wraps_like_uint16() -> None:
    decoder = LibcaerCmpDecoder()
    events = decoder.decode(pack([vect_base_y(0, 0)] + [vect8(0)] * 8192 + [vect8(0b11)]), 8, 8)
    assert as_tuples(events) == [(0, 0, 0, 0), (0, 1, 0, 0)]  # 8192 * 8 = 2**16: back at 0


def test_cmp_unknown_code_is_rejected_and_changes_nothing() -> None:
    decoder = LibcaerCmpDecoder()
    decoder.decode(pack([addr_x(3)]), 8, 8)
    bad = pack([addr_x(5), token(6, 0xFF), token(0xF, 1)])
    match = (
        r'^libcaer_cmp word 1 \(0x60ff\) has unknown code 6 \(2 unknown words in the packet; '
        r'codes 0-5 are defined\)$'
    )
    with pytest.raises(DecodeError, match=match):
        decoder.decode(bad, 8, 8)
    assert as_tuples(decoder.decode(pack([addr_y(1, 1)]), 8, 8)) == [(3, 1, 1, 0)]


@pytest.mark.parametrize(
    ('payload', 'time_base', 'match'),
    [
        (b'\x00\x20\x00', 0, r'libcaer_cmp payload length must be even \(16-bit words\), got 3'),
        (b'', 1 << 63, r'libcaer_cmp time_base must be in \[0, 2\*\*63\) ns'),
        ('abc', 0, r'libcaer_cmp payload must be bytes or a uint8 array, got str'),
    ],
)
def test_cmp_errors(payload: object, time_base: int, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        LibcaerCmpDecoder().decode(payload, 8, 8, time_base)  # type: ignore[arg-type]


def test_cmp_empty_payload_keeps_the_state() -> None:
    decoder = LibcaerCmpDecoder()
    decoder.decode(pack([addr_x(6)]), 8, 8)
    assert decoder.decode(b'', 8, 8).size == 0
    assert as_tuples(decoder.decode(pack([addr_y(0, 0)]), 8, 8)) == [(6, 0, 0, 0)]


@pytest.mark.parametrize('cls', [LibcaerDecoder, LibcaerCmpDecoder])
def test_sensor_size_is_checked(cls: type) -> None:
    with pytest.raises(DecodeError, match=r'height must be a positive int, got -2'):
        cls().decode(b'', 8, -2)
