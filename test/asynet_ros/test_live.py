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

"""The live queue: bounded, drops by policy and counts, coalesces a backlog, survives errors.

With the real pipeline and the overload benchmark's packets, dropped messages keep the evt3 time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from asynet_benchmarks.overload_dds import make_pool
from asynet_core.errors import ConfigError
from asynet_ros import bundled_checkpoint
from asynet_ros.decoders import Evt3Decoder
from asynet_ros.event_message import EventMessage
from asynet_ros.live import LiveRunner
from asynet_ros.pipeline import Pipeline


class _FakePipeline:
    """Records what it was given; the first call blocks until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls: list[tuple[str, list[int]]] = []
        self.skipped: list[int] = []

    def process(self, msg: EventMessage) -> list[Any]:
        self._wait()
        self.calls.append(('one', [msg.seq]))
        if msg.seq < 0:
            raise RuntimeError('boom')
        return [msg.seq]

    def skip(self, msgs: list[EventMessage]) -> None:
        self.skipped.extend(m.seq for m in msgs)

    def process_batch(self, msgs: list[EventMessage]) -> list[Any]:
        self._wait()
        self.calls.append(('batch', [m.seq for m in msgs]))
        return [msgs[-1].seq]

    def _wait(self) -> None:
        self.started.set()
        self.release.wait(5.0)


def _msg(seq: int) -> EventMessage:
    return EventMessage(0, 'cam', 4, 4, 'evt3', payload=b'', seq=seq)


def _runner(drop: str) -> tuple[LiveRunner, _FakePipeline, list[Any]]:
    fake, published = _FakePipeline(), []
    runner = LiveRunner(
        fake,  # type: ignore[arg-type]
        lambda result, latency: published.append((result, latency)),
        queue_size=3,
        drop=drop,
    )
    return runner, fake, published


@pytest.mark.parametrize(('drop', 'kept'), [('oldest', [3, 4, 5]), ('newest', [1, 2, 3])])
def test_full_queue_drops_by_policy_and_backlog_is_one_batch(drop: str, kept: list[int]) -> None:
    runner, fake, published = _runner(drop)
    runner.start()
    try:
        runner.offer(_msg(0))
        assert fake.started.wait(5.0)  # the worker holds message 0
        accepted = [runner.offer(_msg(i)) for i in range(1, 6)]
        assert accepted == ([True] * 5 if drop == 'oldest' else [True] * 3 + [False] * 2)
        assert runner.stats.dropped_queue_full == 2
        fake.release.set()
        assert runner.wait_idle(5.0)
    finally:
        runner.stop()
    assert fake.calls == [('one', [0]), ('batch', kept)]
    assert [r for r, _ in published] == [0, kept[-1]]
    assert all(latency >= 0 for _, latency in published)
    assert runner.stats.backlog_batches == 1
    assert runner.stats.max_queue == 3


def test_pipeline_error_is_counted_and_the_runner_goes_on() -> None:
    runner, fake, published = _runner('oldest')
    fake.release.set()
    runner.start()
    try:
        runner.offer(_msg(-1))
        assert runner.wait_idle(5.0)
        runner.offer(_msg(7))
        assert runner.wait_idle(5.0)
    finally:
        runner.stop()
    assert runner.stats.errors == 1
    assert [r for r, _ in published] == [7]


def test_bad_settings() -> None:
    with pytest.raises(ConfigError, match="unknown drop policy 'middle'"):
        LiveRunner(None, print, drop='middle')  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match='queue_size must be an int >= 1'):
        LiveRunner(None, print, queue_size=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match='queue_bytes must be an int >= 1'):
        LiveRunner(None, print, queue_bytes=0)  # type: ignore[arg-type]


def _sized(seq: int, size: int) -> EventMessage:
    return EventMessage(0, 'cam', 4, 4, 'evt3', payload=bytes(size), seq=seq)


@pytest.mark.parametrize(('drop', 'kept'), [('oldest', [3, 4]), ('newest', [0, 1])])
def test_the_queue_is_bounded_by_payload_bytes_too(drop: str, kept: list[int]) -> None:
    fake = _FakePipeline()
    fake.release.set()
    runner = LiveRunner(
        fake,  # type: ignore[arg-type]
        lambda *_: None,
        queue_size=100,
        queue_bytes=250,
        drop=drop,
    )
    accepted = [runner.offer(_sized(i, 100)) for i in range(5)]  # at most 2 fit in 250 bytes
    assert accepted == ([True] * 5 if drop == 'oldest' else [True, True, False, False, False])
    assert runner.stats.dropped_queue_full == 3
    assert runner.step()  # on this thread: the worker's loop body
    assert fake.calls == [('batch', kept)]
    assert sorted(fake.skipped) == sorted({0, 1, 2, 3, 4} - set(kept))  # decoded, not used
    assert not runner.step()  # nothing left, and the byte count is back to 0
    assert runner.offer(_sized(9, 1000))  # larger than the bound: an empty queue still takes it
    assert runner.offer(_sized(10, 1)) == (drop == 'oldest')


