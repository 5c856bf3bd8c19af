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

"""``benchmarks/rate_sweep.py``: sized pools, the option parsers, the best rate, a quick run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from asynet_benchmarks.rate_sweep import best_rate, main, make_sized_pool, parse_rates, parse_sizes
from asynet_core.events import SensorSize
from asynet_ros.bag import cdr_to_event_message
from asynet_ros.decoders import Evt3Decoder
from asynet_ros.interfaces import typestore
from dds_helpers import random_domain_id


def test_sized_pool_carries_the_sensor_size_and_rate() -> None:
    sensor = SensorSize(1280, 720)
    pool = make_sized_pool(200_000.0, sensor)
    assert pool.events == round(200_000 * 0.512)
    ts, decoder = typestore(), Evt3Decoder()
    xs = []
    for i in range(len(pool)):
        msg = cdr_to_event_message(ts, pool.message(i, 0)[1], 'event_camera_msgs/msg/EventPacket')
        assert (msg.width, msg.height, msg.seq) == (1280, 720, i)
        xs.append(decoder.decode(msg.payload, msg.width, msg.height)['x'])
    x = np.concatenate(xs)
    assert len(x) == pool.events
    assert x.max() > 304  # the shapes are scaled to the sensor, not left in a 304x240 corner


def test_parsers_and_bad_values() -> None:
    assert parse_rates('5e6, 10e6,') == [5e6, 10e6]
    assert parse_sizes('304x240,1280x720') == [SensorSize(304, 240), SensorSize(1280, 720)]
    for bad in ('', '0', '-1e6'):
        with pytest.raises(ValueError, match='rates must be positive'):
            parse_rates(bad)
    for bad in ('', '8x8', '304', 'ax240'):
        with pytest.raises(ValueError, match='sensor size'):
            parse_sizes(bad)


def test_best_rate_is_the_largest_meeting_the_goal_per_size() -> None:
    rows = [
        {'size': 'a', 'offered_mev_s': 5.0, 'latency_ms_p99': 4.0},
        {'size': 'a', 'offered_mev_s': 20.0, 'latency_ms_p99': 9.9},
        {'size': 'a', 'offered_mev_s': 50.0, 'latency_ms_p99': 30.0},
        {'size': 'b', 'offered_mev_s': 5.0, 'latency_ms_p99': None},
    ]
    assert best_rate(rows, 'a', 10.0) == 20.0
    assert best_rate(rows, 'b', 10.0) is None


def test_quick_sweep_prints_one_row_per_size_and_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / 'rows.json'
    argv = ['--rate', '2e5', '--size', '304x240,640x480', '--seconds', '2', '--warmup', '1',
            '--domain-id', str(random_domain_id()), '--json', str(out)]  # fmt: skip
    assert main(argv) == 0
    rows = json.loads(out.read_text())
    assert [(r['size'], r['offered_mev_s']) for r in rows] == [('304x240', 0.2), ('640x480', 0.2)]
    for row in rows:
        assert row['processed_mev_s'] > 0, row
        assert row['outputs_per_s'] > 0, row
    text = capsys.readouterr().out
    assert 'largest rate with p99 <= 10 ms at 640x480' in text
