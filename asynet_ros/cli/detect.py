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
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Any, TYPE_CHECKING

from asynet_core.cli import add_debug_option, run_command
from asynet_ros import bundled_checkpoint, params
from asynet_ros.event_message import EVENT_ARRAY_TYPE, EVENT_PACKET_TYPES
from asynet_ros.live import DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_SIZE, DROP_POLICIES
from asynet_ros.pipeline import limit_torch_threads

if TYPE_CHECKING:  # the pipeline imports torch: after the arguments are parsed
    from asynet_ros.pipeline import Pipeline

__all__ = ['DdsDetector', 'main']

_LOG = logging.getLogger('asynet_ros.detect')


class DdsDetector:
    """The detector on a Cyclone DDS graph: a subscription feeding a :class:`LiveDetector`.

    The publishers are the node's table (:func:`publishing.node_publishers`), ``~/`` being
    ``/<node_name>/``; the debug image only when asked for.

    Args:
        pipeline: the pipeline to run.
        input_topic: the ROS event topic.
        message_type: the ROS type of the event topic.
        node_name: outputs go to ``/<node_name>/...``.
        domain_id: DDS domain (default ``ROS_DOMAIN_ID`` or 0).
        frame_id: output frame id (empty: the input's).
        debug_image: also publish the annotated event frame.
        queue_size: live queue bound, messages.
        queue_bytes: live queue bound, payload bytes.
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
        queue_size: int = DEFAULT_QUEUE_SIZE,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
        drop: str = 'oldest',
    ) -> None:
        from asynet_ros.dds import qos
        from asynet_ros.dds.transport import DdsGraph
        from asynet_ros.live_detector import LiveDetector  # decoders and torch: only now
        from asynet_ros.publishing import node_publishers  # messages and PIL: only now

        self.graph = DdsGraph(domain_id, node_name=node_name)
        kinds = {'default': qos.DEFAULT, 'latched': qos.LATCHED, 'sensor': qos.SENSOR_DATA}
        base = f'/{node_name.strip("/")}/'
        self.pubs = {
            key: self.graph.publisher(topic.replace('~/', base), msgtype, kinds[kind])
            for key, (msgtype, topic, kind) in node_publishers(pipeline.task).items()
            if key != 'image' or debug_image
        }
        self._lock = threading.Lock()
        self.detector = LiveDetector(
            pipeline,
            self.graph.typestore,
            self._send,
            message_type=message_type,
            frame_id=frame_id,
            debug_image=debug_image,
            queue_size=queue_size,
            queue_bytes=queue_bytes,
            drop=drop,
        )
        # best effort matches the drivers; a bounded depth bounds what a stalled reader holds
        reader_qos = qos.QosProfile(reliable=False, transient_local=False, depth=100)
        self.sub = self.graph.subscription(input_topic, message_type, reader_qos)
        self.input_topic, self.message_type = input_topic, message_type
        self.received = 0
        self._type_checks = [2.0, 5.0, 10.0]  # seconds after start, while nothing arrived
        self._warned: set[str] = set()

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline the detector runs."""
        return self.detector.pipeline

    def _send(self, key: str, data: bytes) -> None:
        with self._lock:
            self.pubs[key].publish(data)

    def run(self, duration_s: float | None = None, stop: threading.Event | None = None) -> None:
        """Receive and process until ``duration_s`` passed or ``stop`` is set."""
        stop = stop or threading.Event()
        self.detector.send_label_info(time.time_ns())
        self.detector.start()
        started = time.monotonic()
        end = None if duration_s is None else started + duration_s
        next_diag = started + 1.0
        try:
            while not stop.is_set() and (end is None or time.monotonic() < end):
                if self.sub.wait(0.05):
                    for raw in self.sub.take(256):
                        self.received += 1
                        self.detector.offer_raw(raw)
                if self._type_checks and time.monotonic() - started >= self._type_checks[0]:
                    self._type_checks.pop(0)
                    self._check_writer_types()
                if time.monotonic() >= next_diag:
                    next_diag += 1.0
                    self.detector.send_diagnostics(time.time_ns())
            self.detector.runner.wait_idle(5.0)
        finally:
            self.detector.stop()

    def _check_writer_types(self) -> None:
        """Nothing arrived yet: say so when the topic's writers have another type (DDS won't)."""
        if self.received:
            self._type_checks.clear()
            return
        try:
            other = sorted(self.graph.writer_types(self.input_topic) - {self.message_type})
        except Exception as err:  # a diagnostic must never stop the detector
            self._type_checks.clear()
            _LOG.warning('cannot check the publishers of %s: %s', self.input_topic, err)
            return
        for msgtype in other:
            if msgtype not in self._warned:
                self._warned.add(msgtype)
                _LOG.warning(
                    'a publisher on %s sends %s but the detector reads %s: DDS does not match '
                    'them and nothing arrives; pass --message-type %s',
                    self.input_topic,
                    msgtype,
                    self.message_type,
                    msgtype,
                )

    def summary(self) -> dict[str, Any]:
        """Messages, outputs, latency percentiles (ms, latest outputs) and drops."""
        return {**self.detector.summary(), 'type_mismatches': sorted(self._warned)}

    def close(self) -> None:
        """Release the DDS participant."""
        self.graph.close()


#: The live queue's node parameters, taken as options checked as the node checks them.
_QUEUE_OPTIONS = ('queue_size', 'queue_bytes', 'drop_policy')


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
    p.add_argument('--duration', type=float, help='dds: stop after this many seconds')
    add_debug_option(p)
    params.add_options(p, (*params.PIPELINE_OPTIONS, *_QUEUE_OPTIONS))
    # The flag's name before it became the node parameter's (asynet-replay's --drop-policy).
    p.add_argument('--drop', dest='drop_policy', choices=DROP_POLICIES, help=argparse.SUPPRESS)
    return p


def _pipeline(args: argparse.Namespace) -> Pipeline:
    from asynet_ros.pipeline import Pipeline  # torch and spconv: only now

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
        'queue_bytes': args.queue_bytes,
        'drop_policy': args.drop_policy,
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
    parser = _parser()
    args = parser.parse_args(argv)
    if args.transport == 'ros' and args.duration is not None:
        parser.error(
            '--duration applies to --transport dds; the ROS 2 node runs until SIGINT, SIGTERM '
            'or a lifecycle shutdown'
        )
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s: %(message)s')
    return run_command('asynet-detect', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    if args.transport == 'ros':
        return _run_ros_node(args)
    stop = threading.Event()  # SIGINT and SIGTERM end the run after the current output
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    detector = DdsDetector(
        _pipeline(args),
        args.input,
        args.message_type,
        node_name=args.node_name,
        domain_id=args.domain_id,
        frame_id=args.frame_id,
        debug_image=args.debug_image,
        queue_size=args.queue_size,
        queue_bytes=args.queue_bytes,
        drop=args.drop_policy,
    )
    try:
        detector.run(args.duration, stop)
    finally:
        print(json.dumps(detector.summary()), flush=True)
        detector.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
