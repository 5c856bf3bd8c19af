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

"""The detector node under real rclpy, in its own process, as ``ros2 run`` starts it.

A real rclpy client drives its lifecycle and parameter services, publishes EventPackets like a
camera driver (best effort) and checks what comes out: detections, classification, LabelInfo
(transient local), diagnostics, the debug image, /rosout, and the exit on SIGINT and SIGTERM.
Input is the real Metavision bag where ../shared is present, a synthetic evt3 bag otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
import itertools
import json
from pathlib import Path
import signal
import threading
import time
from typing import Any

import numpy as np
import pytest

from checkout import ROOT, SHARED_DATA
import ros_helpers

ros_helpers.require_rclpy()

from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402, I100 (rclpy checked above)
from dvs_msgs.msg import Event, EventArray  # noqa: E402
from event_camera_msgs.msg import EventPacket  # noqa: E402
from rcl_interfaces.msg import Log  # noqa: E402
from rclpy.serialization import deserialize_message  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from vision_msgs.msg import Classification, Detection2DArray, LabelInfo  # noqa: E402

from asynet_benchmarks.ros_client import (  # noqa: E402
    BAD_OUTPUT,
    BEST_EFFORT,
    Client,
    DetectorProcess,
    diagnostic_values,
    LATCHED,
    output_latencies,
    play,
    Received,
    RELIABLE,
    settle,
    stamp_ns,
    until,
)
from asynet_ros.bag import EventBag  # noqa: E402
from asynet_tools.events import write_synthetic_bag  # noqa: E402

METAVISION = SHARED_DATA / 'bags' / 'metavision_evt3'
CLS_CHECKPOINT = ROOT / 'asynet_ros' / 'models' / 'synthetic_cls.pt'
EVENTS = '/event_camera/events'
FRAME = 'camera_under_test'

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp('ros')
    with ros_helpers.ros_session(tmp, ros_helpers.random_domain_id()) as e:
        yield e


@pytest.fixture(scope='module')
def client(env: dict[str, str]) -> Iterator[Client]:
    c = Client()
    yield c
    c.close()


@pytest.fixture(scope='module')
def packets(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The bag's EventPackets, deserialised by rclpy (the real bag when present)."""
    bag = METAVISION
    if not bag.is_dir():
        bag = tmp_path_factory.mktemp('bag') / 'bag'
        write_synthetic_bag(bag, seconds=1.0, seed=5)
    with EventBag(bag) as opened:
        topic = opened.pick_topic().name
        return [deserialize_message(bytes(raw), EventPacket)
                for *_, raw in opened.raw_messages([topic])]  # fmt: skip


