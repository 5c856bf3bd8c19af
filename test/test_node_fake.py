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

"""The rclpy node's adapter logic, driven through a fake rclpy (ROS 2 is not installable here).

The real rclpy run is ``test_outputs.py::test_rclpy_node_lifecycle``, skipped without ROS 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asynet_ros.bag import EventBag
from asynet_ros.cli.events import write_synthetic_bag
from asynet_ros.interfaces import typestore
import fake_rclpy


@pytest.fixture(scope='module')
def packets(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    bag = tmp_path_factory.mktemp('node') / 'bag'
    write_synthetic_bag(bag, seconds=0.2, seed=3)
    with EventBag(bag) as opened:
        return [bytes(raw) for *_, raw in opened.raw_messages(['/event_camera/events'])]


def _node() -> object:
    from asynet_ros.node import DetectorNode

    return DetectorNode()


def _sent(node: object, topic: str) -> list[bytes]:
    return next(p.sent for p in node.publishers if p.topic == topic)  # type: ignore[attr-defined]


def test_lifecycle_detects_and_publishes(packets: list[bytes]) -> None:
    ts = typestore()
    with fake_rclpy.installed():
        node = _node()
        ok = fake_rclpy.TransitionCallbackReturn.SUCCESS
        assert node.trigger_configure() == ok  # type: ignore[attr-defined]
        assert node.trigger_activate() == ok  # type: ignore[attr-defined]
        (sub,) = node.subscriptions  # type: ignore[attr-defined]
        assert sub.topic == '/event_camera/events'
        assert sub.raw
        assert sub.qos.reliability == fake_rclpy.ReliabilityPolicy.BEST_EFFORT
        for raw in packets[:50]:
            sub.callback(raw)
        assert node.runner.wait_idle(30.0)  # type: ignore[attr-defined]
        result = node.set_parameters([fake_rclpy.Parameter('frame_id', 'camera_optical')])  # type: ignore[attr-defined]
        assert result[0].successful
        for raw in packets[50:60]:
            sub.callback(raw)
        sub.callback(b'\x00\x01\x00\x00garbage')  # a broken message: logged, not fatal
        assert node.runner.wait_idle(30.0)  # type: ignore[attr-defined]
        node.timers[0].callback()  # type: ignore[attr-defined]
        detections = [ts.deserialize_cdr(raw, 'vision_msgs/msg/Detection2DArray')
                      for raw in _sent(node, '~/detections')]  # fmt: skip
        assert len(detections) >= 2
        frames = [d.header.frame_id for d in detections]
        assert frames[0] == 'event_camera'
        assert frames[-1] == 'camera_optical'
        info = ts.deserialize_cdr(_sent(node, '~/label_info')[0], 'vision_msgs/msg/LabelInfo')
        assert [c.class_name for c in info.class_map] == ['circle', 'square']
        diag = ts.deserialize_cdr(
            _sent(node, '/diagnostics')[0], 'diagnostic_msgs/msg/DiagnosticArray'
        )
        values = {kv.key: kv.value for kv in diag.status[0].values}
        assert int(values['received']) == 60  # the queue (16) dropped what the worker missed
        assert int(values['messages']) + int(values['dropped_queue_full']) == 60
        assert node.trigger_deactivate() == ok  # type: ignore[attr-defined]
        assert node.subscriptions == []  # type: ignore[attr-defined]
        assert node.trigger_cleanup() == ok  # type: ignore[attr-defined]
        assert node.runner is None  # type: ignore[attr-defined]
        assert node.publishers == []  # type: ignore[attr-defined]


def test_invalid_parameters_are_rejected_with_the_reason() -> None:
    with fake_rclpy.installed():
        node = _node()
        bad = node.set_parameters([fake_rclpy.Parameter('iou_threshold', 2.0)])[0]  # type: ignore[attr-defined]
        assert not bad.successful
        assert bad.reason == 'iou_threshold must be in [0, 1], got 2.0'
        assert node.get_parameter('iou_threshold').value == pytest.approx(0.6)  # type: ignore[attr-defined]


def test_configure_fails_cleanly_on_a_bad_checkpoint(tmp_path: Path) -> None:
    with fake_rclpy.installed():
        node = _node()
        node.set_parameters([fake_rclpy.Parameter('checkpoint', str(tmp_path / 'x.pt'))])  # type: ignore[attr-defined]
        assert node.trigger_configure() == fake_rclpy.TransitionCallbackReturn.FAILURE  # type: ignore[attr-defined]
        assert node.runner is None  # type: ignore[attr-defined]


def _run_once(node: object, packets: list[bytes]) -> list[bytes]:
    ok = fake_rclpy.TransitionCallbackReturn.SUCCESS
    assert node.trigger_configure() == ok  # type: ignore[attr-defined]
    assert node.trigger_activate() == ok  # type: ignore[attr-defined]
    (sub,) = node.subscriptions  # type: ignore[attr-defined]
    for raw in packets:
        sub.callback(raw)
        assert node.runner.wait_idle(30.0)  # type: ignore[attr-defined]  # one at a time: no drops
    sent = list(_sent(node, '~/detections'))
    assert node.trigger_deactivate() == ok  # type: ignore[attr-defined]
    assert node.trigger_cleanup() == ok  # type: ignore[attr-defined]
    return sent


def test_cleanup_releases_and_a_restart_gives_the_same_outputs(packets: list[bytes]) -> None:
    with fake_rclpy.installed():
        node = _node()
        first = _run_once(node, packets[:30])
        assert node.runner is None  # type: ignore[attr-defined]  # model and queue released
        assert node.publishers == []  # type: ignore[attr-defined]
        second = _run_once(node, packets[:30])
    assert len(first) == 30
    assert second == first  # byte-identical messages, stamps included


def test_other_parameters_pass_and_an_int_for_a_float_is_accepted() -> None:
    with fake_rclpy.installed():
        node = _node()
        sim = node.set_parameters([fake_rclpy.Parameter('use_sim_time', True)])[0]  # type: ignore[attr-defined]
        assert sim.successful  # not ours: left to rclpy
        one = node.set_parameters([fake_rclpy.Parameter('diagnostics_period_s', 2)])[0]  # type: ignore[attr-defined]
        assert one.successful
        assert node.trigger_configure() == fake_rclpy.TransitionCallbackReturn.SUCCESS  # type: ignore[attr-defined]


def test_configure_refuses_a_bad_value_given_at_startup() -> None:
    with fake_rclpy.installed():
        node = _node()
        node._params['queue_size'] = 0  # type: ignore[attr-defined]  # as a bad launch override
        assert node.trigger_configure() == fake_rclpy.TransitionCallbackReturn.FAILURE  # type: ignore[attr-defined]
        assert node.runner is None  # type: ignore[attr-defined]
        assert node.publishers == []  # type: ignore[attr-defined]
