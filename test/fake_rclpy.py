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

"""A minimal stand-in for rclpy, enough to drive :class:`asynet_ros.node.DetectorNode` in tests.

Only the calls the node makes exist: parameters with an on-set callback, lifecycle publishers
that record what they publish, a raw subscription whose callback the test calls, timers the test
fires, a clock and a logger. :func:`installed` puts the fake modules in ``sys.modules`` for the
duration of a ``with`` block. It checks the adapter's logic, not ROS 2 itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import enum
import logging
import sys
import time
import types
from typing import Any


class TransitionCallbackReturn(enum.Enum):
    SUCCESS = 0
    FAILURE = 1
    ERROR = 2


@dataclass
class QoSProfile:
    depth: int = 10
    reliability: Any = None
    durability: Any = None


class ReliabilityPolicy(enum.Enum):
    RELIABLE = 1
    BEST_EFFORT = 2


class DurabilityPolicy(enum.Enum):
    VOLATILE = 1
    TRANSIENT_LOCAL = 2


@dataclass
class ParameterDescriptor:
    description: str = ''
    dynamic_typing: bool = False


class ExternalShutdownException(Exception):  # noqa: N818 (rclpy's name)
    pass


@dataclass
class SetParametersResult:
    successful: bool
    reason: str = ''


@dataclass
class Parameter:
    name: str
    value: Any


@dataclass
class Publisher:
    msg_class: Any
    topic: str
    qos: Any
    sent: list[bytes] = field(default_factory=list)
    active: bool = False

    def publish(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError('the node publishes serialised bytes')
        if self.active:  # a lifecycle publisher drops messages while inactive
            self.sent.append(data)


@dataclass
class Subscription:
    msg_class: Any
    topic: str
    callback: Callable[[bytes], None]
    qos: Any
    raw: bool


@dataclass
class Timer:
    period_s: float
    callback: Callable[[], None]


class _Clock:
    def now(self) -> Any:
        return types.SimpleNamespace(nanoseconds=time.time_ns())


class LifecycleNode:
    def __init__(self, name: str, **_: Any) -> None:
        self._name = name
        self._params: dict[str, Any] = {}
        self._callbacks: list[Callable[[list[Parameter]], SetParametersResult]] = []
        self.publishers: list[Publisher] = []
        self.subscriptions: list[Subscription] = []
        self.timers: list[Timer] = []
        self._logger = logging.getLogger(f'fake_rclpy.{name}')

    def declare_parameter(self, name: str, value: Any, descriptor: Any = None) -> None:
        self._params[name] = value

    def get_parameter(self, name: str) -> Parameter:
        return Parameter(name, self._params[name])

    def add_on_set_parameters_callback(self, cb: Any) -> None:
        self._callbacks.append(cb)

    def set_parameters(self, params: list[Parameter]) -> list[SetParametersResult]:
        results = []
        for p in params:
            result = SetParametersResult(True)
            for cb in self._callbacks:
                result = cb([p])
                if not result.successful:
                    break
            if result.successful:
                self._params[p.name] = p.value
            results.append(result)
        return results

    def get_logger(self) -> Any:
        logger = self._logger

        class _Log:
            def info(self, msg: str, **_: Any) -> None:
                logger.info(msg)

            def warning(self, msg: str, **_: Any) -> None:
                logger.warning(msg)

            def error(self, msg: str, **_: Any) -> None:
                logger.error(msg)

        return _Log()

    def get_name(self) -> str:
        return self._name

    def get_clock(self) -> _Clock:
        return _Clock()

    def create_lifecycle_publisher(self, msg_class: Any, topic: str, qos: Any) -> Publisher:
        pub = Publisher(msg_class, topic, qos)
        self.publishers.append(pub)
        return pub

    def create_subscription(
        self, msg_class: Any, topic: str, cb: Any, qos: Any, raw: bool = False
    ) -> Subscription:
        sub = Subscription(msg_class, topic, cb, qos, raw)
        self.subscriptions.append(sub)
        return sub

    def create_timer(self, period_s: float, cb: Any) -> Timer:
        timer = Timer(period_s, cb)
        self.timers.append(timer)
        return timer

    def destroy_subscription(self, sub: Subscription) -> None:
        self.subscriptions.remove(sub)

    def destroy_timer(self, timer: Timer) -> None:
        self.timers.remove(timer)

    def destroy_publisher(self, pub: Publisher) -> None:
        self.publishers.remove(pub)

    def destroy_lifecycle_publisher(self, pub: Publisher) -> None:
        self.destroy_publisher(pub)

    def destroy_node(self) -> None:
        pass

    def on_activate(self, state: Any) -> TransitionCallbackReturn:
        for pub in self.publishers:
            pub.active = True
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: Any) -> TransitionCallbackReturn:
        for pub in self.publishers:
            pub.active = False
        return TransitionCallbackReturn.SUCCESS

    # transitions as the lifecycle manager drives them
    def trigger_configure(self) -> TransitionCallbackReturn:
        return self.on_configure(None)  # type: ignore[attr-defined,no-any-return]

    def trigger_activate(self) -> TransitionCallbackReturn:
        return self.on_activate(None)

    def trigger_deactivate(self) -> TransitionCallbackReturn:
        return self.on_deactivate(None)

    def trigger_cleanup(self) -> TransitionCallbackReturn:
        return self.on_cleanup(None)  # type: ignore[attr-defined,no-any-return]


def _messages_module(names: list[str]) -> types.ModuleType:
    module = types.ModuleType('msg')
    for name in names:
        setattr(module, name, type(name, (), {}))
    return module


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Fake rclpy, rcl_interfaces and the message packages in ``sys.modules``."""
    rclpy = types.ModuleType('rclpy')
    rclpy.init = lambda args=None: None  # type: ignore[attr-defined]
    rclpy.spin = lambda node: None  # type: ignore[attr-defined]
    rclpy.try_shutdown = lambda: None  # type: ignore[attr-defined]
    lifecycle = types.ModuleType('rclpy.lifecycle')
    lifecycle.LifecycleNode = LifecycleNode  # type: ignore[attr-defined]
    lifecycle.State = object  # type: ignore[attr-defined]
    lifecycle.TransitionCallbackReturn = TransitionCallbackReturn  # type: ignore[attr-defined]
    qos = types.ModuleType('rclpy.qos')
    qos.QoSProfile = QoSProfile  # type: ignore[attr-defined]
    qos.ReliabilityPolicy = ReliabilityPolicy  # type: ignore[attr-defined]
    qos.DurabilityPolicy = DurabilityPolicy  # type: ignore[attr-defined]
    qos.qos_profile_sensor_data = QoSProfile(5, ReliabilityPolicy.BEST_EFFORT)  # type: ignore[attr-defined]
    executors = types.ModuleType('rclpy.executors')
    executors.ExternalShutdownException = ExternalShutdownException  # type: ignore[attr-defined]
    rcl = types.ModuleType('rcl_interfaces')
    rcl_msg = types.ModuleType('rcl_interfaces.msg')
    rcl_msg.ParameterDescriptor = ParameterDescriptor  # type: ignore[attr-defined]
    rcl_msg.SetParametersResult = SetParametersResult  # type: ignore[attr-defined]
    fakes = {
        'rclpy': rclpy,
        'rclpy.lifecycle': lifecycle,
        'rclpy.qos': qos,
        'rclpy.executors': executors,
        'rcl_interfaces': rcl,
        'rcl_interfaces.msg': rcl_msg,
        'vision_msgs.msg': _messages_module(['Detection2DArray', 'Classification', 'LabelInfo']),
        'sensor_msgs.msg': _messages_module(['Image']),
        'diagnostic_msgs.msg': _messages_module(['DiagnosticArray']),
        'event_camera_msgs.msg': _messages_module(['EventPacket']),
        'dvs_msgs.msg': _messages_module(['EventArray']),
    }
    for pkg in ('vision_msgs', 'sensor_msgs', 'diagnostic_msgs', 'event_camera_msgs', 'dvs_msgs'):
        fakes[pkg] = types.ModuleType(pkg)
    saved = {name: sys.modules.get(name) for name in [*fakes, 'asynet_ros.node']}
    sys.modules.update(fakes)
    sys.modules.pop('asynet_ros.node', None)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