@pytest.fixture
def start(env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    """Run detector processes with the given parameters; each is ended after the test."""
    procs: list[DetectorProcess] = []

    def _start(*params: str) -> DetectorProcess:
        proc = DetectorProcess(env, tmp_path / f'detector{len(procs)}.log', *params)
        procs.append(proc)
        return proc

    yield _start
    for proc in procs:
        proc.close()


def _bring_up(client: Client, proc: DetectorProcess) -> None:
    assert client.state() == 'unconfigured', proc.output()
    assert client.transition('configure'), proc.output()
    assert client.state() == 'inactive'
    assert client.transition('activate'), proc.output()
    assert client.state() == 'active'


def _assert_clean_exit(proc: DetectorProcess, sig: int) -> None:
    proc.signal(sig)
    rc = proc.wait(30)
    out = proc.output()
    assert rc == 0, out
    for bad in BAD_OUTPUT:
        assert bad not in out, out


def test_lifecycle_detections_label_info_and_diagnostics(
    client: Client, start: Any, packets: list[Any]
) -> None:
    proc = start(f'frame_id:={FRAME}', 'diagnostics_period_s:=0.5')
    detections = client.subscribe(Detection2DArray, '/asynet_detector/detections')
    diagnostics = client.subscribe(DiagnosticArray, '/diagnostics')
    _bring_up(client, proc)
    labels = client.subscribe(LabelInfo, '/asynet_detector/label_info', LATCHED)  # joins late
    until(lambda: len(labels.msgs) == 1, 30, 'no LabelInfo for a late subscriber')
    assert labels.msgs[0].header.frame_id == FRAME
    assert [c.class_name for c in labels.msgs[0].class_map]

    pub = client.publisher(EventPacket, EVENTS)
    client.wait_for_subscriber(pub)
    stamps = [stamp_ns(p.header) for p in packets]
    sent = play(pub, packets, rate=1.0, stamps_ns=stamps)
    settle(detections, quiet_s=2.0)
    got = detections.msgs
    assert len(got) > 0, proc.output()
    out_stamps = [stamp_ns(d.header) for d in got]
    assert all(b >= a for a, b in itertools.pairwise(out_stamps))
    assert {d.header.frame_id for d in got} == {FRAME}
    assert sum(len(d.detections) for d in got) > 0

    def counted() -> bool:
        return bool(diagnostics.msgs) and int(diagnostic_values(diagnostics)['messages']) > 0

    until(counted, 10, 'no diagnostics')
    time.sleep(1.2)  # one more diagnostics period after the last output
    values = diagnostic_values(diagnostics)
    received = int(values['received'])
    lost = int(values['lost_messages'])
    assert received + lost <= len(packets)
    assert int(values['undecodable_messages']) == 0
    _report_figures(packets, sent, stamps, detections, values)

    assert client.transition('deactivate')
    assert client.state() == 'inactive'
    before = len(got)
    play(pub, packets[:50], rate=0)
    time.sleep(1.0)
    assert len(detections.msgs) == before  # inactive: no output
    assert client.transition('cleanup')
    assert client.state() == 'unconfigured'
    assert client.transition('shutdown')
    assert client.state() == 'finalized'
    _assert_clean_exit(proc, signal.SIGTERM)


def _report_figures(packets: list[Any], sent: list[float], stamps: list[int],
                    outputs: Received, values: dict[str, str]) -> None:  # fmt: skip
    """Print the figures; latency: from the publish of the packet an output is stamped with."""
    latencies = output_latencies(stamps, sent, outputs)
    figures = {
        'packets_published': len(packets),
        'packets_received': int(values['received']),
        'lost_messages': int(values['lost_messages']),
        'seq_gaps': int(values['seq_gaps']),
        'time_resets': int(values['time_resets']),
        'dropped_queue_full': int(values['dropped_queue_full']),
        'detection_messages': len(outputs.msgs),
        'outputs_matched_to_a_packet': len(latencies),
        'latency_ms_p50': round(float(np.percentile(latencies, 50)) * 1e3, 2),
        'latency_ms_p99': round(float(np.percentile(latencies, 99)) * 1e3, 2),
    }
    print('node figures (real rclpy, 1x):', json.dumps(figures))


def test_parameter_services(client: Client, start: Any) -> None:
    proc = start(f'frame_id:={FRAME}')
    _bring_up(client, proc)
    labels = client.subscribe(LabelInfo, '/asynet_detector/label_info', LATCHED)
    until(lambda: len(labels.msgs) == 1, 30, 'no LabelInfo')

    (ok,) = client.set_parameters({'score_threshold': 0.5})
    assert ok.successful, ok.reason
    until(lambda: len(labels.msgs) == 2, 10, 'LabelInfo not re-sent after a threshold change')
    assert labels.msgs[1].threshold == pytest.approx(0.5)
    assert labels.msgs[1].header.frame_id == FRAME

    (bad_type,) = client.set_parameters({'score_threshold': 'high'})
    assert not bad_type.successful
    assert 'score_threshold must be of type float' in bad_type.reason
    (out_of_range,) = client.set_parameters({'score_threshold': 1.5})
    assert not out_of_range.successful
    assert 'must be in [0, 1]' in out_of_range.reason
    (bad_choice,) = client.set_parameters({'mode': 'fastest'})
    assert not bad_choice.successful
    assert "must be one of ['async', 'recompute', 'adaptive']" in bad_choice.reason
    (undeclared,) = client.set_parameters({'no_such_parameter': 1})
    assert not undeclared.successful
    (kept, mode) = client.get_parameters(['score_threshold', 'mode'])
    assert kept.double_value == pytest.approx(0.5)
    assert mode.string_value == 'adaptive'
    (described,) = client.describe_parameters(['input_qos_depth'])
    assert 'best effort' in described.description
    _assert_typed_descriptors(client)
    (an_int,) = client.set_parameters({'score_threshold': 1})  # an int for a float
    assert an_int.successful, an_int.reason
    assert client.get_parameters(['score_threshold'])[0].double_value == 1.0
    _assert_clean_exit(proc, signal.SIGINT)


def test_a_change_only_a_transition_applies_is_refused_while_it_holds(
    client: Client, start: Any
) -> None:
    """Configure-time parameters are read-only until cleanup, activate-time ones until deactivate.

    Before, such a change was accepted while configured and silently not applied.
    """
    proc = start()
    _bring_up(client, proc)
    (mode,) = client.set_parameters({'mode': 'recompute'})
    assert not mode.successful
    assert 'mode is applied at configure: read-only until cleanup' in mode.reason
    (topic,) = client.set_parameters({'input_topic': '/other'})
    assert not topic.successful
    assert 'input_topic is applied at activate: read-only until deactivate' in topic.reason
    (same,) = client.set_parameters({'mode': 'adaptive'})  # unchanged: `ros2 param load`
    assert same.successful, same.reason
    (dynamic,) = client.set_parameters({'iou_threshold': 0.4})
    assert dynamic.successful, dynamic.reason
    assert client.transition('deactivate')
    (topic,) = client.set_parameters({'input_topic': EVENTS})
    assert topic.successful, topic.reason
    (mode,) = client.set_parameters({'mode': 'recompute'})
    assert not mode.successful  # still configured
    assert client.transition('cleanup')
    (mode,) = client.set_parameters({'mode': 'recompute'})
    assert mode.successful, mode.reason
    (described,) = client.describe_parameters(['checkpoint'])
    assert 'read-only from configure to cleanup' in described.additional_constraints
    _assert_clean_exit(proc, signal.SIGINT)


def _assert_typed_descriptors(client: Client) -> None:
    """``ros2 param describe`` shows types, ranges and when a change applies."""
    from rcl_interfaces.msg import ParameterType

    score, queue, mode, period = client.describe_parameters(
        ['score_threshold', 'queue_size', 'mode', 'diagnostics_period_s']
    )
    assert (score.type, queue.type) == (ParameterType.PARAMETER_DOUBLE,
                                        ParameterType.PARAMETER_INTEGER)  # fmt: skip
    assert (mode.type, period.type) == (ParameterType.PARAMETER_STRING,
                                        ParameterType.PARAMETER_DOUBLE)  # fmt: skip
    assert not any(d.dynamic_typing for d in (score, queue, mode, period))
    (unit,) = score.floating_point_range
    assert (unit.from_value, unit.to_value) == (0.0, 1.0)
    assert queue.integer_range[0].from_value == 1
    assert "one of ['async', 'recompute', 'adaptive']" in mode.additional_constraints
    assert 'applied at once' in score.additional_constraints
    assert 'applied at configure' in queue.additional_constraints


@pytest.mark.parametrize('state', ['unconfigured', 'inactive', 'active'])
def test_shutdown_from_every_state_releases_everything(
    client: Client, start: Any, state: str
) -> None:
    proc = start('diagnostics_period_s:=0.2')
    diagnostics = client.subscribe(DiagnosticArray, '/diagnostics')
    assert client.state() == 'unconfigured', proc.output()
    if state != 'unconfigured':
        assert client.transition('configure')
    if state == 'active':
        assert client.transition('activate')
        until(lambda: len(diagnostics.msgs) > 0, 10, 'no diagnostics while active')
    transition = {'unconfigured': 'shutdown', 'inactive': 'inactive_shutdown',
                  'active': 'active_shutdown'}[state]  # fmt: skip
    assert client.transition(transition), proc.output()
    assert client.state() == 'finalized'
    time.sleep(0.5)  # in flight before the transition
    count = len(diagnostics.msgs)
    time.sleep(1.5)  # 7 diagnostics periods
    assert len(diagnostics.msgs) == count, 'diagnostics still published after shutdown'
    _assert_clean_exit(proc, signal.SIGINT)


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_signal_while_streaming_exits_zero_without_publishing_after_shutdown(
    client: Client, start: Any, packets: list[Any], sig: int
) -> None:
    proc = start('diagnostics_period_s:=0.05')
    detections = client.subscribe(Detection2DArray, '/asynet_detector/detections')
    _bring_up(client, proc)
    pub = client.publisher(EventPacket, EVENTS)
    client.wait_for_subscriber(pub)
    stop = threading.Event()

    def stream() -> None:
        while not stop.is_set():
            play(pub, packets[:100], rate=0)

    feeder = threading.Thread(target=stream, daemon=True)
    feeder.start()
    try:
        until(lambda: len(detections.msgs) > 3, 30, 'no detections before the signal')
        _assert_clean_exit(proc, sig)
    finally:
        stop.set()
        feeder.join(10)


def test_classification_dvs_input_and_debug_image(
    client: Client, start: Any, packets: list[Any]
) -> None:
    proc = start(f'checkpoint:={CLS_CHECKPOINT}', 'message_type:=dvs_msgs/msg/EventArray',
                 'debug_image:=true', 'update_every_events:=2000',
                 'input_topic:=/dvs/events')  # fmt: skip
    out = client.subscribe(Classification, '/asynet_detector/classification')
    images = client.subscribe(Image, '/asynet_detector/debug_image', BEST_EFFORT)
    _bring_up(client, proc)
    pub = client.publisher(EventArray, '/dvs/events')
    client.wait_for_subscriber(pub)
    arrays = _event_arrays(n_msgs=20, per_msg=500)
    play(pub, arrays, rate=1.0, stamps_ns=[stamp_ns(a.header) * 20 for a in arrays])  # ~0.2 s
    until(lambda: len(out.msgs) >= 2 and len(images.msgs) >= 1, 60,
          'no classification or debug image for dvs_msgs input')  # fmt: skip
    first = out.msgs[0]
    assert first.header.frame_id == 'dvs'
    scores = [r.score for r in first.results]
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) == pytest.approx(1.0, abs=1e-3)
    image = images.msgs[0]
    assert (image.width, image.height, image.encoding) == (120, 100, 'rgb8')
    assert len(image.data) == 120 * 100 * 3
    _assert_clean_exit(proc, signal.SIGINT)


