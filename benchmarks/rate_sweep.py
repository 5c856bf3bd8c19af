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

"""Rate sweep: the live detector over Cyclone DDS at absolute event rates and sensor sizes.

Run::

    python -m asynet_benchmarks.rate_sweep --rate 5e6,10e6,20e6,50e6
        [--size 304x240,1280x720] [--seconds 20] [--warmup 3] [--json OUT]
        [--domain-id D] [--checkpoint C] [--mode adaptive] [--queue-size 64]

For every size and rate, as :mod:`benchmarks.overload_dds` does for its overload (and with its
pieces): a fresh ``asynet-detect --transport dds`` child (loopback Cyclone config) receives 1 ms
evt3 EventPackets of two moving shapes scaled to the sensor (the shapes' sizes and motions are
fractions of the sensor side), one packet per millisecond of wall time, for ``--seconds``; the
packets come from a 512 ms pool encoded once at that rate and looped with patched times. Figures
after the first ``--warmup`` seconds: outputs per second, publish-to-detection latency p50 / p99;
over the whole run: events processed per second (the detector's ``events`` counter: events that
reached the pipeline's window path), messages dropped by the live queue (``dropped_queue_full``)
and lost in transport. The table ends with the largest rate whose p99 latency is at most
``--p99-goal`` ms (10 by default) per size. One table, then the figures as one JSON line.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import json
import os
from pathlib import Path
import sys
import tempfile
from typing import Any

import numpy as np

from asynet_benchmarks.overload_dds import (
    _cyclone_uri,
    _latency,
    _measure,
    _output_bins,
    _Record,
    _spawn_detector,
    make_pool,
    PacketPool,
)
from asynet_core.events import SensorSize
from asynet_ros import bundled_checkpoint
from asynet_ros.dds.config import use_loopback
from asynet_ros.live import DEFAULT_QUEUE_SIZE

__all__ = ['best_rate', 'main', 'make_sized_pool', 'parse_rates', 'parse_sizes', 'sweep']


def parse_rates(text: str) -> list[float]:
    """``'5e6,10e6'`` -> ``[5e6, 1e7]`` (events/s, each > 0)."""
    rates = [float(r) for r in text.split(',') if r.strip()]
    if not rates or any(not r > 0 for r in rates):
        raise ValueError(f'rates must be positive numbers, got {text!r}')
    return rates


def parse_sizes(text: str) -> list[SensorSize]:
    """``'304x240,1280x720'`` -> sensor sizes (each side >= 16, the shapes' minimum)."""
    sizes = []
    for part in (p.strip() for p in text.split(',') if p.strip()):
        w, _, h = part.partition('x')
        if not (w.isdigit() and h.isdigit()) or min(int(w), int(h)) < 16:
            raise ValueError(f'a sensor size is WIDTHxHEIGHT, each side >= 16, got {part!r}')
        size = SensorSize(int(w), int(h))
        sizes.append(size)
    if not sizes:
        raise ValueError(f'no sensor size in {text!r}')
    return sizes


def make_sized_pool(rate: float, sensor: SensorSize, seed: int = 0) -> PacketPool:
    """512 ms of 1 ms evt3 packets of two moving shapes on ``sensor`` at ``rate`` events/s."""
    return make_pool(rate, seed, sensor)


def _one_rate(
    pool: PacketPool, sensor: SensorSize, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    """One detector run at the pool's rate; the row of the table."""
    env = dict(os.environ)
    use_loopback(tmp / 'cyclonedds.xml', env)
    log = tmp / f'detector_{sensor.width}x{sensor.height}_{pool.rate:.0f}.stderr'
    checkpoint = args.checkpoint or bundled_checkpoint()
    with _cyclone_uri(env['CYCLONEDDS_URI']):
        detector = _spawn_detector(
            checkpoint, args.domain_id, args.mode, args.queue_size, env, log
        )
        try:
            rec, t0, code, summary = _measure(detector, pool, args.domain_id, args.seconds, 1.0)
        finally:
            if detector.poll() is None:
                detector.kill()
                detector.wait()
    row = _row(pool, sensor, args, rec, t0, summary)
    return {**row, 'detector_exit': code, 'detector_log': str(log)}


def _row(
    pool: PacketPool,
    sensor: SensorSize,
    args: argparse.Namespace,
    rec: _Record,
    t0: float,
    summary: dict[str, Any],
) -> dict[str, Any]:
    seconds, warmup = args.seconds, min(args.warmup, args.seconds / 2)
    steady = _output_bins(rec, t0, seconds)[int(warmup) :]
    late = replace(rec, arrivals=[a for a in rec.arrivals if a[0] - t0 >= warmup])
    sent = len(rec.sent_stamps)
    return {
        'size': f'{sensor.width}x{sensor.height}',
        'offered_mev_s': pool.rate / 1e6,
        'sent_mev_s': rec.events_sent / seconds / 1e6,
        'processed_mev_s': (summary.get('events') or 0) / seconds / 1e6,
        'outputs_per_s': float(np.mean(steady)) if steady else 0.0,
        **_latency(late),
        'packets_sent': sent,
        'lost_in_transport': sent - summary['received'] if summary else None,
        'dropped_queue_full': summary.get('dropped_queue_full'),
        'backlog_batches': summary.get('backlog_batches'),
        'publisher_max_lag_ms': rec.max_lag_s * 1e3,
    }


def best_rate(rows: list[dict[str, Any]], size: str, goal_ms: float) -> float | None:
    """The largest offered rate (Mev/s) of ``size`` whose p99 latency is at most ``goal_ms``."""
    ok = [
        r['offered_mev_s']
        for r in rows
        if r['size'] == size and r['latency_ms_p99'] is not None and r['latency_ms_p99'] <= goal_ms
    ]
    return max(ok) if ok else None


def sweep(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every (size, rate) row, sizes outer, rates in the order given."""
    rows = []
    for sensor in args.size:
        for rate in args.rate:
            pool = make_sized_pool(rate, sensor)
            rows.append(_one_rate(pool, sensor, args, args.tmp))
            del pool
            print(_line(rows[-1]), file=sys.stderr, flush=True)
    return rows


_COLUMNS = (
    ('size', '{}'),
    ('offered_mev_s', '{:.1f}'),
    ('processed_mev_s', '{:.1f}'),
    ('outputs_per_s', '{:.0f}'),
    ('latency_ms_p50', '{:.1f}'),
    ('latency_ms_p99', '{:.1f}'),
    ('dropped_queue_full', '{}'),
    ('lost_in_transport', '{}'),
)
_HEADERS = ('size', 'offered Mev/s', 'processed Mev/s', 'outputs/s', 'p50 ms', 'p99 ms',
            'dropped (queue)', 'lost (transport)')  # fmt: skip


def _line(row: dict[str, Any]) -> str:
    cells = [('n/a' if row[k] is None else f.format(row[k])) for k, f in _COLUMNS]
    return '  '.join(f'{c:>{len(h)}}' for c, h in zip(cells, _HEADERS, strict=True))


def table(rows: list[dict[str, Any]], goal_ms: float) -> str:
    """The sweep as a text table, then the largest rate meeting the p99 goal per size."""
    lines = ['  '.join(_HEADERS)] + [_line(r) for r in rows]
    for size in dict.fromkeys(r['size'] for r in rows):
        best = best_rate(rows, size, goal_ms)
        text = 'none of the rates tried' if best is None else f'{best:g} Mev/s'
        lines.append(f'largest rate with p99 <= {goal_ms:g} ms at {size}: {text}')
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--rate', type=parse_rates, default=parse_rates('5e6,10e6,20e6,50e6'))
    p.add_argument('--size', type=parse_sizes, default=parse_sizes('304x240'))
    p.add_argument('--seconds', type=float, default=20.0)
    p.add_argument('--warmup', type=float, default=3.0, help='seconds left out of the rates')
    p.add_argument('--p99-goal', type=float, default=10.0, help='ms')
    p.add_argument('--json', type=Path, help='also write the rows here')
    p.add_argument('--domain-id', type=int, default=78)
    p.add_argument('--checkpoint', type=Path, help='default: the bundled detector')
    p.add_argument('--mode', choices=('adaptive', 'async', 'recompute'), default='adaptive')
    p.add_argument(
        '--queue-size', type=int, default=DEFAULT_QUEUE_SIZE, help="the detector's live queue"
    )
    args = p.parse_args(argv)
    if args.seconds < 1:
        p.error('--seconds must be >= 1')
    args.tmp = Path(tempfile.mkdtemp(prefix='asynet_rate_sweep_'))
    rows = sweep(args)
    print(table(rows, args.p99_goal))
    print(json.dumps(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + '\n', encoding='utf-8')
    return 0 if all(r['detector_exit'] == 0 for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
