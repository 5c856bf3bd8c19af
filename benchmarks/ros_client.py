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

"""A real rclpy client of the detector node, and the node started as ``ros2 run`` starts it.

:class:`DetectorProcess` runs the ``detector`` console script (``--ros-args --params-file ...``)
in its own process, output to a log file. :class:`Client` is an rclpy node in the test process
(its own context, spun on a thread) that drives the detector's lifecycle and parameter services,
publishes events like a camera driver (best effort) and records what the detector publishes.
Enter :func:`asynet_benchmarks.ros_env.ros_session` before creating either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
import os
from pathlib import Path
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
import numpy as np
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.srv import DescribeParameters, GetParameters, SetParameters
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

NODE = '/asynet_detector'
BEST_EFFORT = QoSProfile(depth=1000, reliability=ReliabilityPolicy.BEST_EFFORT)
RELIABLE = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)  # fmt: skip
#: What must never appear in the detector's output.
BAD_OUTPUT = ('Traceback', 'InvalidHandle', 'context is invalid', 'Segmentation fault')
TRANSITIONS = {
    'configure': Transition.TRANSITION_CONFIGURE,
    'activate': Transition.TRANSITION_ACTIVATE,
    'deactivate': Transition.TRANSITION_DEACTIVATE,
    'cleanup': Transition.TRANSITION_CLEANUP,
    'shutdown': Transition.TRANSITION_UNCONFIGURED_SHUTDOWN,
    'inactive_shutdown': Transition.TRANSITION_INACTIVE_SHUTDOWN,
    'active_shutdown': Transition.TRANSITION_ACTIVE_SHUTDOWN,
}


def params_file() -> Path:
    """``config/detector.yaml``: the source tree's, else the installed package's."""
    local = Path(__file__).resolve().parents[1] / 'config' / 'detector.yaml'
    if local.is_file():
        return local
    from ament_index_python.packages import get_package_share_directory

    return Path(get_package_share_directory('asynet_ros')) / 'config' / 'detector.yaml'


def detector_command(*ros_args: str) -> list[str]:
    """``detector --ros-args --params-file FILE [ARGS]``, the venv's (or PATH's) script."""
    script = Path(sys.executable).with_name('detector')
    exe = str(script) if script.exists() else 'detector'
    return [exe, '--ros-args', '--params-file', str(params_file()), *ros_args]


class DetectorProcess:
    """The detector node in a child process; stdout and stderr go to ``log``."""

    def __init__(self, env: dict[str, str], log: Path, *params: str) -> None:
        args = [a for p in params for a in ('-p', p)]
        self.log = log
        self._out = log.open('w', encoding='utf-8')
        self.proc = subprocess.Popen(
            detector_command(*args), env=env, stdout=self._out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the node process."""
        self.proc.send_signal(sig)

    def wait(self, timeout_s: float = 30.0) -> int:
        """Wait for the exit; the return code."""
        try:
            return self.proc.wait(timeout_s)
        finally:
            self._out.flush()

    def output(self) -> str:
        """Everything the process wrote so far."""
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(encoding='utf-8', errors='replace')

    def close(self) -> None:
        """End the process if it still runs (SIGINT, then SIGKILL)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._out.close()


@dataclass
class Received:
    """Messages of one subscription, with their arrival times (``time.monotonic``)."""

    msgs: list[Any] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    subscription: Any = None

    def add(self, msg: Any) -> None:
        """Record a message (the subscription callback)."""
        self.times.append(time.monotonic())
        self.msgs.append(msg)


class Client:
    """An rclpy node in this process, in a context of its own, spun on a thread."""

    def __init__(self, name: str = 'asynet_test_client') -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        while self.context.ok():
            try:
                self.executor.spin_once(timeout_sec=0.05)
            except Exception:  # the context shut down under us
                return

    def close(self) -> None:
        """Shut the context down and join the spinning thread."""
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)
        self._thread.join(5)

    # -- services ------------------------------------------------------------------------------

    def call(self, srv_type: Any, name: str, request: Any, timeout_s: float = 30.0) -> Any:
        """Call a service (waiting for it first); the response."""
        client = self.node.create_client(srv_type, name)
        try:
            if not client.wait_for_service(timeout_sec=timeout_s):
                raise TimeoutError(f'service {name} did not appear in {timeout_s} s')
            future = client.call_async(request)
            deadline = time.monotonic() + timeout_s
            while not future.done() and time.monotonic() < deadline:
                time.sleep(0.01)
            if not future.done():
                raise TimeoutError(f'service {name} did not answer in {timeout_s} s')
            return future.result()
        finally:
            self.node.destroy_client(client)

    def state(self, node: str = NODE) -> str:
        """The node's lifecycle state label (``unconfigured``, ``inactive``, ...)."""
        response = self.call(GetState, f'{node}/get_state', GetState.Request())
        return str(response.current_state.label)

    def transition(self, name: str, node: str = NODE) -> bool:
        """Trigger a lifecycle transition by name (see ``TRANSITIONS``); whether it succeeded."""
        request = ChangeState.Request()
        request.transition.id = TRANSITIONS[name]
        return bool(self.call(ChangeState, f'{node}/change_state', request).success)

    def set_parameters(self, values: dict[str, Any], node: str = NODE) -> list[Any]:
        """Set parameters one request each way rclpy's ``ros2 param set`` does; the results."""
        request = SetParameters.Request()
        request.parameters = [_param_msg(k, v) for k, v in values.items()]
        return list(self.call(SetParameters, f'{node}/set_parameters', request).results)

    def get_parameters(self, names: Iterable[str], node: str = NODE) -> list[Any]:
        """The parameters' current values (``ParameterValue`` messages)."""
        request = GetParameters.Request(names=list(names))
        return list(self.call(GetParameters, f'{node}/get_parameters', request).values)

    def describe_parameters(self, names: Iterable[str], node: str = NODE) -> list[Any]:
        """The parameters' descriptors."""
        request = DescribeParameters.Request(names=list(names))
        return list(self.call(DescribeParameters, f'{node}/describe_parameters',
                              request).descriptors)  # fmt: skip

    # -- topics --------------------------------------------------------------------------------

    def subscribe(self, msg_type: Any, topic: str, qos: QoSProfile = RELIABLE) -> Received:
        """Record every message of ``topic``."""
        received = Received()
        received.subscription = self.node.create_subscription(msg_type, topic, received.add, qos)
        return received

    def publisher(self, msg_type: Any, topic: str, qos: QoSProfile = BEST_EFFORT) -> Any:
        """Create a publisher: best effort by default, as camera drivers publish."""
        return self.node.create_publisher(msg_type, topic, qos)

    def wait_for_subscriber(self, pub: Any, timeout_s: float = 30.0) -> None:
        """Block until ``pub`` has matched a subscription."""
        until(lambda: pub.get_subscription_count() > 0, timeout_s, 'no subscriber matched')

    def wait_for_publisher(self, received: Received, timeout_s: float = 30.0) -> None:
        """Block until the subscription behind ``received`` has matched a publisher."""
        until(lambda: received.subscription.get_publisher_count() > 0, timeout_s,
              'no publisher matched')  # fmt: skip


