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

"""Long-run float32 drift of the asynchronous engine, with and without the scheduled resync.

Run, from a source checkout (about 10 minutes on two CPU cores: two engines at about 3 ms per
100-event ncars update)::

    PYTHONPATH=. python -m benchmarks.long_run_drift --arch ncars --events 10000000 \
        --window 25000 --update-events 100 --check-every 2000 --resync-every 1000 \
        --json drift.json
    PYTHONPATH=. python -m benchmarks.long_run_drift --arch gen1_det \
        --recording ../shared/data/bags/metavision_evt3 --events 1360000 --window 25000 \
        --update-events 100 --check-every 500 --resync-every 1000   # a real recording, looped
    PYTHONPATH=. python -m benchmarks.long_run_drift --arch ncars --representation event_queue \
        --checkpoint asynet_ros/models/synthetic_cls.pt ...         # a trained model

A seeded random SparseVGG (He-normal convs, randomised BatchNorm statistics; or a trained
``--checkpoint``) is converted into two float32 :class:`~asynet_core.engine.AsyncEngine` s: one
rebuilds its state exactly every ``--resync-every`` updates, the other never does. One synthetic
stream is generated lazily, one segment of moving edges
(:func:`~asynet_core.synthetic.moving_edges`, fresh edges per segment, times continuing) at a
time, so memory stays flat however long the run; or a real ``--recording`` is played again and
again, times continuing. It slides through one count window and one incremental representation
(``--representation``), ``--update-events`` events per update, and every update's changed sites
go to both engines in lockstep.

Every ``--check-every`` updates (and after the last one) both outputs are compared with the exact
output on the current window: the float64 spconv twin of the same model run on the window's
histogram. That reference shares nothing with the engines' incremental state (it is rebuilt from
the representation alone, by different code: spconv rulebooks and torch BatchNorm), and float64
makes its own rounding (about 1e-15) negligible against the 1e-4 target. A checkpoint falls on
the update *before* a scheduled resync when ``--check-every`` is a multiple of ``--resync-every``
(update ``u`` with ``(u + 1) % check_every == 0``), the point of the schedule where the synced
engine has drifted longest. Errors are :func:`~asynet_core.engine.output_error`:
``max |out - ref| / max(max |ref|, max |empty|)``, ``empty`` the output on an empty input.

Reported: the error of both engines over time (a row every ``--print-every`` checkpoints), the
max and final error of each, events per second (window and representation included), updates,
resyncs and the resident memory at the start, after the first checkpoint, at the end and at
peak. Everything runs with one torch thread (spconv CPU is only exact single-threaded).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator, Sequence
import copy
from dataclasses import asdict, dataclass, field
import math
import os
from pathlib import Path
import resource
import sys
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from asynet_benchmarks.recordings import iter_looped, load_recording
from asynet_core.engine import AsyncEngine, output_error, output_scale
from asynet_core.events import concatenate_events, empty_events, SensorSize
from asynet_core.flops_cli import ARCH_DATASETS, write_json
from asynet_core.models import load_checkpoint, ModelConfig, SparseVGG, to_sparse_input
from asynet_core.models.config import REPRESENTATION_CHANNELS
from asynet_core.representations import (
    EventRepresentation,
    InputMapping,
    make_representation,
    RepresentationState,
)
from asynet_core.spconv_compat import spconv_single_thread
from asynet_core.stream import apply_site_update
from asynet_core.synthetic import moving_edges
from asynet_core.window import SlidingWindow

__all__ = ['build_model', 'event_segments', 'main', 'run_drift', 'update_batches']

SEGMENT_EVENTS = 100_000  # events per moving-edges segment (fresh edges each segment)
SEGMENT_US = 100_000  # duration of one segment: 1 Mev/s
TARGET = 1e-4  # goal for the synced engine's relative error


def build_model(arch: str, seed: int, representation: str = 'histogram') -> SparseVGG:
    """Seeded random float32 SparseVGG in eval mode with non-trivial BatchNorm statistics."""
    _, classes = ARCH_DATASETS[arch]
    torch.manual_seed(seed)
    model = SparseVGG(ModelConfig(arch, classes, representation=representation))  # He-normal
    g = torch.Generator().manual_seed(seed)
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm1d | nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
            mod.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
            mod.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            mod.bias.data.copy_(torch.rand(c, generator=g) * 0.4 - 0.2)
    return model.eval()


def event_segments(sensor: SensorSize, total: int, seed: int) -> Iterator[np.ndarray]:
    """``total`` time-sorted events, yielded one moving-edges segment at a time.

    Segment ``i`` has its own edges (seeded by ``(seed, i)``) and spans
    ``[i * SEGMENT_US, (i + 1) * SEGMENT_US)`` µs; the last one is cut to reach ``total``.
    """
    for i in range(math.ceil(total / SEGMENT_EVENTS)):
        n = min(SEGMENT_EVENTS, total - i * SEGMENT_EVENTS)
        sub_seed = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
        segment = moving_edges(sensor, n, sub_seed, duration_us=SEGMENT_US)
        segment['t'] += i * SEGMENT_US
        yield segment


def update_batches(chunks: Iterable[np.ndarray], n: int) -> Iterator[np.ndarray]:
    """Regroup a stream of event chunks into updates of ``n`` events (the last may be shorter)."""
    pending = empty_events()
    for chunk in chunks:
        events = concatenate_events([pending, chunk]) if len(pending) else chunk
        stop = len(events) - len(events) % n
        for i in range(0, stop, n):
            yield events[i : i + n]
        pending = events[stop:]
    if len(pending):
        yield pending


def rss_mb() -> float:
    """Current resident memory of this process in MiB (0 where /proc is missing)."""
    try:
        pages = int(Path('/proc/self/statm').read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class _Timers:
    """Seconds spent per stage."""

    input_s: float = 0.0  # sliding window + incremental representation
    synced_s: float = 0.0  # engine with the scheduled resync
    plain_s: float = 0.0  # engine without resync
    reference_s: float = 0.0  # float64 spconv recompute at checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """Errors against the exact recompute after ``update`` updates."""

    update: int
    events: int
    since_resync: int  # updates since the synced engine's last resync
    rel_err_resync: float
    rel_err_no_resync: float
    elapsed_s: float
    rss_mb: float


@dataclass
class DriftRun:
    """Two float32 engines fed in lockstep from one window, and the float64 reference model."""

    window: SlidingWindow
    rep: EventRepresentation
    rep_state: RepresentationState
    synced: AsyncEngine
    plain: AsyncEngine
    reference: SparseVGG
    floor: float = 0.0  # output_error's floor: the scale of the output on an empty input
    updates: int = 0
    events: int = 0
    timers: _Timers = field(default_factory=_Timers)

    @classmethod
    def create(cls, model: SparseVGG, sensor: SensorSize, window: int, resync: int) -> DriftRun:
        """Engines of float32 ``model`` (scheduled resync and none) and its float64 twin."""
        rep = make_representation(
            model.config.representation, InputMapping(sensor, model.config.input_size)
        )
        reference = copy.deepcopy(model).to(torch.float64).eval()
        h, w = model.config.input_size
        empty = torch.zeros(1, h, w, model.config.in_channels, dtype=torch.float64)
        with torch.no_grad():
            floor = output_scale(reference(to_sparse_input(empty)))
        state = rep.init_state()  # holds the window's events; the window slides over them
        return cls(
            SlidingWindow(window_events=window, buffer=state.window),
            rep,
            state,
            AsyncEngine.from_model(model, torch.float32, resync_every=resync),
            AsyncEngine.from_model(model, torch.float32, resync_every=0),
            reference,
            floor,
        )

    def step(self, events: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Push ``events``; return the (synced, plain) outputs for the new window."""
        start = time.perf_counter()
        change = self.window.change(events)
        update = self.rep.update(self.rep_state, change.added, change.removed)
        self.window.mark(events)
        mid = time.perf_counter()
        synced = apply_site_update(self.synced, update).clone()
        end = time.perf_counter()
        plain = apply_site_update(self.plain, update).clone()
        self.timers.input_s += mid - start
        self.timers.synced_s += end - mid
        self.timers.plain_s += time.perf_counter() - end
        self.updates += 1
        self.events += len(events)
        return synced, plain

    def exact(self) -> torch.Tensor:
        """Float64 spconv output on the current window's representation (independent state)."""
        start = time.perf_counter()
        x = torch.from_numpy(self.rep_state.map).to(torch.float64).unsqueeze(0)  # [1, H, W, C]
        with torch.no_grad():
            out: torch.Tensor = self.reference(to_sparse_input(x))
        self.timers.reference_s += time.perf_counter() - start
        return out

    def checkpoint(self, outs: tuple[torch.Tensor, torch.Tensor], elapsed_s: float) -> Checkpoint:
        """Compare both outputs with the exact recompute of the current window."""
        ref = self.exact()
        since = self.updates % self.synced.resync_every if self.synced.resync_every else 0
        return Checkpoint(
            self.updates,
            self.events,
            since,
            output_error(outs[0], ref, self.floor),
            output_error(outs[1], ref, self.floor),
            elapsed_s,
            rss_mb(),
        )


