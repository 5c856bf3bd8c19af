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
overload shows in the drop counters, memory stays flat, and the detector exits cleanly. The
decoder catch-up over dropped packets that the overload revealed is tested with the pipeline
(``test/asynet_ros/pipeline/test_pipeline.py``) and the live queue (``test_live.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from asynet_benchmarks.overload_dds import run
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
