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

"""The ROS-free detection pipeline (see :mod:`asynet_ros.pipeline.pipeline`).

``config`` (what it is told and reports), ``decoding`` (message checks and decoders),
``policy`` (where updates are cut), ``results`` (model outputs to results) and ``pipeline`` (the
composition, with time order and stamps).
"""

from typing import Any, TYPE_CHECKING

from asynet_ros.pipeline.config import (
    Counters,
    limit_torch_threads,
    PipelineConfig,
    Result,
)

if TYPE_CHECKING:
    from asynet_ros.pipeline.pipeline import Pipeline

__all__ = [
    'Counters',
    'Pipeline',
    'PipelineConfig',
    'Result',
    'limit_torch_threads',
]


def __getattr__(name: str) -> Any:
    """``Pipeline`` on first use: it imports torch and spconv, which option parsers must not."""
    if name == 'Pipeline':
        from asynet_ros.pipeline.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
