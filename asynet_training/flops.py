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

"""``asynet-flops`` with ``--dataset NAME --root DIR``: FLOPs per update on real recordings.

Run::

    asynet-flops --arch ncars --dataset ncars --root /data/ncars --window 25000 \
        --update-events 1 --samples 20 --json out/flops_ncars_real.json

The paper's sliding-window method on real samples: sample ``i`` is recording ``i`` mod the
number of recordings of ``--split`` (sorted, as the reader lists them); a window of ``--window``
events starts at a random offset (seeded by ``--seed``) and slides by ``--update-events``.
Recordings shorter than window + update events are used whole, with the window shortened to
fit. Without ``--dataset`` this is exactly ``asynet-flops`` on random moving-edge streams. The
``asynet-flops`` console script is :mod:`asynet_tools.flops`, which adds ``--recording``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import sys
from typing import Any

import numpy as np

from asynet_core import cli
from asynet_core.events import SensorSize
from asynet_core.flops_cli import flops_report, parser, report_and_write, StreamSource
from asynet_training.config import DATASETS  # the reader names, without importing torch

__all__ = [
    'DATASETS',
    'add_dataset_options',
    'check_dataset_options',
    'dataset_source',
    'main',
    'run',
]


def dataset_source(dataset: Any, length: int, seed: int) -> StreamSource:
    """A stream source: ``length`` consecutive events of recording ``i`` at a random offset."""
    rng = np.random.default_rng(seed)

    def source(i: int) -> tuple[np.ndarray, SensorSize]:
        events = dataset[i % len(dataset)].events
        start = int(rng.integers(0, max(1, len(events) - length + 1)))
        return events[start : start + length], dataset.sensor

    return source


def add_dataset_options(p: argparse.ArgumentParser) -> None:
    """``--dataset``, ``--root``, ``--split``: FLOPs on dataset samples."""
    p.add_argument('--dataset', choices=DATASETS, help='read real samples from --root')
    p.add_argument('--root', help='the dataset folder (with --dataset)')
    p.add_argument('--split', default='val', choices=['train', 'val', 'test'])


def check_dataset_options(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error when ``--dataset`` and ``--root`` are not given together."""
    if (args.dataset is None) != (args.root is None):
        p.error('--dataset and --root go together')


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point of ``python -m asynet_training.flops`` (no ``--recording``)."""
    p = parser()
    add_dataset_options(p)
    args = p.parse_args(argv)
    check_dataset_options(p, args)
    return cli.run_command('asynet-flops', lambda: run(args), debug=args.debug)


def run(args: argparse.Namespace) -> int:
    """``asynet-flops`` on moving edges or, with ``args.dataset``, on dataset samples."""
    from asynet_training.data import READERS  # torch: after the arguments parsed
    from asynet_training.errors import DatasetError

    if args.json is not None:
        cli.check_output_file(args.json)  # before the computation, not after
    source = None
    if args.dataset is not None:
        reader, _ = READERS[args.dataset]
        dataset = reader(args.root, args.split, window_events=-1)
        if len(dataset) == 0:
            raise DatasetError(f'no samples in the {args.split} split of {args.root}')
        source = dataset_source(dataset, args.window + args.update_events, args.seed)
    report = flops_report(
        args.arch, args.window, args.update_events, args.samples, args.seed, source
    )
    return report_and_write(report, args.json)


if __name__ == '__main__':
    sys.exit(main())
