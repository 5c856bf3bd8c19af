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

"""The detector node in a real ROS 2 graph on loopback: a bag played into it, outputs summarised.

    python -m asynet_benchmarks.ros_node_live BAG [--rate 1] [--checkpoint PT] [--json OUT]

Starts the ``detector`` console script as ``ros2 run`` would (``--ros-args --params-file``),
configures and activates it through its lifecycle services from an rclpy client, publishes the
bag's EventPackets best effort at ``--rate`` times their recorded pace, and reports what came
back: packets received and lost (the node's diagnostics), detections per class, latency from a
packet's publish to the output it completes (p50/p99), and the node's exit code on SIGINT. Fast
DDS on loopback only, in a domain of its own. ``make demo`` runs it on the synthetic bag.
"""

from __future__ import annotations

import argparse
from collections import Counter
import json
from pathlib import Path
import random
import signal
import sys
import tempfile
import time
from typing import Any

import numpy as np

from asynet_benchmarks.ros_env import ros_session


def run(bag: Path, rate: float, checkpoint: str, log_dir: Path) -> dict[str, Any]:
    """Play ``bag`` into a detector node; the summary (see the module docstring)."""
    from diagnostic_msgs.msg import DiagnosticArray
    from event_camera_msgs.msg import EventPacket
    from rclpy.serialization import deserialize_message
    from vision_msgs.msg import Detection2DArray, LabelInfo

    from asynet_benchmarks.ros_client import (
        Client,
        DetectorProcess,
        diagnostic_values,
        LATCHED,
        output_latencies,
        play,
        settle,
        stamp_ns,
        until,
    )
    from asynet_ros.bag import EventBag

    with EventBag(bag) as opened:
        topic = opened.pick_topic().name
        packets = [deserialize_message(bytes(raw), EventPacket)
                   for *_, raw in opened.raw_messages([topic])]  # fmt: skip
    domain = random.SystemRandom().randrange(1, 100)
    with ros_session(log_dir, domain) as env:
        params = ['diagnostics_period_s:=0.5', f'input_topic:={topic}']
        if checkpoint:
            params.append(f'checkpoint:={checkpoint}')
        proc = DetectorProcess(env, log_dir / 'detector.log', *params)
        client = Client('asynet_demo_client')
        try:
            detections = client.subscribe(Detection2DArray, '/asynet_detector/detections')
            diagnostics = client.subscribe(DiagnosticArray, '/diagnostics')
            steps = [(client.state(), 'start')]
            for transition in ('configure', 'activate'):
                if not client.transition(transition):
                    raise RuntimeError(f'{transition} failed:\n{proc.output()}')
                steps.append((client.state(), transition))
            labels = client.subscribe(LabelInfo, '/asynet_detector/label_info', LATCHED)
            until(lambda: bool(labels.msgs), 30, 'no LabelInfo')
            classes = [c.class_name for c in labels.msgs[0].class_map]
            pub = client.publisher(EventPacket, topic)
            client.wait_for_subscriber(pub)
            stamps = [stamp_ns(p.header) for p in packets]
            t0 = time.monotonic()
            sent = play(pub, packets, rate=rate, stamps_ns=stamps)
            play_s = time.monotonic() - t0
            settle(detections, quiet_s=1.5)
            time.sleep(0.6)  # one more diagnostics period
            values = diagnostic_values(diagnostics) if diagnostics.msgs else {}
            latencies = output_latencies(stamps, sent, detections)
        finally:
            client.close()
            proc.signal(signal.SIGINT)
            rc = proc.wait(30)
            proc.close()
    per_class = Counter(r.results[0].hypothesis.class_id
                        for d in detections.msgs for r in d.detections if r.results)  # fmt: skip
    return {
        'bag': str(bag),
        'classes': classes,
        'lifecycle': [f'{how} -> {state}' for state, how in steps],
        'rate': rate,
        'play_s': round(play_s, 3),
        'packets_published': len(packets),
        'packets_received': int(values.get('received', 0)),
        'lost_messages': int(values.get('lost_messages', 0)),
        'dropped_queue_full': int(values.get('dropped_queue_full', 0)),
        'detection_messages': len(detections.msgs),
        'detections': sum(per_class.values()),
        'detections_per_class': dict(per_class),
        'latency_ms_p50': _ms(latencies, 50),
        'latency_ms_p99': _ms(latencies, 99),
        'node_exit_code_on_sigint': rc,
    }


def _ms(latencies: list[float], q: float) -> float | None:
    return round(float(np.percentile(latencies, q)) * 1e3, 2) if latencies else None


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('bag', type=Path, help='rosbag2 folder with EventPackets')
    parser.add_argument('--rate', type=float, default=1.0, help='x recorded pace (0: at once)')
    parser.add_argument('--checkpoint', default='', help='checkpoint (default: bundled)')
    parser.add_argument('--json', type=Path, help='also write the summary here')
    args = parser.parse_args(argv)
    if not args.bag.is_dir():
        print(f'ros_node_live: not a rosbag2 folder: {args.bag}', file=sys.stderr)
        return 2
    try:
        import rclpy  # noqa: F401
    except ImportError as err:
        print(f'ros_node_live: needs ROS 2 (`make install` puts it into .venv): {err}',
              file=sys.stderr)  # fmt: skip
        return 2
    with tempfile.TemporaryDirectory(prefix='asynet_ros_live_') as tmp:
        summary = run(args.bag, args.rate, args.checkpoint, Path(tmp))
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + '\n', encoding='utf-8')
    return 0 if summary['node_exit_code_on_sigint'] == 0 and summary['detection_messages'] else 1


if __name__ == '__main__':
    sys.exit(main())