def _event_arrays(n_msgs: int, per_msg: int) -> list[Any]:
    """dvs_msgs/EventArray messages of a 120x100 sensor with random events, time increasing."""
    rng = np.random.default_rng(11)
    arrays = []
    t_us = 1_000_000
    for _ in range(n_msgs):
        msg = EventArray(width=120, height=100)
        msg.header.frame_id = 'dvs'
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(t_us * 1000, 1_000_000_000)
        for _ in range(per_msg):
            t_us += int(rng.integers(0, 20))
            sec, nsec = divmod(t_us * 1000, 1_000_000_000)
            event = Event(x=int(rng.integers(0, 120)), y=int(rng.integers(0, 100)),
                          polarity=bool(rng.integers(0, 2)))  # fmt: skip
            event.ts.sec, event.ts.nanosec = sec, nsec
            msg.events.append(event)
        arrays.append(msg)
    return arrays


def test_configure_and_activate_failures_are_reported_and_recoverable(
    client: Client, start: Any, tmp_path: Path
) -> None:
    missing = tmp_path / 'missing.pt'
    proc = start(f'checkpoint:={missing}')
    assert client.state() == 'unconfigured', proc.output()
    assert not client.transition('configure')
    assert client.state() == 'unconfigured'
    until(lambda: 'configure failed' in proc.output(), 10, 'configure failure not logged')
    assert str(missing) in proc.output()

    results = client.set_parameters({'checkpoint': '', 'input_topic': 'not a valid topic!'})
    assert all(r.successful for r in results), [r.reason for r in results]
    assert client.transition('configure'), proc.output()
    assert not client.transition('activate')
    assert client.state() == 'inactive'
    until(lambda: 'activate failed' in proc.output(), 10, 'activate failure not logged')
    (ok,) = client.set_parameters({'input_topic': EVENTS})
    assert ok.successful
    assert client.transition('activate'), proc.output()
    assert client.state() == 'active'
    _assert_clean_exit(proc, signal.SIGINT)


