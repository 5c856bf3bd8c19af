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

"""The encoding registry: names, factories, the shared decoder protocol, unknown names."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from asynet_core.events import make_events
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
from asynet_ros.encoders import encode_evt3, encode_libcaer, encode_libcaer_cmp, encode_mono

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
