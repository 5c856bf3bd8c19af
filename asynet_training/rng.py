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

"""Every random state a training run draws from, captured in ``last.pt`` and restored on resume.

A resumed run must continue exactly as the uninterrupted one would have: the same shuffles
(the loader's generator), the same augmentations (each dataset's generator) and the same
torch, numpy and Python draws. Stored as plain data (the safe checkpoint loader refuses numpy
arrays).
"""

from __future__ import annotations

from collections.abc import Iterable
import random
from typing import Any

import numpy as np
import torch

__all__ = ['capture', 'restore']


def capture(loader_generator: torch.Generator, datasets: Iterable[Any]) -> dict[str, Any]:
    """The random states now, as plain data."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()  # type: ignore[misc]
    return {
        'python': random.getstate(),
        'numpy': [kind, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)],
        'torch': torch.get_rng_state(),
        'loader': loader_generator.get_state(),
        'datasets': [_dataset_state(d) for d in datasets],
    }


def restore(
    state: dict[str, Any], loader_generator: torch.Generator, datasets: Iterable[Any]
) -> None:
    """Put the states of :func:`capture` back (datasets in the same order)."""
    random.setstate(state['python'])
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    loader_generator.set_state(state['loader'])
    for dataset, saved in zip(datasets, state['datasets'], strict=False):
        rng = getattr(dataset, 'rng', None)
        if saved is not None and isinstance(rng, np.random.Generator):
            rng.bit_generator.state = saved


def _dataset_state(dataset: Any) -> dict[str, Any] | None:
    rng = getattr(dataset, 'rng', None)
    return rng.bit_generator.state if isinstance(rng, np.random.Generator) else None
