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

"""Argument checks shared by the decoders: payload bytes, sensor size and time base."""

from __future__ import annotations

import numpy as np

from asynet_ros.decoders.errors import DecodeError

__all__ = ['check_size', 'check_time_base', 'payload_bytes']


def check_size(width: object, height: object) -> None:
    """Raise unless width and height are positive ints."""
    for name, value in (('width', width), ('height', height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DecodeError(f'{name} must be a positive int, got {value!r}')


def check_time_base(time_base: object, encoding: str) -> int:
    """``time_base`` as an int, checked to lie in ``[0, 2**63)`` ns."""
    if isinstance(time_base, bool) or not isinstance(time_base, (int, np.integer)):
        raise DecodeError(f'{encoding} time_base must be an int (ns), got {time_base!r}')
    if not 0 <= int(time_base) < 1 << 63:
        raise DecodeError(f'{encoding} time_base must be in [0, 2**63) ns, got {time_base}')
    return int(time_base)


def payload_bytes(payload: object, encoding: str, word_bytes: int) -> np.ndarray:
    """The payload as contiguous uint8, a whole number of ``word_bytes``-byte words."""
    if isinstance(payload, memoryview) and not payload.c_contiguous:
        payload = payload.tobytes()  # np.frombuffer needs a contiguous buffer
    if isinstance(payload, (bytes, bytearray, memoryview)):
        buf = np.frombuffer(payload, dtype=np.uint8)
    elif isinstance(payload, np.ndarray):
        if payload.dtype != np.uint8 or payload.ndim != 1:
            raise DecodeError(
                f'{encoding} payload array must be 1-D uint8, got {payload.ndim}-D {payload.dtype}'
            )
        buf = np.ascontiguousarray(payload)
    else:
        kind = type(payload).__name__
        raise DecodeError(f'{encoding} payload must be bytes or a uint8 array, got {kind}')
    if buf.size % word_bytes:
        raise DecodeError(
            f'{encoding} payload length must be '
            + ('even (16-bit words)' if word_bytes == 2 else f'a multiple of {word_bytes} '
               f'({8 * word_bytes}-bit words)')
            + f', got {buf.size} bytes'
        )  # fmt: skip
    return buf
