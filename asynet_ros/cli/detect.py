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

"""``asynet-detect``: the live detector without ROS 2 (Cyclone DDS) or with it (rclpy).

::

    asynet-detect --transport dds --input /event_camera/events --checkpoint C [--duration S]
    asynet-detect --transport ros   # the rclpy lifecycle node (needs a ROS 2 install)

Over DDS it joins a ROS 2 graph as rmw_cyclonedds does (``rt/`` topics, mangled type names,
plain CDR): it subscribes best-effort to the event topic and publishes, under the node name
(default ``asynet_detector``), ``detections`` or ``classification`` (reliable, depth 10),
``label_info`` (reliable, transient local), optionally ``debug_image``, and ``/diagnostics``
every second. It prints a JSON summary (messages, outputs, latency percentiles, drops) on exit.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

import numpy as np

from asynet_core.errors import AsynetError
from asynet_ros import bundled_checkpoint, messages, params, publishing
from asynet_ros.bag import cdr_to_event_message
from asynet_ros.event_message import EVENT_ARRAY_TYPE, EVENT_PACKET_TYPES
from asynet_ros.live import DROP_POLICIES, LiveRunner
from asynet_ros.pipeline import (
    limit_torch_threads,
    Pipeline,
    Result,
)
from asynet_ros.ratelimit import RateLimitedLog

__all__ = ['DdsDetector', 'main']

_LOG = logging.getLogger('asynet_ros.detect')
#: Output latencies kept for the summary's percentiles (the latest ones; ~17 min at 100 Hz).
LATENCY_SAMPLES = 100_000


class DdsDetector:
    """The detector on a Cyclone DDS graph: subscription -> :class:`LiveRunner` -> publishers.

    Args:
        pipeline: the pipeline to run.
        input_topic: the ROS event topic.
        message_type: the ROS type of the event topic.
        node_name: outputs go to ``/<node_name>/...``.
        domain_id: DDS domain (default ``ROS_DOMAIN_ID`` or 0).
        frame_id: output frame id (empty: the input's).
        debug_image: also publish the annotated event frame.
        queue_size: live queue bound.
        drop: live queue drop policy.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        input_topic: str,
        message_type: str = EVENT_PACKET_TYPES[0],
        *,
        node_name: str = 'asynet_detector',
        domain_id: int | None = None,
        frame_id: str = '',
        debug_image: bool = False,
        queue_size: int = 16,
        drop: str = 'oldest',
    ) -> None:
        from asynet_ros.dds import qos
        from asynet_ros.dds.transport import DdsGraph

        self.graph = DdsGraph(domain_id, node_name=node_name)
        self.factory = messages.RosbagsFactory(self.graph.typestore)
        self.pipeline = pipeline
        self.message_type = message_type
        self.frame_id = frame_id
        self.debug_image = debug_image
        # the latest outputs' latencies: a list would grow by one float per output, forever
        self.latencies_s: collections.deque[float] = collections.deque(maxlen=LATENCY_SAMPLES)
        self.log = RateLimitedLog(_LOG)
        self.rejected = 0
        base = f'/{node_name.strip("/")}'
        out_name = publishing.OUTPUT_TOPICS[pipeline.task]
        self.pubs = {
            'out': self.graph.publisher(
                f'{base}/{out_name}', messages.output_type(pipeline.task), qos.DEFAULT
            ),
            'labels': self.graph.publisher(f'{base}/label_info', messages.LABEL_INFO, qos.LATCHED),
            'diag': self.graph.publisher('/diagnostics', messages.DIAGNOSTIC_ARRAY, qos.DEFAULT),
        }
        if debug_image:
            self.pubs['image'] = self.graph.publisher(
                f'{base}/debug_image', messages.IMAGE, qos.SENSOR_DATA
            )
        # best effort matches the drivers; a bounded depth bounds what a stalled reader holds
        reader_qos = qos.QosProfile(reliable=False, transient_local=False, depth=100)
        self.sub = self.graph.subscription(input_topic, message_type, reader_qos)
        self.runner = LiveRunner(pipeline, self._publish, queue_size=queue_size, drop=drop)
        self._lock = threading.Lock()

    def _send(self, key: str, msgtype: str, msg: Any) -> None:
        data = self.graph.typestore.serialize_cdr(msg, msgtype)
        with self._lock:
            self.pubs[key].publish(data)

    def _publish(self, result: Result, latency_s: float) -> None:
        self.latencies_s.append(latency_s)
        for out in publishing.result_outputs(
            self.factory,
            self.pipeline,
            result,
            frame_id=self.frame_id,
            debug_image=self.debug_image,
        ):
            self._send(*out)

    def run(self, duration_s: float | None = None, stop: threading.Event | None = None) -> None:
        """Receive and process until ``duration_s`` passed or ``stop`` is set."""
        stop = stop or threading.Event()
        now_ns = time.time_ns()
        self._send(*publishing.label_info(self.factory, self.pipeline, now_ns, self.frame_id))
        self.runner.start()
        end = None if duration_s is None else time.monotonic() + duration_s
        next_diag = time.monotonic() + 1.0
        try:
            while not stop.is_set() and (end is None or time.monotonic() < end):
                if self.sub.wait(0.05):
                    for raw in self.sub.take(256):
                        self._offer(raw)
                if time.monotonic() >= next_diag:
                    next_diag += 1.0
                    self._diagnostics()
            self.runner.wait_idle(5.0)
        finally:
            self.runner.stop()

    def _offer(self, raw: bytes) -> None:
        try:
            msg = cdr_to_event_message(self.graph.typestore, raw, self.message_type)
        except AsynetError as err:
            self.rejected += 1
            self.log.warning('cdr', f'dropped message (counter rejected={self.rejected}): {err}')
            return
        self.runner.offer(msg)

    def _diagnostics(self) -> None:
        out = publishing.diagnostics(
            self.factory, 'asynet_detector', self.pipeline, self.runner.stats, time.time_ns()
        )
        self._send(*out)

    def summary(self) -> dict[str, Any]:
        """Messages, outputs, latency percentiles (ms, latest outputs) and drops."""
        lat = np.asarray(self.latencies_s) * 1e3
        stats = self.runner.stats
        return {
            'received': stats.received,
            'outputs': self.pipeline.counters.outputs,
            'events': self.pipeline.counters.events,
            'latency_ms_p50': float(np.percentile(lat, 50)) if len(lat) else None,
            'latency_ms_p99': float(np.percentile(lat, 99)) if len(lat) else None,
            'dropped_queue_full': stats.dropped_queue_full,
            'backlog_batches': stats.backlog_batches,
            'rejected': self.rejected,
            'counters': self.pipeline.counters.to_dict(),
        }

    def close(self) -> None:
        """Release the DDS participant."""
        self.graph.close()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='asynet-detect', description=__doc__.split('\n\n')[0])
    p.add_argument('--transport', choices=('dds', 'ros'), default='dds')
    p.add_argument('--input', default='/event_camera/events', help='event topic')
    p.add_argument(
        '--message-type',
        default=EVENT_PACKET_TYPES[0],
        choices=(EVENT_PACKET_TYPES[0], EVENT_ARRAY_TYPE),
    )
    p.add_argument('--checkpoint', help='checkpoint (.pt); default: the bundled demo detector')
    p.add_argument('--node-name', default='asynet_detector')
    p.add_argument('--domain-id', type=int, help='DDS domain (default: ROS_DOMAIN_ID or 0)')
    p.add_argument('--frame-id', default='', help='output frame id (default: the input one)')
    p.add_argument('--debug-image', action='store_true')
    p.add_argument('--queue-size', type=int, default=16)
    p.add_argument('--drop', choices=DROP_POLICIES, default='oldest')
    p.add_argument('--duration', type=float, help='stop after this many seconds')
    params.add_options(p)
    return p