_HEAD = (
    f'{"update":>8}{"events":>11}{"time s":>8}{"ev/s":>9}{"since":>6}'
    f'{"resync err":>12}{"max":>10}{"no-resync":>12}{"max":>10}{"RSS MiB":>9}'
)


def _row(c: Checkpoint, so_far: Sequence[Checkpoint]) -> str:
    rate = c.events / c.elapsed_s if c.elapsed_s else 0.0
    worst_s = max(x.rel_err_resync for x in so_far)
    worst_p = max(x.rel_err_no_resync for x in so_far)
    return (
        f'{c.update:>8}{c.events:>11}{c.elapsed_s:>8.1f}{rate:>9.0f}{c.since_resync:>6}'
        f'{c.rel_err_resync:>12.2e}{worst_s:>10.2e}{c.rel_err_no_resync:>12.2e}{worst_p:>10.2e}'
        f'{c.rss_mb:>9.1f}'
    )


def _is_check(update: int, every: int) -> bool:
    """Checkpoint on update ``u`` with ``(u + 1) % every == 0``: just before a resync."""
    return (update + 1) % every == 0


def _stream(
    run: DriftRun,
    batches: Iterable[np.ndarray],
    check_every: int,
    print_every: int,
    log: Callable[[str], None],
) -> list[Checkpoint]:
    """Feed every batch; check at the schedule and after the last update; log every few."""
    checks: list[Checkpoint] = []
    start = time.perf_counter()
    outs = None
    for batch in batches:
        outs = run.step(batch)
        if _is_check(run.updates, check_every):
            checks.append(run.checkpoint(outs, time.perf_counter() - start))
            if len(checks) % print_every == 0 or len(checks) == 1:
                log(_row(checks[-1], checks))
    if outs is not None and (not checks or checks[-1].update != run.updates):
        checks.append(run.checkpoint(outs, time.perf_counter() - start))
        log(_row(checks[-1], checks))
    return checks


