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

"""Rate-limited logging for per-packet problems: the first line at once, then one per interval."""

from __future__ import annotations

from collections.abc import Callable
import logging
import time

__all__ = ['RateLimitedLog']


class RateLimitedLog:
    """Log a problem of some kind at most once per ``interval_s``, with the count suppressed.

    Args:
        logger: where the lines go.
        interval_s: least time between two lines of the same kind.
        clock: monotonic clock in seconds (injectable for tests).
    """

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self.clock = clock
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warning(self, kind: str, message: str) -> bool:
        """Log ``message`` unless a ``kind`` line went out less than ``interval_s`` ago.

        Returns:
            Whether the line was logged.
        """
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval_s:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return False
        skipped = self._suppressed.pop(kind, 0)
        suffix = f' ({skipped} more like this suppressed)' if skipped else ''
        self.logger.warning('%s%s', message, suffix)
        self._last[kind] = now
        return True
