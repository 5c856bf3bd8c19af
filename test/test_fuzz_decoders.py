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

"""Fuzzing of the decoders, the bag reader and the pipeline: typed errors only, never a crash.

Hypothesis draws random bytes of any length (odd ones included), random valid-looking words of
every type, and packets mutated by bit flips, truncation, duplication, overwrites and splices of
two packets: synthetic ones from :mod:`asynet_ros.encoders` for every encoding, and the real ones
of ``../shared/data/bags`` (skipped when absent). Sensor sizes include 0, 1 and huge values, time
bases negative and huge ones. The only allowed outcomes are:

* a packet decoder: an :data:`EVENT_DTYPE` array with ``x < width``, ``y < height``, ``p`` in
  {0, 1} and the decoder's time rule (below), or a :class:`DecodeError`, after which the decoder
  behaves exactly as before the packet;
* ``evt3``: the compiled and numpy backends agree on the events, the triggers, the error and the
  state after every packet of a fuzzed stream;
* :func:`decode_event_array`: an :class:`EventArrayView` (the unmutated message read back exactly)
  or a :class:`DecodeError`; :func:`cdr_to_event_message` and :class:`EventBag` on corrupted
  ``.db3`` / ``metadata.yaml`` files: a result or a :class:`BagError`;
* :meth:`Pipeline.process`: never raises; a rejected message increments exactly one of the
  rejection counters, an accepted one gives one output, and a good message after garbage still
  gives an output.

Time rules, as the decoders document them: ``evt3`` keeps ``t >= 0`` and never lets the 24-bit
epoch ``t >> 24`` (the rollover count) go back, within a packet or across packets (TIME_HIGH
jitter and TIME_LOW may move ``t`` back inside an epoch); ``libcaer`` is non-decreasing within a
packet (each wrap of the 31-bit counter adds 2**31 µs) and starts at ``time_base // 1000``;
``libcaer_cmp`` lies in ``[time_base // 1000, + 2**24)``; ``mono`` in
``[time_base // 1000, (time_base + 2**32 - 1) // 1000]``.

Every example runs under a watchdog (:func:`watchdog`: faulthandler ends the run with every
thread's traceback when one call hangs, compiled code included) and a Hypothesis deadline.
``benchmarks/fuzz_decoders.py`` runs the same kind of inputs 10**6 times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
import copy
from datetime import timedelta
import faulthandler
import functools
import json
from pathlib import Path
import shutil
import tempfile
from typing import Any

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
import numpy as np
import pytest
import torch

from asynet_core import ops
from asynet_core.errors import AsynetError, EventFormatError
from asynet_core.events import EVENT_DTYPE
from asynet_core.models import ModelConfig
from asynet_ros.bag import BagError, cdr_to_event_message, EventBag
from asynet_ros.decoders import decode_event_array, DecodeError, ENCODINGS, make_decoder
from asynet_ros.encoders import (
    encode_libcaer,
    encode_libcaer_cmp,
    encode_mono,
    Evt3Encoder,
)
from asynet_ros.event_message import (
    DVS_ENCODING,
    EVENT_ARRAY_TYPE,
    EVENT_PACKET_TYPES,
    EventMessage,
)
from asynet_ros.interfaces import typestore
from asynet_ros.pipeline import Pipeline, PipelineConfig
from checkout import SHARED_DATA
from model_factory import make_model

REAL_BAGS = {
    'evt3': SHARED_DATA / 'bags' / 'metavision_evt3',
    'mono': SHARED_DATA / 'bags' / 'legacy_mono',
}
W, H = 640, 480
PACKET = EVENT_PACKET_TYPES[0]
#: A single call that takes this long is a hang: the watchdog ends the run.
HANG_S = 60.0
#: Rejection counters of the pipeline: a dropped message increments exactly one of them.
REJECTIONS = ('decode_errors', 'unknown_encoding', 'bad_sensor_size', 'empty_messages')

FUZZ = settings(
    max_examples=60,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW_FUZZ = settings(FUZZ, max_examples=15, deadline=timedelta(seconds=20))
FILE_FUZZ = settings(FUZZ, max_examples=30)

# -- inputs -------------------------------------------------------------------------------------

EDGE_DIMS = [0, -1, 1, 2, 65535, 65536, 65537, 1 << 31, (1 << 63) - 1, 1 << 63, (1 << 64) + 1]
DIMS = st.one_of(st.integers(1, 2048), st.sampled_from(EDGE_DIMS))
SIZES = st.one_of(st.just((W, H)), st.tuples(DIMS, DIMS))
EDGE_TIME_BASES = [-1, 999, (1 << 63) - 1, 1 << 63, (1 << 64) + 7]
TIME_BASES = st.one_of(st.just(0), st.integers(0, (1 << 63) - 1), st.sampled_from(EDGE_TIME_BASES))
# Word types: evt3's defined ones (those outside are unknown: the packet fails), libcaer_cmp's
# codes 0-5 (6-15 unknown).
EVT3_TYPES = (0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xA, 0xE, 0xF)
EVT3_UNKNOWN = (0x1, 0xB, 0xC, 0xD)
OFFSETS = st.integers(0, 1 << 20)  # positions, taken modulo the packet length
MUTATION = st.one_of(
    st.tuples(st.just('flip'), OFFSETS, st.integers(0, 7)),
    st.tuples(st.just('truncate'), OFFSETS),
    st.tuples(st.just('drop_head'), OFFSETS),
    st.tuples(st.just('duplicate'), OFFSETS, st.integers(1, 4096), OFFSETS),
    st.tuples(st.just('overwrite'), OFFSETS, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just('splice'), st.integers(0, 1 << 16), OFFSETS, OFFSETS),
)
MUTATIONS = st.lists(MUTATION, min_size=1, max_size=4)
#: The project's rosbags typestore, built once (it takes tens of milliseconds).
shared_typestore = functools.cache(typestore)


@contextlib.contextmanager
def watchdog(seconds: float = HANG_S) -> Iterator[None]:
    """End the test run with every thread's traceback if the body hangs (compiled code too)."""
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def mutate(data: bytes, mutations: list[tuple[Any, ...]], corpus: list[bytes]) -> bytes:
    """``data`` after each mutation in turn (offsets are taken modulo the current length)."""
    buf = bytearray(data)
    for kind, *args in mutations:
        n = len(buf)
        if kind == 'flip' and n:
            buf[args[0] % n] ^= 1 << args[1]
        elif kind == 'truncate':
            del buf[args[0] % (n + 1) :]
        elif kind == 'drop_head':
            del buf[: args[0] % (n + 1)]
        elif kind == 'duplicate' and n:
            start = args[0] % n
            piece = buf[start : start + args[1]]
            at = args[2] % (n + 1)
            buf[at:at] = piece
        elif kind == 'overwrite' and n:
            at = args[0] % n
            buf[at : at + len(args[1])] = args[1]
        elif kind == 'splice':
            other = corpus[args[0] % len(corpus)]
            buf = buf[: args[1] % (n + 1)] + bytearray(other[args[2] % (len(other) + 1) :])
    return bytes(buf)


