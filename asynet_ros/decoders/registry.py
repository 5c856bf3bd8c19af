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

"""The ``event_camera_msgs`` encodings this package decodes, and a factory of their decoders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from asynet_ros.decoders.errors import DecodeError
from asynet_ros.decoders.evt3 import Evt3Decoder
from asynet_ros.decoders.libcaer import LibcaerCmpDecoder, LibcaerDecoder
from asynet_ros.decoders.mono import MonoDecoder

__all__ = ['ENCODINGS', 'PacketDecoder', 'make_decoder']

#: The ``encoding`` values of ``EventPacket`` messages that :func:`make_decoder` knows.
ENCODINGS = ('evt3', 'mono', 'libcaer', 'libcaer_cmp')


class PacketDecoder(Protocol):
    """What every payload decoder offers: decode packets of one stream in order, or reset."""

    def decode(
        self, payload: bytes | np.ndarray, width: int, height: int, time_base: int = 0
    ) -> np.ndarray:
        """Decode one packet into :data:`~asynet_core.events.EVENT_DTYPE` (``t`` in µs)."""
        ...

    def reset(self) -> None:
        """Forget the stream state and zero the counters."""
        ...


_FACTORIES: dict[str, Callable[[], PacketDecoder]] = {
    'evt3': Evt3Decoder,
    'mono': MonoDecoder,
    'libcaer': LibcaerDecoder,
    'libcaer_cmp': LibcaerCmpDecoder,
}


def make_decoder(encoding: str) -> PacketDecoder:
    """A new decoder for ``encoding`` (one per event stream: some keep state across packets).

    Raises:
        DecodeError: an encoding not in :data:`ENCODINGS`.
    """
    factory = _FACTORIES.get(encoding)
    if factory is None:
        raise DecodeError(f'unknown encoding {encoding!r}; valid: {list(ENCODINGS)}')
    return factory()