def test_a_message_weighs_its_payload_or_its_decoded_events() -> None:
    from asynet_core.events import EVENT_DTYPE
    from asynet_ros.live import message_bytes

    assert message_bytes(_sized(0, 123)) == 123
    events = np.zeros(7, EVENT_DTYPE)
    dvs = EventMessage(0, 'cam', 4, 4, 'dvs_msgs', events=events)
    assert message_bytes(dvs) == events.nbytes


def test_a_failing_publisher_is_counted_and_the_worker_lives_on() -> None:
    fake, published = _FakePipeline(), []
    fake.release.set()

    def publish(result: Any, latency: float) -> None:
        if result == 1:
            raise RuntimeError('publisher destroyed')
        published.append(result)

    runner = LiveRunner(fake, publish, queue_size=3)  # type: ignore[arg-type]
    runner.start()
    try:
        for seq in (1, 2):
            runner.offer(_msg(seq))
            assert runner.wait_idle(5.0)
    finally:
        runner.stop()
    assert published == [2]
    assert runner.stats.publish_errors == 1


def test_stop_counts_discarded_and_restart_keeps_one_worker() -> None:
    runner, fake, _ = _runner('oldest')
    runner.start()
    runner.offer(_msg(0))
    assert fake.started.wait(5.0)
    runner.offer(_msg(1))
    runner.stop(timeout_s=0.05)  # the worker is still inside message 0
    assert runner.stats.discarded_at_stop == 1
    runner.start()  # must not start a second worker beside the busy one
    fake.release.set()
    runner.offer(_msg(2))
    assert runner.wait_idle(5.0)
    runner.stop()
    names = [t.name for t in threading.enumerate() if t.name == 'asynet-pipeline']
    assert names == []
    assert fake.calls == [('one', [0]), ('one', [2])]


# -- the evt3 time across dropped packets (the overload benchmark's packet pool) ------------------


def _held_then_one_by_one(
    pipeline: Pipeline,
    drop: str,
    first: EventMessage,
    held: list[EventMessage],
    after: list[EventMessage],
) -> LiveRunner:
    """A queue of 8: ``held`` offered while the worker holds ``first``, then ``after`` singly."""
    gate = threading.Event()
    runner = LiveRunner(pipeline, lambda *_: gate.wait(10.0), queue_size=8, drop=drop)
    runner.start()
    try:
        runner.offer(first)
        deadline = time.monotonic() + 10.0
        while runner.pending() and time.monotonic() < deadline:  # the worker holds ``first``
            time.sleep(0.001)
        for msg in held:
            runner.offer(msg)
        gate.set()
        assert runner.wait_idle(10.0)
        for msg in after:
            runner.offer(msg)
            assert runner.wait_idle(10.0)
    finally:
        runner.stop()
    return runner


@pytest.mark.parametrize(
    ('drop', 'processed'),
    [('oldest', [0, *range(52, 70)]), ('newest', [*range(9), *range(60, 70)])],
)
def test_live_queue_drops_keep_the_evt3_time(drop: str, processed: list[int]) -> None:
    pool = make_pool(200_000.0)
    msgs = [pool.event_message(i) for i in range(70)]
    truth = Evt3Decoder()
    true_events = [truth.decode(m.payload, m.width, m.height) for m in msgs]
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    # 51 of messages 1-59 dropped while the worker holds message 0; then one by one
    runner = _held_then_one_by_one(pipeline, drop, msgs[0], msgs[1:60], msgs[60:])
    assert runner.stats.dropped_queue_full == 51
    counters = pipeline.counters
    assert (counters.time_resets, counters.clamped_events, counters.decode_errors) == (0, 0, 0)
    assert counters.lost_messages == 0  # 51 dropped, 43 of them never decoded: none lost
    expected = np.concatenate([true_events[i] for i in processed])
    window = pipeline.window_events()
    np.testing.assert_array_equal(window['t'], expected['t'][-len(window) :])


@pytest.mark.parametrize('drop', ['oldest', 'newest'])
def test_a_transport_gap_among_messages_dropped_undecoded_is_still_counted(drop: str) -> None:
    pool = make_pool(200_000.0)
    msgs = [pool.event_message(i) for i in range(70)]
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    held = msgs[1:10] + msgs[15:60]  # seq 10..14 lost in transport, many dropped
    _held_then_one_by_one(pipeline, drop, msgs[0], held, [])
    counters = pipeline.counters
    assert (counters.seq_gaps, counters.lost_messages) == (1, 5)
