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

"""evt3 decoding speed: asynet's Evt3Decoder against PyPI's ``evt3`` and ``expelliarmus``.

Run::

    python benchmarks/decode_evt3.py [--bag ../shared/data/bags/metavision_evt3] [--repeat 20]
        [--runs 15] [--json out/decode_evt3.json]

The evt3 words of the real Metavision bag (517 EventPacket messages, 640 x 480) are concatenated
and repeated ``--repeat`` times; each repetition's TIME_HIGH words are shifted so that time keeps
increasing (the 24-bit clock then rolls over, as in a long recording). expelliarmus stops at
external-trigger words ("event type not recognised: 0xa"), so the common stream that all three
decode drops the bag's 4157 trigger words (the CD events are unchanged); asynet and evt3 also
decode the stream with them. Each run times every decoder once, in a rotating order (interleaved
repetitions); figures are medians over the runs, in millions of CD events per second, output
allocation included: asynet and evt3 decode bytes in memory, expelliarmus reads a temporary RAW
file (its only input; the file is in the page cache). Before timing, the outputs of all decoders
are checked to be identical in x, y and polarity; differences in t are counted and reported
(expelliarmus adds 4096 µs at many TIME_HIGH steps; asynet and evt3 agree exactly). The numpy
reference decoder (the fallback when the extension is not built) is timed on one repetition.
Figures from one run are comparable; runs on different machines are not.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import json
from pathlib import Path
import platform
import statistics
import sys
import tempfile
import time
from typing import Any

import numpy as np

from asynet_core import ops
from asynet_ros.decoders import Evt3Decoder

__all__ = ['continuous_repeat', 'load_bag_words', 'main']

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BAG = ROOT.parent / 'shared' / 'data' / 'bags' / 'metavision_evt3'
WIDTH, HEIGHT = 640, 480
RAW_HEADER = b'%% evt 3.0\n%% format EVT3;height=%d;width=%d\n%% geometry %dx%d\n%% end\n'
_TIME_HIGH, _EXT_TRIGGER = 0x8, 0xA

Decode = Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def load_bag_words(bag: Path) -> np.ndarray:
    """The evt3 words of every EventPacket of ``bag``, concatenated in order (uint16)."""
    from rosbags.rosbag2 import Reader

    from asynet_ros.interfaces import typestore

    ts = typestore()
    with Reader(bag) as reader:
        payloads = [
            np.asarray(ts.deserialize_cdr(raw, conn.msgtype).events, dtype=np.uint8)
            for conn, _, raw in reader.messages()
        ]
    return np.concatenate(payloads).view('<u2')


def continuous_repeat(words: np.ndarray, repeat: int) -> np.ndarray:
    """``words`` repeated, each copy's TIME_HIGH shifted so that time keeps increasing."""
    types = words >> 12
    highs = (words[types == _TIME_HIGH] & 0xFFF).astype(np.int64)
    span = int(highs.max() - highs.min()) + 1  # TIME_HIGH units one copy covers
    copies = []
    for k in range(repeat):
        shifted = (words & 0xFFF).astype(np.int64) + k * span
        copy = words.copy()
        high = types == _TIME_HIGH
        copy[high] = (_TIME_HIGH << 12) | (shifted[high] & 0xFFF)
        copies.append(copy)
    return np.concatenate(copies)


def _asynet(data: bytes) -> Decode:
    def run() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ev = Evt3Decoder().decode(data, WIDTH, HEIGHT)
        return ev['x'], ev['y'], ev['p'], ev['t']

    return run


def _evt3(data: bytes) -> Decode:
    import evt3

    def run() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ev = evt3.decode_bytes(data, sensor_width=WIDTH, sensor_height=HEIGHT)
        return ev.x, ev.y, ev.polarity, ev.timestamp

    return run


def _expelliarmus(path: Path) -> Decode:
    from expelliarmus import Wizard

    wizard = Wizard(encoding='evt3', fpath=path)

    def run() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ev = wizard.read()
        return ev['x'], ev['y'], ev['p'], ev['t']

    return run


def _mismatches(name: str, got: Sequence[np.ndarray], ref: Sequence[np.ndarray]) -> int:
    """Events whose t differs from asynet's; exits when a count, x, y or polarity differs."""
    for field, a, b in zip('xypt', got, ref, strict=True):
        if a.shape != b.shape:
            raise SystemExit(f'decode_evt3: {name} gives {a.size} events, asynet {b.size}')
        bad = int(np.count_nonzero(a.astype(np.int64) != b.astype(np.int64)))
        if field != 't' and bad:
            raise SystemExit(f'decode_evt3: {name} differs from asynet in field {field}')
    return bad


