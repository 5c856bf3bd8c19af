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

"""The decoder interface every event-file format implements."""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ['WordDecoder']


class WordDecoder(Protocol):
    """A stateful decoder of one format's payload words.

    Attributes:
        word_dtype: numpy dtype of one word (its itemsize is the word size in bytes).
        max_events_per_word: the most events one word can produce (bounds a chunk's memory).
    """

    word_dtype: np.dtype
    max_events_per_word: int

    def reset(self) -> None:
        """Forget all state: the next :meth:`decode` starts at the first word of the payload."""

    def decode(self, words: np.ndarray, first_word: int) -> np.ndarray:
        """Decode the next words of the payload, continuing from the state of the previous call.

        Args:
            words: ``[n]`` words of :attr:`word_dtype`.
            first_word: index of ``words[0]`` in the payload (for error messages).

        Returns:
            the events of EVENT_DTYPE, ``t`` int64 µs, in word order.

        Raises:
            EventFileError: an unknown word type (message names the word index).
        """
