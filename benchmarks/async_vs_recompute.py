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

"""``asynet-bench``: asynchronous updates against full recomputation, on one CPU thread.

Run::

    asynet-bench --arch ncars --arch ncaltech101 --update-events 1,10,100,1000 --window 25000 \
        --json bench.json

or, from a source checkout without installing::

    PYTHONPATH=. python -m benchmarks.async_vs_recompute --arch ncars --update-events 1,10,100 \
        --window 25000 --json bench.json

For every architecture and update size ``n``: a SparseVGG with seeded random weights (He-normal
conv kernels, so activations keep their scale through the trunk and the output is not just the
head's bias) and its DenseVGG twin; a moving-edges stream on the dataset's sensor; the window of
``--window`` events is filled and the asynchronous engine initialised, then the window slides by
``n`` events (``n`` enter, ``n`` leave) ``warmup + repeats`` times through the incremental
histogram. Each slide times only ``engine.update``, then a spconv recompute of the same window
(building the sparse input included) and a dense torch recompute (NCHW input). Reported: median
milliseconds, the engine's FLOPs per update (counting rules of :mod:`asynet_core.flops`), achieved
GFLOP/s, the largest relative difference between engine and spconv outputs, and the same run's
single-thread fp32 matmul rate as the compute yardstick. Everything runs with one torch thread
(spconv CPU is only exact single-threaded); the previous thread count is restored afterwards.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
import platform
import statistics
import sys
import time
from typing import Any, TYPE_CHECKING, TypeVar

from asynet_core import cli
from asynet_core.flops_cli import ARCH_DATASETS, write_json

if TYPE_CHECKING:
    import numpy as np
    import torch

    from asynet_core.engine import AsyncEngine
    from asynet_core.models import DenseVGG, SparseVGG
    from asynet_core.representations import Histogram, RepresentationState, SiteUpdate

# torch, spconv, the models and the engine are imported where used, after the arguments are
# parsed: `asynet-bench --help` and a usage error answer at once.

__all__ = ['build_models', 'main', 'run_benchmark', 'sgemm_gflops']

WARMUP = 3  # untimed slides before the timed repeats
T = TypeVar('T')


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    """(result, wall milliseconds) of one call."""
    start = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - start) * 1e3


def sgemm_gflops(size: int = 1024, repeats: int = 5) -> float:
    """fp32 ``torch.mm`` rate in GFLOP/s (``2 n^3`` per product, best of ``repeats``)."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)  # warm-up
    best_ms = min(_timed(lambda: torch.mm(a, b))[1] for _ in range(repeats))
    return 2 * size**3 / (best_ms * 1e-3) / 1e9


def _cpu_name() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_models(arch: str, seed: int) -> tuple[SparseVGG, DenseVGG]:
    """Seeded random SparseVGG and the DenseVGG with the same weights, eval, float32."""
    import torch

    from asynet_core.models import DenseVGG, load_sparse_weights_into_dense, ModelConfig, SparseVGG

    _, classes = ARCH_DATASETS[arch]
    config = ModelConfig(arch, classes)
    torch.manual_seed(seed)
    sparse = SparseVGG(config)  # He-normal convs, as trained models start
    dense = DenseVGG(config)
    load_sparse_weights_into_dense(dense, sparse)
    return sparse.eval(), dense.eval()


@dataclass
class _Stream:
    """A window of ``window`` events sliding over ``events``, kept as an incremental histogram."""

    rep: Histogram
    state: RepresentationState
    events: np.ndarray
    window: int
    offset: int = 0  # index of the window's oldest event

    def slide(self, n: int) -> SiteUpdate:
        """Slide by ``n`` events (``n`` enter, ``n`` leave); return the changed input sites."""
        lo, hi = self.offset, self.offset + self.window
        self.offset += n
        return self.rep.update(self.state, self.events[hi : hi + n], self.events[lo : lo + n])

    def current(self) -> torch.Tensor:
        """The current histogram ``[1, H, W, 2]`` (shares memory with the state)."""
        import torch

        return torch.from_numpy(self.state.map).unsqueeze(0)


