"""The one seam between the engine and its hot-path kernels.

The compiled extension (``asynet_core_cpp``) will provide the same functions as
:mod:`asynet_core.ops_ref`; until it exists the torch reference is the only backend.
:func:`backend` reports the active one.
"""

from __future__ import annotations

from asynet_core.ops_ref import bn_relu_rows, conv_delta, conv_recompute, pool_rows

__all__ = ['backend', 'bn_relu_rows', 'conv_delta', 'conv_recompute', 'pool_rows']


def backend() -> str:
    """Name of the active kernel backend (``torch`` for the reference implementation)."""
    return 'torch'