def synthetic_events(seed: int, n: int, t0: int = 5_000) -> np.ndarray:
    """``n`` random events inside the W x H sensor, times from ``t0`` µs, non-decreasing."""
    rng = np.random.default_rng(seed)
    events = np.zeros(n, dtype=EVENT_DTYPE)
    events['x'], events['y'] = rng.integers(0, W, n), rng.integers(0, H, n)
    events['p'] = rng.integers(0, 2, n)
    events['t'] = t0 + np.cumsum(rng.integers(0, 30, n))
    return events


@functools.cache
def synthetic_packets(encoding: str) -> tuple[tuple[bytes, int], ...]:
    """(payload, time_base ns) of six packets of one synthetic stream, from the encoders."""
    sizes = (1, 40, 300, 7, 120, 64)
    chunks = [synthetic_events(seed, n, 5_000 + 20_000 * seed) for seed, n in enumerate(sizes)]
    if encoding == 'evt3':
        encoder = Evt3Encoder(vectors=True)
        return tuple((encoder.encode(ev), 0) for ev in chunks)
    encode = {'mono': encode_mono, 'libcaer': encode_libcaer, 'libcaer_cmp': encode_libcaer_cmp}
    out = []
    for ev in chunks:
        time_base = int(ev['t'][0]) * 1000 - 777
        out.append((encode[encoding](ev, time_base), time_base))
    return tuple(out)


