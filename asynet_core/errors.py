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

"""Typed errors of asynet_core.

Every error the library raises on bad input derives from :class:`AsynetError`, so callers (the ROS
node, the replay tools, training) can catch one base class and log the message, which always names
the problem.
"""

from __future__ import annotations

__all__ = [
    'AsynetError',
    'BackendError',
    'CheckpointError',
    'ConfigError',
    'EngineStateError',
    'EventFormatError',
    'EventOrderError',
    'EventRangeError',
    'ShapeError',
]


class AsynetError(Exception):
    """Base class of every error raised by asynet_core on bad input or misuse."""


class EventFormatError(AsynetError, ValueError):
    """An event array has the wrong dtype, fields, shape or polarity values."""


class EventRangeError(EventFormatError):
    """An event lies outside the sensor (x >= width, y >= height)."""


class EventOrderError(EventFormatError):
    """Event timestamps decrease inside an array or across consecutive arrays of a stream."""


class ShapeError(AsynetError, ValueError):
    """A tensor or array has the wrong shape, channel count or dtype."""


class ConfigError(AsynetError, ValueError):
    """A model or representation configuration names an unknown value or violates an invariant."""


class CheckpointError(AsynetError):
    """A checkpoint is missing, corrupt, unsafe, or does not match the requested architecture."""


class EngineStateError(AsynetError, RuntimeError):
    """The asynchronous engine was used in a way its state does not allow."""


class BackendError(AsynetError, RuntimeError):
    """A kernel backend was requested that is not available (e.g. the extension did not build)."""