def _open_stream(arch: str, window: int, length: int, seed: int) -> tuple[_Stream, SiteUpdate]:
    """A stream of ``length`` events on the arch's sensor and the update that fills its window."""
    from asynet_core.events import empty_events
    from asynet_core.models import ARCHS
    from asynet_core.representations import Histogram, InputMapping
    from asynet_core.synthetic import moving_edges

    sensor, _ = ARCH_DATASETS[arch]
    events = moving_edges(sensor, length, seed)
    rep = Histogram(InputMapping(sensor, ARCHS[arch].input_size))
    state = rep.init_state()
    fill = rep.update(state, events[:window], empty_events())
    return _Stream(rep, state, events, window), fill


def _engine_args(update: SiteUpdate) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(sites ``[N, 2]`` (row, col), values ``[N, C]``, active ``[N]``) of a SiteUpdate."""
    import numpy as np
    import torch

    sites = torch.from_numpy(np.stack([update.rows, update.cols], axis=1))  # [N, 2]
    return sites, torch.from_numpy(update.values), torch.from_numpy(update.active)


def _spconv_forward(model: SparseVGG, x: torch.Tensor) -> torch.Tensor:
    """Full spconv recompute of NHWC ``x`` ``[1, H, W, C]``, building the sparse input included."""
    from asynet_core.models import to_sparse_input
    from asynet_core.spconv_compat import spconv_single_thread

    with spconv_single_thread():
        out: torch.Tensor = model(to_sparse_input(x))
    return out


def _dense_forward(model: DenseVGG, x: torch.Tensor) -> torch.Tensor:
    """Full dense recompute of NHWC ``x`` ``[1, H, W, C]`` (made NCHW first)."""
    out: torch.Tensor = model(x.permute(0, 3, 1, 2).contiguous())  # [1, C, H, W]
    return out


def _rel_err(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).abs().max() / ref.abs().max().clamp_min(1e-12))


@dataclass(frozen=True)
class _Sample:
    """Measurements of one slide."""

    async_ms: float
    spconv_ms: float
    dense_ms: float
    flops: int
    rel_err: float
    sites: int


def _async_slide(engine: AsyncEngine, stream: _Stream, n: int) -> tuple[_Sample, torch.Tensor]:
    """Time one engine update of an ``n``-event slide; return it and a copy of the new input."""
    from asynet_core.flops import sparse_flops

    update = stream.slide(n)
    args = _engine_args(update)
    out, async_ms = _timed(lambda: engine.update(*args))
    flops = sum(f.flops for f in sparse_flops(engine.stats))
    return _Sample(async_ms, 0.0, 0.0, flops, 0.0, len(update)), out


def _recompute(
    models: tuple[SparseVGG, DenseVGG], x: torch.Tensor, sample: _Sample, out: torch.Tensor
) -> _Sample:
    """Time the spconv and dense recomputes of input ``x`` and check the engine's output."""
    ref, spconv_ms = _timed(lambda: _spconv_forward(models[0], x))
    _, dense_ms = _timed(lambda: _dense_forward(models[1], x))
    return replace(sample, spconv_ms=spconv_ms, dense_ms=dense_ms, rel_err=_rel_err(out, ref))


def _summary(arch: str, n: int, window: int, samples: list[_Sample]) -> dict[str, Any]:
    async_ms = statistics.median(s.async_ms for s in samples)
    flops = statistics.fmean(s.flops for s in samples)
    return {
        'arch': arch,
        'update_events': n,
        'window': window,
        'repeats': len(samples),
        'async_ms': async_ms,
        'spconv_ms': statistics.median(s.spconv_ms for s in samples),
        'dense_ms': statistics.median(s.dense_ms for s in samples),
        'async_flops': flops,
        'async_gflops': flops / (async_ms * 1e-3) / 1e9,
        'max_rel_err': max(s.rel_err for s in samples),
        'changed_sites': statistics.fmean(s.sites for s in samples),
    }


def bench_case(
    models: tuple[SparseVGG, DenseVGG], n: int, window: int, repeats: int, seed: int
) -> dict[str, Any]:
    """Time ``WARMUP + repeats`` slides of ``n`` events; summarise the last ``repeats``.

    The async engine processes the slides back to back; the spconv and dense recomputes then
    run on copies of the same inputs, also back to back.
    """
    import torch

    from asynet_core.engine import AsyncEngine

    arch = models[0].config.arch
    stream, fill = _open_stream(arch, window, window + n * (WARMUP + repeats), seed)
    engine = AsyncEngine.from_model(models[0], torch.float32, track_stats=True)
    engine.update(*_engine_args(fill))
    # Each method runs its updates back to back, as in a stream: interleaving them would evict
    # the engine's weights and state from the caches between its updates.
    slides = []
    for _ in range(WARMUP + repeats):
        sample, out = _async_slide(engine, stream, n)
        slides.append((sample, out, stream.current().clone()))
    samples = [_recompute(models, x, sample, out) for sample, out, x in slides]
    return _summary(arch, n, window, samples[WARMUP:])