def test_gaps_undecodable_messages_and_warnings_reach_diagnostics_and_rosout(
    client: Client, start: Any, packets: list[Any]
) -> None:
    proc = start('diagnostics_period_s:=0.2')
    rosout = client.subscribe(Log, '/rosout', ros_helpers_rosout_qos())
    diagnostics = client.subscribe(DiagnosticArray, '/diagnostics')
    _bring_up(client, proc)
    pub = client.publisher(EventPacket, EVENTS)
    client.wait_for_subscriber(pub)
    kept = packets[:40] + packets[45:80]  # seq gap of 5 messages
    play(pub, kept, rate=0)
    time.sleep(0.2)
    pub.publish(b'\x00\x01\x00\x00garbage')  # serialised bytes that are no EventPacket

    def lost_and_undecodable() -> bool:
        if not diagnostics.msgs:
            return False
        values = diagnostic_values(diagnostics)
        return int(values['lost_messages']) >= 5 and int(values['undecodable_messages']) == 1

    until(lost_and_undecodable, 20, 'gap or undecodable message not counted in diagnostics')
    values = diagnostic_values(diagnostics)
    assert int(values['seq_gaps']) >= 1
    assert diagnostics.msgs[-1].status[0].level == b'\x01'  # WARN
    until(lambda: any('lost before seq' in m.msg and m.name == 'asynet_detector'
                      for m in rosout.msgs), 20, 'pipeline warning not on /rosout')  # fmt: skip
    assert any('cannot be deserialised' in m.msg for m in rosout.msgs)
    _assert_clean_exit(proc, signal.SIGINT)


