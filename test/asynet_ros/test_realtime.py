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

"""The simulated real-time schedule against hand-computed ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asynet_core.errors import ConfigError
from asynet_core.events import EVENT_DTYPE
from asynet_ros import bundled_checkpoint
from asynet_ros.event_message import EventMessage
from asynet_ros.pipeline import Pipeline
from asynet_ros.pipeline.decoding import DECODED_ENCODING
from asynet_ros.realtime import (
    check_compute_scale,
    compute_scale_option,
    RealTimeSimulation,
    scaled_cost,
)

BASE_NS = 5_000_000_000  # header time of sensor time 0


def _messages(n: int) -> list[EventMessage]:
    """Message k: header stamp k ms, 10 events at k ms .. k ms + 900 µs of sensor time."""
    rng = np.random.default_rng(3)
    msgs = []
    for k in range(n):
        events = np.zeros(10, EVENT_DTYPE)
        events['t'] = k * 1000 + np.arange(0, 1000, 100)
        events['x'] = rng.integers(0, 64, 10)
        events['y'] = rng.integers(0, 48, 10)
        events['p'] = rng.integers(0, 2, 10)
        stamp = BASE_NS + k * 1_000_000
        msgs.append(EventMessage(stamp, 'cam', 64, 48, DECODED_ENCODING, events=events, seq=k))
    return msgs


def _run(cost_s: float, queue_size: int = 16) -> tuple[RealTimeSimulation, list]:
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    sim = RealTimeSimulation(pipeline, lambda *_: cost_s, queue_size=queue_size)
    return sim, list(sim.run(_messages(10)))


def test_a_busy_node_coalesces_what_arrived_and_answers_after_its_compute_time() -> None:
    sim, timed = _run(0.0025)
    # message 0 at 0 ms, newest event 0.9 ms, + 2.5 ms -> 3.4 ms; then messages 1-3 (arrived by
    # 3.4 ms), newest event 3.9 ms -> 6.4 ms; 4-6 -> 9.4 ms; 7-9 -> 12.4 ms
    available_ms = [(t.available_ns - BASE_NS) / 1e6 for t in timed]
    assert available_ms == pytest.approx([3.4, 6.4, 9.4, 12.4])
    assert [(t.start_ns - BASE_NS) / 1e6 for t in timed] == pytest.approx([0.0, 3.4, 6.4, 9.4])
    assert [t.messages for t in timed] == [1, 3, 3, 3]
    assert [t.result.t_us for t in timed] == [900, 3900, 6900, 9900]
    assert [t.available_t_us for t in timed] == [3400, 6400, 9400, 12400]
    assert [t.age_at_availability_ns for t in timed] == [2_500_000] * 4
    assert sim.stats.batches == 4
    assert sim.stats.busy_s == pytest.approx(0.01)
    assert sim.stats.span_s == pytest.approx(0.009)
    assert sim.stats.queue.dropped_queue_full == 0


def test_a_full_queue_drops_as_the_live_node_does() -> None:
    sim, timed = _run(0.0025, queue_size=2)
    # three messages arrive in each busy period; the oldest of them is dropped
    assert [t.messages for t in timed] == [1, 2, 2, 2]
    assert sim.stats.queue.dropped_queue_full == 3
    assert sim.pipeline.counters.lost_messages == 0  # dropped, not lost in transport


def test_a_free_node_answers_every_message_at_its_newest_event() -> None:
    _, timed = _run(0.0)
    assert [t.messages for t in timed] == [1] * 10
    assert [t.available_t_us for t in timed] == [k * 1000 + 900 for k in range(10)]


def test_measured_costs_are_scaled() -> None:
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    ticks = iter(np.arange(0.0, 100.0, 0.001))  # every timer call 1 ms later: 1 ms per batch
    sim = RealTimeSimulation(pipeline, scaled_cost(3.0), timer=lambda: float(next(ticks)))
    timed = list(sim.run(_messages(4)))
    assert [t.cost_s for t in timed] == pytest.approx([0.003] * len(timed))
    assert [t.measured_s for t in timed] == pytest.approx([0.001] * len(timed))


@pytest.mark.parametrize('scale', [-1.0, float('nan'), float('inf')])
def test_bad_compute_scales_are_refused(scale: float) -> None:
    with pytest.raises(ConfigError, match='compute scale'):
        scaled_cost(scale)


def test_a_bad_cost_model_is_named() -> None:
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    sim = RealTimeSimulation(pipeline, lambda *_: -1.0)
    with pytest.raises(ConfigError, match='cost model'):
        list(sim.run(_messages(2)))


def _restamped(messages: list[EventMessage], stamps_ns: list[int]) -> list[EventMessage]:
    """The messages with new header stamps (their events, hence sensor times, unchanged)."""
    return [
        EventMessage(s, m.frame_id, m.width, m.height, m.encoding, events=m.events, seq=k)
        for k, (m, s) in enumerate(zip(messages, stamps_ns, strict=True))
    ]


def test_a_looped_recording_arrives_paced_as_the_first_pass() -> None:
    """Stamps going back (a looped bag) restart the arrival clock after the newest arrival.

    Taken at face value, the second pass would have arrived during the first: all at once, and
    the full queue would drop most of it.
    """
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    sim = RealTimeSimulation(pipeline, lambda *_: 0.0025, queue_size=16)
    once = _messages(120)  # 0 .. 119 ms: the step back is beyond the pipeline's 100 ms
    timed = list(sim.run(_restamped(once + once, [m.stamp_ns for m in once] * 2)))
    assert sim.stats.queue.dropped_queue_full == 0
    assert sim.stats.loops == 1
    assert sim.pipeline.counters.time_resets == 1  # the pipeline saw the loop too
    taken = np.cumsum([t.messages for t in timed])
    assert 120 in taken  # no batch holds messages of both passes
    assert taken[-1] == 240
    second = [t for t, n in zip(timed, taken, strict=True) if n > 120]
    assert len(second) >= 38  # as the first pass: about one batch per 3 ms
    assert second[-1].result.t_us == 119_900  # the last message's newest event
    ages_ms = np.array([t.age_at_availability_ns for t in timed]) / 1e6
    assert np.all((ages_ms >= 2.5) & (ages_ms <= 3.5))  # a compute time, at most 1 ms more
    assert np.all(np.diff([t.available_ns for t in timed]) > 0)
    assert sim.stats.span_s == pytest.approx(0.238)  # arrivals: 0 .. 119 ms, twice


def test_a_small_step_back_arrives_at_once_without_a_loop() -> None:
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    sim = RealTimeSimulation(pipeline, lambda *_: 0.0, queue_size=16)
    msgs = _messages(3)
    stamps = [m.stamp_ns for m in msgs]
    stamps[2] = stamps[1] - 500_000  # 0.5 ms behind its predecessor: jitter, not a loop
    timed = list(sim.run(_restamped(msgs, stamps)))
    assert sim.stats.loops == 0
    # message 2 is taken to have arrived at 0.5 ms: with message 1, once the worker is free
    assert [(t.start_ns - BASE_NS, t.messages) for t in timed] == [(0, 1), (1_000_000, 2)]


def test_busy_time_never_exceeds_the_time_that_passed() -> None:
    """Costs rounded to whole ns: a node busy from its first message is busy 100 %, not more."""
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    sim = RealTimeSimulation(pipeline, lambda *_: 0.0010000004, queue_size=16)
    msgs = _messages(20)
    for m in msgs:  # one event at the stamp: an update may start at once
        m.events['t'] = (m.stamp_ns - BASE_NS) // 1000
    timed = list(sim.run(msgs))
    assert len(timed) == 20
    assert sim.stats.busy_fraction == 1.0


def test_a_cost_past_the_end_of_the_clock_is_refused() -> None:
    """A batch ending after int64 ns (year 2262) would overflow every time stamp after it."""
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    sim = RealTimeSimulation(pipeline, lambda *_: 1e10)
    with pytest.raises(ConfigError, match=r'cost model gave 1e\+10 s for a batch'):
        list(sim.run(_messages(2)))


@pytest.mark.parametrize('scale', [1e6 * 1.000001, 1e12, 1e300])
def test_compute_scales_past_a_million_are_refused(scale: float) -> None:
    with pytest.raises(ConfigError, match=r'a compute scale must be in \[0, 1e\+06\]'):
        check_compute_scale(scale)


def test_negative_zero_is_zero() -> None:
    scale = compute_scale_option('-0')
    assert scale == 0.0
    assert math.copysign(1.0, scale) == 1.0  # reported and named x0, not x-0
    assert math.copysign(1.0, check_compute_scale(-0.0)) == 1.0


def test_an_hour_without_messages_is_one_step_of_the_clock() -> None:
    """The clock jumps to the next arrival: nothing is done per simulated instant."""
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    ticks = iter(np.arange(0.0, 100.0, 0.001))  # every timer call 1 ms later
    sim = RealTimeSimulation(pipeline, scaled_cost(1.0), timer=lambda: float(next(ticks)))
    msgs = _messages(6)
    hour_ns = 3600 * 10**9
    later = _restamped(msgs, [m.stamp_ns + (hour_ns if k >= 3 else 0) for k, m in enumerate(msgs)])
    timed = list(sim.run(later))
    assert sim.stats.batches == len(timed) <= 6
    assert timed[-1].start_ns - BASE_NS > hour_ns
    assert sim.stats.busy_fraction == pytest.approx(sim.stats.busy_s / 3600.005, rel=1e-3)
