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

"""End to end over Cyclone DDS on loopback, three processes, as on a robot without ROS 2.

``asynet-play`` publishes the Metavision evt3 bag as its driver did, ``asynet-detect`` runs the
bundled detector on it, and this process subscribes to the detections like any ROS 2 node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import json
from pathlib import Path
import signal

import pytest

from asynet_ros import bundled_checkpoint
from asynet_ros.dds import qos
from asynet_ros.dds.transport import DdsGraph
from asynet_ros.interfaces import typestore
from dds_helpers import collect, loopback_session, random_domain_id, spawn

DETECTIONS = '/asynet_detector/detections'


@pytest.fixture(scope='module')
def domain_id() -> int:
    return random_domain_id()


@pytest.fixture(scope='module')
def env(tmp_path_factory: pytest.TempPathFactory, domain_id: int) -> Iterator[dict[str, str]]:
    """Loopback Cyclone config for this process (before any participant) and its children."""
    with loopback_session(tmp_path_factory.mktemp('dds_e2e'), domain_id) as child_env:
        yield child_env


def _bag_stamps(bag: Path) -> tuple[str, int, int]:
    from asynet_ros.bag import EventBag

    with EventBag(bag) as opened:
        msgs = [m for _, m in opened.event_messages()]
    return msgs[0].frame_id, msgs[0].stamp_ns, msgs[-1].stamp_ns


def test_play_detect_subscribe(
    env: dict[str, str], domain_id: int, real_bag: Callable[[str], Path]
) -> None:
    bag = real_bag('metavision_evt3')
    frame_id, first_ns, last_ns = _bag_stamps(bag)
    ts = typestore()
    with DdsGraph(domain_id) as graph:
        dets = graph.subscription(DETECTIONS, 'vision_msgs/msg/Detection2DArray', qos.DEFAULT)
        labels = graph.subscription(
            '/asynet_detector/label_info', 'vision_msgs/msg/LabelInfo', qos.LATCHED
        )
        detector = spawn(
            ['-m', 'asynet_ros.cli.detect', '--transport', 'dds', '--domain-id', str(domain_id),
             '--checkpoint', str(bundled_checkpoint('synthetic_det')), '--duration', '60'],
            env,
        )  # fmt: skip
        player = None
        try:
            assert dets.wait_for_matched(1, timeout_s=60.0), 'the detector never came up'
            player = spawn(
                ['-m', 'asynet_ros.dds.play', str(bag), '--domain-id', str(domain_id),
                 '--wait-subscribers', '20', '--start-delay', '0.5'],
                env,
            )  # fmt: skip
            received = collect(dets, expected=517, proc=player, timeout_s=60.0, idle_s=3.0)
            info = collect(labels, expected=1, timeout_s=5.0)
        finally:
            detector.send_signal(signal.SIGINT)
            out, err = detector.communicate(timeout=30)
            played = player.communicate(timeout=30) if player is not None else ('', '')
    assert player.returncode == 0, played[1]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary['events'] > 0, err
    msgs = [ts.deserialize_cdr(raw, 'vision_msgs/msg/Detection2DArray') for raw in received]
    assert len(msgs) >= 20, f'{len(msgs)} detection messages; detector: {summary}'
    assert summary['outputs'] >= len(msgs)
    assert {m.header.frame_id for m in msgs} == {frame_id}
    stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in msgs]
    assert stamps == sorted(stamps)
    assert first_ns <= stamps[0]
    assert stamps[-1] <= last_ns + 10**9  # within the bag's time (the stamp of the newest event)
    assert all(d.header.frame_id == frame_id for m in msgs for d in m.detections)
    names = [
        c.class_name for c in ts.deserialize_cdr(info[0], 'vision_msgs/msg/LabelInfo').class_map
    ]
    assert names == ['circle', 'square']
