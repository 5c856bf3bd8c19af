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

"""The fuzz harness of the decoders, the bag reader and the pipeline (not a test module).

The tests that use it sit with the module they fuzz: the packet decoders in
``test/asynet_ros/decoders/test_registry.py`` (regressions in ``test_evt3.py``, ``test_mono.py``),
``dvs_msgs`` CDR in ``test_dvs.py`` beside them, the compiled evt3 decoder in
``test/asynet_core_cpp/test_evt3.py``, :func:`cdr_to_event_message` in
``test/asynet_ros/test_cdr.py``, :class:`EventBag` in ``test/asynet_ros/test_bag.py`` and
:meth:`Pipeline.process` in ``test/asynet_ros/pipeline/test_pipeline.py``.
``benchmarks/fuzz_decoders.py`` runs the same kind of inputs 10**6 times
(``test/benchmarks/test_fuzz_decoders.py``).

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
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import copy
from datetime import timedelta
import faulthandler
import functools
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
import numpy as np

from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders import DecodeError, ENCODINGS, make_decoder
from asynet_ros.encoders import (
    encode_libcaer,
    encode_libcaer_cmp,
    encode_mono,
    Evt3Encoder,
)
from asynet_ros.event_message import (
    DVS_ENCODING,
    EVENT_PACKET_TYPES,
    EventMessage,
)
from asynet_ros.interfaces import typestore
from checkout import SHARED_DATA

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
