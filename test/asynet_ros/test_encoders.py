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

"""Tests of the encoders: exact round trips through the decoders, word layouts, errors."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest

from asynet_core.events import concatenate_events, make_events
from asynet_ros.decoders import (
    Evt3Decoder,
    LibcaerCmpDecoder,
    LibcaerDecoder,
    make_decoder,
    MonoDecoder,
)
from asynet_ros.encoders import (
    encode_evt3,
    encode_libcaer,
    encode_libcaer_cmp,
    encode_mono,
    EncodeError,
    Evt3Encoder,
)

W, H = 640, 480


def stream(seed: int, n: int, max_dt_us: int, burst: int = 1, along: str = 'x') -> np.ndarray:
    """``n`` time-ordered events, in runs of ``burst`` neighbours of one time and polarity.

    The runs go along a row (``along='x'``: evt3 vectors) or a column (``along='y'``:
    libcaer_cmp vectors).
    """
    rng = np.random.default_rng(seed)
    runs = -(-n // burst)
    t = np.repeat(np.cumsum(rng.integers(0, max_dt_us + 1, runs)), burst)[:n]
    step = rng.integers(1, 4, runs)
    start_x, start_y = rng.integers(0, W - 3 * burst, runs), rng.integers(0, H - 3 * burst, runs)
    rank = np.tile(np.arange(burst), runs)[:n]
    x = np.repeat(start_x, burst)[:n] + (np.repeat(step, burst)[:n] * rank if along == 'x' else 0)
    y = np.repeat(start_y, burst)[:n] + (np.repeat(step, burst)[:n] * rank if along == 'y' else 0)
    p = np.repeat(rng.integers(0, 2, runs), burst)[:n]
    return make_events(x, y, t, p)


def words_of(payload: bytes) -> list[int]:
    return np.frombuffer(payload, dtype='<u2').tolist()


# --- evt3 -------------------------------------------------------------------------------------


def test_evt3_words_by_hand() -> None:
    events = make_events([5, 6, 7, 9, 100], [3, 3, 3, 3, 4], [0x12345] * 4 + [0x12346], [1] * 5)
    assert words_of(encode_evt3(events, vectors=False)) == [
        0x8012,  # TIME_HIGH 0x012
        0x6345,  # TIME_LOW 0x345
        0x0003,  # ADDR_Y 3
        0x2805,  # ADDR_X 5, polarity 1
        0x2806,
        0x2807,
        0x2809,
        0x6346,  # only the low bits changed
        0x0004,
        0x2864,
    ]
    assert words_of(encode_evt3(events, vectors=True)) == [
        0x8012,
        0x6345,
        0x0003,
        0x3805,  # VECT_BASE_X 5, polarity 1
        0x5017,  # VECT_8: columns 5, 6, 7, 9
        0x6346,
        0x0004,
        0x2864,  # a single event stays an ADDR_X
    ]


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 400),
    max_dt_us=st.sampled_from([0, 3, 200, 100_000, 5_000_000]),
    burst=st.sampled_from([1, 5, 30]),
    vectors=st.booleans(),
    n_cuts=st.integers(0, 6),
)
def test_evt3_round_trip_split_into_packets(
    seed: int, n: int, max_dt_us: int, burst: int, vectors: bool, n_cuts: int
) -> None:
    events = stream(seed, n, max_dt_us, burst)
    cuts = np.sort(np.random.default_rng(seed).integers(0, n + 1, n_cuts))
    encoder, decoder = Evt3Encoder(vectors=vectors), Evt3Decoder()
    packets = [encoder.encode(part) for part in np.split(events, cuts)]
    decoded = concatenate_events([decoder.decode(p, W, H) for p in packets])
    np.testing.assert_array_equal(decoded, events)
    if not vectors:  # (vector runs end at packet ends)
        assert b''.join(packets) == encode_evt3(events, vectors=False)
    assert decoder.dropped_before_time == decoder.dropped_out_of_range == 0


def test_evt3_vectors_make_dense_streams_shorter() -> None:
    events = stream(1, 3000, 5, burst=12)
    plain, vect = encode_evt3(events, vectors=False), encode_evt3(events, vectors=True)
    assert len(vect) < len(plain) * 0.6
    kinds = {w >> 12 for w in words_of(vect)}
    assert {0x3, 0x4, 0x5} <= kinds
    np.testing.assert_array_equal(Evt3Decoder().decode(vect, W, H), events)


def test_evt3_crosses_the_24_bit_rollover_and_long_gaps() -> None:
    t = [(1 << 24) - 2, (1 << 24) - 1, 1 << 24, (1 << 24) + 5, 3 << 24, (7 << 24) + 123, 1 << 30]
    events = make_events(np.arange(7), np.full(7, 2), t, np.ones(7))
    payload = encode_evt3(events)
    np.testing.assert_array_equal(Evt3Decoder().decode(payload, W, H), events)
    highs = [w & 0xFFF for w in words_of(payload) if w >> 12 == 0x8]
    steps = np.diff(highs) % 4096
    assert steps.max() <= 2048  # every rollover is visible to the decoder


def test_evt3_start_time_and_late_origin() -> None:
    events = make_events([1], [1], [5000], [1])
    payload = encode_evt3(events, start_time_us=1000)
    assert words_of(payload)[:2] == [0x8000, 0x63E8]
    np.testing.assert_array_equal(Evt3Decoder().decode(payload, W, H), events)
    # The decoder's origin is the first TIME_HIGH modulo 2**24: a late start loses whole periods.
    late = make_events([1], [1], [(5 << 24) + 77], [1])
    assert Evt3Decoder().decode(encode_evt3(late), W, H)['t'].tolist() == [77]


def test_evt3_encoder_state_and_reset() -> None:
    encoder = Evt3Encoder(vectors=False)
    first = encoder.encode(make_events([1], [2], [10], [0]))
    assert words_of(encoder.encode(make_events([3], [2], [10], [0]))) == [0x2003]
    assert encoder.encode(make_events([], [], [], [])) == b''
    encoder.reset()
    assert encoder.encode(make_events([1], [2], [10], [0])) == first


def test_evt3_encodes_a_million_events_quickly() -> None:
    events = stream(2, 1_000_000, 20)
    start = time.perf_counter()
    payload = encode_evt3(events, vectors=False)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f'{elapsed:.2f} s'  # ~0.3 s here; generous for loaded CI machines
    assert Evt3Decoder().decode(payload, W, H).size == events.size


@pytest.mark.parametrize(
    ('events', 'kwargs', 'match'),
    [
        (make_events([2048], [0], [0], [0]), {}, r'evt3: event 0 has x=2048, the encoding needs'),
        (make_events([0, 0], [0, 0], [5, 4], [0, 0]), {}, r'event 1 has t=4 us < t=5 of event 0'),
        (make_events([0], [0], [5], [0]), {'start_time_us': 6}, r'before the stream time 6'),
        (np.zeros(3, dtype=np.int64), {}, r'evt3: events must be a 1-D EVENT_DTYPE array, got'),
    ],
)
def test_evt3_errors(events: np.ndarray, kwargs: dict[str, int], match: str) -> None:
    with pytest.raises(EncodeError, match=match):
        encode_evt3(events, **kwargs)  # type: ignore[arg-type]


def test_evt3_errors_across_packets_and_polarity() -> None:
    encoder = Evt3Encoder()
    encoder.encode(make_events([0], [0], [100], [0]))
    with pytest.raises(EncodeError, match=r'event 0 has t=99 us, before the stream time 100'):
        encoder.encode(make_events([0], [0], [99], [0]))
    bad = make_events([0], [0], [0], [0])
    bad['p'] = 2
    with pytest.raises(EncodeError, match=r'evt3: event 0 has p=2, not 0 or 1'):
        encode_evt3(bad)
    with pytest.raises(EncodeError, match=r'evt3 start_time_us must be >= 0, got -1'):
        Evt3Encoder(start_time_us=-1)


# --- mono, libcaer, libcaer_cmp ---------------------------------------------------------------

TIME_BASE_NS = 1_700_000_000_123_456_789


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), burst=st.sampled_from([1, 4, 9]))
def test_mono_libcaer_libcaer_cmp_round_trips(seed: int, n: int, burst: int) -> None:
    base_us = TIME_BASE_NS // 1000
    events = stream(seed, n, 900, burst, along='y')
    events['t'] += base_us + 1
    cases = [
        (MonoDecoder(), encode_mono(events, TIME_BASE_NS)),
        (LibcaerDecoder(), encode_libcaer(events, TIME_BASE_NS)),
        (LibcaerCmpDecoder(), encode_libcaer_cmp(events, TIME_BASE_NS, vectors=False)),
        (LibcaerCmpDecoder(), encode_libcaer_cmp(events, TIME_BASE_NS)),
    ]
    for decoder, payload in cases:
        np.testing.assert_array_equal(decoder.decode(payload, W, H, TIME_BASE_NS), events)


def test_libcaer_cmp_messages_continue_one_stream_through_the_decoder() -> None:
    events = stream(4, 2000, 50, 6, along='y')
    decoder = make_decoder('libcaer_cmp')
    decoded = []
    for part in np.array_split(events, 7):
        base_ns = int(part['t'][0]) * 1000
        decoded.append(decoder.decode(encode_libcaer_cmp(part, base_ns), W, H, base_ns))
    np.testing.assert_array_equal(concatenate_events(decoded), events)


def test_libcaer_cmp_words_by_hand() -> None:
    events = make_events([7, 7, 7, 7, 8], [16, 17, 19, 30, 1], [5, 5, 5, 5, 4101], [0, 0, 0, 0, 1])
    assert words_of(encode_libcaer_cmp(events, 0)) == [
        0x1005,  # TIME_LOW 5 (TIME_HIGH is already 0)
        0x2007,  # ADDR_X 7
        0x4010,  # VECT_BASE_Y 16, polarity 0
        0x500B,  # VECT_8: rows 16, 17, 19
        0x301E,  # ADDR_Y 30
        0x0001,  # TIME_HIGH 1
        0x2008,
        0x3801,  # ADDR_Y 1, polarity 1 (TIME_LOW 5 unchanged)
    ]


def test_libcaer_wraps_its_31_bit_timestamp() -> None:
    events = make_events([1, 2, 3], [1, 1, 1], [10, (1 << 31) + 5, (1 << 32) + 1], [1, 0, 1])
    payload = encode_libcaer(events, 0)
    stamps = np.frombuffer(payload, dtype=[('data', '<u4'), ('ts', '<i4')])['ts'].tolist()
    assert stamps == [10, 5, 1]
    np.testing.assert_array_equal(LibcaerDecoder().decode(payload, W, H), events)


@pytest.mark.parametrize(
    ('encode', 'events', 'match'),
    [
        (encode_mono, make_events([0], [1 << 15], [0], [0]), r'mono: event 0 has y=32768'),
        (encode_mono, make_events([0], [0], [1 << 33], [0]), r'mono: event 0 has dt = t \* 1000'),
        (encode_libcaer, make_events([1 << 15], [0], [0], [0]), r'libcaer: event 0 has x=32768'),
        (
            encode_libcaer,
            make_events([0, 0], [0, 0], [0, 1 << 31], [0, 0]),
            r'libcaer cannot encode event 1: its time is 2\*\*31 us or more after the previous',
        ),
        (
            encode_libcaer_cmp,
            make_events([0], [0], [1 << 24], [0]),
            r'libcaer_cmp: event 0 has t - time_base_ns // 1000 = 16777216, outside \[0, 16777',
        ),
        (encode_libcaer_cmp, make_events([0], [2048], [0], [0]), r'y=2048, the encoding needs'),
    ],
)
def test_other_encoder_errors(encode: object, events: np.ndarray, match: str) -> None:
    with pytest.raises(EncodeError, match=match):
        encode(events, 0)  # type: ignore[operator]


def test_time_base_is_checked() -> None:
    with pytest.raises(EncodeError, match=r'mono: time_base_ns must be in \[0, 2\*\*63\), got -1'):
        encode_mono(make_events([], [], [], []), -1)
    with pytest.raises(EncodeError, match=r'libcaer: event 0 has t - time_base_ns // 1000 = -1'):
        encode_libcaer(make_events([0], [0], [0], [0]), 1000)
