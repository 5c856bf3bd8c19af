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


"""The error of ``asynet-bag2dataset``: :class:`Bag2DatasetError` (exit code 2 on the CLI)."""

from __future__ import annotations

from asynet_core.errors import AsynetError

__all__ = ['Bag2DatasetError']


class Bag2DatasetError(AsynetError, ValueError):
    """Bad options, a bad labels topic or label, a sensor that does not fit, or no events."""
