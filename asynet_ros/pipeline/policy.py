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

"""The update policy: where a run of pending events is cut into updates (pure functions).

An output every ``update_every_events`` events, every ``update_every_us`` of sensor time, or
(neither given) one for everything pending. Cuts are indices into the pending events: update
``i`` takes ``pending[cuts[i - 1]:cuts[i]]``; what follows the last cut waits for more events.
"""

from __future__ import annotations

import numpy as np

__all__ = ['count_cuts', 'policy_cuts', 'policy_due', 'time_cuts']


def count_cuts(n_pending: int, every_events: int) -> list[int]:
    """A cut after every ``every_events`` events."""
    return list(range(every_events, n_pending + 1, every_events))


def time_cuts(
    pending_t: np.ndarray, every_us: int, next_t_us: int | None
) -> tuple[list[int], int]:
    """Cuts at the ``every_us`` boundaries the events reach; (cuts, the next boundary).

    The first boundary is ``next_t_us``, or ``every_us`` after the first event when ``None``.
    Boundaries are ``first + k * every_us``; a cut falls wherever the number of boundaries at or
    before an event grows, one cut however many boundaries a gap between two events spans.
    """
    first = int(pending_t[0]) + every_us if next_t_us is None else next_t_us
    if pending_t[-1] < first:
        return [], first
    reached = np.maximum((pending_t - first) // every_us + 1, 0)
    cuts = np.flatnonzero(np.diff(reached) > 0) + 1
    return [int(c) for c in cuts], first + int(reached[-1]) * every_us


def policy_cuts(
    pending_t: np.ndarray,
    every_events: int | None,
    every_us: int | None,
    next_t_us: int | None,
) -> tuple[list[int], int | None]:
    """The cuts of the configured policy; (cuts, the next time boundary, ``None`` if unused)."""
    if every_events is None and every_us is None:
        return [len(pending_t)], next_t_us
    if every_events is not None:
        return count_cuts(len(pending_t), every_events), next_t_us
    return time_cuts(pending_t, every_us or 1, next_t_us)


def policy_due(
    newest_t_us: int,
    n_pending: int,
    every_events: int | None,
    every_us: int | None,
    next_t_us: int | None,
) -> bool:
    """Whether :func:`policy_cuts` could cut the pending events now (else it gives no cut).

    Lets a caller skip gathering the pending events until an update is due: at 100 Hz of 1 ms
    packets, and more at lower rates, gathering them on every message was quadratic.
    """
    if every_events is not None:
        return n_pending >= every_events
    if every_us is not None:
        return next_t_us is None or newest_t_us >= next_t_us
    return True
