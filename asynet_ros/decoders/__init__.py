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

"""Decoders of the ``event_camera_msgs`` payload encodings into :data:`EVENT_DTYPE` arrays.

* :class:`Evt3Decoder`: Prophesee EVT 3.0 (``evt3``), stateful across packets.
* :class:`MonoDecoder`: the deprecated 64-bit ``mono`` encoding, stateless.

Both produce ``t`` in microseconds (int64) and drop events outside the sensor.
"""

from __future__ import annotations

from asynet_ros.decoders.errors import DecodeError
from asynet_ros.decoders.evt3 import TRIGGER_DTYPE, Evt3Decoder
from asynet_ros.decoders.mono import MonoDecoder

__all__ = ['TRIGGER_DTYPE', 'DecodeError', 'Evt3Decoder', 'MonoDecoder']
