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

"""The compiled evt3 decoder equals its numpy reference twin, word for word and state for state.

Random word streams of every type (vectors, rollovers, triggers, ignored words, events outside
the sensor, words before the start) are split at random packet boundaries and decoded packet by
packet by both backends of :func:`asynet_core.ops.evt3_decode`; the events, triggers and the
state after every packet must be equal. The real Metavision bag is checked the same way. Then the
extension's boundary: argument errors, unknown words (same message, state untouched) and the
output dtype. Last, fuzzed streams (``test/helpers/fuzzing.py``): both backends agree on every
packet.

Skipped when the extension is not built, unless ``ASYNET_REQUIRE_CPP=1`` (``make test`` sets it):
then a missing extension fails the module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest

from asynet_core import ops, ops_ref
from asynet_core.errors import EventFormatError, ShapeError
from asynet_core.events import EVENT_DTYPE
from checkout import require_cpp_ext
from fuzzing import FUZZ, mutated, real_payloads, SIZES, synthetic_packets, valid_looking, watchdog

_ext = require_cpp_ext()

# Word types and how often a random stream draws them: frequent ADDR_Y / ADDR_X / TIME_LOW, some
# TIME_HIGH, vectors, triggers and the ignored types (CONTINUED_4, padding, OTHERS, CONTINUED_12).
TYPES = np.array([0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xA, 0xE, 0xF])
WEIGHTS = np.array([12, 25, 4, 4, 4, 12, 1, 6, 1, 2, 1, 1], dtype=float)


def random_words(seed: int, n: int, coords: int, vectors: bool = True) -> np.ndarray:
    """``n`` random evt3 words; TIME_HIGH climbs with wraps and jitter, coordinates < coords.

    Without ``vectors`` most 64-word blocks take the compiled decoder's fast path.
    """
    rng = np.random.default_rng(seed)
    weights = WEIGHTS * (vectors | ~np.isin(TYPES, (0x3, 0x4, 0x5)))
    types = rng.choice(TYPES, size=n, p=weights / weights.sum())
    data = rng.integers(0, 1 << 12, n)
    coord = (rng.integers(0, coords, n) | (rng.integers(0, 2, n) << 11)) & 0xFFF
    data = np.where(np.isin(types, (0x0, 0x2, 0x3)), coord, data)
    high = np.cumsum(rng.choice([0, 1, 1, 2, 900, -3], size=n)) % 4096  # steps, wraps, jitter
    data = np.where(types == 0x8, high, data)
    return (types << 12 | data).astype('<u2')


def decode_both(
    words: np.ndarray, cuts: np.ndarray, width: int, height: int
) -> tuple[list[tuple[np.ndarray, ...]], list[tuple[np.ndarray, ...]]]:
    """Per packet (events, triggers, state) of the torch (numpy) and cpp backends."""
    results: dict[str, list[tuple[np.ndarray, ...]]] = {'torch': [], 'cpp': []}
    for backend, out in results.items():
        state = ops.evt3_initial_state()
        with ops.use_backend(backend):
            for part in np.split(words, cuts):
                events, triggers, state = ops.evt3_decode(part, width, height, state)
                out.append((events, triggers, state))
    return results['torch'], results['cpp']


def assert_same(ref: list[tuple[np.ndarray, ...]], got: list[tuple[np.ndarray, ...]]) -> None:
    assert len(ref) == len(got)
    for k, (a, b) in enumerate(zip(ref, got, strict=True)):
        assert b[0].dtype == EVENT_DTYPE, f'packet {k}'
        for name, x, y in zip(('events', 'triggers', 'state'), a, b, strict=True):
            np.testing.assert_array_equal(y, x, err_msg=f'packet {k}: {name}')


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 1500),
    n_cuts=st.integers(0, 8),
    coords=st.sampled_from([64, 700, 2048]),
    size=st.sampled_from([(640, 480), (64, 48), (1, 1), (2048, 2048)]),
    vectors=st.booleans(),
)
def test_random_streams_split_anywhere_match_the_reference(
    seed: int, n: int, n_cuts: int, coords: int, size: tuple[int, int], vectors: bool
) -> None:
    words = random_words(seed, n, coords, vectors)
    cuts = np.sort(np.random.default_rng(seed + 1).integers(0, n + 1, n_cuts))
    ref, got = decode_both(words, cuts, *size)
    assert_same(ref, got)


def test_long_streams_cover_the_block_paths(rng: np.random.Generator) -> None:
    # Blocks of 64 words: long runs without vectors take the compiled fast path, the others the
    # scalar path; packet ends fall inside and between blocks.
    fast = np.array([0x8000 | 5, 0x6000, 0x0000 | 7] + [0x2000 | 5, 0x6001, 0x2000 | 9] * 400)
    words = np.concatenate([fast, random_words(3, 3000, 700), fast]).astype('<u2')
    cuts = np.sort(rng.integers(0, words.size + 1, 12))
    ref, got = decode_both(words, cuts, 640, 480)
    assert_same(ref, got)
    assert sum(len(r[0]) for r in ref) > 1000


def test_rollover_and_jitter_match(rng: np.random.Generator) -> None:
    highs = [4090, 4093, 4085, 4094, 3, 1, 2, 4095, 5, 4000]  # 2 rollovers and a jitter
    words = [0x0003]
    for h in highs:
        words += [0x8000 | h, 0x6000 | int(rng.integers(0, 4096)), 0x2000 | 1, 0xA001]
    arr = np.tile(np.array(words, dtype='<u2'), 20)
    ref, got = decode_both(arr, np.array([1, 40, 41, 300]), 8, 8)
    assert_same(ref, got)
    assert ref[-1][2][ops.EVT3_STATE_FIELDS.index('rollover_us')] > 0


def test_real_bag_matches_the_reference_packet_by_packet(
    real_bag: Callable[[str], Path], rosbag2: ModuleType
) -> None:
    bag = real_bag('metavision_evt3')
    from asynet_ros.interfaces import typestore

    ts = typestore()
    with rosbag2.Reader(bag) as reader:
        payloads = [ts.deserialize_cdr(raw, c.msgtype).events for c, _, raw in reader.messages()]
    words = np.concatenate(payloads).view('<u2')
    cuts = np.sort(np.random.default_rng(0).integers(0, words.size + 1, 517))
    ref, got = decode_both(words, cuts, 640, 480)
    assert_same(ref, got)
    assert sum(len(r[0]) for r in ref) == 343474


def test_unknown_word_raises_the_same_error_and_keeps_the_state() -> None:
    state = ops.evt3_initial_state()
    _, _, state = ops.evt3_decode(np.array([0x8001, 0x6002], dtype='<u2'), 8, 8, state)
    before = state.copy()
    words = np.array([0x0001, 0x2001, 0xB000, 0x1234, 0x2002], dtype='<u2')
    match = r'^evt3 word 2 \(0xb000\) has unknown type 0xb \(2 unknown words in the packet\)$'
    for backend in ('torch', 'cpp'):
        with ops.use_backend(backend), pytest.raises(EventFormatError, match=match):
            ops.evt3_decode(words, 8, 8, state)
    np.testing.assert_array_equal(state, before)


@pytest.mark.parametrize('backend', ['torch', 'cpp'])
@pytest.mark.parametrize(
    ('words', 'state', 'match'),
    [
        (np.zeros(2, dtype=np.int16), None, r'words must be a 1-D uint16 array, got int16 \(2,\)'),
        (np.zeros((2, 2), dtype=np.uint16), None, r'words must be a 1-D uint16 array, got uint16'),
        ([0, 1], None, r'words must be a 1-D uint16 array, got list'),
        (np.zeros(2, dtype=np.uint16), np.zeros(11, dtype=np.int64), r'state must be int64 \(12'),
        (np.zeros(2, dtype=np.uint16), np.zeros(12, dtype=np.int32), r'got int32 \(12,\)'),
    ],
)
def test_ops_argument_errors(backend: str, words: object, state: object, match: str) -> None:
    state = ops.evt3_initial_state() if state is None else state
    with ops.use_backend(backend), pytest.raises(ShapeError, match=match):
        ops.evt3_decode(words, 8, 8, state)  # type: ignore[arg-type]


def test_cpp_keeps_strided_and_big_endian_words_correct() -> None:
    words = np.array([0x8001, 0x6002, 0x0003, 0x2004, 0x2005, 0x2006], dtype='<u2')
    with ops.use_backend('torch'):
        ref = ops.evt3_decode(words, 8, 8, ops.evt3_initial_state())[0]
    padded = np.zeros(2 * words.size, dtype='<u2')
    padded[::2] = words
    with ops.use_backend('cpp'):
        strided = ops.evt3_decode(padded[::2], 8, 8, ops.evt3_initial_state())[0]
        swapped = ops.evt3_decode(words.astype('>u2'), 8, 8, ops.evt3_initial_state())[0]
    np.testing.assert_array_equal(strided, ref)
    np.testing.assert_array_equal(swapped, ref)


@pytest.mark.parametrize(
    ('args', 'error', 'match'),
    [
        ((np.zeros(2, dtype=np.int16),), TypeError, r'words must have dtype uint16 .*got int16'),
        ((np.zeros(2, dtype='>u2'),), TypeError, r'words must have dtype uint16 \(little'),
        (([0, 1],), TypeError, r'evt3_decode: words must be a numpy array, got list'),
        ((np.zeros((1, 2), dtype=np.uint16),), ValueError, r'words must have shape \(\?,\), got'),
        ((np.zeros(4, dtype=np.uint16)[::2],), ValueError, r'words must be C-contiguous'),
    ],
)
def test_extension_boundary_errors(args: tuple[object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        _ext.evt3_decode(*args, 8, 8, ops.evt3_initial_state())
    with pytest.raises(TypeError, match=r'state must have dtype int64, got int32'):
        _ext.evt3_decode(np.zeros(2, dtype=np.uint16), 8, 8, np.zeros(12, dtype=np.int32))


def test_extension_returns_new_arrays_and_leaves_its_inputs_alone() -> None:
    words = np.array([0x8001, 0x6002, 0x0003, 0x2004, 0xA101], dtype='<u2')
    state = ops.evt3_initial_state()
    copies = words.copy(), state.copy()
    events, triggers, new_state = _ext.evt3_decode(words, 8, 8, state)
    np.testing.assert_array_equal(words, copies[0])
    np.testing.assert_array_equal(state, copies[1])
    assert events.dtype == EVENT_DTYPE
    assert events.tolist() == [(4, 3, 0, 1 << 12 | 2)]
    assert triggers.dtype == np.int64
    assert triggers.tolist() == [[1, 1 << 12 | 2, 1]]
    assert new_state.tolist() == [1 << 12, 1, 0, 2, 1, 3, -1, 0, 1, 0, 0, 0]
    assert ops_ref.EVT3_STATE_FIELDS[4] == 'started'
    assert _ext.evt3_decode.__doc__ is not None
    assert ':param state:' in _ext.evt3_decode.__doc__


# -- compiled == numpy on fuzzed streams (test/helpers/fuzzing.py) --------------------------------


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
