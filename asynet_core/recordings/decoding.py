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

from asynet_core.errors import AsynetError

__all__ = ['BadWordError', 'WordDecoder', 'forward_fill', 'unwrap_counter']


class BadWordError(AsynetError):
    """A payload word a decoder cannot decode; the reader turns it into an EventFileError.

    Attributes:
        word_index: index of the word in the payload.
        word: the word's value.
        reason: what is wrong with it, e.g. ``'unknown EVT 2.0 word type 0x3'``.
    """

    def __init__(self, word_index: int, word: int, reason: str) -> None:
        super().__init__(f'word {word_index} (0x{word:x}): {reason}')
        self.word_index = word_index
        self.word = word
        self.reason = reason


def check_types(
    types: np.ndarray, words: np.ndarray, known: tuple[int, ...], first_word: int, fmt: str
) -> None:
    """Raise :class:`BadWordError` for the first word whose type is not in ``known``."""
    bad = np.flatnonzero(~np.isin(types, known))
    if bad.size:
        i = int(bad[0])
        raise BadWordError(
            first_word + i,
            int(words[i]),
            f'unknown {fmt} word type 0x{int(types[i]):x} ({bad.size} such words in this block)',
        )


def forward_fill(mask: np.ndarray, values: np.ndarray, before: int) -> np.ndarray:
    """Per position, ``values`` at the last index where ``mask`` holds (``before`` if none).

    Args:
        mask: ``[n]`` bool, where a new value is set.
        values: ``[n]`` int64, the value set there (read only where ``mask``).
        before: the value in force before position 0.
    """
    idx = np.maximum.accumulate(np.where(mask, np.arange(mask.size), -1))
    return np.where(idx >= 0, values[np.maximum(idx, 0)], before).astype(np.int64)


def unwrap_counter(raw: np.ndarray, last_raw: int, wraps_before: int, period: int) -> np.ndarray:
    """Number of wrap-arounds of a counter before each of its values ``raw`` (int64).

    A value lower than the previous one by more than half the counter's ``period`` is a wrap;
    a smaller drop is a step back in time (kept, and reported by the caller's time check).

    Args:
        raw: ``[n]`` successive counter values.
        last_raw: the value before ``raw[0]``, or -1 if none.
        wraps_before: the wraps counted before ``raw[0]``.
        period: the counter's period (its largest value plus one).
    """
    prev = np.concatenate(([last_raw], raw[:-1])).astype(np.int64)
    wrapped = (prev >= 0) & (prev - raw > period // 2)
    return wraps_before + np.cumsum(wrapped)


class WordDecoder(Protocol):
    """A stateful decoder of one format's payload words.

    Attributes:
        word_dtype: numpy dtype of one word (its itemsize is the word size in bytes).
        max_events_per_word: the most events one word can produce (bounds a chunk's memory).
    """

    word_dtype: np.dtype
    max_events_per_word: int

    @property
    def skipped_before_time(self) -> int:
        """CD events skipped because no time was known yet, since the last :meth:`reset`."""

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
            BadWordError: a word of unknown type (the state is then undefined: reset).
        """
