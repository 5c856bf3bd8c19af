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

"""Training throughput of the sparse (spconv) and dense VGG, side by side in one run.

Run::

    python benchmarks/train_throughput.py --arch ncaltech101 --batch 8 --steps 5 --json out/t.json

For each backbone: samples per second of full training steps (representation, forward, loss,
backward, Adam step) on moving-edge event windows of ``--events`` events, on CPU with the given
thread count (spconv is always single-threaded on CPU, see environment.md), and on CUDA when
``--device cuda`` is given and available. Figures from one run are comparable; runs are not.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
import json
from pathlib import Path
import platform
import sys
import time
from typing import Any

import numpy as np
import torch

from asynet_core.events import SensorSize
from asynet_core.flops_cli import ARCH_DATASETS
from asynet_core.models import build_model, ModelConfig
from asynet_core.synthetic import moving_edges
from asynet_training.loop import collate, Trainer

__all__ = ['main', 'throughput']


@dataclass
class _Sample:
    events: np.ndarray
    label: int


def _batch(sensor: SensorSize, batch: int, events: int, seed: int) -> list[_Sample]:
    return [_Sample(moving_edges(sensor, events, seed + i), i % 2) for i in range(batch)]


def throughput(arch: str, backbone: str, batch: int, steps: int, events: int,
               device: str) -> dict[str, Any]:  # fmt: skip
    """Samples per second of ``steps`` training steps (after one warm-up step)."""
    sensor, classes = ARCH_DATASETS[arch]
    torch.manual_seed(0)
    config = ModelConfig(arch, classes, backbone=backbone)  # type: ignore[arg-type]
    if config.task != 'classification':
        raise SystemExit(f'train_throughput: {arch} is not a classification arch')
    model = build_model(config).to(device)
    trainer = Trainer(model, config, sensor)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    batches = [
        collate(_batch(sensor, batch, events, s * batch), trainer.rep) for s in range(steps + 1)
    ]
    trainer.step(batches[0], optimizer)
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    for b in batches[1:]:
        trainer.step(b, optimizer)
    if device == 'cuda':
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    rate = batch * steps / seconds
    return {'arch': arch, 'backbone': backbone, 'device': device, 'batch': batch,
            'steps': steps, 'events': events, 'samples_per_s': rate}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog='train_throughput', description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='ncaltech101', choices=['ncaltech101', 'ncars'])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--events', type=int, default=25000)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--json', type=Path)
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: CUDA is not available')
    torch.set_num_threads(args.threads)
    rows = [throughput(args.arch, b, args.batch, args.steps, args.events, args.device)
            for b in ('sparse', 'dense')]  # fmt: skip
    machine = {'cpu': platform.processor() or platform.machine(), 'threads': args.threads,
               'torch': torch.__version__}  # fmt: skip
    report = {'machine': machine, 'results': rows}
    for r in rows:
        name = f'{r["arch"]:<12}{r["backbone"]:<8}{r["device"]:<6}'
        print(f'{name}{r["samples_per_s"]:>10.1f} samples/s')
    sparse, dense = (r['samples_per_s'] for r in rows)
    print(f'sparse / dense: {sparse / dense:.2f}x')
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