def _summary(run: DriftRun, checks: list[Checkpoint], wall_s: float) -> dict[str, Any]:
    t = run.timers
    synced = [c.rel_err_resync for c in checks]
    plain = [c.rel_err_no_resync for c in checks]
    return {
        'updates': run.updates,
        'events': run.events,
        'checkpoints': len(checks),
        'resyncs': run.synced.resyncs,
        'max_rel_err_resync': max(synced),
        'final_rel_err_resync': synced[-1],
        'max_rel_err_no_resync': max(plain),
        'final_rel_err_no_resync': plain[-1],
        'target': TARGET,
        'resync_within_target': max(synced) <= TARGET,
        'events_per_s_resync': run.events / (t.input_s + t.synced_s),
        'events_per_s_no_resync': run.events / (t.input_s + t.plain_s),
        'events_per_s_wall': run.events / wall_s,
        'ms_per_update_resync': 1e3 * t.synced_s / run.updates,
        'ms_per_update_no_resync': 1e3 * t.plain_s / run.updates,
        'wall_s': wall_s,
        'input_s': t.input_s,
        'engine_resync_s': t.synced_s,
        'engine_no_resync_s': t.plain_s,
        'reference_s': t.reference_s,
    }


def _model(arch: str, seed: int, representation: str, checkpoint: Path | None) -> SparseVGG:
    """The seeded random model, or the checkpoint's (a sparse model: the engine's input)."""
    if checkpoint is None:
        return build_model(arch, seed, representation)
    model = load_checkpoint(checkpoint).model
    if not isinstance(model, SparseVGG):
        raise ValueError(f'{checkpoint}: a dense checkpoint; the engine needs a sparse one')
    return model


def run_drift(
    arch: str,
    events: int,
    window: int,
    update_events: int,
    check_every: int,
    resync_every: int,
    seed: int,
    print_every: int = 10,
    log: Callable[[str], None] = print,
    representation: str = 'histogram',
    recording: Path | None = None,
    checkpoint: Path | None = None,
) -> dict[str, Any]:
    """Stream ``events`` events through both engines; the JSON report.

    The events are synthetic moving edges on the architecture's dataset sensor, or a real
    ``recording`` (a rosbag2 folder, ``.dat`` or ``.raw``) played again and again with times
    continuing until ``events`` have been streamed. The model is a seeded random one of ``arch``
    and ``representation``, or a trained ``checkpoint`` (which then decides both).
    """
    model = _model(arch, seed, representation, checkpoint)
    arch, representation = model.config.arch, model.config.representation
    sensor, _ = ARCH_DATASETS[arch]
    if recording is not None:
        real, sensor = load_recording(recording, sensor)
        source: Iterable[np.ndarray] = iter_looped(real, events)
    else:
        source = event_segments(sensor, events, seed)
    config = {
        'arch': arch,
        'representation': representation,
        'recording': None if recording is None else str(recording),
        'checkpoint': None if checkpoint is None else str(checkpoint),
        'events': events,
        'window': window,
        'update_events': update_events,
        'check_every': check_every,
        'resync_every': resync_every,
        'seed': seed,
    }
    with spconv_single_thread():
        rss_start = rss_mb()
        run = DriftRun.create(model, sensor, window, resync_every)
        log(_HEAD)
        start = time.perf_counter()
        batches = update_batches(source, update_events)
        checks = _stream(run, batches, check_every, print_every, log)
        summary = _summary(run, checks, time.perf_counter() - start)
    memory = {
        'rss_start_mb': rss_start,
        'rss_first_check_mb': checks[0].rss_mb,
        'rss_end_mb': rss_mb(),
        'rss_peak_mb': peak_rss_mb(),
    }
    return {
        'config': config,
        'summary': summary | memory,
        'checkpoints': [asdict(c) for c in checks],
        'torch': torch.__version__,
    }


