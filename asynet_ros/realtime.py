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

"""A recording replayed in simulated real time: what a live node would output, and when.

Offline evaluation scores a window that ends at each label time, as if inference took no time.
A live node cannot: while it computes one update, events keep arriving, and its answer is
available only when the update ends (continuous sampling and latency-aware evaluation, as in
the STARE framework: Chen, Chu et al., Nature Communications 2026).

:class:`RealTimeSimulation` plays messages into the live node's own queue
(:class:`~asynet_ros.live.LiveRunner`: the same bound, drop policy and coalescing) on a
simulated clock in the messages' header time (ROS time, ns):

* a message arrives at its header stamp;
* when the worker is free, it takes every message that arrived meanwhile, as one batch (the
  node's :meth:`~asynet_ros.live.LiveRunner.step`); when nothing has arrived, it waits for the
  next message;
* the batch costs its measured wall time times ``compute_scale`` (a slower or faster machine:
  an embedded CPU is several times slower than a desktop one), or what a ``cost`` model says;
* an output is available at ``max(start, newest event's stamp) + cost``: an update cannot end
  before the newest event it holds happened. The next batch starts then.

With a cost near zero every message is its own update, available at its newest event: the
latency-aware score equals the offline score of one update per message.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
import logging
import math
import time
from typing import TYPE_CHECKING

from asynet_core.errors import ConfigError
from asynet_ros.event_message import EventMessage
from asynet_ros.live import LiveRunner, LiveStats

if TYPE_CHECKING:  # the pipeline imports torch
    from asynet_ros.pipeline import Pipeline, Result

__all__ = [
    'CostModel',
    'RealTimeSimulation',
    'SimulationStats',
    'TimedResult',
    'check_compute_scale',
    'compute_scale_option',
    'scaled_cost',
]

#: ``cost(measured_s, messages, results) -> simulated seconds`` of one batch.
CostModel = Callable[[float, int, 'list[Result]'], float]

# A slow simulated machine drops messages by design: the queue's warnings are quiet unless asked
# for (the counts are in :attr:`SimulationStats.queue`).
_QUEUE_LOG = logging.getLogger('asynet_ros.realtime.queue')
_QUEUE_LOG.setLevel(logging.ERROR)


def check_compute_scale(compute_scale: float) -> float:
    """``compute_scale`` (how many times slower the simulated machine is than this one), checked.

    Raises:
        ConfigError: it is negative or not finite.
    """
    if not (math.isfinite(compute_scale) and compute_scale >= 0.0):  # NaN fails too
        raise ConfigError(f'a compute scale must be a finite number >= 0, got {compute_scale}')
    return float(compute_scale)


def compute_scale_option(text: str) -> float:
    """An argparse type: a compute scale (see :func:`check_compute_scale`)."""
    try:
        return check_compute_scale(float(text))
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number, got {text!r}') from None


compute_scale_option.__name__ = 'compute scale'  # argparse names the type in its errors


def scaled_cost(compute_scale: float) -> CostModel:
    """The cost model of hardware ``compute_scale`` times slower than this machine.

    Raises:
        ConfigError: ``compute_scale`` is negative or not finite.
    """
    check_compute_scale(compute_scale)

    def cost(measured_s: float, messages: int, results: list[Result]) -> float:
        return measured_s * compute_scale

    return cost


@dataclass(frozen=True)
class TimedResult:
    """One output with its simulated timing (ROS time, ns; sensor time, µs).

    Attributes:
        result: the output (``stamp_ns``/``t_us``: its newest input event).
        start_ns: when its update started.
        available_ns: when it was available to a subscriber.
        cost_s: the update's simulated compute time.
        measured_s: the update's measured wall time on this machine.
        messages: the messages its batch took (coalesced into one update).
    """

    result: Result
    start_ns: int
    available_ns: int
    cost_s: float
    measured_s: float
    messages: int

    @property
    def age_at_availability_ns(self) -> int:
        """From its newest input event to its availability."""
        return self.available_ns - self.result.stamp_ns

    @property
    def available_t_us(self) -> int:
        """Its availability in sensor time (µs), the time base of labels."""
        return self.result.t_us + self.age_at_availability_ns // 1000


@dataclass
class SimulationStats:
    """What the simulated node did (its queue's counters are :attr:`queue`)."""

    batches: int = 0
    busy_s: float = 0.0  # simulated compute time
    measured_s: float = 0.0  # wall time measured
    first_ns: int | None = None  # the first message's arrival
    last_ns: int | None = None  # the newest message's arrival
    end_ns: int | None = None  # the end of the latest batch
    queue: LiveStats = field(default_factory=LiveStats)

    @property
    def span_s(self) -> float:
        """Seconds from the first to the newest message's arrival."""
        if self.first_ns is None or self.last_ns is None:
            return 0.0
        return (self.last_ns - self.first_ns) / 1e9

    @property
    def busy_fraction(self) -> float | None:
        """Simulated compute time over the simulated time, first arrival to the last batch's end.

        ``None`` before any batch or when no simulated time passed.
        """
        if self.first_ns is None or self.end_ns is None:
            return None
        elapsed_ns = max(self.end_ns, self.last_ns or self.end_ns) - self.first_ns
        return self.busy_s / (elapsed_ns / 1e9) if elapsed_ns > 0 else None


class RealTimeSimulation:
    """Replays messages through a pipeline as a live node on given hardware would see them.

    Args:
        pipeline: the pipeline (its update policy applies within each batch; continuous
            sampling wants none: one update per batch).
        cost: the cost model of a batch (default: its measured wall time).
        queue_size: the live queue's bound (the node's ``queue_size``).
        drop: the live queue's drop policy (the node's ``drop_policy``).
        timer: seconds clock measuring each batch.
        logger: where the queue's rate-limited lines go (default ``asynet_ros.realtime.queue``,
            set to errors only).
    """

    def __init__(
        self,
        pipeline: Pipeline,
        cost: CostModel | None = None,
        *,
        queue_size: int = 16,
        drop: str = 'oldest',
        timer: Callable[[], float] = time.perf_counter,
        logger: logging.Logger | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.cost = cost or scaled_cost(1.0)
        self.timer = timer
        self._results: list[Result] = []
        if logger is None:
            logger = _QUEUE_LOG
        self.runner = LiveRunner(
            pipeline,
            lambda result, _latency: self._results.append(result),
            queue_size=queue_size,
            drop=drop,
            logger=logger,
        )
        self.stats = SimulationStats(queue=self.runner.stats)

    def run(self, messages: Iterable[EventMessage]) -> Iterator[TimedResult]:
        """Yield the outputs, in order, with their simulated timing.

        Messages must come in arrival order; a header stamp that steps back arrives at once
        (a looped bag: the pipeline resets on its events as the node would).
        """
        stream = iter(messages)
        nxt = next(stream, None)
        if nxt is None:
            return
        clock = nxt.stamp_ns
        stats = self.stats
        while True:
            while nxt is not None and nxt.stamp_ns <= clock:  # arrived while busy
                self._arrive(nxt)
                nxt = next(stream, None)
            if not self.runner.pending():  # idle: wait for the next message
                if nxt is None:
                    return
                clock = max(clock, nxt.stamp_ns)
                continue
            taken = self.runner.pending()
            self._results.clear()
            start = self.timer()
            self.runner.step()
            measured = self.timer() - start
            results = list(self._results)
            cost = float(self.cost(measured, taken, results))
            if not (math.isfinite(cost) and cost >= 0.0):
                raise ConfigError(f'the cost model gave {cost} s for a batch; need >= 0')
            stats.batches += 1
            stats.busy_s += cost
            stats.measured_s += measured
            newest = max((r.stamp_ns for r in results), default=clock)
            end = max(clock, newest) + round(cost * 1e9)
            stats.end_ns = end
            for result in results:
                yield TimedResult(result, clock, end, cost, measured, taken)
            clock = end

    def _arrive(self, msg: EventMessage) -> None:
        stats = self.stats
        if stats.first_ns is None:
            stats.first_ns = msg.stamp_ns
        stats.last_ns = msg.stamp_ns if stats.last_ns is None else max(stats.last_ns, msg.stamp_ns)
        self.runner.offer(msg)
