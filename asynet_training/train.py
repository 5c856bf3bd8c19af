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

"""Train a sparse or dense VGG classifier or YOLO detector.

Run (from the repository root, after ``make test`` or ``pip install -e .``)::

    python training/train.py --config config/train/synthetic_cls.yaml
    python training/train.py --config config/train/ncars.yaml data.root=/data/ncars optim.lr=1e-4
    python training/train.py --config config/train/ncars.yaml --resume runs/ncars/last.pt

One loop serves every task and backbone: Adam + MultiStepLR (stepped per epoch), seeded,
checkpoints ``last.pt`` and ``best.pt`` in ``out_dir`` holding ``model_args`` (the checkpoint
alone rebuilds the model), the optimizer, the scheduler, the epoch and the training config.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Sequence
import dataclasses
from dataclasses import dataclass
import functools
from pathlib import Path
import random
import sys
from typing import Any, TYPE_CHECKING

if __package__ in (None, ''):  # run as a script: python training/train.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asynet_core.cli import add_debug_option, run_command
from asynet_core.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader, Dataset

    from asynet_core.models import ModelConfig
    from asynet_training.config import TrainConfig
    from asynet_training.data import DataBundle
    from asynet_training.distributed import Distributed
    from asynet_training.loop import Trainer

# torch, tqdm, the models and the training modules (which import them) are imported where used,
# after the arguments are parsed: `train.py --help` and a usage error answer at once.

__all__ = ['main', 'run']


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a generator for the data loader's shuffling."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def model_config(config: TrainConfig, data: DataBundle) -> ModelConfig:
    """The checkpoint's model config: architecture from the config, classes from the data."""
    from asynet_core.models import ModelConfig
    from asynet_core.window import WindowSpec

    model = ModelConfig(
        config.model.arch,
        len(data.class_names),
        representation=config.model.representation,
        backbone=config.model.backbone,  # type: ignore[arg-type]
        class_names=data.class_names,
        sensor_size=(data.sensor.width, data.sensor.height),
        window=WindowSpec(config.data.window_events, config.data.window_us),
    )
    if model.task != data.task:
        raise ConfigError(
            f'model.arch {config.model.arch!r} is a {model.task} model but dataset '
            f'{config.data.dataset!r} is for {data.task}'
        )
    return model


def _device(name: str) -> torch.device:
    import torch

    if name == 'cuda' and not torch.cuda.is_available():
        raise ConfigError('device cuda requested but CUDA is not available')
    return torch.device(
        'cuda' if name == 'auto' and torch.cuda.is_available() else name.replace('auto', 'cpu')
    )


@dataclass
class _Run:
    trainer: Trainer
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.MultiStepLR
    model_config: ModelConfig
    epoch: int = 0
    best: float = float('-inf')
    best_epoch: int | None = None  # the epoch whose validation gave ``best``
    resumed_rng: dict[str, Any] | None = None  # the random states saved with the resumed epoch


def _start(config: TrainConfig, data: DataBundle, resume: Path | None, ddp: Distributed) -> _Run:
    import torch

    from asynet_core.models import build_model, load_checkpoint
    from asynet_training.loop import Trainer

    mc = model_config(config, data)
    model = build_model(mc).to(ddp.device(_device(config.device)))
    opt = torch.optim.Adam(
        model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay
    )
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, config.optim.milestones, config.optim.gamma)
    run = _Run(Trainer(model, mc, data.sensor, config.loss), opt, sched, mc)
    if resume is not None:
        loaded = load_checkpoint(resume, arch=mc.arch, task=mc.task)
        model.load_state_dict(loaded.model.state_dict())
        opt.load_state_dict(loaded.extra['optimizer'])
        sched.load_state_dict(_scheduler_state(loaded.extra['scheduler']))
        run.epoch, run.best = int(loaded.extra['epoch']), float(loaded.extra['best'])
        run.best_epoch = loaded.extra.get('best_epoch')
        run.resumed_rng = loaded.extra.get('rng')
    run.trainer.train_model = ddp.wrap(model)
    return run