@functools.cache
def real_payloads(encoding: str) -> tuple[bytes, ...]:
    """The ``events`` payloads of the shared bag of ``encoding`` (empty when it is absent)."""
    bag = REAL_BAGS[encoding]
    if not bag.is_dir():
        return ()
    from rosbags.rosbag2 import Reader

    ts = shared_typestore()
    with Reader(bag) as reader:
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in reader.messages()]
    return tuple(bytes(m.events) for m in msgs)


def evt3_words(types: list[int], data: list[int]) -> bytes:
    """Packed evt3 (or libcaer_cmp) words: type / code in bits 15..12."""
    words = [(t << 12) | d for t, d in zip(types, data, strict=False)]
    return np.array(words, dtype='<u2').tobytes()


@st.composite
def valid_looking(draw: st.DrawFn, encoding: str) -> bytes:
    """A packet of random words of the format's types (some with an unknown one)."""
    n = draw(st.integers(0, 200))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if encoding in ('evt3', 'libcaer_cmp'):
        defined = EVT3_TYPES if encoding == 'evt3' else tuple(range(6))
        types = rng.choice(defined, n)
        if n and draw(st.booleans()):
            unknown = EVT3_UNKNOWN if encoding == 'evt3' else tuple(range(6, 16))
            types[rng.integers(0, n)] = rng.choice(unknown)
        data = rng.integers(0, 1 << 12, n)
        coords = np.isin(types, (0x0, 0x2, 0x3) if encoding == 'evt3' else (2, 3, 4))
        data[coords] = (rng.integers(0, 2 * W, n) | rng.integers(0, 2, n) << 11)[coords] & 0xFFF
        return evt3_words(types.tolist(), data.tolist())
    if encoding == 'mono':
        p, y, x = rng.integers(0, 2, n), rng.integers(0, 2 * H, n), rng.integers(0, 2 * W, n)
        dt = rng.integers(0, 1 << 32, n)
        words = p.astype(np.uint64) << 63 | y.astype(np.uint64) << 48
        return (words | x.astype(np.uint64) << 32 | dt.astype(np.uint64)).astype('<u8').tobytes()
    records = np.zeros(n, dtype=[('data', '<u4'), ('timestamp', '<i4')])
    valid, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    y, x = rng.integers(0, 2 * H, n), rng.integers(0, 2 * W, n)
    records['data'] = valid | p << 1 | y << 2 | x << 17
    stamps = np.cumsum(rng.integers(-1000, 1 << 29, n)) % (1 << 31)
    records['timestamp'] = np.where(rng.random(n) < 0.01, -stamps - 1, stamps)  # some < 0
    return records.tobytes()


@st.composite
def mutated(draw: st.DrawFn, corpus: list[bytes]) -> bytes:
    """A packet of ``corpus`` after random mutations (splices take a second one from it)."""
    base = corpus[draw(st.integers(0, len(corpus) - 1))]
    return mutate(base, draw(MUTATIONS), corpus)


def any_packet(encoding: str) -> st.SearchStrategy[bytes]:
    """Random bytes, valid-looking words or a mutated synthetic packet of ``encoding``."""
    corpus = [p for p, _ in synthetic_packets(encoding)]
    return st.one_of(st.binary(max_size=2048), valid_looking(encoding), mutated(corpus))


# -- the contract of a packet decoder -----------------------------------------------------------


