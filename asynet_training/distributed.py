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

"""Multi-process training under ``torchrun`` (DistributedDataParallel), one place.

Run::

    torchrun --nproc_per_node 2 training/train.py --config config/train/synthetic_cls.yaml

``torchrun`` sets RANK, WORLD_SIZE and LOCAL_RANK; without them training is single-process.
The backend is NCCL on CUDA and gloo on CPU. Every rank trains on its shard of the data
(DistributedSampler); rank 0 alone validates, logs and writes checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
import os

import torch
from torch import nn
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

__all__ = ['Distributed', 'setup']


@dataclass(frozen=True)
class Distributed:
    """This process's place in the run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """More than one process."""
        return self.world > 1

    @property
    def main(self) -> bool:
        """The process that validates, logs and saves."""
        return self.rank == 0

    def wrap(self, model: nn.Module) -> nn.Module:
        """The model for training steps: DDP across processes, the model itself otherwise."""
        if not self.enabled:
            return model
        device = next(model.parameters()).device
        ids = [device.index] if device.type == 'cuda' else None
        return DistributedDataParallel(model, device_ids=ids)

    def device(self, requested: torch.device) -> torch.device:
        """One GPU per process on CUDA."""
        if self.enabled and requested.type == 'cuda':
            return torch.device('cuda', self.local_rank)
        return requested

    def barrier(self) -> None:
        """Wait for every process (nothing to wait for in a single process)."""
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        """Leave the process group."""
        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()


def setup() -> Distributed:
    """Join the process group when started by torchrun, else a single-process description."""
    world = int(os.environ.get('WORLD_SIZE', '1'))
    if world <= 1:
        return Distributed()
    if not dist.is_initialized():
        dist.init_process_group('nccl' if torch.cuda.is_available() else 'gloo')
    return Distributed(dist.get_rank(), world, int(os.environ.get('LOCAL_RANK', '0')))
