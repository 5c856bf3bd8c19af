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

"""The encoding registry: names, factories, the shared decoder protocol, unknown names.

Every decoder it makes is fuzzed against the contract of ``test/helpers/fuzzing.py``: events or a
DecodeError, never another error, and a rejected packet changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
import inspect
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
import numpy as np
import pytest

from asynet_core.errors import AsynetError
from asynet_core.events import make_events
from asynet_ros.bag import BagError
from asynet_ros.decoders import (
    DecodeError,
    ENCODINGS,
    Evt3Decoder,
    LibcaerCmpDecoder,
    LibcaerDecoder,
    make_decoder,
    MonoDecoder,
    PacketDecoder,
)
from asynet_ros.encoders import (
    encode_evt3,
    encode_libcaer,
    encode_libcaer_cmp,
    encode_mono,
)
from fuzzing import (
    CheckedStream,
    feed_all,
    FUZZ,
    H,
    mutate,
    mutated,
    MUTATIONS,
    REAL_BAGS,
    real_payloads,
    SIZES,
    synthetic_packets,
    TIME_BASES,
    valid_looking,
    W,
)

CLASSES = {
    'evt3': Evt3Decoder,
    'mono': MonoDecoder,
    'libcaer': LibcaerDecoder,
    'libcaer_cmp': LibcaerCmpDecoder,
}
ENCODERS = {
    'evt3': lambda ev, base: encode_evt3(ev),
    'mono': encode_mono,
    'libcaer': encode_libcaer,
    'libcaer_cmp': encode_libcaer_cmp,
}


def test_encodings() -> None:
    assert ENCODINGS == ('evt3', 'mono', 'libcaer', 'libcaer_cmp')


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_make_decoder_gives_a_new_decoder_of_the_protocol(encoding: str) -> None:
    decoder = make_decoder(encoding)
    assert type(decoder) is CLASSES[encoding]
    assert make_decoder(encoding) is not decoder  # one per stream
    params = inspect.signature(decoder.decode).parameters
    assert list(params) == ['payload', 'width', 'height', 'time_base']
    assert params['time_base'].default == 0
    protocol: PacketDecoder = decoder
    protocol.reset()


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_every_encoding_round_trips_through_its_decoder(encoding: str) -> None:
    base_ns = 0 if encoding == 'evt3' else 2_000_000_500  # evt3 ignores time_base
    events = make_events(
        [0, 5, 639], [479, 0, 7], [base_ns // 1000 + k for k in (1, 1, 90)], [1, 0, 1]
    )
    payload = ENCODERS[encoding](events, base_ns)
    decoded = make_decoder(encoding).decode(payload, 640, 480, time_base=base_ns)
    np.testing.assert_array_equal(decoded, events)


@pytest.mark.parametrize('name', ['EVT3', 'evt2', 'trigger', ''])
def test_unknown_encoding(name: str) -> None:
    match = rf"^unknown encoding '{name}'; valid: \['evt3', 'mono', 'libcaer', 'libcaer_cmp'\]$"
    with pytest.raises(DecodeError, match=match):
        make_decoder(name)


# -- every decoder fuzzed: the harness and its contract are in test/helpers/fuzzing.py ------------


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


# -- regressions found by the fuzzer --------------------------------------------------------------


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
