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

"""Streaming EVT 3.0 decoding of RAW files through the project's evt3 decoder.

The words are decoded by :func:`asynet_core.ops.evt3_decode` (the compiled decoder when built,
else its numpy twin :mod:`asynet_core.evt3_ref`), whose state array (time, row, vector base,
counters) is carried from one block of words to the next, so a block may end at any word. Word
types, the 24-bit time and its rollover rule (a TIME_HIGH lower than the previous one by more than
10 is a wrap of the 16.77 s counter) are those of that decoder; see :mod:`asynet_core.evt3_ref`.

The decoder runs with the largest size it accepts (65536 x 65536) so that no event is dropped
there: the reader checks the sensor size itself and names the first event outside it.
"""

from __future__ import annotations

import numpy as np

from asynet_core.events import MAX_COORD
from asynet_core.evt3_ref import evt3_initial_state, EVT3_STATE_FIELDS
from asynet_core.recordings.decoding import check_types

__all__ = ['EVT3_KNOWN_TYPES', 'Evt3Decoder']

#: The EVT 3.0 word types the decoder knows (0x1, 0xB, 0xC, 0xD are not defined).
EVT3_KNOWN_TYPES = (0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xA, 0xE, 0xF)
_UNLIMITED = MAX_COORD + 1
_SKIPPED = EVT3_STATE_FIELDS.index('dropped_before_time')


class Evt3Decoder:
    """Stateful EVT 3.0 decoder of little-endian 16-bit words."""

    word_dtype = np.dtype('<u2')
    max_events_per_word = 12  # a VECT_12 word

    def __init__(self) -> None:
        from asynet_core import ops  # torch and the C++ extension only when evt3 is read

        self._decode = ops.evt3_decode
        self._state = evt3_initial_state()

    @property
    def skipped_before_time(self) -> int:
        """CD events before the first TIME_HIGH + TIME_LOW (or row, or vector base)."""
        return int(self._state[_SKIPPED])

    def reset(self) -> None:
        """Start again from the first word of a payload."""
        self._state = evt3_initial_state()

    def decode(self, words: np.ndarray, first_word: int) -> np.ndarray:
        """Decode the next words (see :class:`~asynet_core.recordings.decoding.WordDecoder`)."""
        check_types(words >> 12, words, EVT3_KNOWN_TYPES, first_word, 'EVT 3.0')
        events, _triggers, self._state = self._decode(words, _UNLIMITED, _UNLIMITED, self._state)
        return events