def _loader(
    dataset: Dataset[Any],
    run: _Run,
    config: TrainConfig,
    generator: torch.Generator,
    ddp: Distributed | None = None,
) -> DataLoader[Any]:
    """Shuffled (and sharded across processes) when ``ddp`` is given, else in order."""
    from torch.utils.data import DataLoader, DistributedSampler

    from asynet_training.loop import collate

    sampler = None
    if ddp is not None and ddp.enabled:
        sampler = DistributedSampler(dataset, ddp.world, ddp.rank, shuffle=True, seed=config.seed)
    return DataLoader(
        dataset,
        batch_size=config.optim.batch_size,
        shuffle=ddp is not None and sampler is None,
        sampler=sampler,
        num_workers=config.data.num_workers,
        collate_fn=functools.partial(collate, rep=run.trainer.rep),
        generator=generator,
    )


def _validate(run: _Run, loader: DataLoader[Any]) -> tuple[dict[str, float], torch.Tensor | None]:
    """Mean metrics over a loader (accuracy per sample) and the confusion matrix if classifying.

    The confusion matrix has one row per true class.
    """
    import torch

    totals: dict[str, float] = {}
    count = 0
    k = run.model_config.num_classes
    matrix = (
        torch.zeros(k, k, dtype=torch.long) if run.model_config.task == 'classification' else None
    )
    for batch in loader:
        with torch.no_grad():
            run.trainer.model.eval()
            _, metrics = run.trainer.loss(batch)
            if matrix is not None and batch.labels is not None:
                predicted = run.trainer.predict(batch).argmax(1).cpu()
                matrix.index_put_(
                    (batch.labels, predicted), torch.ones_like(predicted), accumulate=True
                )
        n = len(batch.maps)
        for key, value in metrics.items():
            totals[key] = totals.get(key, 0.0) + value * n
        count += n
    return {key: value / max(count, 1) for key, value in totals.items()}, matrix


def _score(metrics: dict[str, float]) -> float:
    """Higher is better: accuracy for classification, minus the loss for detection."""
    return metrics['accuracy'] if 'accuracy' in metrics else -metrics['loss']


def _plain_scheduler_state(scheduler: torch.optim.lr_scheduler.MultiStepLR) -> dict[str, Any]:
    """The MultiStepLR state with its milestone Counter as a dict (checkpoints hold plain data)."""
    state = dict(scheduler.state_dict())
    state['milestones'] = dict(state['milestones'])
    return state


