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

"""``asynet-flops``: FLOPs per update of the four modes on random moving-edge event streams.

Run::

    asynet-flops --arch ncars --window 25000 --update-events 1 --samples 10 --seed 0 --json
    out.json

For each sample a stream of ``window + update_events`` events is drawn (:func:`moving_edges` on the
dataset's sensor), the window slides by ``update_events`` (as many events leave as enter), and the
FLOPs of that update are counted per layer in each mode (rules in :mod:`asynet_core.flops`). The
mean over samples is printed and written as JSON.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
import statistics
import sys
from typing import Any, TYPE_CHECKING

import numpy as np

from asynet_core import cli
from asynet_core.events import SensorSize

if TYPE_CHECKING:  # torch and the models are imported on use: `--help` answers before them
    from torch import Tensor

    from asynet_core.flops import LayerFlops
    from asynet_core.representations import InputMapping

__all__ = [
    'ARCH_DATASETS',
    'StreamSource',
    'flops_report',
    'main',
    'parser',
    'report_and_write',
    'sliding_update',
    'write_json',
]

#: Sensor size and class count of the dataset each architecture is made for.
ARCH_DATASETS: dict[str, tuple[SensorSize, int]] = {
    'ncaltech101': (SensorSize(240, 180), 101),
    'ncars': (SensorSize(120, 100), 2),
    'ncaltech101_det': (SensorSize(240, 180), 101),
    'gen1_det': (SensorSize(304, 240), 2),
    'small_det': (SensorSize(304, 240), 2),
}


def _sites(hist: np.ndarray, mask: np.ndarray) -> tuple[Tensor, Tensor]:
    import torch

    rows, cols = np.nonzero(mask)
    sites = torch.from_numpy(np.stack([rows, cols], axis=1).astype(np.int64))  # [N, 2]
    return sites, torch.from_numpy(hist[rows, cols])  # [N, C]


def sliding_update(
    events: np.ndarray, mapping: InputMapping, window: int, update_events: int
) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """(window before, update): histograms of events ``[0, window)`` and ``[n, window + n)``.

    A stream shorter than ``window + n`` events has its window shortened to fit.
    """
    from asynet_core.representations import histogram

    if len(events) <= update_events:
        raise ValueError(f'a stream of {len(events)} events cannot slide by {update_events}')
    window = min(window, len(events) - update_events)
    before = histogram(events[:window], mapping)
    after = histogram(events[update_events : window + update_events], mapping)
    was_active = np.asarray(before.any(axis=2), dtype=bool)
    changed = np.asarray((after != before).any(axis=2), dtype=bool)
    return _sites(before, was_active), _sites(after, changed)


def _mean_layers(runs: list[list[LayerFlops]]) -> list[dict[str, Any]]:
    first = runs[0]
    return [
        {'name': f.name, 'kind': f.kind, 'flops': statistics.fmean(run[i].flops for run in runs)}
        for i, f in enumerate(first)
    ]


def _mode_summary(runs: list[list[LayerFlops]], update_events: int) -> dict[str, Any]:
    totals = [sum(f.flops for f in run) for run in runs]
    mean = statistics.fmean(totals)
    return {
        'flops_per_update': mean,
        'flops_per_event': mean / update_events,
        'std': statistics.pstdev(totals),
        'per_layer': _mean_layers(runs),
    }


#: Events of sample ``i`` (at least ``window + update_events`` of them) and their sensor.
StreamSource = Callable[[int], tuple[np.ndarray, SensorSize]]


def flops_report(
    arch: str,
    window: int,
    update_events: int,
    samples: int,
    seed: int,
    source: StreamSource | None = None,
    source_kind: str = 'dataset',
) -> dict[str, Any]:
    """The JSON report of ``asynet-flops``: means over ``samples`` streams.

    The streams are random moving edges on the architecture's dataset sensor, or come from
    ``source`` (e.g. dataset samples or windows of a recording: ``source_kind`` in the report).
    """
    import torch

    from asynet_core.engine import AsyncSparseVGG
    from asynet_core.flops import MODES, update_flops
    from asynet_core.models import ARCHS, ModelConfig, SparseVGG
    from asynet_core.representations import InputMapping
    from asynet_core.synthetic import moving_edges

    sensor, classes = ARCH_DATASETS[arch]
    torch.manual_seed(seed)
    net = AsyncSparseVGG.from_model(SparseVGG(ModelConfig(arch, classes)).eval())
    runs: dict[str, list[list[LayerFlops]]] = {m: [] for m in MODES}
    for i in range(samples):
        if source is None:
            events = moving_edges(sensor, window + update_events, seed + i)
        else:
            events, sensor = source(i)
        mapping = InputMapping(sensor, ARCHS[arch].input_size)
        counts = update_flops(net, *sliding_update(events, mapping, window, update_events))
        for mode in MODES:
            runs[mode].append(counts[mode])
    return {
        'arch': arch,
        'window': window,
        'update_events': update_events,
        'samples': samples,
        'seed': seed,
        'sensor': [sensor.width, sensor.height],
        'source': 'moving_edges' if source is None else source_kind,
        'modes': {m: _mode_summary(runs[m], update_events) for m in MODES},
    }


def _table(report: dict[str, Any]) -> str:
    dense = report['modes']['batch_dense']['flops_per_update']
    lines = [
        f'{report["arch"]}: window {report["window"]}, update {report["update_events"]} '
        f'events, {report["samples"]} samples',
        f'{"mode":<14}{"MFLOP/update":>14}{"MFLOP/event":>14}{"vs batch_dense":>16}',
    ]
    for mode, m in report['modes'].items():
        lines.append(
            f'{mode:<14}{m["flops_per_update"] / 1e6:>14.3f}'
            f'{m["flops_per_event"] / 1e6:>14.3f}{dense / m["flops_per_update"]:>15.1f}x'
        )
    return '\n'.join(lines)


def write_json(path: Path, report: dict[str, Any]) -> None:
    """Write a CLI report as indented JSON atomically, creating the parent folder."""
    cli.write_json(path, report)


#: The most events a window, an update or a sample count may hold on the command line.
MAX_COUNT = 100_000_000


def _count(text: str) -> int:
    """A whole number in ``1..MAX_COUNT`` (argparse names it in its messages)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not a whole number: {text!r}') from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f'must be in 1..{MAX_COUNT}, got {value}')
    return value


def parser() -> argparse.ArgumentParser:
    """The ``asynet-flops`` arguments, without importing torch.

    ``asynet_training.flops`` adds ``--dataset``, ``asynet_tools.flops`` ``--recording``.
    """
    p = argparse.ArgumentParser(prog='asynet-flops', description=__doc__.split('\n')[0])
    p.add_argument('--arch', required=True, choices=sorted(ARCH_DATASETS))
    p.add_argument('--window', type=_count, default=25000, help='events in the window')
    p.add_argument('--update-events', type=_count, default=1, help='events per update')
    p.add_argument('--samples', type=_count, default=10, help='streams to average')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--json', type=Path, help='write the report here')
    cli.add_debug_option(p)
    return p


def report_and_write(report: dict[str, Any], path: Path | None) -> int:
    """Print the table, write the JSON when asked; the CLI exit code."""
    print(_table(report))
    if path is not None:
        write_json(path, report)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = parser().parse_args(argv)
    return cli.run_command('asynet-flops', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    if args.json is not None:
        cli.check_output_file(args.json)  # before the computation, not after
    report = flops_report(args.arch, args.window, args.update_events, args.samples, args.seed)
    return report_and_write(report, args.json)


if __name__ == '__main__':
    sys.exit(main())