def play(pub: Any, msgs: list[Any], rate: float = 1.0, stamps_ns: list[int] | None = None,
         ) -> list[float]:  # fmt: skip
    """Publish ``msgs`` paced by ``stamps_ns`` at ``rate``x (0: as fast as possible).

    Returns:
        The monotonic publish time of each message.
    """
    sent: list[float] = []
    start = time.monotonic()
    t0 = stamps_ns[0] if stamps_ns else 0
    for i, msg in enumerate(msgs):
        if rate > 0 and stamps_ns is not None:
            due = start + (stamps_ns[i] - t0) / 1e9 / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        sent.append(time.monotonic())
        pub.publish(msg)
    return sent


def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` until true; ``TimeoutError(what)`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f'{what} (after {timeout_s} s)')
        time.sleep(0.02)


def settle(received: Received, quiet_s: float = 1.0, timeout_s: float = 60.0) -> None:
    """Wait until nothing new has arrived for ``quiet_s``."""
    deadline = time.monotonic() + timeout_s
    count, last = -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(received.msgs) != count:
            count, last = len(received.msgs), time.monotonic()
        elif time.monotonic() - last > quiet_s:
            return
        time.sleep(0.05)


def _param_msg(name: str, value: Any) -> ParameterMsg:
    return Parameter(name, value=value).to_parameter_msg()


def stamp_ns(header: Any) -> int:
    """A header stamp in nanoseconds."""
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


def output_latencies(stamps_ns: list[int], sent: list[float], outputs: Received) -> list[float]:
    """Seconds from the publish of each output's packet to the output's arrival.

    An output is stamped with its newest packet's stamp plus the events' span within that
    packet, so its packet is the one with the largest stamp not after the output's.
    """
    order = np.argsort(stamps_ns, kind='stable')
    sorted_stamps = np.asarray(stamps_ns)[order]
    out_stamps = [stamp_ns(m.header) for m in outputs.msgs]
    source = np.searchsorted(sorted_stamps, out_stamps, side='right') - 1
    return [t - sent[order[i]] for i, t in zip(source, outputs.times, strict=True) if i >= 0]


def diagnostic_values(received: Received) -> dict[str, str]:
    """Key -> value of the latest /diagnostics status."""
    return {kv.key: kv.value for kv in received.msgs[-1].status[0].values}
