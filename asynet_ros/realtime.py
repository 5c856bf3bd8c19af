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

* a message arrives at its header stamp; where the stamps step back further than the pipeline
  takes for jitter (a looped bag, a restarted camera), the arrival clock goes on from the newest
  arrival instead (as a player looping the bag would send it), and that message waits for the
  batch in progress to end, so no batch mixes the two passes;
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
from asynet_ros.live import DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_SIZE, LiveRunner, LiveStats

if TYPE_CHECKING:  # the pipeline imports torch
    from asynet_ros.pipeline import Pipeline, Result

__all__ = [
    'MAX_COMPUTE_SCALE',
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

#: The slowest hardware simulated: a million times slower than this machine (a 10 ms update
#: then takes about 3 hours; a larger scale only pushes the clock towards its end).
MAX_COMPUTE_SCALE = 1e6
#: The simulated clock's end: ROS time in int64 ns (the year 2262).
_CLOCK_END_NS = 2**63 - 1


def check_compute_scale(compute_scale: float) -> float:
    """``compute_scale`` (how many times slower the simulated machine is than this one), checked.

    ``-0.0`` is returned as ``0.0`` (reported, and naming runs, as ``0``).

    Raises:
        ConfigError: it is negative, not finite, or above :data:`MAX_COMPUTE_SCALE`.
    """
    if not (math.isfinite(compute_scale) and compute_scale >= 0.0):  # NaN fails too
        raise ConfigError(f'a compute scale must be a finite number >= 0, got {compute_scale}')
    if compute_scale > MAX_COMPUTE_SCALE:
        raise ConfigError(
            f'a compute scale must be in [0, {MAX_COMPUTE_SCALE:g}] (a machine a million times '
            f'slower at most), got {compute_scale:g}'
        )
    return float(compute_scale) + 0.0  # -0.0 + 0.0 is 0.0


def compute_scale_option(text: str) -> float:
    """An argparse type: a compute scale (see :func:`check_compute_scale`)."""
    try:
        return check_compute_scale(float(text))  # '1e400' is inf: refused, named as such
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

    Times in ns are on the arrival clock: header time, plus ``offset_ns`` once the stamps have
    stepped back (a looped bag), so that they never go back.

    Attributes:
        result: the output (``stamp_ns``/``t_us``: its newest input event).
        start_ns: when its update started.
        available_ns: when it was available to a subscriber.
        cost_s: the update's simulated compute time.
        measured_s: the update's measured wall time on this machine.
        messages: the messages its batch took (coalesced into one update).
        offset_ns: the arrival clock minus header time for its batch (0 before any loop).
    """

    result: Result
    start_ns: int
    available_ns: int
    cost_s: float
    measured_s: float
    messages: int
    offset_ns: int = 0

    @property
    def age_at_availability_ns(self) -> int:
        """From its newest input event to its availability."""
        return self.available_ns - (self.result.stamp_ns + self.offset_ns)

    @property
    def available_t_us(self) -> int:
        """Its availability in sensor time (µs), the time base of labels."""
        return self.result.t_us + self.age_at_availability_ns // 1000


@dataclass
class SimulationStats:
    """What the simulated node did (its queue's counters are :attr:`queue`); arrival clock."""

    batches: int = 0
    busy_ns: int = 0  # simulated compute time, as the clock counted it (each batch in whole ns)
    measured_s: float = 0.0  # wall time measured
    first_ns: int | None = None  # the first message's arrival
    last_ns: int | None = None  # the newest message's arrival
    end_ns: int | None = None  # the end of the latest batch
    loops: int = 0  # header stamps stepping back beyond jitter: the clock went on from the newest
    queue: LiveStats = field(default_factory=LiveStats)

    @property
    def busy_s(self) -> float:
        """Simulated compute time in seconds."""
        return self.busy_ns / 1e9

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
        return self.busy_ns / elapsed_ns if elapsed_ns > 0 else None


@dataclass
class _Arrival:
    """A message, when it arrives (arrival clock) and whether its stamp stepped back (a loop)."""

    msg: EventMessage
    at_ns: int
    loop: bool

    @property
    def offset_ns(self) -> int:
        """The arrival clock minus header time for this message."""
        return self.at_ns - int(self.msg.stamp_ns)


class RealTimeSimulation:
    """Replays messages through a pipeline as a live node on given hardware would see them.

    Args:
        pipeline: the pipeline (its update policy applies within each batch; continuous
            sampling wants none: one update per batch).
        cost: the cost model of a batch (default: its measured wall time).
        queue_size: the live queue's bound in messages (the node's ``queue_size``).
        queue_bytes: its bound in payload bytes (the node's ``queue_bytes``).
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
        queue_size: int = DEFAULT_QUEUE_SIZE,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
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
            queue_bytes=queue_bytes,
            drop=drop,
            logger=logger,
        )
        self.stats = SimulationStats(queue=self.runner.stats)
        self._offset_ns = 0  # arrival clock minus header time: grows at each loop
        self._queued_offset_ns = 0  # the same for the messages queued (one pass at a time)
        self._newest_stamp_ns: int | None = None

    def run(self, messages: Iterable[EventMessage]) -> Iterator[TimedResult]:
        """Yield the outputs, in order, with their simulated timing.

        Messages must come in arrival order. A header stamp a little behind the newest arrives
        at once; one further behind than the pipeline's jitter tolerance is a loop (see the
        module): the pipeline resets on it as the node would.

        Raises:
            ConfigError: the cost model gave a cost that is negative, not finite, or that ends
                the batch past the clock's end (int64 ns).
        """
        arrivals = (self._arrival(msg) for msg in messages)
        nxt = next(arrivals, None)
        if nxt is None:
            return
        clock = nxt.at_ns
        while True:
            while nxt is not None and nxt.at_ns <= clock:  # arrived while busy
                if nxt.loop and self.runner.pending():  # a new pass: after this batch
                    break
                self._arrive(nxt)
                nxt = next(arrivals, None)
            if not self.runner.pending():  # idle: wait for the next message
                if nxt is None:
                    return
                clock = max(clock, nxt.at_ns)
                continue
            timed, clock = self._batch(clock)
            yield from timed

    def _batch(self, clock: int) -> tuple[list[TimedResult], int]:
        """Run what is queued as one batch starting at ``clock``; its outputs, timed, and end."""
        taken = self.runner.pending()
        self._results.clear()
        start = self.timer()
        self.runner.step()
        measured = self.timer() - start
        results = list(self._results)
        cost = float(self.cost(measured, taken, results))
        offset = self._queued_offset_ns
        # an update ends no earlier than its newest event
        ready = max([clock, *(r.stamp_ns + offset for r in results)])
        cost_ns = self._cost_ns(cost, ready)
        end = ready + cost_ns
        stats = self.stats
        stats.batches += 1
        stats.busy_ns += cost_ns
        stats.measured_s += measured
        stats.end_ns = end
        return [TimedResult(r, clock, end, cost, measured, taken, offset) for r in results], end

    @staticmethod
    def _cost_ns(cost_s: float, from_ns: int) -> int:
        """A batch's cost in ns, checked: finite, >= 0, ending before the clock's end."""
        if not (math.isfinite(cost_s) and cost_s >= 0.0):
            raise ConfigError(f'the cost model gave {cost_s} s for a batch; need >= 0')
        cost_ns = round(cost_s * 1e9)
        if from_ns + cost_ns > _CLOCK_END_NS:
            raise ConfigError(
                f'the cost model gave {cost_s:g} s for a batch: it would end past the simulated '
                "clock's end (int64 ns, the year 2262)"
            )
        return cost_ns

    def _arrival(self, msg: EventMessage) -> _Arrival:
        """When ``msg`` arrives: its header stamp on the arrival clock (see the module)."""
        from asynet_ros.pipeline.pipeline import HEADER_BACK_TOLERANCE_NS  # the node's loop

        stamp, newest = int(msg.stamp_ns), self._newest_stamp_ns
        loop = newest is not None and stamp < newest - HEADER_BACK_TOLERANCE_NS
        if loop and newest is not None:
            self._offset_ns += newest - stamp  # arrives with the newest message so far
            self.stats.loops += 1
        self._newest_stamp_ns = stamp if loop or newest is None else max(newest, stamp)
        return _Arrival(msg, stamp + self._offset_ns, loop)

    def _arrive(self, arrival: _Arrival) -> None:
        stats = self.stats
        if stats.first_ns is None:
            stats.first_ns = arrival.at_ns
        stats.last_ns = (
            arrival.at_ns if stats.last_ns is None else max(stats.last_ns, arrival.at_ns)
        )
        self._queued_offset_ns = arrival.offset_ns
        self.runner.offer(arrival.msg)