class CheckedStream:
    """One decoder fed packet after packet; every outcome is checked against the contract."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.decoder = make_decoder(encoding)
        self.epoch = 0  # evt3: the rollover count of the last event
        self.accepted = 0

    def feed(self, payload: Any, width: int, height: int, time_base: int) -> np.ndarray | None:
        """Decode one packet: the events, or None after a DecodeError that changed nothing."""
        before = copy.deepcopy(self.decoder)
        message = ''
        with watchdog():
            try:
                events = self.decoder.decode(payload, width, height, time_base)
            except DecodeError as err:
                events, message = None, str(err)
        if events is None:
            assert message  # every error names the problem
            assert_same_behaviour(before, self.decoder, self.encoding)
            return None
        self.check(events, width, height, time_base)
        self.accepted += 1
        return events

    def check(self, events: np.ndarray, width: int, height: int, time_base: int) -> None:
        assert isinstance(events, np.ndarray)
        assert events.dtype == EVENT_DTYPE
        assert events.ndim == 1
        assert events['t'].dtype == np.int64
        if not events.size:
            return
        assert int(events['x'].max()) < width
        assert int(events['y'].max()) < height
        assert set(np.unique(events['p']).tolist()) <= {0, 1}
        t = events['t']
        if self.encoding == 'evt3':
            epoch = t >> 24
            assert int(t.min()) >= 0
            assert int(epoch[0]) >= self.epoch
            assert bool((np.diff(epoch) >= 0).all())
            self.epoch = int(epoch[-1])
            return
        base = time_base // 1000
        assert int(t.min()) >= base
        if self.encoding == 'mono':
            assert int(t.max()) <= (time_base + (1 << 32) - 1) // 1000
        elif self.encoding == 'libcaer':
            assert bool((np.diff(t) >= 0).all())
        else:
            assert int(t.max()) < base + (1 << 24)


def counters_of(decoder: Any) -> dict[str, Any]:
    names = (
        *('dropped_out_of_range', 'dropped_invalid', 'dropped_before_time'),
        *('time_us', 'triggers_rising', 'triggers_falling'),
    )
    return {name: getattr(decoder, name) for name in names if hasattr(decoder, name)}


def assert_same_behaviour(before: Any, after: Any, encoding: str) -> None:
    """The decoder after a rejected packet decodes a probe exactly as the one before it."""
    assert counters_of(after) == counters_of(before)
    after = copy.deepcopy(after)  # the probe must not change the stream under test
    for payload, time_base in synthetic_packets(encoding)[2:4]:
        ref = before.decode(payload, W, H, time_base)
        got = after.decode(payload, W, H, time_base)
        np.testing.assert_array_equal(got, ref)
    assert counters_of(after) == counters_of(before)


def feed_all(encoding: str, packets: list[tuple[bytes, tuple[int, int], int]]) -> CheckedStream:
    stream = CheckedStream(encoding)
    for payload, (width, height), time_base in packets:
        stream.feed(payload, width, height, time_base)
    return stream


# -- packet decoders ----------------------------------------------------------------------------


def test_the_allowed_errors_are_typed() -> None:
    assert issubclass(DecodeError, AsynetError)
    assert issubclass(BagError, AsynetError)


@pytest.mark.parametrize('encoding', ENCODINGS)
@FUZZ
@given(data=st.data())
def test_random_bytes_give_events_or_decode_error(encoding: str, data: st.DataObject) -> None:
    packet = st.tuples(st.binary(max_size=4096), SIZES, TIME_BASES)
    feed_all(encoding, data.draw(st.lists(packet, min_size=1, max_size=4)))


@pytest.mark.parametrize('encoding', ENCODINGS)
@FUZZ
@given(data=st.data())
def test_valid_looking_words_give_events_or_decode_error(
    encoding: str, data: st.DataObject
) -> None:
    packet = st.tuples(valid_looking(encoding), SIZES, TIME_BASES)
    feed_all(encoding, data.draw(st.lists(packet, min_size=1, max_size=4)))


@pytest.mark.parametrize('encoding', ENCODINGS)
@FUZZ
@given(data=st.data())
def test_mutated_synthetic_packets_give_events_or_decode_error(
    encoding: str, data: st.DataObject
) -> None:
    packets = synthetic_packets(encoding)
    corpus = [p for p, _ in packets]
    stream = CheckedStream(encoding)
    for _ in range(data.draw(st.integers(1, 4))):
        k = data.draw(st.integers(0, len(packets) - 1))
        payload = mutate(corpus[k], data.draw(MUTATIONS), corpus)
        width, height = data.draw(st.one_of(st.just((W, H)), SIZES))
        stream.feed(payload, width, height, data.draw(st.sampled_from([packets[k][1], 0])))


@pytest.mark.parametrize('encoding', ['evt3', 'mono'])
@FUZZ
@given(data=st.data())
def test_mutated_real_packets_give_events_or_decode_error(
    encoding: str, data: st.DataObject, real_bag: Callable[[str], Path]
) -> None:
    real_bag(REAL_BAGS[encoding].name)  # skips where the bag is absent
    corpus = list(real_payloads(encoding))
    stream = CheckedStream(encoding)
    k = data.draw(st.integers(0, len(corpus) - 1))
    assert stream.feed(corpus[k], W, H, 0) is not None  # a clean start: a known state
    for _ in range(data.draw(st.integers(1, 3))):
        size = data.draw(st.one_of(st.just((W, H)), SIZES))
        stream.feed(data.draw(mutated(corpus)), *size, data.draw(TIME_BASES))
    assert stream.feed(corpus[(k + 1) % len(corpus)], W, H, 0) is not None  # it goes on


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_unmutated_synthetic_packets_decode_whole(encoding: str) -> None:
    # The fuzz corpus itself decodes: the mutations start from valid packets.
    stream = CheckedStream(encoding)
    for payload, time_base in synthetic_packets(encoding):
        assert stream.feed(payload, W, H, time_base) is not None
    assert stream.accepted == len(synthetic_packets(encoding))


# -- evt3: compiled == numpy, on fuzzed streams -------------------------------------------------


def decode_backend(
    backend: str, words: np.ndarray, size: tuple[int, int], state: np.ndarray
) -> tuple[Any, ...]:
    """(error message or None, events, triggers, state after) of one ops.evt3_decode call."""
    with ops.use_backend(backend), watchdog():
        try:
            events, triggers, new_state = ops.evt3_decode(words, *size, state)
        except EventFormatError as err:
            return str(err), None, None, state
    return None, events, triggers, new_state


@pytest.mark.usefixtures('cpp_ext')
@FUZZ
@given(data=st.data())
def test_evt3_backends_agree_on_fuzzed_streams(data: st.DataObject) -> None:
    corpus = list(real_payloads('evt3')) or [p for p, _ in synthetic_packets('evt3')]
    packet = st.one_of(mutated(corpus), valid_looking('evt3'), st.sampled_from(corpus))
    states = {'torch': ops.evt3_initial_state(), 'cpp': ops.evt3_initial_state()}
    for k in range(data.draw(st.integers(1, 5))):
        payload = data.draw(packet)
        words = np.frombuffer(payload[: len(payload) & ~1], dtype='<u2')
        size = data.draw(SIZES)
        ref = decode_backend('torch', words, size, states['torch'])
        got = decode_backend('cpp', words, size, states['cpp'])
        assert got[0] == ref[0], f'packet {k}: error'
        for name, a, b in zip(('events', 'triggers', 'state'), ref[1:], got[1:], strict=True):
            np.testing.assert_array_equal(b, a, err_msg=f'packet {k}: {name}')
        states = {'torch': ref[3], 'cpp': got[3]}


# -- regressions found by the fuzzer ------------------------------------------------------------


def wide_vectors() -> bytes:
    """evt3: start, row 7, base column 2000, then VECT_12 words whose columns pass 65535."""
    head = [0x8000, 0x6000, 0x0007, 0x3000 | 2000]
    return np.array(head + [0x4FFF] * 5600, dtype='<u2').tobytes()


@pytest.mark.parametrize('backend', ['torch', 'cpp'])
@pytest.mark.parametrize('width', [65536, 65537, 1 << 40, (1 << 63) + 5, 1 << 64])
def test_evt3_columns_past_uint16_are_dropped_not_wrapped(
    backend: str, width: int, request: pytest.FixtureRequest
) -> None:
    # Found by fuzzing: vector columns past 65535 wrapped in the uint16 field when the sensor
    # was wider than 65536 (and the compiled backend raised TypeError for widths >= 2**63).
    if backend == 'cpp':
        request.getfixturevalue('cpp_ext')  # skips where the extension is not built
    decoder = make_decoder('evt3')
    with ops.use_backend(backend):
        events = decoder.decode(wide_vectors(), width, 8)
    assert events['x'].tolist() == list(range(2000, 65536))
    assert decoder.dropped_out_of_range == 5600 * 12 - (65536 - 2000)  # type: ignore[attr-defined]


def test_mono_huge_time_base_does_not_overflow() -> None:
    # Found by fuzzing: time_base + dt overflowed int64 (ns) and gave negative times.
    word = np.array([5 << 32 | 0xFFFFFFFF], dtype='<u8').tobytes()
    time_base = (1 << 63) - 1
    events = make_decoder('mono').decode(word, 8, 8, time_base)
    assert events['t'].tolist() == [(time_base + 0xFFFFFFFF) // 1000]


@pytest.mark.parametrize('time_base', ['0', None, 1.5])
def test_mono_non_int_time_base_is_a_decode_error(time_base: object) -> None:
    # Found by fuzzing: int(time_base) raised ValueError / TypeError, or accepted 1.5.
    with pytest.raises(DecodeError, match=r'^mono time_base must be an int \(ns\), got '):
        make_decoder('mono').decode(b'', 8, 8, time_base)  # type: ignore[arg-type]


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_non_contiguous_memoryview_payload_is_decoded(encoding: str) -> None:
    # Found by fuzzing: np.frombuffer raised BufferError on a strided memoryview.
    payload, time_base = synthetic_packets(encoding)[2]
    spread = bytearray(2 * len(payload))
    spread[::2] = payload
    ref = make_decoder(encoding).decode(payload, W, H, time_base)
    strided = memoryview(spread)[::2]
    got = make_decoder(encoding).decode(strided, W, H, time_base)  # type: ignore[arg-type]
    np.testing.assert_array_equal(got, ref)


def test_dvs_non_contiguous_memoryview_is_read() -> None:
    raw = dvs_cdr(shared_typestore(), [(1, 2, 3, 4, True)], 'cam', little_endian=True)
    spread = bytearray(2 * len(raw))
    spread[::2] = raw
    assert decode_event_array(memoryview(spread)[::2]).events.tolist() == [(1, 2, 1, 3_000_000)]


# -- dvs_msgs/EventArray CDR --------------------------------------------------------------------

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


# -- CDR of event messages and bags --------------------------------------------------------------


@functools.cache
def packet_cdrs() -> tuple[bytes, ...]:
    """Return EventPacket CDR bytes: one per encoding (synthetic), plus real ones when present."""
    ts = shared_typestore()
    t = ts.types
    out = []
    for seq, encoding in enumerate(ENCODINGS):
        payload, time_base = synthetic_packets(encoding)[2]
        stamp = t['builtin_interfaces/msg/Time'](sec=1, nanosec=2)
        msg = t[PACKET](
            header=t['std_msgs/msg/Header'](stamp=stamp, frame_id='cam'),
            height=H,
            width=W,
            seq=seq,
            time_base=time_base,
            encoding=encoding,
            is_bigendian=False,
            events=np.frombuffer(payload, dtype=np.uint8),
        )
        out.append(bytes(ts.serialize_cdr(msg, PACKET)))
    if REAL_BAGS['evt3'].is_dir():
        from rosbags.rosbag2 import Reader

        with Reader(REAL_BAGS['evt3']) as reader:
            out += [bytes(raw) for _, _, raw in list(reader.messages())[:4]]
    return tuple(out)


MSGTYPES = st.sampled_from([*EVENT_PACKET_TYPES, EVENT_ARRAY_TYPE, 'std_msgs/msg/String', 'x'])


@FUZZ
@given(data=st.data(), msgtype=MSGTYPES)
def test_cdr_to_event_message_raises_only_bag_error(data: st.DataObject, msgtype: str) -> None:
    corpus = list(packet_cdrs())
    raw = data.draw(st.one_of(mutated(corpus), st.sampled_from(corpus), st.binary(max_size=256)))
    with watchdog():
        try:
            msg = cdr_to_event_message(shared_typestore(), raw, msgtype)
        except BagError:
            return
    assert msgtype in (*EVENT_PACKET_TYPES, EVENT_ARRAY_TYPE)
    assert isinstance(msg, EventMessage)
    assert all(isinstance(v, int) for v in (msg.width, msg.height, msg.time_base_ns, msg.seq))


@pytest.fixture(scope='module')
def small_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sqlite3 bag (rosbag2 version 8): four EventPacket messages on /events."""
    from rosbags.rosbag2 import Writer

    path = tmp_path_factory.mktemp('fuzz_bag') / 'bag'
    ts = shared_typestore()
    with Writer(path, version=8) as writer:
        conn = writer.add_connection('/events', PACKET, typestore=ts)
        for k, raw in enumerate(packet_cdrs()[:4]):
            writer.write(conn, 10**9 + k, raw)
    return path


