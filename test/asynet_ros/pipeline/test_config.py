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

"""PipelineConfig: every bad combination of settings is refused with a reason."""

from __future__ import annotations

import pytest

from asynet_core.errors import ConfigError
from asynet_ros.pipeline import PipelineConfig


@pytest.mark.parametrize(
    ('kwargs', 'match'),
    [
        ({'window_events': None}, 'exactly one of window_events or window_us'),
        ({'window_events': 0}, 'window_events must be a positive int'),
        ({'update_every_events': 5, 'update_every_us': 5}, 'at most one of update_every'),
        ({'mode': 'eager'}, "unknown mode 'eager'"),
        ({'score_threshold': 1.5}, r'score_threshold must be in \[0, 1\]'),
        ({'iou_threshold': 'x'}, 'iou_threshold must be a number'),
        ({'resync_every': -1}, 'resync_every must be an int >= 0'),
    ],
)
def test_config_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        PipelineConfig(**kwargs)  # type: ignore[arg-type]
