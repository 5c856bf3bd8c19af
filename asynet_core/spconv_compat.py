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

"""The one place that adapts spconv 2.x to CPU-only torch.

Two facts about spconv 2.3.8 on a CPU-only torch build (see ``docs/design_choices.md``):

* The backward of a sparse conv asks ``torch.cuda.current_stream()`` for a stream and raises
  "Torch not compiled with CUDA enabled". :func:`install_cpu_shim` makes ``get_current_stream``
  return 0 when CUDA is unavailable; it patches both module attributes that hold the function.
* Submanifold convs give wrong, nondeterministic outputs at a few sites when torch runs with more
than one
  thread (traveller59/spconv#679). :func:`spconv_single_thread` scopes
  ``torch.set_num_threads(1)``.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import logging
from typing import Any
import warnings

import torch

__all__ = [
    'install_cpu_shim',
    'quiet_spconv_forward',
    'sparse_tensor',
    'spconv',
    'spconv_single_thread',
]

with warnings.catch_warnings():
    # ccimport (imported by spconv) calls the deprecated locale.getdefaultlocale at import time.
    warnings.filterwarnings('ignore', category=DeprecationWarning, module=r'ccimport\..*')
    import spconv.pytorch as spconv
    from spconv.pytorch import cppcore as _cppcore
    from spconv.pytorch import ops as _ops

_SHIM_INSTALLED = False


def _cpu_stream() -> int:
    """Stream handle for spconv when torch has no CUDA: 0 (the default stream, unused)."""
    return 0


def install_cpu_shim() -> bool:
    """Replace spconv's stream getter when CUDA is unavailable; return whether the shim is active.

    Idempotent. With CUDA available nothing is changed.
    """
    global _SHIM_INSTALLED
    if torch.cuda.is_available():
        return False
    if not _SHIM_INSTALLED:
        _cppcore.get_current_stream = _cpu_stream
        _ops.get_current_stream = _cpu_stream
        _SHIM_INSTALLED = True
    return True


@contextlib.contextmanager
def spconv_single_thread() -> Iterator[None]:
    """Run the block with one torch thread (spconv CPU is exact only so), then restore."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def sparse_tensor(
    features: torch.Tensor, indices: torch.Tensor, spatial_shape: tuple[int, int], batch_size: int
) -> Any:
    """Build a ``spconv.SparseConvTensor`` (typed ``Any``: spconv ships no type information)."""
    return spconv.SparseConvTensor(features, indices, list(spatial_shape), batch_size)


@contextlib.contextmanager
def quiet_spconv_forward() -> Iterator[None]:
    """Hide the one known, harmless warning of a spconv forward on torch 2.13.

    ``SparseConvTensor.dense()`` indexes with a list ("Using a non-tuple sequence for
    multidimensional indexing"), deprecated by torch but correct here. Nothing else is hidden.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            'ignore', 'Using a non-tuple sequence for multidimensional indexing', UserWarning
        )
        yield


def _consume_fx_tracing_notice() -> None:
    """Emit torch's one-time ``is_fx_tracing`` log notice silently.

    ``spconv.SparseSequential`` calls ``torch.fx.is_fx_tracing()``, whose first call logs a notice
    about torch.export that concerns neither spconv nor this project. The notice is cached after
    its first emission, so emitting it once with the logger muted keeps user output clean.
    """
    from torch.fx import _symbolic_trace

    notice = getattr(_symbolic_trace, 'is_fx_tracing_warning', None)
    if not callable(notice):
        return
    logger = logging.getLogger(_symbolic_trace.__name__)
    previous = logger.disabled
    logger.disabled = True
    try:
        notice()
    finally:
        logger.disabled = previous


install_cpu_shim()
_consume_fx_tracing_notice()