def _pipeline(args: argparse.Namespace) -> Pipeline:
    limit_torch_threads()
    path = args.checkpoint or bundled_checkpoint()
    values = params.option_values(args)
    return Pipeline.from_checkpoint(path, values=values, device=values['device'])


def ros_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The node parameters the command line sets (``--transport ros``)."""
    return {
        'checkpoint': args.checkpoint or '',
        'input_topic': args.input,
        'message_type': args.message_type,
        'frame_id': args.frame_id,
        'debug_image': args.debug_image,
        'queue_size': args.queue_size,
        'drop_policy': args.drop,
        **params.option_values(args),
    }


def _run_ros_node(args: argparse.Namespace) -> int:
    """The rclpy lifecycle node with the command line's settings, configured and activated."""
    try:
        from asynet_ros.node import main as node_main
    except ImportError as err:
        print(f'asynet-detect: error: --transport ros needs ROS 2 (rclpy and the interface '
              f'packages; `make install` puts them into .venv): {err}',
              file=sys.stderr)  # fmt: skip
        return 2
    ros_args = ['asynet-detect', '--ros-args', '-r', f'__node:={args.node_name}']
    if args.domain_id is not None:
        os.environ['ROS_DOMAIN_ID'] = str(args.domain_id)
    return node_main(ros_args, overrides=ros_overrides(args), autostart=True)


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s: %(message)s')
    if args.transport == 'ros':
        return _run_ros_node(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        detector = DdsDetector(
            _pipeline(args),
            args.input,
            args.message_type,
            node_name=args.node_name,
            domain_id=args.domain_id,
            frame_id=args.frame_id,
            debug_image=args.debug_image,
            queue_size=args.queue_size,
            drop=args.drop,
        )
    except (AsynetError, OSError, ValueError) as err:
        print(f'asynet-detect: error: {err}', file=sys.stderr)
        return 2
    try:
        detector.run(args.duration, stop)
    finally:
        print(json.dumps(detector.summary()), flush=True)
        detector.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
