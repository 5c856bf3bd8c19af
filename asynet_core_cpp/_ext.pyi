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

"""Type stub of the compiled engine kernels (see src/bindings.cpp for the docstrings)."""

import numpy as np
import numpy.typing as npt

_Map = npt.NDArray[np.float32] | npt.NDArray[np.float64]
_Bool = npt.NDArray[np.bool_]
_Index = npt.NDArray[np.int64]
_Result = tuple[_Index, _Map, _Index, _Index, int, int, int]

class ConvKernel:
    """A 3x3 conv + eval BatchNorm + ReLU layer, prepared once (tables and weights copied)."""

    def __init__(
        self,
        inputs: _Index,
        outputs: _Index,
        taps: _Map,
        scale: _Map,
        shift: _Map,
        submanifold: bool,
    ) -> None: ...
    def update(
        self,
        y: _Map,
        z: _Map,
        out_active: _Bool,
        x: _Map,
        in_active: _Bool,
        sites: _Index,
        delta: _Map,
        born: _Index,
        died: _Index,
    ) -> _Result: ...

class PoolKernel:
    """A 3x3 stride-2 max-pool of a post-ReLU map, prepared once (tables copied)."""

    def __init__(self, inputs: _Index, outputs: _Index) -> None: ...
    def update(
        self,
        z: _Map,
        out_active: _Bool,
        x: _Map,
        in_active: _Bool,
        sites: _Index,
        born: _Index,
        died: _Index,
    ) -> _Result: ...

_Work = list[tuple[int, int, int]]
_Trunk = tuple[_Index, _Map, _Index, _Index, _Work]

class TrunkRunner:
    """One input change through a whole trunk of prepared layers in a single call."""

    def __init__(
        self, kernels: list[ConvKernel | PoolKernel], arrays: list[tuple[np.ndarray, ...]]
    ) -> None: ...
    def update(self, sites: _Index, delta: _Map, born: _Index, died: _Index) -> _Trunk: ...
    def update_input(self, sites: _Index, values: _Map, active: _Bool) -> _Trunk: ...

def linear_update(acc: _Map, sites: _Index, delta: _Map, w_site: _Map) -> None: ...
def histogram_update(
    counts: _Index,
    map: npt.NDArray[np.float32],
    added: _Index,
    added_p: npt.NDArray[np.int16],
    removed: _Index,
    removed_p: npt.NDArray[np.int16],
) -> tuple[_Index, npt.NDArray[np.float32], _Bool]: ...
def event_queue_update(
    counts: _Index,
    map: npt.NDArray[np.float32],
    queue_t: _Index,
    queue_p: npt.NDArray[np.int16],
    added: _Index,
    added_t: _Index,
    added_p: npt.NDArray[np.int16],
    removed: _Index,
) -> tuple[_Index, npt.NDArray[np.float32], _Bool]: ...
def evt3_decode(
    words: npt.NDArray[np.uint16], width: int, height: int, state: _Index
) -> tuple[np.ndarray, _Index, _Index]: ...
