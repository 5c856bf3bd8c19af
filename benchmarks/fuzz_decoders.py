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

"""Fuzz every packet decoder and the dvs_msgs CDR decoder with 10**6 random and mutated inputs.

Run::

    python benchmarks/fuzz_decoders.py [--inputs 1000000] [--seed 0] [--workers 2]
        [--timeout-s 5] [--crosscheck-every 8] [--json out/fuzz_decoders.json]
        [--crash-dir out/fuzz_crashes] [--data ../shared/data]

Inputs go round the five targets (``evt3``, ``mono``, ``libcaer``, ``libcaer_cmp`` decoders and
:func:`~asynet_ros.decoders.decode_event_array`). Each is a packet of a corpus (the real packets
of the shared bags; libcaer, libcaer_cmp and dvs_msgs packets encoded from their events, with
rosbags serialising the dvs_msgs CDR; synthetic events through the encoders when the bags are
absent), left clean or mutated: bit flips, random bytes, truncation (odd lengths included),
duplication, a splice of two packets, random valid-looking words of the format, random bytes,
filled ranges, or several at once. Sensor sizes include 0, 1 and huge ones, time bases negative
and huge ones. Input ``i`` depends only on ``--seed`` and ``i``: every batch of 512 is drawn from
``default_rng([seed, batch])`` with vectorised draws; the stateful decoders carry their state from
input to input (with occasional resets).

The only allowed outcomes are events that keep the decoder's contract (EVENT_DTYPE, inside the
sensor, the decoder's time rule; see ``test/helpers/fuzzing.py``) or a DecodeError. Counted
failures, each input saved to ``--crash-dir``: other exceptions, contract violations, calls
slower than ``--timeout-s``, evt3 inputs on which the compiled and numpy backends disagree
(events, triggers, error or state; every ``--crosscheck-every``-th evt3 input), hangs and
crashes. The fuzz loop runs in ``--workers`` child processes; before each call a child copies its
input to a shared file, so the parent can save the input of a child that died (crash) or that it
killed after ``--timeout-s`` in one call (hang), then restarts the child after it. The report
(a table, then JSON) gives inputs per decoder, accepted packets, decoded events, errors by kind
(the DecodeError message with numbers replaced by ``#``) and inputs per second. Exit status 1
when anything but events or DecodeErrors came out.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
import json
import mmap
import multiprocessing as mp
import os
from pathlib import Path
import re
import sys
import tempfile
import time
import traceback
from typing import Any

import numpy as np

from asynet_core import ops, ops_ref
from asynet_core.errors import EventFormatError
from asynet_core.events import EVENT_DTYPE
from asynet_ros.decoders import decode_event_array, DecodeError, make_decoder

__all__ = ['Corpus', 'InputGenerator', 'build_corpus', 'main']

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / 'shared' / 'data'
TARGETS = ('evt3', 'mono', 'libcaer', 'libcaer_cmp', 'dvs')
KINDS = (
    *('clean', 'bitflip', 'bytes', 'truncate', 'duplicate'),
    *('splice', 'words', 'random', 'fill', 'stacked'),
)
KIND_P = np.array([4, 20, 10, 10, 10, 10, 16, 5, 5, 10], dtype=float) / 100
WORD_BYTES = {'evt3': 2, 'mono': 8, 'libcaer': 8, 'libcaer_cmp': 2, 'dvs': 4}
W, H = 640, 480
BATCH = 512
MAX_BYTES = 1 << 16  # longer inputs are cut: the shared input slot holds this much
EDGE_DIMS = np.array([0, -1, 1, 2, 65535, 65536, 65537, 1 << 31, (1 << 63) - 1], dtype=object)
EDGE_DIMS = np.append(EDGE_DIMS, [1 << 63, (1 << 64) + 1])
EDGE_TIME_BASES = np.array([0, 1, 999, -1, (1 << 63) - 1, 1 << 63, (1 << 64) + 7], dtype=object)
SAVED_PER_KIND = 20
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|(?<![\w.])-?\d+|'[^']*'")


@dataclass
class Corpus:
    """Seed packets per target: uint8 payloads and their time bases (ns)."""

    packets: dict[str, list[np.ndarray]]
    time_bases: dict[str, list[int]]
    source: str


@dataclass
class Input:
    """One fuzz input."""

    index: int
    target: str
    kind: str
    payload: np.ndarray
    width: int
    height: int
    time_base: int
    reset: bool


# -- corpus -------------------------------------------------------------------------------------


def _bag_payloads(bag: Path) -> list[np.ndarray]:
    from rosbags.rosbag2 import Reader

    from asynet_ros.interfaces import typestore

    ts = typestore()
    with Reader(bag) as reader:
        return [
            np.array(ts.deserialize_cdr(raw, c.msgtype).events, dtype=np.uint8)
            for c, _, raw in reader.messages()
        ]


def _synthetic_chunks(seed: int, count: int = 64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    chunks, t0 = [], 1000
    for _ in range(count):
        n = int(rng.integers(1, 1500))
        ev = np.zeros(n, dtype=EVENT_DTYPE)
        ev['x'], ev['y'], ev['p'] = (
            rng.integers(0, W, n),
            rng.integers(0, H, n),
            rng.integers(0, 2, n),
        )
        ev['t'] = t0 + np.cumsum(rng.integers(0, 20, n))
        t0 = int(ev['t'][-1]) + int(rng.integers(0, 50_000))
        chunks.append(ev)
    return chunks


def _dvs_cdrs(chunks: list[np.ndarray]) -> list[np.ndarray]:
    """dvs_msgs/EventArray CDR of each chunk (at most 300 events), serialised by rosbags."""
    from asynet_ros.interfaces import typestore

    ts = typestore()
    t = ts.types
    out = []
    for k, ev in enumerate(chunks):
        events = [
            t['dvs_msgs/msg/Event'](
                x=int(e['x']),
                y=int(e['y']),
                ts=t['builtin_interfaces/msg/Time'](
                    sec=int(e['t']) // 10**6, nanosec=int(e['t']) % 10**6 * 1000
                ),
                polarity=bool(e['p']),
            )
            for e in ev[:300]
        ]
        stamp = t['builtin_interfaces/msg/Time'](sec=k, nanosec=k)
        header = t['std_msgs/msg/Header'](stamp=stamp, frame_id='cam' * (k % 4))
        msg = t['dvs_msgs/msg/EventArray'](header=header, height=H, width=W, events=events)
        raw = ts.serialize_cdr(msg, 'dvs_msgs/msg/EventArray', little_endian=k % 2 == 0)
        out.append(np.frombuffer(bytes(raw), dtype=np.uint8))
    return out


def build_corpus(data: Path, seed: int) -> Corpus:
    """Real packets of the shared bags (and formats encoded from their events), else synthetic."""
    from asynet_ros.encoders import encode_libcaer, encode_libcaer_cmp, encode_mono, Evt3Encoder

    evt3_bag, mono_bag = data / 'bags' / 'metavision_evt3', data / 'bags' / 'legacy_mono'
    packets: dict[str, list[np.ndarray]] = {}
    if evt3_bag.is_dir() and mono_bag.is_dir():
        source = f'real packets of {evt3_bag} and {mono_bag}'
        packets['evt3'] = _bag_payloads(evt3_bag)
        decoder = make_decoder('evt3')
        chunks = [decoder.decode(p, W, H) for p in packets['evt3']]
        chunks = [c[:1500] for c in chunks if c.size][::8]
        packets['mono'] = _bag_payloads(mono_bag)
    else:
        source = 'synthetic packets (shared bags absent)'
        chunks = _synthetic_chunks(seed)
        encoder = Evt3Encoder(vectors=True)
        packets['evt3'] = [np.frombuffer(encoder.encode(c), dtype=np.uint8) for c in chunks]
        packets['mono'] = []
    bases = [max(int(c['t'][0]) * 1000 - 321, 0) for c in chunks]
    encode = {'mono': encode_mono, 'libcaer': encode_libcaer, 'libcaer_cmp': encode_libcaer_cmp}
    time_bases = {'evt3': [0] * len(packets['evt3']), 'mono': [0] * len(packets['mono'])}
    for name, fn in encode.items():
        packets.setdefault(name, [])
        packets[name] += [
            np.frombuffer(fn(c, b), dtype=np.uint8) for c, b in zip(chunks, bases, strict=True)
        ]
        time_bases[name] = time_bases.get(name, []) + bases
    packets['dvs'] = _dvs_cdrs(chunks[:48])
    time_bases['dvs'] = [0] * len(packets['dvs'])
    return Corpus(packets, time_bases, source)


# -- inputs -------------------------------------------------------------------------------------


def _word_pool(target: str, rng: np.random.Generator, n: int = 1 << 15) -> np.ndarray:
    """Valid-looking words of ``target`` as bytes: defined types, coordinates near the sensor."""
    if target in ('evt3', 'libcaer_cmp'):
        defined = [0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xA, 0xE, 0xF]
        if target == 'libcaer_cmp':
            defined = list(range(6))
        types = rng.choice(defined, n)
        types[rng.random(n) < 0.002] = 0xB if target == 'evt3' else 6  # a rare unknown word
        data = rng.integers(0, 1 << 12, n)
        coord = (rng.integers(0, 2 * W, n) | rng.integers(0, 2, n) << 11) & 0xFFF
        data = np.where(rng.random(n) < 0.5, coord, data)
        return (types << 12 | data).astype('<u2').view(np.uint8)
    if target == 'mono':
        p, y, x = rng.integers(0, 2, n), rng.integers(0, 2 * H, n), rng.integers(0, 2 * W, n)
        words = [v.astype(np.uint64) << np.uint64(s) for v, s in ((p, 63), (y, 48), (x, 32))]
        dt = rng.integers(0, 1 << 32, n).astype(np.uint64)
        return (words[0] | words[1] | words[2] | dt).astype('<u8').view(np.uint8)
    records = np.zeros(n, dtype=[('data', '<u4'), ('timestamp', '<i4')])
    valid = (rng.random(n) < 0.9).astype(np.int64)
    y, x, p = rng.integers(0, 2 * H, n), rng.integers(0, 2 * W, n), rng.integers(0, 2, n)
    records['data'] = valid | p << 1 | y << 2 | x << 17
    stamps = np.cumsum(rng.integers(-100, 1 << 22, n)) % (1 << 31)
    records['timestamp'] = np.where(rng.random(n) < 0.001, -1 - stamps, stamps)
    return np.frombuffer(records.tobytes(), dtype=np.uint8)


class InputGenerator:
    """Input ``i`` of the fuzz run, drawn batch by batch with vectorised draws."""

    def __init__(self, corpus: Corpus, seed: int) -> None:
        self.corpus = corpus
        self.seed = seed
        rng = np.random.default_rng([seed, 1 << 40])
        self.words = {t: _word_pool(t, rng) for t in TARGETS if t != 'dvs'}

    def batch(self, number: int) -> list[Input]:
        """The BATCH inputs ``number * BATCH ...``."""
        rng = np.random.default_rng([self.seed, number])
        targets = rng.integers(0, len(TARGETS), BATCH)
        kinds = rng.choice(len(KINDS), BATCH, p=KIND_P)
        r = rng.integers(0, 1 << 62, (BATCH, 12))
        sizes = self._sizes(rng)
        edge_tb, random_tb = rng.choice(EDGE_TIME_BASES, BATCH), rng.integers(0, 1 << 62, BATCH)
        which_tb = rng.choice(3, BATCH, p=[0.8, 0.15, 0.05])  # the packet's, an edge, a random
        resets = rng.random(BATCH) < 0.002
        self.pool = rng.integers(0, 256, 1 << 16, dtype=np.uint8)
        out = []
        for j in range(BATCH):
            target, kind = TARGETS[targets[j]], KINDS[kinds[j]]
            base = int(r[j, 0]) % len(self.corpus.packets[target])
            payload = self._mutate(kind, target, base, r[j])[:MAX_BYTES]
            tb = (self.corpus.time_bases[target][base], edge_tb[j], random_tb[j] * 2)[which_tb[j]]
            index = number * BATCH + j
            out.append(Input(index, target, kind, payload, *sizes[j], int(tb), bool(resets[j])))
        return out

    def _sizes(self, rng: np.random.Generator) -> list[tuple[int, int]]:
        odd = rng.random(BATCH) < 0.15
        edge = rng.choice(EDGE_DIMS, (BATCH, 2))
        dims = np.where(rng.random((BATCH, 2)) < 0.5, edge, rng.integers(1, 4097, (BATCH, 2)))
        return [(int(d[0]), int(d[1])) if o else (W, H) for o, d in zip(odd, dims, strict=True)]

    def _mutate(self, kind: str, target: str, base: int, r: np.ndarray) -> np.ndarray:
        packets = self.corpus.packets[target]
        data = packets[base]
        if kind == 'stacked':
            for sub in ('bitflip', 'splice', 'truncate', 'bytes'):
                r = np.roll(r, 3)
                data = self._one(sub, target, data, packets[int(r[1]) % len(packets)], r)
            return data
        return self._one(kind, target, data, packets[int(r[1]) % len(packets)], r)

    def _one(
        self, kind: str, target: str, data: np.ndarray, other: np.ndarray, r: np.ndarray
    ) -> np.ndarray:
        n = data.size
        if kind == 'clean' or (n == 0 and kind in ('bitflip', 'bytes', 'fill', 'duplicate')):
            return data
        if kind == 'bitflip':
            out = data.copy()
            k = 1 + int(r[2]) % 8
            pos = r[3 : 3 + k]
            np.bitwise_xor.at(out, pos % n, (1 << ((pos >> 32) % 8)).astype(np.uint8))
            return out
        if kind == 'bytes':
            out = data.copy()
            k = 1 + int(r[2]) % 8
            out[r[3 : 3 + k] % n] = self.pool[r[3 : 3 + k] % self.pool.size]
            return out
        if kind == 'truncate':
            cut = int(r[2]) % (n + 1)
            return data[:cut] if r[3] % 2 else data[cut:]
        if kind == 'duplicate':
            start, length, at = int(r[2]) % n, 1 + int(r[3]) % 512, int(r[4]) % (n + 1)
            return np.concatenate((data[:at], data[start : start + length], data[at:]))
        if kind == 'splice':
            return np.concatenate(
                (data[: int(r[2]) % (n + 1)], other[int(r[3]) % (other.size + 1) :])
            )
        if kind == 'words':
            return self._words(target, data, r)
        if kind == 'random':
            start = int(r[2]) % self.pool.size
            return self.pool[start : start + int(r[3]) % 4096]
        out = data.copy()  # fill
        start = int(r[2]) % n
        out[start : start + 1 + int(r[3]) % 256] = 0xFF if r[4] % 2 else 0
        return out

    def _words(self, target: str, data: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Valid-looking words: a fresh packet or a range of ``data`` overwritten; dvs fields."""
        size = WORD_BYTES[target]
        if target == 'dvs':
            out = data.copy()
            at = 4 + 4 * (int(r[2]) % 12)
            values = (
                0,
                1,
                0xFFFFFFFF,
                0x7FFFFFFF,
                data.size,
                data.size // 16,
                int(r[3]) & 0xFFFFFFFF,
            )
            value = np.array([values[int(r[4]) % len(values)]], dtype='<u4' if r[5] % 2 else '>u4')
            out[at : at + 4] = value.view(np.uint8)[: max(min(4, data.size - at), 0)]
            return out
        pool = self.words[target]
        count = int(r[3]) % 400
        start = (int(r[2]) % (pool.size // size - count)) * size
        words = pool[start : start + count * size]
        if r[4] % 2 or data.size < size:
            return words
        at = (int(r[5]) % (data.size // size)) * size
        return np.concatenate((data[:at], words, data[at + words.size :]))


# -- running and checking -----------------------------------------------------------------------


def error_kind(err: BaseException) -> str:
    """The error message with numbers and quoted values replaced by ``#``, cut to 90 chars."""
    return _NUMBERS.sub('#', str(err))[:90]


def check_events(target: str, events: Any, inp: Input, epoch: int) -> tuple[str | None, int]:
    """(the violated rule or None, the evt3 epoch after the packet)."""
    if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE or events.ndim != 1:
        return 'not a 1-D EVENT_DTYPE array', epoch
    if not events.size:
        return None, epoch
    if int(events['x'].max()) >= inp.width or int(events['y'].max()) >= inp.height:
        return 'event outside the sensor', epoch
    p, t = events['p'], events['t']
    if int(p.min()) < 0 or int(p.max()) > 1:
        return 'polarity not 0 / 1', epoch
    if target == 'evt3':
        epochs = t >> 24
        if int(t.min()) < 0 or int(epochs[0]) < epoch or bool((np.diff(epochs) < 0).any()):
            return 'evt3 time went back across a rollover (or below 0)', epoch
        return None, int(epochs[-1])
    base = inp.time_base // 1000
    if int(t.min()) < base:
        return 't before time_base', epoch
    if target == 'mono' and int(t.max()) > (inp.time_base + (1 << 32) - 1) // 1000:
        return 'mono t past time_base + 2**32 ns', epoch
    if target == 'libcaer' and bool((np.diff(t) < 0).any()):
        return 'libcaer t decreases', epoch
    if target == 'libcaer_cmp' and int(t.max()) >= base + (1 << 24):
        return 'libcaer_cmp t past time_base + 2**24 us', epoch
    return None, epoch


@dataclass
class Stats:
    """What one worker saw since its last report."""

    inputs: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    crosschecks: int = 0
    max_call_s: float = 0.0

    def merge(self, other: Stats) -> None:
        for name in ('inputs', 'accepted', 'events', 'errors', 'failures', 'kinds'):
            getattr(self, name).update(getattr(other, name))
        self.crosschecks += other.crosschecks
        self.max_call_s = max(self.max_call_s, other.max_call_s)


class Slot:
    """The input being decoded, in a file shared with the parent (read after a crash or hang).

    Header (int64): busy, index, start time (monotonic ns), payload length, parameter length.
    """

    HEADER = 64
    PARAMS = 192

    def __init__(self, path: Path, create: bool) -> None:
        size = self.HEADER + self.PARAMS + MAX_BYTES
        if create:
            path.write_bytes(bytes(size))
        self.file = path.open('r+b')
        self.map = mmap.mmap(self.file.fileno(), size)
        self.head = np.frombuffer(self.map, dtype=np.int64, count=5)
        self.params = np.frombuffer(
            self.map, dtype=np.uint8, count=self.PARAMS, offset=self.HEADER
        )
        self.data = np.frombuffer(self.map, dtype=np.uint8, offset=self.HEADER + self.PARAMS)

    def close(self) -> None:
        del self.head, self.params, self.data  # views of the map: release before closing it
        self.map.close()
        self.file.close()

    def enter(self, inp: Input) -> None:
        text = f'{inp.target} {inp.kind} {inp.width} {inp.height} {inp.time_base}'.encode()
        self.params[: len(text)] = np.frombuffer(text, dtype=np.uint8)
        self.data[: inp.payload.size] = inp.payload
        self.head[1:5] = (inp.index, time.monotonic_ns(), inp.payload.size, len(text))
        self.head[0] = 1

    def leave(self) -> None:
        self.head[0] = 0

    def busy_since_ns(self) -> int | None:
        return int(self.head[2]) if self.head[0] else None

    def saved(self) -> tuple[int, dict[str, Any], bytes]:
        """(index, parameters, payload) of the input in the slot."""
        index, _, size, text_len = (int(v) for v in self.head[1:5])
        target, kind, width, height, time_base = bytes(self.params[:text_len]).decode().split()
        params = {'target': target, 'kind': kind, 'width': width, 'height': height}
        params['time_base'] = time_base
        return index, params, bytes(self.data[:size])


def save_input(crash_dir: Path, label: str, inp: Input | None, extra: dict[str, Any]) -> Path:
    """Write the input (``.bin``) and what happened (``.json``); return the JSON path."""
    crash_dir.mkdir(parents=True, exist_ok=True)
    index = extra.get('index', inp.index if inp else -1)
    stem = crash_dir / f'{label}-{index}'
    if inp is not None:
        stem.with_suffix('.bin').write_bytes(inp.payload.tobytes())
        extra = {**extra, 'index': inp.index, 'target': inp.target, 'kind': inp.kind}
        extra |= {
            'width': str(inp.width),
            'height': str(inp.height),
            'time_base': str(inp.time_base),
        }
    stem.with_suffix('.json').write_text(json.dumps(extra, indent=2) + '\n', encoding='utf-8')
    return stem.with_suffix('.json')


class Runner:
    """Feeds inputs to the decoders of one worker and counts the outcomes."""

    def __init__(self, crash_dir: Path, timeout_s: float, crosscheck_every: int) -> None:
        self.crash_dir = crash_dir
        self.timeout_s = timeout_s
        self.crosscheck_every = crosscheck_every if 'cpp' in ops.available_backends() else 0
        self.decoders = {t: make_decoder(t) for t in TARGETS if t != 'dvs'}
        self.epoch = 0
        self.xstate = ops.evt3_initial_state()
        self.evt3_seen = 0
        self.stats = Stats()

    def run(self, inp: Input) -> None:
        st = self.stats
        st.inputs[inp.target] += 1
        st.kinds[inp.kind] += 1
        if inp.reset and inp.target != 'dvs':
            self.decoders[inp.target].reset()
            self.epoch = 0 if inp.target == 'evt3' else self.epoch
        start = time.perf_counter()
        try:
            events = self._decode(inp)
        except DecodeError as err:
            st.errors[(inp.target, error_kind(err))] += 1
            events = None
        except Exception as err:  # any other exception is a finding
            self._fail(inp, 'exception', f'{type(err).__name__}: {error_kind(err)}', err)
            events = None
        elapsed = time.perf_counter() - start
        st.max_call_s = max(st.max_call_s, elapsed)
        if elapsed > self.timeout_s:
            self._fail(inp, 'slow', f'call took {elapsed:.3f} s', None)
        if events is not None:
            self._accept(inp, events)
        if inp.target == 'evt3':
            self._crosscheck(inp)

    def _decode(self, inp: Input) -> np.ndarray:
        if inp.target == 'dvs':
            return decode_event_array(inp.payload).events
        decoder = self.decoders[inp.target]
        return decoder.decode(inp.payload, inp.width, inp.height, inp.time_base)

    def _accept(self, inp: Input, events: np.ndarray) -> None:
        self.stats.accepted[inp.target] += 1
        self.stats.events[inp.target] += int(events.size)
        if inp.target == 'dvs':
            problem = None if events.dtype == EVENT_DTYPE else 'not EVENT_DTYPE'
        else:
            epoch = self.epoch if inp.target == 'evt3' else 0
            problem, epoch = check_events(inp.target, events, inp, epoch)
            self.epoch = epoch if inp.target == 'evt3' else self.epoch
        if problem:
            self._fail(inp, 'invalid', problem, None)

    def _crosscheck(self, inp: Input) -> None:
        """Every k-th evt3 input: the compiled and numpy decoders from one state must agree."""
        self.evt3_seen += 1
        if not self.crosscheck_every or self.evt3_seen % self.crosscheck_every:
            return
        words = inp.payload[: inp.payload.size & ~1].view('<u2')
        outcomes: list[tuple[Any, ...]] = []
        for decode in (_cpp_evt3, ops_ref.evt3_decode):
            try:
                outcomes.append((None, *decode(words, inp.width, inp.height, self.xstate)))
            except EventFormatError as err:
                outcomes.append((str(err), None, None, self.xstate))
        self.stats.crosschecks += 1
        (e1, *a), (e2, *b) = outcomes
        same = e1 == e2 and all(_equal(x, y) for x, y in zip(a, b, strict=True))
        if not same:
            state = self.xstate.tolist()
            self._fail(inp, 'mismatch', f'cpp != numpy ({e1!r} / {e2!r})', None, state=state)
        self.xstate = outcomes[0][3]

    def _fail(
        self, inp: Input, what: str, detail: str, err: BaseException | None, **extra: Any
    ) -> None:
        self.stats.failures[(inp.target, what, detail)] += 1
        if self.stats.failures[(inp.target, what, detail)] <= SAVED_PER_KIND:
            tb = ''.join(traceback.format_exception(err)) if err else ''
            save_input(
                self.crash_dir,
                what,
                inp,
                {'what': what, 'detail': detail, 'traceback': tb, **extra},
            )


def _cpp_evt3(
    words: np.ndarray, width: int, height: int, state: np.ndarray
) -> tuple[np.ndarray, ...]:
    with ops.use_backend('cpp'):
        return ops.evt3_decode(words, width, height, state)


def _equal(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


# -- processes ----------------------------------------------------------------------------------


def _worker(gen: InputGenerator, args: Any, slot_path: Path, lo: int, hi: int, conn: Any) -> None:
    """Child: fuzz inputs [lo, hi), reporting Stats after every batch."""
    slot = Slot(Path(slot_path), create=False)
    runner = Runner(args.crash_dir, args.timeout_s, args.crosscheck_every)
    for number in range(lo // BATCH, (hi + BATCH - 1) // BATCH):
        for inp in gen.batch(number):
            if lo <= inp.index < hi:
                slot.enter(inp)
                runner.run(inp)
                slot.leave()
        conn.send((min((number + 1) * BATCH, hi), runner.stats))
        runner.stats = Stats()
    slot.close()
    conn.send(('done', None))


@dataclass
class Worker:
    """The parent's view of one child: its range, progress and shared slot."""

    wid: int
    next_index: int
    hi: int
    slot: Slot
    proc: Any = None
    conn: Any = None
    restarts: int = 0
    done: bool = False


class Supervisor:
    """Runs the workers, restarts them after a crash or a hang, and sums their reports."""

    def __init__(self, gen: InputGenerator, args: Any, tmp: Path) -> None:
        self.gen, self.args = gen, args
        self.ctx = mp.get_context('fork')
        self.total = Stats()
        self.crashes: list[str] = []
        self.hangs: list[str] = []
        self.lost = 0
        n, k = args.inputs, args.workers
        self.workers = [
            Worker(w, n * w // k, n * (w + 1) // k, Slot(tmp / f'slot{w}', create=True))
            for w in range(k)
        ]

    def run(self) -> None:
        try:
            for w in self.workers:
                self._start(w)
            while not all(w.done for w in self.workers):
                for w in self.workers:
                    if not w.done:
                        self._poll(w)
                time.sleep(0.02)
        finally:
            for w in self.workers:
                if w.proc is not None and w.proc.is_alive():
                    w.proc.kill()
                    w.proc.join()
                if w.conn is not None:
                    w.conn.close()
                w.slot.close()

    def _start(self, w: Worker) -> None:
        if w.conn is not None:  # a restart: the old child is gone
            w.proc.join()
            w.conn.close()
            w.conn = None
        if w.next_index >= w.hi:
            w.done = True
            return
        parent, child = self.ctx.Pipe(duplex=False)
        args = (self.gen, self.args, w.slot.file.name, w.next_index, w.hi, child)
        w.slot.leave()
        w.proc = self.ctx.Process(target=_worker, args=args, daemon=True)
        w.proc.start()
        child.close()
        w.conn = parent

    def _poll(self, w: Worker) -> None:
        alive = w.proc.is_alive()  # before draining: a child sends 'done' before it exits
        while w.conn.poll():
            try:
                upto, stats = w.conn.recv()
            except EOFError:
                break
            if upto == 'done':
                w.proc.join()
                w.conn.close()
                w.conn, w.done = None, True
                return
            w.next_index = upto
            self.total.merge(stats)
        since = w.slot.busy_since_ns()
        if not alive:
            self._lost(w, 'crash', f'exit code {w.proc.exitcode}')
        elif since is not None and time.monotonic_ns() - since > self.args.timeout_s * 1e9:
            w.proc.kill()
            w.proc.join()
            self._lost(w, 'hang', f'killed after {self.args.timeout_s} s in one call')

    def _lost(self, w: Worker, what: str, detail: str) -> None:
        """Save the input in the slot, count it and restart the worker after it."""
        index, params, payload = w.slot.saved()
        if not w.slot.busy_since_ns():
            index, params, payload = w.next_index - 1, {'note': 'died outside a decode call'}, b''
        self.args.crash_dir.mkdir(parents=True, exist_ok=True)
        stem = self.args.crash_dir / f'{what}-{index}'
        stem.with_suffix('.bin').write_bytes(payload)
        info = {'what': what, 'detail': detail, 'index': index, 'seed': self.args.seed, **params}
        stem.with_suffix('.json').write_text(json.dumps(info, indent=2) + '\n', encoding='utf-8')
        (self.crashes if what == 'crash' else self.hangs).append(str(stem.with_suffix('.json')))
        self.lost += index + 1 - w.next_index
        w.next_index, w.restarts = index + 1, w.restarts + 1
        if w.restarts > 100:
            raise RuntimeError(f'worker {w.wid} died {w.restarts} times; last: {stem}')
        self._start(w)


# -- report -------------------------------------------------------------------------------------


def report(sup: Supervisor, args: Any, corpus: Corpus, elapsed: float) -> dict[str, Any]:
    st = sup.total
    total = sum(st.inputs.values()) + sup.lost
    per = {
        t: {
            'inputs': st.inputs[t],
            'accepted': st.accepted[t],
            'events': st.events[t],
            'decode_errors': sum(v for (tt, _), v in st.errors.items() if tt == t),
        }
        for t in TARGETS
    }
    failures: dict[str, int] = Counter()
    for (_, what, _), v in st.failures.items():
        failures[what] += v
    errors = sorted(st.errors.items(), key=lambda kv: (kv[0][0], -kv[1]))
    return {
        'inputs': total,
        'inputs_lost_to_crashes_or_hangs': sup.lost,
        'seconds': round(elapsed, 1),
        'inputs_per_s': round(total / elapsed),
        'workers': args.workers,
        'seed': args.seed,
        'timeout_s': args.timeout_s,
        'backend': ops.backend(),
        'corpus': corpus.source,
        'corpus_packets': {t: len(p) for t, p in corpus.packets.items()},
        'per_decoder': per,
        'mutation_kinds': dict(st.kinds),
        'crashes': len(sup.crashes),
        'hangs': len(sup.hangs) + failures.get('slow', 0),
        'exceptions': failures.get('exception', 0),
        'invalid_outputs': failures.get('invalid', 0),
        'crosschecks': st.crosschecks,
        'crosscheck_mismatches': failures.get('mismatch', 0),
        'max_call_ms': round(st.max_call_s * 1e3, 2),
        'failures': [
            {'target': t, 'what': w, 'detail': d, 'count': v}
            for (t, w, d), v in st.failures.items()
        ],
        'saved': sup.crashes + sup.hangs,
        'errors_by_kind': [{'decoder': t, 'kind': k, 'count': v} for (t, k), v in errors],
    }


def print_table(res: dict[str, Any]) -> None:
    print(
        f'fuzz_decoders: {res["inputs"]:,} inputs in {res["seconds"]} s '
        f'({res["inputs_per_s"]:,} inputs/s), {res["workers"]} workers, seed {res["seed"]}, '
        f'evt3 backend {res["backend"]}'
    )
    print(f'corpus: {res["corpus"]} {res["corpus_packets"]}')
    print(f'{"decoder":<13}{"inputs":>10}{"accepted":>10}{"events":>13}{"DecodeError":>13}')
    for name, row in res['per_decoder'].items():
        print(
            f'{name:<13}{row["inputs"]:>10,}{row["accepted"]:>10,}{row["events"]:>13,}'
            f'{row["decode_errors"]:>13,}'
        )
    print(
        f'crashes {res["crashes"]}, hangs {res["hangs"]}, other exceptions {res["exceptions"]}, '
        f'invalid outputs {res["invalid_outputs"]}, evt3 cpp/numpy cross-checks '
        f'{res["crosschecks"]:,} with {res["crosscheck_mismatches"]} mismatches; slowest call '
        f'{res["max_call_ms"]} ms'
    )
    for f in res['failures']:
        print(f'FAILURE {f["target"]} {f["what"]} x{f["count"]}: {f["detail"]}')
    print('DecodeErrors by kind:')
    for e in res['errors_by_kind']:
        print(f'  {e["decoder"]:<12}{e["count"]:>9,}  {e["kind"]}')


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: fuzz, print the table and the JSON; 1 if anything failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--inputs', type=int, default=1_000_000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument('--timeout-s', type=float, default=5.0)
    parser.add_argument('--crosscheck-every', type=int, default=8)
    parser.add_argument('--json', type=Path, default=None)
    parser.add_argument('--crash-dir', type=Path, default=ROOT / 'out' / 'fuzz_crashes')
    parser.add_argument('--data', type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if args.inputs < 1 or args.workers < 1 or args.timeout_s <= 0 or args.crosscheck_every < 0:
        parser.error(
            '--inputs and --workers must be >= 1, --timeout-s > 0, --crosscheck-every >= 0'
        )
    corpus = build_corpus(args.data, args.seed)
    gen = InputGenerator(corpus, args.seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        sup = Supervisor(gen, args, Path(tmp))
        sup.run()
    res = report(sup, args, corpus, time.perf_counter() - start)
    print_table(res)
    print(json.dumps(res, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2) + '\n', encoding='utf-8')
    bad = ('crashes', 'hangs', 'exceptions', 'invalid_outputs', 'crosscheck_mismatches')
    return 1 if any(res[k] for k in bad) else 0


if __name__ == '__main__':
    sys.exit(main())
