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

r"""A real rclpy node for the DDS interop tests, run as a child under any ROS 2 distro's Python.

It imports only rclpy and the message packages (no asynet_ros, no pytest), so the Kilted venv
runs it as well as ``.venv`` (Jazzy). Messages travel as CDR hex, so the test compares bytes::

    python test/helpers/rclpy_peer.py \
        --sub /event_camera/events event_camera_msgs/msg/EventPacket sensor \
        --expect /event_camera/events=20 --timeout 30
    python test/helpers/rclpy_peer.py \
        --pub /event_camera/events event_camera_msgs/msg/EventPacket FILE \
        --sub /asynet_detector/detections vision_msgs/msg/Detection2DArray reliable \
        --sub-late /asynet_detector/label_info vision_msgs/msg/LabelInfo latched --expect ...
    python test/helpers/rclpy_peer.py --graph asynet_detector,detect --timeout 20

``FILE`` holds one CDR hex string per line. Output: JSON lines ``{"ready": ...}``,
``{"topic": T, "cdr": HEX}`` per received message, ``{"graph": ...}`` and, last,
``{"done": {"received": ..., "matched": ...}}``. Publishing starts once a subscriber matched.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
import sys
import time
from typing import Any

import rclpy
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message, serialize_message

QOS = {
    'sensor': QoSProfile(
        history=HistoryPolicy.KEEP_LAST, depth=1000, reliability=ReliabilityPolicy.BEST_EFFORT
    ),
    'reliable': QoSProfile(depth=100),
    'latched': QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL),
}
_PUBLISH_PERIOD_S = 0.02


def message_class(name: str) -> Any:
    """The generated class of ``pkg/msg/Name``."""
    package, _, short = name.split('/')
    return getattr(importlib.import_module(f'{package}.msg'), short)


def emit(**record: Any) -> None:
    """Print one JSON line."""
    print(json.dumps(record), flush=True)


class Peer:
    """The node, its endpoints and what it received."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.node = rclpy.create_node(args.name)
        self.received: dict[str, int] = {}
        self.subs: dict[str, Any] = {}
        self.pubs = []
        for topic, msgtype, path in args.pub:
            payloads = [bytes.fromhex(x) for x in Path(path).read_text().split()]
            cls = message_class(msgtype)
            msgs = [deserialize_message(p, cls) for p in payloads]
            self.pubs.append((self.node.create_publisher(cls, topic, QOS['sensor']), msgs))
        for spec in args.sub:
            self.subscribe(*spec)

    def subscribe(self, topic: str, msgtype: str, qos: str) -> None:
        """Subscribe and print each message as CDR hex."""
        self.received.setdefault(topic, 0)

        def callback(msg: Any) -> None:
            self.received[topic] += 1
            emit(topic=topic, cdr=serialize_message(msg).hex())

        cls = message_class(msgtype)
        self.subs[topic] = self.node.create_subscription(cls, topic, callback, QOS[qos])

    def spin(self, seconds: float) -> None:
        """Process callbacks for about ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=max(0.0, deadline - time.monotonic()))

    def graph(self, candidates: str) -> dict[str, Any]:
        """What the ROS graph knows of the first present node of ``candidates`` (``a,b``)."""
        names = self.node.get_node_names_and_namespaces()
        present = [n for n in candidates.split(',') if (n, '/') in names]
        found = bool(present)
        name = present[0] if present else ''
        return {
            'nodes': sorted(f'{ns.rstrip("/")}/{n}' for n, ns in names),
            'found': found,
            'name': name,
            'publishers': self.node.get_publisher_names_and_types_by_node(name, '/')
            if found
            else [],
            'subscribers': self.node.get_subscriber_names_and_types_by_node(name, '/')
            if found
            else [],
        }


def run(args: argparse.Namespace) -> int:
    """Publish, subscribe and query as asked; 0 when every expectation was met in time."""
    expected = dict(item.split('=') for item in args.expect)
    rclpy.init()
    peer = Peer(args)
    emit(ready=True)
    deadline = time.monotonic() + args.timeout
    while any(pub.get_subscription_count() < 1 for pub, _ in peer.pubs):
        if time.monotonic() > deadline:
            break
        peer.spin(0.05)
    if peer.pubs:
        peer.spin(args.start_delay)
        emit(publishing={p.topic_name: p.get_subscription_count() for p, _ in peer.pubs})
    for pub, msgs in peer.pubs:
        for msg in msgs:
            pub.publish(msg)
            peer.spin(_PUBLISH_PERIOD_S)
    late_at = time.monotonic() + args.late_delay
    late = list(args.sub_late)
    graph: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if late and time.monotonic() >= late_at:
            for spec in late:
                peer.subscribe(*spec)
            late = []
        if args.graph and not graph.get('found'):
            graph = peer.graph(args.graph)
            if graph['found']:
                peer.spin(1.0)  # the node's endpoints may still be arriving
                graph = peer.graph(args.graph)
                emit(graph=graph)
        met = all(peer.received.get(t, 0) >= int(n) for t, n in expected.items())
        if met and not late and (not args.graph or graph.get('found')):
            break
        peer.spin(0.05)
    if args.graph and not graph.get('found'):
        emit(graph=graph)
    matched = {t: s.get_publisher_count() for t, s in peer.subs.items()}
    ok = all(peer.received.get(t, 0) >= int(n) for t, n in expected.items())
    emit(done={'received': peer.received, 'matched': matched, 'ok': ok})
    peer.node.destroy_node()
    rclpy.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--name', default='interop_peer')
    parser.add_argument('--pub', nargs=3, action='append', default=[], metavar=('T', 'TYPE', 'F'))
    parser.add_argument('--sub', nargs=3, action='append', default=[], metavar=('T', 'TYPE', 'Q'))
    parser.add_argument(
        '--sub-late', nargs=3, action='append', default=[], metavar=('T', 'TYPE', 'Q')
    )
    parser.add_argument('--late-delay', type=float, default=2.0)
    parser.add_argument('--start-delay', type=float, default=1.0)
    parser.add_argument('--expect', action='append', default=[], metavar='TOPIC=N')
    parser.add_argument(
        '--graph', metavar='NODE[,NODE]', help='report what the graph knows of the first NODE'
    )
    parser.add_argument('--timeout', type=float, default=30.0)
    return run(parser.parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
