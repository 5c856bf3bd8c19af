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

"""The Cyclone DDS transport on loopback: exchanges with a child process, in-process behaviour.

Bag playback by ``asynet-play`` in a child process, reliable and latched exchanges, padding,
endpoint errors and the graph's node announcement. Every test talks over the loopback interface
only (unicast discovery, see ``asynet_ros.dds.config``), on a random domain id per run, and waits
for discovery by polling matched endpoints rather than sleeping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import json
import logging
from pathlib import Path
import time
from typing import Any

import numpy as np
import pytest
from rosbags.rosbag2 import Reader, StoragePlugin, Writer

from asynet_ros.dds import (
    DdsGraph,
    DEFAULT,
    LATCHED,
    NodeNameError,
    QosProfile,
    TopicNameError,
    TransportError,
    TypeMappingError,
)
from asynet_ros.dds.discovery import default_node_name
from asynet_ros.interfaces import typestore
from dds_helpers import (
    collect,
    finish,
    HELPER,
    loopback_session,
    random_domain_id,
    read_line,
    spawn,
)

EVENT_PACKET = 'event_camera_msgs/msg/EventPacket'
DETECTIONS = 'vision_msgs/msg/Detection2DArray'
LABEL_INFO = 'vision_msgs/msg/LabelInfo'
# A BEST_EFFORT reader deep enough to hold a whole test bag untaken.
EVENTS_READER = QosProfile(reliable=False, transient_local=False, depth=1000)


@pytest.fixture(scope='module')
def domain_id() -> int:
    return random_domain_id()


@pytest.fixture(scope='module')
def env(tmp_path_factory: pytest.TempPathFactory, domain_id: int) -> Iterator[dict[str, str]]:
    """Loopback Cyclone config for this process (before any participant) and its children."""
    with loopback_session(tmp_path_factory.mktemp('dds'), domain_id) as child_env:
        yield child_env


@pytest.fixture
def graph(env: dict[str, str], domain_id: int) -> Iterator[DdsGraph]:
    with DdsGraph(domain_id) as result:
        yield result


def bag_messages(bag: Path) -> list[bytes]:
    with Reader(bag) as reader:
        return [bytes(raw) for _, _, raw in reader.messages()]


def bag_positions(received: list[bytes], sent: list[bytes]) -> list[int]:
    """Index in ``sent`` of each received message (-1: equal to none of them)."""
    index = {data: i for i, data in enumerate(sent)}
    assert len(index) == len(sent), 'the bag holds duplicate messages'
    return [index.get(data, -1) for data in received]


def play_args(bag: Path, domain_id: int, *extra: str) -> list[str]:
    return ['-m', 'asynet_ros.dds.play', str(bag), '--domain-id', str(domain_id),
            '--wait-subscribers', '10', '--start-delay', '0.5', *extra]  # fmt: skip


def test_playing_the_evt3_bag_delivers_its_bytes_in_order(
    graph: DdsGraph, env: dict[str, str], domain_id: int, real_bag: Callable[[str], Path]
) -> None:
    bag = real_bag('metavision_evt3')
    sent = bag_messages(bag)
    sub = graph.subscription('/event_camera/events', EVENT_PACKET, EVENTS_READER)
    # twice the recorded rate (~1 s): at rate 0 a loaded 2-core machine drops best-effort
    # datagrams in the receive socket (316/517 arrived in one CI run)
    proc = spawn(play_args(bag, domain_id, '--rate', '2'), env)
    assert sub.wait_for_matched(1, 10.0), 'the player never matched'
    received = collect(sub, len(sent), proc)
    code, out, err = finish(proc)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary['messages'] == len(sent) == 517
    assert summary['bytes'] == sum(map(len, sent))
    assert summary['topics'] == {'/event_camera/events': 517}
    positions = bag_positions(received, sent)
    assert -1 not in positions, 'a received message differs from every bag message'
    assert positions == sorted(set(positions))  # order kept, no duplicates
    assert len(received) >= 0.9 * len(sent), f'best effort lost too much: {len(received)}/517'


def test_the_legacy_event_array_bag_is_published_as_event_packet(
    graph: DdsGraph, env: dict[str, str], domain_id: int, real_bag: Callable[[str], Path]
) -> None:
    bag = real_bag('legacy_mono')
    sent = bag_messages(bag)
    sub = graph.subscription('/event_camera/events', EVENT_PACKET, EVENTS_READER)
    proc = spawn(play_args(bag, domain_id, '--rate', '0'), env)
    assert sub.wait_for_matched(1, 10.0)
    received = collect(sub, len(sent), proc)
    code, _, err = finish(proc)
    assert code == 0, err
    assert received == sent
    packet = graph.typestore.deserialize_cdr(received[0], EVENT_PACKET)
    assert packet.encoding == 'mono'


def detection_array(ts: Any, i: int) -> Any:
    t = ts.types
    header = t['std_msgs/msg/Header'](
        stamp=t['builtin_interfaces/msg/Time'](sec=i, nanosec=1000 * i), frame_id='événements'
    )
    pose = t['geometry_msgs/msg/PoseWithCovariance'](
        pose=t['geometry_msgs/msg/Pose'](
            position=t['geometry_msgs/msg/Point'](x=0.0, y=0.0, z=0.0),
            orientation=t['geometry_msgs/msg/Quaternion'](x=0.0, y=0.0, z=0.0, w=1.0),
        ),
        covariance=np.arange(36, dtype=np.float64),
    )
    detections = [
        t['vision_msgs/msg/Detection2D'](
            header=header,
            results=[
                t['vision_msgs/msg/ObjectHypothesisWithPose'](
                    hypothesis=t['vision_msgs/msg/ObjectHypothesis'](class_id='car', score=0.5),
                    pose=pose,
                )
            ],
            bbox=t['vision_msgs/msg/BoundingBox2D'](
                center=t['vision_msgs/msg/Pose2D'](
                    position=t['vision_msgs/msg/Point2D'](x=10.0 + k, y=20.0), theta=0.0
                ),
                size_x=4.0,
                size_y=6.0,
            ),
            id=str(k),
        )
        for k in range(i % 4)
    ]
    return t[DETECTIONS](header=header, detections=detections)


def label_info(ts: Any) -> Any:
    t = ts.types
    header = t['std_msgs/msg/Header'](
        stamp=t['builtin_interfaces/msg/Time'](sec=1, nanosec=2), frame_id='camera'
    )
    classes = [t['vision_msgs/msg/VisionClass'](class_id=i, class_name=n)
               for i, n in enumerate(['car', 'piéton', '🚲'])]  # fmt: skip
    return t[LABEL_INFO](header=header, class_map=classes, threshold=0.25)


@pytest.fixture
def detection_bag(tmp_path: Path) -> tuple[Path, list[bytes]]:
    """An MCAP bag with 20 Detection2DArray messages (1 ms apart) and an unplayed LabelInfo."""
    ts = typestore()
    path = tmp_path / 'detections'
    sent = [bytes(ts.serialize_cdr(detection_array(ts, i), DETECTIONS)) for i in range(20)]
    with Writer(path, version=8, storage_plugin=StoragePlugin.MCAP) as writer:
        dets = writer.add_connection('/detections', DETECTIONS, typestore=ts)
        labels = writer.add_connection('/labels', LABEL_INFO, typestore=ts)
        writer.write(labels, 1_000_000, bytes(ts.serialize_cdr(label_info(ts), LABEL_INFO)))
        for i, raw in enumerate(sent):
            writer.write(dets, 2_000_000 + i * 1_000_000, raw)
    return path, sent


def test_a_reliable_detection_stream_arrives_complete(
    graph: DdsGraph, env: dict[str, str], domain_id: int, detection_bag: tuple[Path, list[bytes]]
) -> None:
    path, sent = detection_bag
    sub = graph.subscription('/detections', DETECTIONS, QosProfile(True, False, 100))
    proc = spawn(play_args(path, domain_id, '--topic', '/detections', '--rate', '1'), env)
    assert sub.wait_for_matched(1, 10.0)
    received = collect(sub, len(sent), proc)
    code, out, err = finish(proc)
    assert code == 0, err
    assert json.loads(out)['topics'] == {'/detections': 20}
    assert received == sent  # RELIABLE: all of them, in order, byte for byte


def test_a_late_joiner_gets_the_latched_label_info(
    graph: DdsGraph, env: dict[str, str], domain_id: int
) -> None:
    cdr = bytes(graph.typestore.serialize_cdr(label_info(graph.typestore), LABEL_INFO))
    args = [str(HELPER), '--domain-id', str(domain_id), '--topic', '/asynet/label_info',
            '--type', LABEL_INFO, '--qos', 'LATCHED', '--hex', cdr.hex()]  # fmt: skip
    proc = spawn(args, env)
    received: list[bytes] = []
    user_data: list[bytes] = []
    try:
        published = read_line(proc, 15.0) == 'published'
        if published:
            sub = graph.subscription('/asynet/label_info', LABEL_INFO, LATCHED)  # joins late
            if sub.wait_for_matched(1, 10.0):
                user_data = sub.matched_user_data()
                received = collect(sub, 1, timeout_s=10.0)
    finally:
        code, _, err = finish(proc)
    assert published, f'the publishing helper failed: {err}'
    assert code == 0, err
    assert received == [cdr]
    assert user_data == [f'typehash={graph.typestore.hash_rihs01(LABEL_INFO)};'.encode()]


def test_publish_and_take_in_process_strip_the_padding(graph: DdsGraph) -> None:
    ts = graph.typestore
    pub = graph.publisher('/local/detections', DETECTIONS, DEFAULT)
    sub = graph.subscription('/local/detections', DETECTIONS, DEFAULT)
    assert pub.wait_for_matched(1, 5.0)
    assert sub.wait_for_matched(1, 5.0)
    payloads = []
    for n in range(4):  # every length mod 4: the options field carries the pad count
        msg = detection_array(ts, 1)
        msg.detections[0].id = 'x' * n  # the last field
        payloads.append(bytes(ts.serialize_cdr(msg, DETECTIONS)))
    assert sorted(len(p) % 4 for p in payloads) == [0, 1, 2, 3]
    for payload in payloads:
        pub.publish(memoryview(payload))
    samples = []
    while len(samples) < len(payloads) and sub.wait(2.0):
        samples += sub.take_samples(16)
    assert [s.data for s in samples] == payloads
    assert all(s.source_timestamp_ns > 0 for s in samples)
    assert not sub.wait(0.0)
    assert sub.take() == []


def test_endpoint_errors_name_the_topic_and_type(graph: DdsGraph) -> None:
    with pytest.raises(TypeMappingError, match="unknown message type 'nope_msgs/msg/Nope'"):
        graph.publisher('/x', 'nope_msgs/msg/Nope')
    with pytest.raises(TopicNameError, match="invalid ROS topic name 'x'"):
        graph.subscription('x', LABEL_INFO)
    graph.publisher('/typed', LABEL_INFO)
    with pytest.raises(TransportError, match=f'topic /typed already has type {LABEL_INFO}'):
        graph.subscription('/typed', DETECTIONS)
    pub = graph.publisher('/raw', LABEL_INFO)
    with pytest.raises(TransportError, match=r'/raw \[vision_msgs/msg/LabelInfo\].*not a plain'):
        pub.publish(b'\x07\x00\x00\x00payload')


def test_graph_announces_its_node_and_endpoint_gids(graph: DdsGraph) -> None:
    assert graph.node.name == default_node_name()
    pub = graph.publisher('/gid_probe', DETECTIONS)
    sub = graph.subscription('/gid_probe', DETECTIONS)
    info = graph.node.message()
    assert bytes(info.gid.data) == graph.participant.guid.bytes
    (node,) = info.node_entities_info_seq
    assert [bytes(g.data) for g in node.writer_gid_seq] == [pub._writer.guid.bytes]
    assert [bytes(g.data) for g in node.reader_gid_seq] == [sub._reader.guid.bytes]
    assert all(len(g.data) == 16 for g in [info.gid, *node.writer_gid_seq])
    pub.close()
    sub.close()
    node = graph.node.message().node_entities_info_seq[0]
    assert (node.writer_gid_seq, node.reader_gid_seq) == ([], [])


@pytest.mark.parametrize(
    ('name', 'namespace'), [('a-b', '/'), ('1a', '/'), ('ok', 'rel'), ('ok', '/a/')]
)
def test_bad_node_names_are_refused(env: dict[str, str], name: str, namespace: str) -> None:
    with pytest.raises(NodeNameError, match='invalid ROS'):
        DdsGraph(node_name=name, namespace=namespace)


def test_playing_to_nobody_says_so(
    env: dict[str, str], domain_id: int, real_bag: Callable[[str], Path]
) -> None:
    """Before: asynet-play published to no reader and exited 0 without a word."""
    bag = real_bag('legacy_mono')
    proc = spawn(['-m', 'asynet_ros.dds.play', str(bag), '--domain-id', str(domain_id),
                  '--rate', '0', '--topic', '/event_camera/events'], env)  # fmt: skip
    code, out, err = finish(proc)
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])['subscribers'] == {'/event_camera/events': 0}
    assert (
        'asynet-play: published 2 messages on /event_camera/events but no subscriber matched'
        in err
    )


def test_writer_types_name_a_publisher_of_another_type(graph: DdsGraph) -> None:
    """A reader never matches a writer of another type and DDS says nothing: the graph can."""
    sub = graph.subscription('/typed/events', EVENT_PACKET, EVENTS_READER)
    with DdsGraph(graph.domain_id) as other:
        writer = other.publisher('/typed/events', 'dvs_msgs/msg/EventArray', DEFAULT)
        deadline = time.monotonic() + 10
        while 'dvs_msgs/msg/EventArray' not in graph.writer_types('/typed/events'):
            assert time.monotonic() < deadline, graph.writer_types('/typed/events')
            time.sleep(0.1)
        assert sub.matched_count() == 0
        assert writer.matched_count() == 0


def test_the_dds_detector_names_a_publisher_of_another_type(graph: DdsGraph) -> None:
    """Before: a detector reading EventPacket beside a dvs_msgs publisher got nothing, silently."""
    from asynet_ros import bundled_checkpoint
    from asynet_ros.cli.detect import DdsDetector
    from asynet_ros.pipeline import Pipeline

    pipeline = Pipeline.from_checkpoint(bundled_checkpoint('synthetic_det'))
    detector = DdsDetector(pipeline, '/mixed/events', EVENT_PACKET, domain_id=graph.domain_id)
    try:
        writer = graph.publisher('/mixed/events', 'dvs_msgs/msg/EventArray', DEFAULT)
        deadline = time.monotonic() + 10
        while not detector.graph.writer_types('/mixed/events'):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign]
        logger = logging.getLogger('asynet_ros.detect')
        logger.addHandler(handler)  # (launch_testing's loggers do not propagate to caplog)
        try:
            detector._check_writer_types()
            detector._check_writer_types()  # said once
        finally:
            logger.removeHandler(handler)
        said = [r.getMessage() for r in records if 'does not match' in r.getMessage()]
        assert said == [
            'a publisher on /mixed/events sends dvs_msgs/msg/EventArray but the detector reads '
            f'{EVENT_PACKET}: DDS does not match them and nothing arrives; pass --message-type '
            'dvs_msgs/msg/EventArray'
        ]
        assert detector.summary()['type_mismatches'] == ['dvs_msgs/msg/EventArray']
        assert writer.matched_count() == 0
    finally:
        detector.close()
