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

"""End-to-end latency of the live detector over Cyclone DDS on loopback.

Run::

    PYTHONPATH=. python -m benchmarks.dds_end_to_end [--bag BAG] [--rate 1.0] [--json OUT]

This process publishes the bag's EventPackets (best effort, as the drivers do) at the recorded
rate, ``asynet-detect --transport dds`` runs in a separate process with the bundled detector, and
this process subscribes to its Detection2DArray output. A detection's latency is its arrival time
minus the publish time of the newest packet whose header stamp is not after the detection's stamp
(the packet that completed it). Prints p50 / p99 / max in ms, outputs received and the detector's
own summary (arrival-to-publish latency, queue drops).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from asynet_ros import bundled_checkpoint
from asynet_ros.bag import EventBag
from asynet_ros.dds import qos
from asynet_ros.dds.config import use_loopback
from asynet_ros.dds.transport import DdsGraph

DEFAULT_BAG = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'bags' / 'metavision_evt3'
TOPIC = '/event_camera/events'
PACKET = 'event_camera_msgs/msg/EventPacket'


def _packets(bag: Path) -> list[tuple[int, int, bytes]]:
    """(bag time ns, header stamp ns, CDR) of every event message."""
    out = []
    with EventBag(bag) as opened:
        topic = opened.pick_topic()
        for _, _, t, raw in opened.raw_messages([topic.name]):
            stamp = opened.to_event_message(raw, PACKET).stamp_ns
            out.append((t, stamp, bytes(raw)))
    return out


def run(bag: Path, rate: float, domain_id: int) -> dict[str, object]:
    """Publish, detect, receive; return the figures."""
    packets = _packets(bag)
    env = dict(os.environ)
    use_loopback(Path(tempfile.mkdtemp()) / 'cyclone.xml', env)
    os.environ['CYCLONEDDS_URI'] = env['CYCLONEDDS_URI']
    cmd = [sys.executable, '-m', 'asynet_ros.cli.detect', '--transport', 'dds',
           '--domain-id', str(domain_id), '--checkpoint', str(bundled_checkpoint()),
           '--duration', '120']  # fmt: skip
    detector = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ts = None
    with DdsGraph(domain_id) as graph:
        ts = graph.typestore
        pub = graph.publisher(TOPIC, PACKET, qos.EVENTS_DRIVER)
        sub = graph.subscription('/asynet_detector/detections',
                                 'vision_msgs/msg/Detection2DArray', qos.DEFAULT)  # fmt: skip
        if not (pub.wait_for_matched(1, 60.0) and sub.wait_for_matched(1, 60.0)):
            detector.kill()
            raise RuntimeError('the detector did not come up within 60 s')
        time.sleep(0.5)
        sent_stamps: list[int] = []
        sent_at: list[float] = []
        arrivals: list[tuple[float, bytes]] = []
        start, t0 = time.perf_counter(), packets[0][0]
        for bag_t, stamp, raw in packets:
            if rate > 0:
                due = start + (bag_t - t0) / 1e9 / rate
                while (now := time.perf_counter()) < due:
                    if sub.wait(min(due - now, 0.002)):
                        arrivals += [(time.perf_counter(), r) for r in sub.take(256)]
            sent_stamps.append(stamp)
            sent_at.append(time.perf_counter())
            pub.publish(raw)
        end = time.perf_counter() + 3.0
        while time.perf_counter() < end:
            if sub.wait(0.05):
                arrivals += [(time.perf_counter(), r) for r in sub.take(256)]
    detector.send_signal(signal.SIGINT)
    out, _ = detector.communicate(timeout=60)
    latencies = []
    for arrived, raw in arrivals:
        msg = ts.deserialize_cdr(raw, 'vision_msgs/msg/Detection2DArray')
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        k = bisect.bisect_right(sent_stamps, stamp) - 1
        if k >= 0:
            latencies.append((arrived - sent_at[k]) * 1e3)
    lat = np.asarray(latencies)
    summary = json.loads(out.decode().strip().splitlines()[-1]) if out.strip() else {}
    return {
        'packets_sent': len(packets),
        'detections_received': len(arrivals),
        'latency_ms_p50': float(np.percentile(lat, 50)) if len(lat) else None,
        'latency_ms_p99': float(np.percentile(lat, 99)) if len(lat) else None,
        'latency_ms_max': float(lat.max()) if len(lat) else None,
        'rate': rate,
        'detector': summary,
    }


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--bag', type=Path, default=DEFAULT_BAG)
    p.add_argument('--rate', type=float, default=1.0)
    p.add_argument('--domain-id', type=int, default=77)
    p.add_argument('--json', type=Path)
    args = p.parse_args(argv)
    figures = run(args.bag, args.rate, args.domain_id)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + '\n', encoding='utf-8')
    return 0


if __name__ == '__main__':
    sys.exit(main())