def read_bag(path: Path) -> int:
    """Open and iterate the bag: the number of event messages, -1 after a BagError."""
    with watchdog():
        try:
            with EventBag(path) as bag:
                names = [t.name for t in bag.topics]
                assert len(names) == len(set(names))
                bag.event_topics  # noqa: B018 (a property that reads every connection)
                return sum(1 for _ in bag.event_messages())
        except BagError:
            return -1


BAG_DAMAGE = st.one_of(
    st.tuples(st.just('truncate'), OFFSETS),
    st.tuples(st.just('flip'), st.lists(st.tuples(OFFSETS, st.integers(0, 7)), max_size=8)),
    st.tuples(st.just('zero_page'), st.integers(0, 64)),
    st.tuples(st.just('garbage_page'), st.integers(0, 64), st.binary(min_size=1, max_size=64)),
)


def damage(path: Path, how: tuple[Any, ...]) -> None:
    """Corrupt one file in place (pages are 4096 bytes, as sqlite's default)."""
    data = bytearray(path.read_bytes())
    kind, arg, *rest = how
    n = len(data)
    if not n:
        return
    if kind == 'truncate':
        del data[arg % (n + 1) :]
    elif kind == 'flip':
        for offset, bit in arg:
            data[offset % n] ^= 1 << bit
    else:
        start = (arg * 4096) % max(n, 1)
        fill = b'\0' * 4096 if kind == 'zero_page' else (rest[0] * 4096)[:4096]
        data[start : start + 4096] = fill[: len(data[start : start + 4096])]
    path.write_bytes(bytes(data))