def _summary_text(report: dict[str, Any]) -> str:
    s = report['summary']
    verdict = 'met' if s['resync_within_target'] else 'NOT met'
    return '\n'.join(
        [
            f'{s["events"]} events, {s["updates"]} updates, {s["checkpoints"]} checkpoints, '
            f'{s["resyncs"]} resyncs, {s["wall_s"]:.1f} s wall',
            f'relative error, resync every {report["config"]["resync_every"]}: '
            f'max {s["max_rel_err_resync"]:.3e}, final {s["final_rel_err_resync"]:.3e} '
            f'(target <= {s["target"]:.0e}: {verdict})',
            f'relative error, no resync: max {s["max_rel_err_no_resync"]:.3e}, '
            f'final {s["final_rel_err_no_resync"]:.3e}',
            f'events/s: {s["events_per_s_resync"]:.0f} with resync, '
            f'{s["events_per_s_no_resync"]:.0f} without (window and histogram included; '
            f'{s["ms_per_update_resync"]:.3f} / {s["ms_per_update_no_resync"]:.3f} ms per '
            f'engine update); {s["events_per_s_wall"]:.0f} for the whole run',
            f'time: window+histogram {s["input_s"]:.1f} s, engine with resync '
            f'{s["engine_resync_s"]:.1f} s, without {s["engine_no_resync_s"]:.1f} s, '
            f'float64 reference {s["reference_s"]:.1f} s',
            f'RSS MiB: start {s["rss_start_mb"]:.1f}, first checkpoint '
            f'{s["rss_first_check_mb"]:.1f}, end {s["rss_end_mb"]:.1f}, peak '
            f'{s["rss_peak_mb"]:.1f}',
        ]
    )


def _positive(text: str) -> int:
    try:
        value = int(text.replace('_', ''))
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected an integer, got {text!r}') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='long_run_drift', description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='ncars', choices=sorted(ARCH_DATASETS))
    parser.add_argument(
        '--representation', default='histogram', choices=sorted(REPRESENTATION_CHANNELS)
    )
    parser.add_argument(
        '--checkpoint', type=Path, help='a trained checkpoint instead of a random model'
    )
    parser.add_argument(
        '--recording',
        type=Path,
        help='a real recording to play in a loop (rosbag2 folder, .dat, .raw); '
        "default: synthetic moving edges on the arch's dataset sensor",
    )
    parser.add_argument(
        '--events', type=_positive, default=10_000_000, help='events streamed (default 1e7)'
    )
    parser.add_argument('--window', type=_positive, default=25_000, help='events in the window')
    parser.add_argument(
        '--update-events', type=_positive, default=100, help='events per update (default 100)'
    )
    parser.add_argument(
        '--check-every', type=_positive, default=2000, help='updates between checkpoints'
    )
    parser.add_argument(
        '--resync-every', type=_positive, default=1000, help='resync schedule of the synced engine'
    )
    parser.add_argument(
        '--print-every', type=_positive, default=10, help='checkpoints between printed rows'
    )
    parser.add_argument('--seed', type=int, default=0, help='weights and event stream seed')
    parser.add_argument('--json', type=Path, help='write the report here')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.update_events >= args.window:
        parser.error(f'--update-events {args.update_events} must be smaller than --window')
    if args.events <= args.window:
        parser.error(f'--events {args.events} must exceed --window {args.window}')
    report = run_drift(
        args.arch,
        args.events,
        args.window,
        args.update_events,
        args.check_every,
        args.resync_every,
        args.seed,
        args.print_every,
        lambda line: print(line, flush=True),
        args.representation,
        args.recording,
        args.checkpoint,
    )
    print(_summary_text(report))
    if args.json is not None:
        write_json(args.json, report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
