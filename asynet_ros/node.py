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

Raw CDR events in (sensor-data QoS; the rosbag2 and DDS decoding path), a :class:`LiveRunner`,
serialised ``~/detections`` or ``~/classification``, ``~/label_info``, ``~/debug_image`` and
``/diagnostics`` out. Parameters: :mod:`asynet_ros.params`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, State, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy

from asynet_core.errors import AsynetError
from asynet_core.models import load_checkpoint
from asynet_ros import bundled_checkpoint, messages, params, publishing
from asynet_ros.bag import cdr_to_event_message
from asynet_ros.interfaces import typestore
from asynet_ros.live import LiveRunner
from asynet_ros.pipeline import limit_torch_threads, Pipeline, Result, training_window

_OK, _FAIL = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE
_THRESHOLDS = ('score_threshold', 'iou_threshold', 'max_detections')
_LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)  # fmt: skip
_QOS = {'default': 10, 'latched': _LATCHED, 'sensor': qos_profile_sensor_data}


def _msg_class(name: str) -> Any:
    pkg, _, cls = name.split('/')
    return getattr(importlib.import_module(f'{pkg}.msg'), cls)


class DetectorNode(LifecycleNode):
    """``asynet_detector``: events in, vision_msgs out (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('asynet_detector', **kwargs)
        for spec in params.PARAMETERS:  # types are checked by params.check (1 for 1.0 is fine)
            descriptor = ParameterDescriptor(description=spec.description, dynamic_typing=True)
            self.declare_parameter(spec.name, spec.default, descriptor)
        self.add_on_set_parameters_callback(self._on_set)
        self.ts = typestore()
        self.factory = messages.RosbagsFactory(self.ts)
        self.runner: LiveRunner | None = None
        self.pubs: dict[str, Any] = {}
        self.sub: Any = None  # and the timer: only while active
        self.timer: Any = None

    def values(self) -> dict[str, Any]:  # noqa: D102 (current parameter values by name)
        return {p.name: self.get_parameter(p.name).value for p in params.PARAMETERS}

    def _on_set(self, changes: list[Any]) -> SetParametersResult:
        ours = [c for c in changes if c.name in params.defaults()]  # others: use_sim_time, ...
        for change in ours:
            reason = params.check(change.name, change.value)
            if reason is not None:
                self.get_logger().warning(f'rejected parameter change: {reason}')
                return SetParametersResult(successful=False, reason=reason)
        update = {c.name: c.value for c in ours if c.name in _THRESHOLDS}
        if update and self.runner is not None:
            pipeline = self.runner.pipeline
            pipeline.config = pipeline.config.replace(**update)  # one swap of a frozen object
            now = self.get_clock().now().nanoseconds
            self._send(*publishing.label_info(self.factory, pipeline, now, ''))
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
            loaded = load_checkpoint(path, map_location=v['device'])
            config = params.pipeline_config(v, training_window(loaded.extra))
            pipeline = Pipeline(loaded.model, loaded.config, config)
            table = publishing.node_publishers(pipeline.task).items()
            self.pubs = {k: self.create_lifecycle_publisher(_msg_class(t), topic, _QOS[q])
                         for k, (t, topic, q) in table}  # fmt: skip
        except Exception as err:  # rclpy would turn it into ERROR, unlogged
            self.get_logger().error(f'configure failed: {type(err).__name__}: {err}')
            self.on_cleanup(state)
            return _FAIL
        self.runner = LiveRunner(
            pipeline, self._publish, queue_size=v['queue_size'], drop=v['drop_policy']
        )
        self.get_logger().info(f'configured: {path} ({pipeline.task}), {config}')
        return _OK

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        """Enable the publishers, publish the label info, subscribe, start the worker."""
        v = self.values()
        if self.runner is None or super().on_activate(state) != _OK:
            return _FAIL
        try:
            now = self.get_clock().now().nanoseconds
            pipeline = self.runner.pipeline
            self._send(*publishing.label_info(self.factory, pipeline, now, v['frame_id']))
            self.msgtype = v['message_type']
            self.sub = self.create_subscription(_msg_class(self.msgtype), v['input_topic'],
                                                self._on_events, qos_profile_sensor_data,
                                                raw=True)  # fmt: skip
            self.timer = self.create_timer(v['diagnostics_period_s'], self._diagnostics)
            self.runner.start()
        except Exception as err:  # as in on_configure
            self.get_logger().error(f'activate failed: {type(err).__name__}: {err}')
            self.on_deactivate(state)
            return _FAIL
        return _OK

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        """Unsubscribe and stop the worker (the pipeline and its state are kept)."""
        for handle, destroy in ((self.sub, self.destroy_subscription),
                                (self.timer, self.destroy_timer)):  # fmt: skip
            if handle is not None:
                destroy(handle)
        self.sub = self.timer = None
        if self.runner is not None:
            self.runner.stop()
        return super().on_deactivate(state)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        """Release the model, the queue and the publishers."""
        for pub in self.pubs.values():
            self.destroy_lifecycle_publisher(pub)
        self.pubs, self.runner = {}, None
        return _OK

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        """Stop the worker."""
        if self.runner is not None:
            self.runner.stop()
        return _OK

    def _on_events(self, raw: bytes) -> None:
        try:
            msg = cdr_to_event_message(self.ts, raw, self.msgtype)
        except AsynetError as err:
            self.get_logger().warning(f'dropped message: {err}', throttle_duration_sec=5.0)
            return
        if self.runner is not None:
            self.runner.offer(msg)

    def _publish(self, result: Result, latency_s: float) -> None:
        v = self.values()
        if self.runner is not None:
            for out in publishing.result_outputs(self.factory, self.runner.pipeline, result,
                                                 frame_id=v['frame_id'],
                                                 debug_image=v['debug_image']):  # fmt: skip
                self._send(*out)

    def _diagnostics(self) -> None:
        if (runner := self.runner) is not None:
            now = self.get_clock().now().nanoseconds
            self._send(*publishing.diagnostics(self.factory, self.get_name(), runner.pipeline,
                                               runner.stats, now))  # fmt: skip

    def _send(self, key: str, msgtype: str, msg: Any) -> None:
        pub = self.pubs.get(key)
        if pub is not None:
            pub.publish(bytes(self.ts.serialize_cdr(msg, msgtype)))


def main(args: list[str] | None = None) -> int:
    """``ros2 run asynet_ros detector``: spin the node until shutdown."""
    rclpy.init(args=args if args is not None else sys.argv)
    node = DetectorNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.on_shutdown(None)  # type: ignore[arg-type]
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
