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

"""The ROS 2 lifecycle node: a thin rclpy adapter over :class:`asynet_ros.pipeline.Pipeline`.

Raw CDR events in (best effort, depth ``input_qos_depth``; the rosbag2 and DDS decoding path), a
:class:`LiveRunner`, serialised ``~/detections`` or ``~/classification``, ``~/label_info``,
``~/debug_image`` and ``/diagnostics`` out. Parameters: :mod:`asynet_ros.params`. The package's
Python log lines (pipeline, live queue) go to the node's logger, hence to ``/rosout``.

Shutdown (a lifecycle ``shutdown`` from any state, SIGINT or SIGTERM) stops the worker and
releases the subscription, the timer and the publishers before the context goes: nothing is
published after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import importlib
import logging
import signal
import sys
import threading
from typing import Any

from rcl_interfaces.msg import SetParametersResult
import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, State, TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    qos_profile_sensor_data,
    QoSProfile,
    ReliabilityPolicy,
)
from rclpy.signals import SignalHandlerOptions

from asynet_ros import bundled_checkpoint, params, publishing, ros_params
from asynet_ros.interfaces import typestore
from asynet_ros.live_detector import LiveDetector
from asynet_ros.pipeline import limit_torch_threads, Pipeline

__all__ = ['DetectorNode', 'RosLogHandler', 'main']

_OK, _FAIL = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE
_THRESHOLDS = ('score_threshold', 'iou_threshold', 'max_detections')
_LATCHED = QoSProfile(
    depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)
_QOS = {'default': 10, 'latched': _LATCHED, 'sensor': qos_profile_sensor_data}
#: Python loggers whose lines the node forwards to its own logger (and so to /rosout).
BRIDGED_LOGGERS = ('asynet_ros', 'asynet_core')


def _msg_class(name: str) -> Any:
    pkg, _, cls = name.split('/')
    return getattr(importlib.import_module(f'{pkg}.msg'), cls)


def _input_qos(depth: int) -> QoSProfile:
    """Best effort, as camera drivers publish, with a history that absorbs bursts."""
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=depth,
        reliability=ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.VOLATILE,
    )


class RosLogHandler(logging.Handler):
    """Forwards Python log records to an rclpy logger (the node's: stderr and /rosout)."""

    def __init__(self, ros_logger: Any) -> None:
        super().__init__()
        self.ros_logger = ros_logger

    def emit(self, record: logging.LogRecord) -> None:
        """Send the record at its level; a logger gone at shutdown only loses the line."""
        try:
            text = self.format(record)
            if record.levelno >= logging.ERROR:
                self.ros_logger.error(text)
            elif record.levelno >= logging.WARNING:
                self.ros_logger.warning(text)
            elif record.levelno >= logging.INFO:
                self.ros_logger.info(text)
            else:
                self.ros_logger.debug(text)
        except Exception:  # logging must never raise into the pipeline
            self.handleError(record)


class DetectorNode(LifecycleNode):
    """``asynet_detector``: events in, vision_msgs out (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('asynet_detector', **kwargs)
        # rclpy offers no public view of the startup values it is about to apply
        for reason in ros_params.declare_all(self, self._parameter_overrides):
            self.get_logger().error(f'startup value refused, configure will fail: {reason}')
        self.add_on_set_parameters_callback(self._on_set)
        self.ts = typestore()
        self.detector: LiveDetector | None = None  # from configure to cleanup
        self.pubs: dict[str, Any] = {}
        self.sub: Any = None  # and the timer: only while active
        self.timer: Any = None
        self._send_lock = threading.Lock()  # publishing vs. releasing the publishers
        self._log_handler = RosLogHandler(self.get_logger())
        for name in BRIDGED_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(self._log_handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False

    def values(self) -> dict[str, Any]:  # noqa: D102 (current parameter values by name)
        return {p.name: self.get_parameter(p.name).value for p in params.PARAMETERS}

    def set_parameters_atomically(self, parameter_list: list[Parameter]) -> SetParametersResult:
        """The table's check first (its reasons name the rule), then rclpy's; int for float."""
        checked, reason = ros_params.checked(parameter_list)
        if reason is not None:
            self.get_logger().warning(f'rejected parameter change: {reason}')
            return SetParametersResult(successful=False, reason=reason)
        return super().set_parameters_atomically(checked)

    def _on_set(self, changes: list[Any]) -> SetParametersResult:
        ours = {c.name: c.value for c in changes if params.spec(c.name) is not None}
        configured, active = self.detector is not None, self.sub is not None
        for name, value in ours.items():
            unchanged = value == self.get_parameter(name).value  # `ros2 param load` resends all
            reason = params.check(name, value) or (
                None
                if unchanged
                else ros_params.locked(name, configured=configured, active=active)
            )
            if reason is not None:
                self.get_logger().warning(f'rejected parameter change: {reason}')
                return SetParametersResult(successful=False, reason=reason)
        if (detector := self.detector) is not None:
            detector.frame_id = ours.get('frame_id', detector.frame_id)
            detector.debug_image = ours.get('debug_image', detector.debug_image)
            update = {k: v for k, v in ours.items() if k in _THRESHOLDS}
            if update:
                pipeline = detector.pipeline
                pipeline.config = pipeline.config.replace(**update)  # one swap of a frozen object
                detector.send_label_info(self.get_clock().now().nanoseconds)
        return SetParametersResult(successful=True)

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        """Check the parameters, load the checkpoint, build the pipeline and the publishers."""
        v = self.values()
        try:
            reasons = [r for r in (params.check(k, x) for k, x in v.items()) if r is not None]
            if reasons:
                raise ValueError('; '.join(reasons))
            limit_torch_threads()
            path = v['checkpoint'] or str(bundled_checkpoint())
            pipeline = Pipeline.from_checkpoint(path, values=v, device=v['device'])
            table = publishing.node_publishers(pipeline.task).items()
            with self._send_lock:
                self.pubs = {
                    k: self.create_lifecycle_publisher(_msg_class(t), topic, _QOS[q])
                    for k, (t, topic, q) in table
                }
        except Exception as err:  # rclpy would turn it into ERROR, unlogged
            self.get_logger().error(f'configure failed: {type(err).__name__}: {err}')
            self.on_cleanup(state)
            return _FAIL
        self.detector = LiveDetector(
            pipeline,
            self.ts,
            self._send,
            message_type=v['message_type'],
            name=self.get_name(),
            frame_id=v['frame_id'],
            debug_image=v['debug_image'],
            queue_size=v['queue_size'],
            queue_bytes=v['queue_bytes'],
            drop=v['drop_policy'],
        )
        self.get_logger().info(f'configured: {path} ({pipeline.task}), {pipeline.config}')
        return _OK

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        """Enable the publishers, publish the label info, subscribe, start the worker."""
        v = self.values()
        detector = self.detector
        if detector is None or super().on_activate(state) != _OK:
            return _FAIL
        try:
            detector.send_label_info(self.get_clock().now().nanoseconds)
            self.sub = self.create_subscription(
                _msg_class(detector.message_type),
                v['input_topic'],
                self._on_events,
                _input_qos(v['input_qos_depth']),
                raw=True,
            )
            self.timer = self.create_timer(v['diagnostics_period_s'], self._diagnostics)
            detector.start()
        except Exception as err:  # as in on_configure
            self.get_logger().error(f'activate failed: {type(err).__name__}: {err}')
            self.on_deactivate(state)
            return _FAIL
        return _OK

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        """Unsubscribe and stop the worker (the pipeline and its state are kept)."""
        self._stop_input()
        return super().on_deactivate(state)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        """Release the model, the queue and the publishers."""
        self._release_outputs()
        return _OK

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        """Release everything, from any state: nothing is received or published afterwards."""
        self.teardown()
        return _OK

    def teardown(self) -> None:
        """Stop input and worker, release the publishers (idempotent; also at process exit)."""
        self._stop_input()
        self._release_outputs()

    def destroy_node(self) -> None:
        """Tear down, detach the log bridge, destroy the node."""
        self.teardown()
        for name in BRIDGED_LOGGERS:
            logging.getLogger(name).removeHandler(self._log_handler)
        super().destroy_node()

    def _stop_input(self) -> None:
        for handle, destroy in (
            (self.sub, self.destroy_subscription),
            (self.timer, self.destroy_timer),
        ):
            if handle is not None:
                destroy(handle)
        self.sub = self.timer = None
        if self.detector is not None:
            self.detector.stop()

    def _release_outputs(self) -> None:
        with self._send_lock:  # a worker still finishing cannot publish into a released one
            for pub in self.pubs.values():
                self.destroy_lifecycle_publisher(pub)
            self.pubs, self.detector = {}, None

    def _on_events(self, raw: bytes) -> None:
        if (detector := self.detector) is not None:
            detector.offer_raw(raw)

    def _diagnostics(self) -> None:
        if (detector := self.detector) is not None:
            detector.send_diagnostics(self.get_clock().now().nanoseconds)

    def _send(self, key: str, data: bytes) -> None:
        with self._send_lock:
            pub = self.pubs.get(key)
            if pub is not None:
                pub.publish(data)


def _overrides(values: dict[str, Any]) -> list[Parameter]:
    return [Parameter(name, value=value) for name, value in values.items()]


def main(
    args: Sequence[str] | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    autostart: bool = False,
) -> int:
    """``ros2 run asynet_ros detector``: spin the node until SIGINT, SIGTERM or rclpy shutdown.

    Args:
        args: command line (default ``sys.argv``; ``--ros-args`` as usual).
        overrides: parameter values that take precedence over the command line's.
        autostart: configure and activate at once (``asynet-detect --transport ros``).

    Returns:
        0 on a clean shutdown, 1 when ``autostart`` could not bring the node up.
    """
    stop = threading.Event()
    # rclpy's own handlers would shut the context down under a publishing worker: ours only ask
    # the loop below to end, and the node is torn down before the context.
    rclpy.init(
        args=list(args) if args is not None else sys.argv,
        signal_handler_options=SignalHandlerOptions.NO,
    )
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    node = DetectorNode(parameter_overrides=_overrides(overrides or {}))
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    rc = 0
    try:
        if autostart and not _bring_up(node):
            rc = 1
            stop.set()
        while not stop.is_set() and rclpy.ok():
            executor.spin_once(timeout_sec=0.1)
    except ExternalShutdownException:
        pass
    finally:
        node.teardown()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return rc


def _bring_up(node: DetectorNode) -> bool:
    steps: tuple[Callable[[], Any], ...] = (node.trigger_configure, node.trigger_activate)
    for step in steps:
        if step() != _OK:
            node.get_logger().error(f'{step.__name__} failed: see the lines above')
            return False
    return True
