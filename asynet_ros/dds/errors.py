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

"""Typed errors of the ROS-free Cyclone DDS transport."""

from __future__ import annotations

from asynet_core.errors import AsynetError
from asynet_ros.bag import BagError as _BagError

__all__ = ['BagError', 'NodeNameError', 'TopicNameError', 'TransportError', 'TypeMappingError']


class TransportError(AsynetError, RuntimeError):
    """A DDS entity could not be created, or a write or take failed (the message says which)."""


class TypeMappingError(TransportError, ValueError):
    """A message type is unknown to the typestore or has a field kind with no DDS equivalent."""


class TopicNameError(TransportError, ValueError):
    """A ROS topic name is not fully qualified (``/a/b``) or is otherwise malformed."""


class NodeNameError(TransportError, ValueError):
    """A ROS node name or namespace is malformed."""


# One bag error type for the whole package (reading events and playing bags alike).
BagError = _BagError