def test_intact_bag_reads_whole(small_bag: Path) -> None:
    assert read_bag(small_bag) == 4


@FILE_FUZZ
@given(hows=st.lists(BAG_DAMAGE, min_size=1, max_size=3))
def test_damaged_db3_raises_only_bag_error(small_bag: Path, hows: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(shutil.copytree(small_bag, Path(tmp) / 'bag'))
        (db,) = path.glob('*.db3')
        for how in hows:
            damage(db, how)
        assert read_bag(path) in (-1, 0, 1, 2, 3, 4)


YAML_VALUES = ['-1', 'null', '[]', '{}', '"x"', '1e400', '99999999999999999999999', '', ':', '&a']


@FILE_FUZZ
@given(
    hows=st.lists(st.tuples(st.just('flip'), st.lists(st.tuples(OFFSETS, st.integers(0, 7)))))
    | st.lists(st.tuples(st.just('truncate'), OFFSETS), min_size=1, max_size=1)
    | st.lists(st.tuples(st.just('value'), OFFSETS, st.sampled_from(YAML_VALUES)), min_size=1),
)
def test_damaged_metadata_raises_only_bag_error(small_bag: Path, hows: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(shutil.copytree(small_bag, Path(tmp) / 'bag'))
        meta = path / 'metadata.yaml'
        for how in hows:
            if how[0] == 'value':
                replace_yaml_value(meta, how[1], how[2])
            else:
                damage(meta, how)
        assert read_bag(path) in (-1, 0, 1, 2, 3, 4)


def replace_yaml_value(meta: Path, which: int, value: str) -> None:
    """Replace the value of one ``key: value`` line of the YAML file."""
    lines = meta.read_text(encoding='utf-8').splitlines()
    keyed = [i for i, line in enumerate(lines) if ': ' in line]
    i = keyed[which % len(keyed)]
    lines[i] = lines[i].split(': ', 1)[0] + ': ' + value
    meta.write_text('\n'.join(lines) + '\n', encoding='utf-8')


# -- the pipeline ---------------------------------------------------------------------------------


@functools.cache
def shared_pipeline() -> Pipeline:
    """One pipeline for the module (building the engine takes seconds); reset per example.

    ``mode='async'``: message handling is the same in every mode, and the adaptive mode's
    first update after each (frequent) stream restart is a full recompute, too slow here.
    """
    model = make_model('small_det', torch.float32, num_classes=2)
    config = PipelineConfig(window_events=2000, mode='async')
    return Pipeline(model, ModelConfig('small_det', 2), config)


def new_pipeline() -> Pipeline:
    """The shared pipeline with its stream forgotten (the counters go on: compare deltas)."""
    pipe = shared_pipeline()
    pipe.reset()
    return pipe


def good_message(seq: int) -> EventMessage:
    """A valid mono message of 200 events in the W x H sensor."""
    events = synthetic_events(seq, 200, t0=10**9 + 10_000 * seq)
    time_base = int(events['t'][0]) * 1000
    payload = encode_mono(events, time_base)
    return EventMessage(seq, 'cam', W, H, 'mono', payload, time_base_ns=time_base, seq=seq)


ODD_VALUES = st.sampled_from([None, 1.5, '640', True, b'\x00'])
PIPE_DIMS = st.one_of(
    st.integers(-2, 2048), st.sampled_from([65535, 65536, 65537, 1 << 40]), ODD_VALUES
)
ENCODING_NAMES = st.one_of(
    st.sampled_from([*ENCODINGS, DVS_ENCODING]),
    st.sampled_from(['', 'EVT3', 'evt2', 'trigger']),
    st.text(max_size=6),
)


@st.composite
def dvs_events(draw: st.DrawFn) -> np.ndarray | None:
    """What a dvs_msgs message can carry: None, or events with any coordinates and times."""
    n = draw(st.integers(-1, 50))
    if n < 0:
        return None
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    events = np.zeros(n, dtype=EVENT_DTYPE)
    events['x'], events['y'] = rng.integers(0, 1 << 16, n), rng.integers(0, 1 << 16, n)
    events['x'][: n // 2] %= W
    events['y'][: n // 2] %= H
    events['p'] = rng.integers(0, 2, n)
    events['t'] = rng.integers(-(1 << 31) * 10**6, (1 << 31) * 10**6, n)
    return events


@st.composite
def garbage_message(draw: st.DrawFn) -> EventMessage:
    encoding = draw(ENCODING_NAMES)
    corpus = [p for p, _ in synthetic_packets(encoding)] if encoding in ENCODINGS else [b'']
    payload = draw(
        st.one_of(mutated(corpus), st.binary(max_size=512), st.sampled_from(corpus), ODD_VALUES)
    )
    odd: dict[str, Any] = {  # not always ints: what a broken transport could hand over
        'width': draw(st.one_of(st.just(W), PIPE_DIMS)),
        'height': draw(st.one_of(st.just(H), PIPE_DIMS)),
        'time_base_ns': draw(st.one_of(TIME_BASES, ODD_VALUES)),
    }
    return EventMessage(
        stamp_ns=draw(st.integers(0, 1 << 62)),
        frame_id='cam',
        encoding=encoding,
        payload=payload,
        events=draw(dvs_events()) if encoding == DVS_ENCODING else None,
        **odd,
    )


def process_checked(pipe: Pipeline, msg: EventMessage) -> int:
    """Process one message; check the counters; the number of outputs."""
    before = pipe.counters.to_dict()
    with watchdog():
        results = pipe.process(msg)
    after = pipe.counters.to_dict()
    rejected = sum(after[name] - before[name] for name in REJECTIONS)
    assert after['messages'] == before['messages'] + 1
    assert (rejected, len(results)) in ((1, 0), (0, 1)), (msg, after)
    assert after['outputs'] - before['outputs'] == len(results)
    return len(results)


@SLOW_FUZZ
@given(garbage=st.lists(garbage_message(), min_size=1, max_size=4), seed=st.integers(0, 99))
def test_pipeline_never_raises_and_goes_on(garbage: list[EventMessage], seed: int) -> None:
    pipe = new_pipeline()
    first = pipe.counters.messages
    for msg in garbage:
        process_checked(pipe, msg)
    assert process_checked(pipe, good_message(seed)) == 1  # the stream continues
    assert pipe.counters.messages - first == len(garbage) + 1


def test_pipeline_counts_a_sensor_wider_than_uint16() -> None:
    pipe = new_pipeline()
    msg = good_message(0)
    wide = EventMessage(0, 'cam', 70_000, H, 'mono', msg.payload, msg.time_base_ns)
    before = pipe.counters.bad_sensor_size
    assert process_checked(pipe, wide) == 0
    assert pipe.counters.bad_sensor_size == before + 1


# -- the 10**6-input fuzzer (benchmarks/fuzz_decoders.py), in small ------------------------------


def test_fuzz_benchmark_runs_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from asynet_benchmarks.fuzz_decoders import main

    out = tmp_path / 'fuzz.json'
    argv = ['--inputs', '3000', '--workers', '1', '--json', str(out)]
    assert main([*argv, '--crash-dir', str(tmp_path / 'crashes')]) == 0
    report = json.loads(out.read_text(encoding='utf-8'))
    assert report['inputs'] == 3000
    assert sum(row['inputs'] for row in report['per_decoder'].values()) == 3000
    assert all(row['accepted'] > 0 for row in report['per_decoder'].values())
    failures = ('crashes', 'hangs', 'exceptions', 'invalid_outputs', 'crosscheck_mismatches')
    assert {k: report[k] for k in failures} == dict.fromkeys(failures, 0)
    assert not (tmp_path / 'crashes').exists()
    assert 'DecodeErrors by kind' in capsys.readouterr().out
