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

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import torch

__all__ = ['install_cpu_shim', 'sparse_tensor', 'spconv', 'spconv_single_thread']

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


install_cpu_shim()