def _time(decoders: dict[str, Decode], runs: int) -> dict[str, list[float]]:
    """Seconds per decode, every decoder once per run in a rotating order."""
    names = list(decoders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(runs):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            decoders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def _numpy_reference(words: np.ndarray, runs: int) -> float:
    """Median seconds of the numpy reference decoder on ``words``."""
    seconds = []
    with ops.use_backend('torch'):
        for _ in range(runs):
            start = time.perf_counter()
            Evt3Decoder().decode(words.tobytes(), WIDTH, HEIGHT)
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def benchmark(bag: Path, repeat: int, runs: int, tmp: Path) -> dict[str, Any]:
    """Decode the repeated bag with every decoder; return medians, rates and ratios."""
    words = load_bag_words(bag)
    full = continuous_repeat(words, repeat)
    common = full[(full >> 12) != _EXT_TRIGGER]
    raw = tmp / 'stream.raw'
    raw.write_bytes((RAW_HEADER % (HEIGHT, WIDTH, WIDTH, HEIGHT)) + common.tobytes())
    streams = {'common': common.tobytes(), 'with_triggers': full.tobytes()}
    decoders = {
        'asynet': _asynet(streams['common']),
        'evt3': _evt3(streams['common']),
        'expelliarmus': _expelliarmus(raw),
        'asynet (with triggers)': _asynet(streams['with_triggers']),
        'evt3 (with triggers)': _evt3(streams['with_triggers']),
    }
    outputs = {name: decode() for name, decode in decoders.items()}
    refs = {name: 'asynet (with triggers)' if 'triggers' in name else 'asynet' for name in outputs}
    t_mismatches = {
        name: _mismatches(name, out, outputs[refs[name]]) for name, out in outputs.items()
    }
    n_events = int(outputs['asynet'][0].size)
    times = _time(decoders, runs)
    median = {name: statistics.median(t) for name, t in times.items()}
    rate = {name: n_events / s / 1e6 for name, s in median.items()}
    best = max(rate['evt3'], rate['expelliarmus'])
    reference_s = _numpy_reference(words, max(runs // 5, 1))
    return {
        'bag': str(bag),
        'repeat': repeat,
        'runs': runs,
        'words': int(common.size),
        'events': n_events,
        'backend': ops.backend(),
        'median_ms': {k: round(v * 1e3, 2) for k, v in median.items()},
        'mev_per_s': {k: round(v, 1) for k, v in rate.items()},
        'numpy_reference_mev_per_s': round(n_events / repeat / reference_s / 1e6, 2),
        'ratio_asynet_over_evt3': round(rate['asynet'] / rate['evt3'], 2),
        'ratio_asynet_over_expelliarmus': round(rate['asynet'] / rate['expelliarmus'], 2),
        'ratio_asynet_over_best_other': round(rate['asynet'] / best, 2),
        't_mismatches': t_mismatches,
        'machine': {'cpu': platform.processor() or platform.machine(), 'python': sys.version},
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f'bag {result["bag"]} x{result["repeat"]}: {result["words"]} words (no triggers), '
        f'{result["events"]} CD events; backend {result["backend"]}; median of '
        f'{result["runs"]} interleaved runs'
    )
    print(f'{"decoder":<26}{"median ms":>12}{"Mev/s":>10}')
    for name, ms in result['median_ms'].items():
        print(f'{name:<26}{ms:>12.2f}{result["mev_per_s"][name]:>10.1f}')
    print(f'{"numpy reference (x1)":<26}{"":>12}{result["numpy_reference_mev_per_s"]:>10.2f}')
    for name, bad in result['t_mismatches'].items():
        if bad:
            print(f'note: {name} gives another t than asynet for {bad} of the events')
    print(
        f'asynet / evt3 = {result["ratio_asynet_over_evt3"]:.2f}, '
        f'asynet / expelliarmus = {result["ratio_asynet_over_expelliarmus"]:.2f}, '
        f'asynet / best other = {result["ratio_asynet_over_best_other"]:.2f}'
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: print the table (and write JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bag', type=Path, default=DEFAULT_BAG)
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--json', type=Path, default=None)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.runs < 1:
        parser.error('--repeat and --runs must be >= 1')
    if not args.bag.is_dir():
        parser.error(f'no bag at {args.bag} (../shared/data not checked out?)')
    with tempfile.TemporaryDirectory() as tmp:
        result = benchmark(args.bag, args.repeat, args.runs, Path(tmp))
    _print(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + '\n', encoding='utf-8')
    return 0


if __name__ == '__main__':
    sys.exit(main())