def ros_helpers_rosout_qos() -> Any:
    """/rosout's QoS (reliable, transient local, depth 1000)."""
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)  # fmt: skip


def _one_round(client: Client, packets: list[Any], outputs: Received) -> list[Any] | None:
    """Bring the node up, feed each packet after the previous one's output, tear down.

    The outputs; None where one never came (a message lost to discovery: the
    node's publisher may not yet have matched our subscription when it published).
    """
    assert client.transition('configure')
    assert client.transition('activate')
    pub = client.publisher(EventPacket, EVENTS, RELIABLE)
    client.wait_for_subscriber(pub)
    client.wait_for_publisher(outputs)
    settle(outputs, quiet_s=0.5)  # nothing late from an earlier round
    start = len(outputs.msgs)
    complete = True
    for i, packet in enumerate(packets, 1):  # one at a time: no queue merges, no drops
        pub.publish(packet)
        try:
            until(lambda i=i: len(outputs.msgs) - start >= i, 10, f'no output for packet {i}')
        except TimeoutError:
            complete = False
            break
    client.node.destroy_publisher(pub)
    assert client.transition('deactivate')
    assert client.transition('cleanup')
    # The messages themselves: their serialised bytes hold CDR padding that rclpy leaves
    # uninitialised (between a class name and the float64 score), so equal outputs could differ.
    return list(outputs.msgs[start:]) if complete else None


