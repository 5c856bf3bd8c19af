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

"""The mono payload decoder: the real bag against upstream goldens, the bit layout, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from asynet_core.events import concatenate_events
from asynet_ros.decoders import (
    DecodeError,
    make_decoder,
    MonoDecoder,
)
from decoder_helpers import as_tuples, summary


def test_mono_bag_matches_upstream_goldens(read_bag: Callable[[str], list[Any]]) -> None:
    msgs = read_bag('legacy_mono')
    decoder = MonoDecoder()
    assert [m.encoding for m in msgs] == ['mono', 'mono']
    events = concatenate_events(
        [decoder.decode(m.events, m.width, m.height, m.time_base) for m in msgs]
    )
    # Upstream (event_camera_codecs test/decoder_test.cpp, ns): sum t 4 950 000, sum x 34 450,
    # sum y 26 450, sum p 50. Here t is in us.
    assert summary(events) == {
        'events': 100,
        'on': 50,
        'off': 50,
        'sum_x': 34450,
        'sum_y': 26450,
        'sum_t_us': 4950,
        't_first_us': 0,
        't_last_us': 99,
    }


def mono_word(x: int, y: int, p: int, dt_ns: int) -> int:
    return p << 63 | y << 48 | x << 32 | dt_ns


def test_mono_bit_layout_and_time_base() -> None:
    words = [mono_word(639, 479, 1, 0xFFFFFFFF), mono_word(0, 0, 0, 1999), mono_word(640, 0, 1, 0)]
    payload = np.asarray(words, dtype='<u8').tobytes()
    decoder = MonoDecoder()
    events = decoder.decode(payload, 640, 480, time_base=1_000_000_500)
    assert as_tuples(events) == [
        (639, 479, 1, (1_000_000_500 + 0xFFFFFFFF) // 1000),
        (0, 0, 0, 1_000_002),
    ]
    assert decoder.dropped_out_of_range == 1


@pytest.mark.parametrize(
    ('payload', 'time_base', 'match'),
    [
        (b'\x00' * 12, 0, r'mono payload length must be a multiple of 8 \(64-bit words\), got 12'),
        (b'', -1, r'mono time_base must be in \[0, 2\*\*63\) ns, got -1'),
        (np.zeros((2, 8), dtype=np.uint8), 0, r'mono payload array must be 1-D uint8, got 2-D'),
    ],
)
def test_mono_errors(payload: object, time_base: int, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        MonoDecoder().decode(payload, 8, 8, time_base)  # type: ignore[arg-type]


# -- regressions found by the fuzzer (test/helpers/fuzzing.py) ------------------------------------


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