def _machine(sgemm: float) -> dict[str, Any]:
    import torch

    return {
        'sgemm_gflops_1thread': sgemm,
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'cpu': _cpu_name(),
        'python': platform.python_version(),
    }


def run_benchmark(
    archs: Sequence[str], update_events: Sequence[int], window: int, repeats: int, seed: int
) -> dict[str, Any]:
    """The JSON report: machine (with the fp32 matmul yardstick) and one result per (arch, n)."""
    import torch

    from asynet_core.spconv_compat import spconv_single_thread

    with spconv_single_thread(), torch.no_grad():
        sgemm = sgemm_gflops()
        results = []
        for arch in archs:
            models = build_models(arch, seed)
            results += [bench_case(models, n, window, repeats, seed) for n in update_events]
        machine = _machine(max(sgemm, sgemm_gflops()))  # best of the run's two measurements
    return {'machine': machine, 'results': results}


def _table(report: dict[str, Any]) -> str:
    sgemm = report['machine']['sgemm_gflops_1thread']
    head = (
        f'{"arch":<16}{"n":>6}{"async ms":>10}{"spconv ms":>11}{"dense ms":>10}'
        f'{"vs spconv":>11}{"MFLOP/upd":>11}{"GFLOP/s":>9}{"% sgemm":>9}'
    )
    lines = [f'single thread, fp32 matmul {sgemm:.1f} GFLOP/s', head]
    for r in report['results']:
        lines.append(
            f'{r["arch"]:<16}{r["update_events"]:>6}{r["async_ms"]:>10.3f}'
            f'{r["spconv_ms"]:>11.3f}{r["dense_ms"]:>10.3f}'
            f'{r["spconv_ms"] / r["async_ms"]:>10.1f}x{r["async_flops"] / 1e6:>11.3f}'
            f'{r["async_gflops"]:>9.2f}{100 * r["async_gflops"] / sgemm:>8.1f}%'
        )
    return '\n'.join(lines)


def _update_sizes(text: str) -> list[int]:
    """Parse ``--update-events``: comma-separated, distinct, positive integers."""
    try:
        sizes = [int(v) for v in text.split(',')]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected comma-separated positive integers such as 1,10,100, got {text!r}'
        ) from None
    if min(sizes) < 1:
        raise argparse.ArgumentTypeError(f'update sizes must be >= 1, got {text!r}')
    if len(set(sizes)) != len(sizes):
        raise argparse.ArgumentTypeError(f'update sizes must be distinct, got {text!r}')
    return sizes


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected an integer, got {text!r}') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='asynet-bench', description=__doc__.split('\n')[0])
    parser.add_argument(
        '--arch',
        action='append',
        required=True,
        choices=sorted(ARCH_DATASETS),
        help='architecture (repeat the option for several)',
    )
    parser.add_argument(
        '--update-events',
        type=_update_sizes,
        default=[1, 10, 100, 1000],
        help='events per update, comma-separated (default 1,10,100,1000)',
    )
    parser.add_argument('--window', type=_positive, default=25000, help='events in the window')
    parser.add_argument('--repeats', type=_positive, default=20, help='timed updates per case')
    parser.add_argument('--seed', type=int, default=0, help='weights and event stream seed')
    parser.add_argument('--json', type=Path, help='write the report here')
    cli.add_debug_option(parser)
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject option combinations argparse cannot check alone (exits with status 2)."""
    too_big = [n for n in args.update_events if n >= args.window]
    if too_big:
        parser.error(f'--update-events {too_big[0]} must be smaller than --window {args.window}')
    repeated = sorted({a for a in args.arch if args.arch.count(a) > 1})
    if repeated:
        parser.error(f'--arch {repeated[0]} is given more than once')


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    return cli.run_command('asynet-bench', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    if args.json is not None:
        cli.check_output_file(args.json)  # before the measurement, not after
    report = run_benchmark(args.arch, args.update_events, args.window, args.repeats, args.seed)
    print(_table(report))
    if args.json is not None:
        write_json(args.json, report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
