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

"""Fixtures shared by the bag tests of asynet_ros."""

from __future__ import annotations

from pathlib import Path

import pytest

from asynet_tools.events import write_synthetic_bag


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic bag (0.2 s, 200 messages) in both storages, without its labels file."""
    root = tmp_path_factory.mktemp('synthetic_bags')
    out = {}
    for storage in ('sqlite3', 'mcap'):
        out[storage] = root / storage
        write_synthetic_bag(out[storage], seconds=0.2, seed=0, storage=storage)
        (out[storage] / 'labels_bbox.npy').unlink()
    return out
