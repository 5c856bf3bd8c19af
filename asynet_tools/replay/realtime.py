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

"""``asynet-replay --realtime``: the replay as a live node on given hardware would have run it.

The schedule is :class:`asynet_ros.realtime.RealTimeSimulation`'s (the node's queue, its bound,
drop policy and coalescing, on a simulated clock where each batch costs its measured wall time
times ``compute_scale``); this module sets it up from the replay's options and records when
each output was available, for the output bag, the report and the latency-aware metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TYPE_CHECKING

from asynet_core.errors import ConfigError
from asynet_ros import params
from asynet_ros.realtime import CostModel, RealTimeSimulation, scaled_cost

if TYPE_CHECKING:  # the pipeline imports torch
    from asynet_ros.event_message import EventMessage
    from asynet_ros.pipeline import Pipeline, Result

__all__ = ['OFFLINE_EVALUATION', 'Realtime', 'check_realtime']

#: ``report.json``'s ``evaluation`` of a classic replay: every output at once.
OFFLINE_EVALUATION: dict[str, Any] = {
    'mode': 'offline',
    'compute_scale': None,
    'queue_size': None,
    'queue_bytes': None,
    'drop_policy': None,
    'batches': None,
    'busy_fraction': None,
    'dropped_queue_full': None,
    'errors': None,
    'loops': None,
}


def check_realtime(
    realtime: bool, compute_scale: float, cost: CostModel | None, output_rate_hz: float
) -> None:
    """Refuse the options a replay's mode does not take, before any work.

    Raises:
        ConfigError: ``compute_scale`` negative or not finite; a compute scale other than 1 or
            a cost model without ``realtime``; an output rate with it (continuous sampling: one
            update per batch unless the pipeline's values give an update policy).
    """
    scaled_cost(compute_scale)  # validates it
    if not realtime and (compute_scale != 1.0 or cost is not None):
        raise ConfigError('a compute scale or cost model applies to a real-time replay only')
    if realtime and output_rate_hz:
        raise ConfigError(
            'a real-time replay samples continuously (one update per batch): no output rate; '
            'give update_every_us or update_every_events for an update policy'
        )


@dataclass
class Realtime:
    """A real-time replay's simulation and when each of its outputs was available.

    Attributes:
        sim: the simulation driving the pipeline.
        compute_scale: the scale of its measured costs (``None``: a cost model of its own).
        available_t_us: each output's availability in sensor time (µs), in output order.
        availability_s: each output's availability minus its stamp (its newest event), s.
    """

    sim: RealTimeSimulation
    compute_scale: float | None
    available_t_us: list[int] = field(default_factory=list)
    availability_s: list[float] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        pipeline: Pipeline,
        values: dict[str, Any] | None,
        compute_scale: float,
        cost: CostModel | None,
    ) -> Realtime:
        """The simulation of ``pipeline`` on a queue sized by the node parameters ``values``.

        ``queue_size``, ``queue_bytes`` and ``drop_policy`` (:mod:`asynet_ros.params`; the
        node's defaults where absent or ``None``); the cost is ``cost``, else the measured time
        times ``compute_scale``.

        Raises:
            ConfigError: a bad queue size, byte bound or drop policy.
        """
        given, default = values or {}, params.defaults()
        queue_size, queue_bytes, drop = (
            default[name] if given.get(name) is None else given[name]
            for name in ('queue_size', 'queue_bytes', 'drop_policy')
        )
        sim = RealTimeSimulation(
            pipeline, cost or scaled_cost(compute_scale), queue_size=queue_size,
            queue_bytes=queue_bytes, drop=drop,
        )  # fmt: skip
        return cls(sim, None if cost is not None else float(compute_scale))

    def play(
        self, messages: Iterable[EventMessage], write: Callable[[Result, float, int], None]
    ) -> None:
        """Run the simulation; ``write(result, measured_s, available_ns)`` each output.

        ``measured_s``: the wall time of the output's batch on this machine.
        """
        for timed in self.sim.run(messages):
            write(timed.result, timed.measured_s, timed.available_ns)
            self.available_t_us.append(timed.available_t_us)  # as the written outputs
            self.availability_s.append(timed.age_at_availability_ns / 1e9)

    def frozen_stamps(self) -> str | None:
        """Why the simulation means nothing, or ``None``: header stamps that never advanced.

        A message arrives at its header stamp; when every stamp is the same (a driver leaving
        them unset), every message arrived at once and the queue kept only its bound of them.
        """
        stats = self.sim.stats
        received = stats.queue.received
        if received < 2 or stats.first_ns is None or stats.span_s > 0.0 or stats.loops:
            return None
        sec, nanosec = divmod(stats.first_ns, 10**9)
        return (
            f'all {received} messages have the same header stamp ({sec}.{nanosec:09d} s): a '
            'real-time replay takes each to arrive at its stamp, so all arrived at once '
            f'({stats.queue.dropped_queue_full} dropped by the full queue) and its scores mean '
            'nothing; replay the recording without --realtime'
        )

    def evaluation(self) -> dict[str, Any]:
        """``report.json``'s ``evaluation``: the mode, the queue and what the simulation did."""
        stats, runner = self.sim.stats, self.sim.runner
        return {
            'mode': 'realtime',
            'compute_scale': self.compute_scale,
            'queue_size': runner.queue_size,
            'queue_bytes': runner.queue_bytes,
            'drop_policy': runner.drop,
            'batches': stats.batches,
            'busy_fraction': stats.busy_fraction,
            'dropped_queue_full': stats.queue.dropped_queue_full,
            'errors': stats.queue.errors,
            'loops': stats.loops,  # header stamps stepping back: a looped bag, a restart
        }
