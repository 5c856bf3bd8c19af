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

"""Export: the training window of older checkpoints, from their extra data."""

from __future__ import annotations

from typing import Any


def test_training_window_from_checkpoint_extra() -> None:
    """Older checkpoints' window, for export to write into their model args."""
    from asynet_training.export import trained_window

    def training_window(extra: dict[str, Any]) -> tuple[int | None, int | None]:
        window = trained_window(extra)
        return window.events, window.us

    assert training_window({'train_config': {'data': {'window_events': 5000}}}) == (5000, None)
    data = {'window_events': None, 'window_us': 50_000}
    assert training_window({'train_config': {'data': data}}) == (None, 50_000)
    assert training_window({}) == (25_000, None)
