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

"""What ``train.py`` checks before it generates or reads any data: the run folder and resume.

A run that would replace another's checkpoints, or resume from a file that cannot be resumed,
is refused in one line before minutes of data preparation, not after.
"""

from __future__ import annotations

import os
from pathlib import Path

from asynet_core.cli import existing_outputs, remove_outputs
from asynet_core.errors import CheckpointError, ConfigError
from asynet_core.models import load_checkpoint
from asynet_training.config import TrainConfig

__all__ = ['RESUME_KEYS', 'RUN_OUTPUTS', 'check_run_start', 'clear_run']

#: What a run writes into ``out_dir``; ``--overwrite`` removes exactly these.
RUN_OUTPUTS = ('last.pt', 'best.pt', 'tensorboard')
#: What a checkpoint must hold to be resumed (``last.pt`` and ``best.pt`` of a run do).
RESUME_KEYS = ('optimizer', 'scheduler', 'epoch', 'best')


def check_run_start(config: TrainConfig, resume: Path | None, overwrite: bool) -> None:
    """Refuse a start that would lose work or cannot resume (nothing is removed here).

    Raises:
        ConfigError: ``out_dir`` holds a run and neither ``resume`` (of that run) nor
            ``overwrite`` was asked, or both were.
        CheckpointError: ``resume`` is missing, unreadable, not resumable (an exported or bundled
            checkpoint has no optimizer state), or for another architecture than the config's.
    """
    out = Path(config.out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f'out_dir {out} exists and is not a folder')
    found = existing_outputs(out, RUN_OUTPUTS)
    if resume is not None and overwrite:
        raise ConfigError('--resume continues a run and --overwrite replaces it: choose one')
    if resume is not None:
        _check_resumable(resume, config)
    own = {(out / name).resolve() for name in ('last.pt', 'best.pt')}
    if found and not overwrite and (resume is None or Path(resume).resolve() not in own):
        raise ConfigError(
            f'out_dir {out} holds a run already ({", ".join(found)}); pass '
            f'--resume {out / "last.pt"} to continue it, --overwrite to replace it, or set '
            'out_dir=... to start another'
        )


def clear_run(config: TrainConfig) -> None:
    """Remove the previous run's outputs (``--overwrite``), on rank 0 only, once data is ready."""
    if int(os.environ.get('RANK', '0')) != 0:
        return
    remove_outputs(Path(config.out_dir), RUN_OUTPUTS)


def _check_resumable(resume: Path, config: TrainConfig) -> None:
    loaded = load_checkpoint(resume)
    missing = [key for key in RESUME_KEYS if key not in loaded.extra]
    if missing:
        raise CheckpointError(
            f'cannot resume from {resume}: it has no training state ({", ".join(missing)} '
            'missing; an exported or bundled checkpoint keeps only the model); resume from a '
            "run's last.pt"
        )
    wanted = (config.model.arch, config.model.backbone, config.model.representation)
    have = (loaded.config.arch, loaded.config.backbone, loaded.config.representation)
    if wanted != have:
        raise CheckpointError(
            f'cannot resume from {resume}: it is arch/backbone/representation {have}, the '
            f'config asks for {wanted}'
        )