def _scheduler_state(state: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`_plain_scheduler_state`: MultiStepLR looks milestones up in a Counter."""
    return {**state, 'milestones': Counter(state['milestones'])}


def _save(
    path: Path, run: _Run, config: TrainConfig, random_state: dict[str, Any] | None = None
) -> None:
    from asynet_core.models import save_checkpoint

    save_checkpoint(
        path,
        run.trainer.model,
        run.model_config,
        optimizer=run.optimizer.state_dict(),
        scheduler=_plain_scheduler_state(run.scheduler),
        epoch=run.epoch,
        best=run.best,
        best_epoch=run.best_epoch,
        rng=random_state,
        train_config=dataclasses.asdict(config),
    )


def _write(line: str) -> None:
    """``tqdm.write``: a line above a progress bar, never through it."""
    from tqdm import tqdm

    tqdm.write(line)


def run(
    config: TrainConfig,
    data: DataBundle,
    resume: Path | None = None,
    log: Callable[[str], None] = _write,
) -> dict[str, float]:
    """Train ``config.optim.epochs`` epochs (continuing a resumed run); return the last metrics."""
    from torch.utils.data import DistributedSampler

    from asynet_training import board as board_mod
    from asynet_training import rng
    from asynet_training.distributed import setup

    generator = seed_everything(config.seed)
    ddp = setup()
    state = _start(config, data, resume, ddp)
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if state.resumed_rng is not None:  # continue exactly where the saved epoch ended
        rng.restore(state.resumed_rng, generator, (data.train, data.val))
    train = _loader(data.train, state, config, generator, ddp)
    val = _loader(data.val, state, config, generator) if data.val is not None else None
    log = log if ddp.main else _quiet
    metrics: dict[str, float] = {}
    with board_mod.board(out, ddp) as board:
        while state.epoch < config.optim.epochs:
            if isinstance(train.sampler, DistributedSampler):
                train.sampler.set_epoch(state.epoch)
            metrics = _train_epoch(state, train, config, board, log)
            if ddp.main and val is not None and state.epoch % config.val_every == 0:
                metrics = _validate_epoch(state, val, config, board, log, out)
            if ddp.main:
                _save(
                    out / 'last.pt', state, config, rng.capture(generator, (data.train, data.val))
                )
    _report_skipped(data, log)
    log(_summary(state, out))
    ddp.close()
    return metrics


def _summary(state: _Run, out: Path) -> str:
    """The run's last line: the best validation score, its epoch and where best.pt is."""
    if state.best_epoch is None:
        return f'done: {state.epoch} epochs, no validation score; the model is {out / "last.pt"}'
    name = 'val_accuracy' if state.model_config.task == 'classification' else '-val_loss'
    return (
        f'done: {state.epoch} epochs; best {name} {state.best:.4f} at epoch {state.best_epoch}: '
        f'{out / "best.pt"}'
    )


def _quiet(_: str) -> None:
    """The log of processes other than rank 0."""


def _report_skipped(data: DataBundle, log: Callable[[str], None]) -> None:
    """Say how many files the readers left out, and why (never a silent skip)."""
    for name, dataset in (('train', data.train), ('val', data.val)):
        skipped = getattr(dataset, 'skipped', [])
        if skipped:
            reasons = '; '.join(f'{path}: {why}' for path, why in skipped[:5])
            more = f' (+{len(skipped) - 5} more)' if len(skipped) > 5 else ''
            log(f'{name}: skipped {len(skipped)} unreadable files: {reasons}{more}')


def _line(prefix: str, metrics: dict[str, float]) -> str:
    return prefix + ' '.join(f'{k} {v:.4f}' for k, v in metrics.items())


def _train_epoch(
    state: _Run,
    train: DataLoader[Any],
    config: TrainConfig,
    board: Any,
    log: Callable[[str], None],
) -> dict[str, float]:
    """One pass over the training data with a progress bar; steps the LR schedule."""
    from tqdm import tqdm

    from asynet_training import board as board_mod

    metrics: dict[str, float] = {}
    steps = len(train)
    bar = tqdm(train, desc=f'epoch {state.epoch}', leave=False, disable=None)
    for i, batch in enumerate(bar):
        metrics = state.trainer.step(batch, state.optimizer)
        bar.set_postfix(loss=f'{metrics["loss"]:.4f}')
        if i % config.log_every == 0:
            board_mod.scalars(board, 'train', metrics, state.epoch * steps + i)
            log(_line(f'epoch {state.epoch} step {i} ', metrics))
    board.add_scalar('train/lr', state.optimizer.param_groups[0]['lr'], state.epoch)
    state.scheduler.step()
    state.epoch += 1
    return metrics


def _validate_epoch(
    state: _Run,
    val: DataLoader[Any],
    config: TrainConfig,
    board: Any,
    log: Callable[[str], None],
    out: Path,
) -> dict[str, float]:
    """Validation metrics, logged; saves ``best.pt`` when the score improves."""
    from asynet_training import board as board_mod

    epoch = state.epoch - 1  # the epoch just trained (state.epoch already counts it)
    plain, matrix = _validate(state, val)
    board_mod.scalars(board, 'val', plain, epoch)
    board_mod.images(state, val, matrix, board, epoch)
    metrics = {f'val_{k}': v for k, v in plain.items()}
    log(_line(f'epoch {epoch} ', metrics))
    if _score(plain) > state.best:
        state.best, state.best_epoch = _score(plain), epoch
        _save(out / 'best.pt', state, config)
    return metrics


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='train.py', description=__doc__.split('\n')[0])
    parser.add_argument('--config', required=True, type=Path, help='config/train/<name>.yaml')
    parser.add_argument('--resume', type=Path, help='a last.pt checkpoint to continue')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace the run in out_dir (its checkpoints)'
    )
    add_debug_option(parser)
    parser.add_argument('overrides', nargs='*', help='key=value overrides, e.g. optim.lr=1e-3')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = _parser().parse_intermixed_args(argv)  # overrides before or after the options
    return run_command('train.py', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    from asynet_training.config import load_config
    from asynet_training.data import build_data
    from asynet_training.distributed import setup
    from asynet_training.preflight import check_run_start, clear_run

    config = load_config(args.config, args.overrides)
    check_run_start(config, args.resume, args.overwrite)  # before any data is made or read
    ddp = setup()
    data = build_data(config.data, config.seed) if ddp.main else None
    if args.overwrite and ddp.main:
        clear_run(config)  # only now that the data is ready: a failed start keeps the old run
    ddp.barrier()  # rank 0 generated any synthetic data before the others read it
    run(config, data or build_data(config.data, config.seed), args.resume)
    return 0


if __name__ == '__main__':
    sys.exit(main())