def _one_at_a_time(client: Client, packets: list[Any], outputs: Received) -> list[Any]:
    """One full round from a fresh configure; a round that lost a message is run again."""
    for _ in range(3):
        result = _one_round(client, packets, outputs)
        if result is not None:
            return result
    raise AssertionError('three rounds in a row lost an output')


def test_cleanup_releases_and_a_restart_gives_byte_identical_outputs(
    client: Client, start: Any, packets: list[Any]
) -> None:
    proc = start('update_every_events:=0', 'update_every_us:=0')  # one output per packet
    detections = client.subscribe(Detection2DArray, '/asynet_detector/detections')
    first = _one_at_a_time(client, packets[:20], detections)
    assert client.state() == 'unconfigured'
    second = _one_at_a_time(client, packets[:20], detections)
    assert len(first) == 20
    assert second == first  # stamps included
    _assert_clean_exit(proc, signal.SIGINT)


def test_startup_values_other_nodes_parameters_and_an_int_for_a_float(
    client: Client, start: Any
) -> None:
    proc = start('diagnostics_period_s:=2', 'use_sim_time:=false')  # int for a float
    assert client.state() == 'unconfigured', proc.output()
    (sim,) = client.set_parameters({'use_sim_time': False})  # not ours: left to rclpy
    assert sim.successful
    assert client.transition('configure'), proc.output()
    _assert_clean_exit(proc, signal.SIGINT)


def test_configure_refuses_a_bad_value_given_at_startup(client: Client, start: Any) -> None:
    proc = start('queue_size:=0')  # as a bad launch override: declared, never checked by rclpy
    assert client.state() == 'unconfigured', proc.output()
    assert not client.transition('configure')
    until(lambda: 'queue_size must be >= 1, got 0' in proc.output(), 10, 'reason not logged')
    assert client.state() == 'unconfigured'
    _assert_clean_exit(proc, signal.SIGINT)


def test_asynet_detect_ros_transport_applies_its_options_and_comes_up_active(
    client: Client, env: dict[str, str], tmp_path: Path, packets: list[Any]
) -> None:
    import subprocess
    import sys

    detections = client.subscribe(Detection2DArray, '/det_cli/detections')
    log = (tmp_path / 'detect.log').open('w', encoding='utf-8')
    script = Path(sys.executable).with_name('asynet-detect')
    cmd = [str(script), '--transport', 'ros', '--input', '/cli/events', '--frame-id', 'cli_frame',
           '--node-name', 'det_cli', '--score-threshold', '0.2']  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        until(lambda: _state_or_none(client, '/det_cli') == 'active', 60, 'not active by itself')
        (threshold,) = client.get_parameters(['score_threshold'], node='/det_cli')
        assert threshold.double_value == pytest.approx(0.2)
        pub = client.publisher(EventPacket, '/cli/events')
        client.wait_for_subscriber(pub)
        play(pub, packets[:60], rate=0)
        until(lambda: len(detections.msgs) > 0, 30, 'no detections from asynet-detect')
        assert {d.header.frame_id for d in detections.msgs} == {'cli_frame'}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    out = (tmp_path / 'detect.log').read_text(encoding='utf-8')
    assert not any(bad in out for bad in BAD_OUTPUT), out


def test_asynet_detect_ros_transport_exits_1_when_the_node_cannot_come_up(
    env: dict[str, str], tmp_path: Path
) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).with_name('asynet-detect')
    missing = tmp_path / 'none.pt'
    result = subprocess.run([str(script), '--transport', 'ros', '--checkpoint', str(missing)],
                            env=env, capture_output=True, text=True, timeout=120,
                            check=False)  # fmt: skip
    assert result.returncode == 1
    assert str(missing) in result.stderr + result.stdout


def _state_or_none(client: Client, node: str) -> str | None:
    try:
        return client.state(node)
    except TimeoutError:
        return None
