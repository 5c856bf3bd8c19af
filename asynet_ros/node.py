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

Subscribes to raw CDR event messages (sensor-data QoS; the decoding path of rosbag2 and DDS),
feeds a :class:`LiveRunner`, publishes serialised ``~/detections`` or ``~/classification``,
``~/label_info`` (transient local), ``~/debug_image`` and ``/diagnostics``. Parameters: params.py.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import rclpy
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.lifecycle import LifecycleNode, State, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from asynet_core.errors import AsynetError
from asynet_core.models import load_checkpoint
from asynet_ros import bundled_checkpoint, messages, params, publishing
from asynet_ros.bag import cdr_to_event_message
from asynet_ros.interfaces import typestore
from asynet_ros.live import LiveRunner
from asynet_ros.pipeline import Pipeline, Result, limit_torch_threads, training_window

_OK, _FAIL = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


def _msg_class(name: str) -> Any:
    pkg, _, cls = name.split('/')
    return getattr(importlib.import_module(f'{pkg}.msg'), cls)


class DetectorNode(LifecycleNode):
    """``asynet_detector``: events in, vision_msgs out (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('asynet_detector', **kwargs)
        for spec in params.PARAMETERS:
            self.declare_parameter(
                spec.name, spec.default, ParameterDescriptor(description=spec.description)
            )
        self.add_on_set_parameters_callback(self._on_set)
        self.ts = typestore()
        self.factory = messages.RosbagsFactory(self.ts)
        self.runner: LiveRunner | None = None
        self.sub: Any = None
        self.pubs: dict[str, Any] = {}
        self.timer: Any = None

    def values(self) -> dict[str, Any]:
        """Current parameter values by name."""
        return {p.name: self.get_parameter(p.name).value for p in params.PARAMETERS}

    def _on_set(self, changes: list[Any]) -> SetParametersResult:
        for change in changes:
            reason = params.check(change.name, change.value)
            if reason is not None:
                self.get_logger().warning(f'rejected parameter change: {reason}')
                return SetParametersResult(successful=False, reason=reason)
        if self.runner is not None:
            dynamic = {c.name: c.value for c in changes if c.name in params.DYNAMIC}
            keys = ('score_threshold', 'iou_threshold', 'max_detections')
            update = {k: v for k, v in dynamic.items() if k in keys}
            if update:
                pipeline = self.runner.pipeline
                pipeline.config = pipeline.config.replace(**update)
        return SetParametersResult(successful=True)

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        """Load the checkpoint, build the pipeline and the publishers."""
        v = self.values()
        try:
            limit_torch_threads()
            path = v['checkpoint'] or str(bundled_checkpoint())
            loaded = load_checkpoint(path, map_location=v['device'])
            config = params.pipeline_config(v, training_window(loaded.extra))
            pipeline = Pipeline(loaded.model, loaded.config, config, logger=None)
        except (AsynetError, OSError, ValueError) as err:
            self.get_logger().error(f'configure failed: {err}')
            return _FAIL
        self.runner = LiveRunner(
            pipeline, self._publish, queue_size=v['queue_size'], drop=v['drop_policy']
        )
        out_type = messages.output_type(pipeline.task)
        name = 'detections' if pipeline.task == 'detection' else 'classification'
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)  # fmt: skip
        table = {'out': (out_type, f'~/{name}', 10),
                 'labels': (messages.LABEL_INFO, '~/label_info', latched),
                 'image': (messages.IMAGE, '~/debug_image', 2),
                 'diag': (messages.DIAGNOSTIC_ARRAY, '/diagnostics', 10)}  # fmt: skip
        self.pubs = {
            key: self.create_lifecycle_publisher(_msg_class(kind), topic, qos)
            for key, (kind, topic, qos) in table.items()
        }
        self.out_type = out_type
        self.get_logger().info(f'configured: {path} ({pipeline.task}), {config}')
        return _OK

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        """Start the worker, subscribe, publish the label info."""
        v = self.values()
        if self.runner is None:
            return _FAIL
        self.msgtype = v['message_type']
        self.sub = self.create_subscription(
            _msg_class(self.msgtype), v['input_topic'], self._on_events, qos_profile_sensor_data,
            raw=True,
        )  # fmt: skip
        self.runner.start()
        result = super().on_activate(state)
        now = self.get_clock().now().nanoseconds
        self._send(*publishing.label_info(self.factory, self.runner.pipeline, now, v['frame_id']))
        self.timer = self.create_timer(v['diagnostics_period_s'], self._diagnostics)
        return result

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
            self.destroy_publisher(pub)
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
        if self.runner is not None:
            now, runner = self.get_clock().now().nanoseconds, self.runner
            out = publishing.diagnostics(
                self.factory, self.get_name(), runner.pipeline, runner.stats, now
            )
            self._send(*out)

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
    except KeyboardInterrupt:
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
