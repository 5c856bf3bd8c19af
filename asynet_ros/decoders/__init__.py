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

"""Decoders of event payloads and messages into :data:`~asynet_core.events.EVENT_DTYPE` arrays.

``event_camera_msgs`` encodings (:func:`make_decoder` picks one by name, see :data:`ENCODINGS`):

* :class:`Evt3Decoder`: Prophesee EVT 3.0 (``evt3``), stateful across packets; compiled when the
  extension is built (:func:`asynet_core.ops.evt3_decode`).
* :class:`MonoDecoder`: the deprecated 64-bit ``mono`` encoding, stateless.
* :class:`LibcaerDecoder`: iniVation's uncompressed ``libcaer``, stateless.
* :class:`LibcaerCmpDecoder`: iniVation's compressed ``libcaer_cmp``, stateful across messages.

``dvs_msgs/msg/EventArray`` messages: :func:`decode_event_array` reads the whole CDR message into
an :class:`EventArrayView`.

All produce ``t`` in microseconds (int64). The packet decoders drop events outside the sensor.
"""

from __future__ import annotations

from asynet_ros.decoders.dvs import decode_event_array, EventArrayView
from asynet_ros.decoders.errors import DecodeError
from asynet_ros.decoders.evt3 import Evt3Decoder, TRIGGER_DTYPE
from asynet_ros.decoders.libcaer import LIBCAER_DTYPE, LibcaerCmpDecoder, LibcaerDecoder
from asynet_ros.decoders.mono import MonoDecoder
from asynet_ros.decoders.registry import ENCODINGS, make_decoder, PacketDecoder

__all__ = [
    'ENCODINGS',
    'LIBCAER_DTYPE',
    'TRIGGER_DTYPE',
    'DecodeError',
    'EventArrayView',
    'Evt3Decoder',
    'LibcaerCmpDecoder',
    'LibcaerDecoder',
    'MonoDecoder',
    'PacketDecoder',
    'decode_event_array',
    'make_decoder',
]
