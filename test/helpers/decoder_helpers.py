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

"""Compact views of decoded events for the decoder tests (not a test module).

``test/asynet_ros/decoders/test_evt3.py`` and ``test_mono.py`` use them.
"""

from __future__ import annotations

import numpy as np


def summary(events: np.ndarray) -> dict[str, int]:
    return {
        'events': int(events.size),
        'on': int(np.count_nonzero(events['p'] == 1)),
        'off': int(np.count_nonzero(events['p'] == 0)),
        'sum_x': int(events['x'].sum(dtype=np.int64)),
        'sum_y': int(events['y'].sum(dtype=np.int64)),
        'sum_t_us': int(events['t'].sum()),
        't_first_us': int(events['t'][0]),
        't_last_us': int(events['t'][-1]),
    }


def as_tuples(events: np.ndarray) -> list[tuple[int, int, int, int]]:
    return [(int(e['x']), int(e['y']), int(e['p']), int(e['t'])) for e in events]
