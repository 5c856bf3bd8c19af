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

"""The one seam between the engine and its hot-path kernels.

The compiled extension (``asynet_core_cpp``) will provide the same functions as
:mod:`asynet_core.ops_ref`; until it exists the torch reference is the only backend.
:func:`backend` reports the active one.
"""

from __future__ import annotations

from asynet_core.ops_ref import ConvWeights, LayerUpdate, conv_update, linear_update, pool_update

__all__ = ['ConvWeights', 'LayerUpdate', 'backend', 'conv_update', 'linear_update', 'pool_update']


def backend() -> str:
    """Name of the active kernel backend (``torch`` for the reference implementation)."""
    return 'torch'
