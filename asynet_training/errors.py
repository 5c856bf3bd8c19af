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

"""Typed errors of the dataset readers and dataset classes.

Every error raised on a bad file or tree derives from :class:`DatasetError`, itself an
:class:`~asynet_core.errors.AsynetError` (the project's one error root); each message names the
file or directory and says what is wrong (and, for layouts, what was expected).
"""

from __future__ import annotations

from asynet_core.errors import AsynetError

__all__ = [
    'CorruptFileError',
    'DatasetConfigError',
    'DatasetError',
    'DatasetLayoutError',
    'MissingPairError',
]


class DatasetError(AsynetError):
    """Base class of every error raised by :mod:`training` on bad data or bad dataset arguments."""


class DatasetLayoutError(DatasetError):
    """A dataset root is missing or its directory tree differs from the expected layout."""


class MissingPairError(DatasetLayoutError):
    """A label or annotation file has no event file, or an event file has no label file."""


class CorruptFileError(DatasetError):
    """A data file is truncated, malformed, or holds values its format does not allow."""


class DatasetConfigError(DatasetError, ValueError):
    """A dataset or writer argument is invalid (unknown split, both window kinds, bad events)."""
