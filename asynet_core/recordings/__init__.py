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

"""ROS-free readers of event-camera recordings: Prophesee RAW (EVT 2.0, 2.1, 3.0) and DAT.

Numpy only (EVT 3.0 runs the project's evt3 decoder through :mod:`asynet_core.ops`). Open a file
with :func:`open_event_file`, stream its events with :meth:`EventFile.chunks` or read them at once
with :func:`read_event_file`; every file error is an :class:`EventFileError`.
"""

from __future__ import annotations

from asynet_core.recordings.base import (
    check_regular_file,
    EventFileError,
    EventFileInfo,
    FileSalvage,
    TimeOrder,
)
from asynet_core.recordings.reader import EventFile, open_event_file, read_event_file
from asynet_core.recordings.sensors import KNOWN_SENSORS

__all__ = [
    'KNOWN_SENSORS',
    'EventFile',
    'EventFileError',
    'EventFileInfo',
    'FileSalvage',
    'TimeOrder',
    'check_regular_file',
    'open_event_file',
    'read_event_file',
]
