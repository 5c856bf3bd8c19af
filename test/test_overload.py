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

"""Overload: ``asynet-detect`` over DDS fed 10x the event rate it sustains, for 5 s.

The machinery of ``benchmarks/overload_dds.py``, bounded: outputs keep coming every second, the
overload shows in the drop counters, memory stays flat, and the detector exits cleanly. Also the
benchmark's looped packet stream, and the decoder catch-up over dropped packets that the overload
revealed (without it a dropped evt3 packet holding a TIME_HIGH word reset the stream).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from asynet_benchmarks.overload_dds import make_pool, POOL_US, run
from asynet_ros import bundled_checkpoint
from asynet_ros.bag import cdr_to_event_message
from asynet_ros.decoders import Evt3Decoder
from asynet_ros.interfaces import typestore
from asynet_ros.live import LiveRunner
from asynet_ros.pipeline import Pipeline
from dds_helpers import random_domain_id

SECONDS = 5.0
WARMUP_S = 1.0


@pytest.fixture(scope='module')
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run(
        seconds=SECONDS,
        factor=10.0,
        domain_id=random_domain_id(),
        probe_packets=80,
        warmup_s=WARMUP_S,
        drain_s=1.0,
        tmp_dir=tmp_path_factory.mktemp('overload'),
    )


def test_detector_survives_and_reports(figures: dict[str, Any]) -> None:
    assert figures['detector_exit'] == 0, figures['detector_stderr_tail']
    summary = figures['detector']
    assert set(summary) >= {'received', 'outputs', 'events', 'dropped_queue_full', 'counters'}
    assert summary['received'] > 0.9 * figures['packets_sent']
    assert figures['packets_per_s'] > 500  # the 1 ms packets really came at about 1 kHz


def test_outputs_keep_flowing(figures: dict[str, Any]) -> None:
    bins = figures['outputs_per_s']
    assert len(bins) == int(SECONDS)
    assert all(n > 0 for n in bins[int(WARMUP_S) :]), bins
    assert figures['latency_ms_p50'] is not None


def test_overload_is_counted_not_hidden(figures: dict[str, Any]) -> None:
    summary = figures['detector']
    assert summary['dropped_queue_full'] > 0 or summary['backlog_batches'] > 0, summary
    if figures['lost_in_transport'] == 0:  # every packet reached the detector's decoder
        assert summary['counters']['time_resets'] == 0, summary


def test_memory_stays_bounded(figures: dict[str, Any]) -> None:
    rss = figures['rss_mb']
    assert rss['max_growth'] < 50.0, rss['samples']


def test_pool_loops_with_increasing_time_past_the_evt3_rollover() -> None:
    pool = make_pool(1000.0)  # one event per packet: cheap to decode 34 loops (17.4 s)
    ts, decoder = typestore(), Evt3Decoder()
    first = Evt3Decoder()
    once = [
        first.decode(np.frombuffer(pool.cdr[j], np.uint8, offset=pool.payload_at[j]), 304, 240)
        for j in range(len(pool))
    ]
    loops = 34  # past 2**24 us
    for i in range(loops * len(pool)):
        stamp, data = pool.message(i, 10**18)
        msg = cdr_to_event_message(ts, data, 'event_camera_msgs/msg/EventPacket')
        loop, j = divmod(i, len(pool))
        events = decoder.decode(msg.payload, msg.width, msg.height)
        np.testing.assert_array_equal(events['t'], once[j]['t'] + loop * POOL_US)
        assert (msg.seq, stamp) == (i, 10**18 + int(events['t'][0]) * 1000)
    assert int(events['t'][-1]) > 1 << 24


@pytest.mark.parametrize(('skip', 'resets'), [(False, 1), (True, 0)])
def test_skipping_a_dropped_packet_keeps_the_evt3_time(skip: bool, resets: int) -> None:
    pool = make_pool(200_000.0)
    k = next(
        i
        for i in range(1, len(pool) - 1)
        if len(pool.high_words[i]) and not len(pool.high_words[i + 1])
    )
    msgs = [pool.event_message(i) for i in range(k + 2)]
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    for msg in msgs[:k]:
        pipeline.process(msg)
    if skip:  # what the live queue does with a message it drops
        pipeline.skip([msgs[k]])
    pipeline.process(msgs[k + 1])  # no TIME_HIGH of its own: relies on the one in packet k
    assert pipeline.counters.time_resets == resets
    assert pipeline.counters.messages == k + 1


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
    gate = threading.Event()
    runner = LiveRunner(pipeline, lambda *_: gate.wait(10.0), queue_size=8, drop=drop)
    runner.start()
    try:
        runner.offer(msgs[0])
        deadline = time.monotonic() + 10.0
        while runner.pending() and time.monotonic() < deadline:  # the worker holds message 0
            time.sleep(0.001)
        for msg in msgs[1:60]:  # 51 of them dropped while the worker is held
            runner.offer(msg)
        gate.set()
        assert runner.wait_idle(10.0)
        for msg in msgs[60:]:
            runner.offer(msg)
            assert runner.wait_idle(10.0)
    finally:
        runner.stop()
    assert runner.stats.dropped_queue_full == 51
    counters = pipeline.counters
    assert (counters.time_resets, counters.clamped_events, counters.decode_errors) == (0, 0, 0)
    expected = np.concatenate([true_events[i] for i in processed])
    window = pipeline.window_events()
    np.testing.assert_array_equal(window['t'], expected['t'][-len(window) :])
