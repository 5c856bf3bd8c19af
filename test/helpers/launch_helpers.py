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

"""Helpers of the launch tests: the launch file under the real launch system (not a test module).

``test/system/test_launch.py`` (default arguments), ``test_launch_unconfigured.py``
(``autostart:=false``), ``test_launch_checkpoint.py`` (``checkpoint:=``) and
``test_launch_sigint.py`` (``ros2 launch`` and Ctrl-C) use it.

The launched node finds its package through the ament index, so ``colcon build`` must have
written ``install/`` (``make test`` does; with plain pytest run ``colcon build --base-paths .
--build-base build --install-base install`` first). Each launch gets a loopback-only Fast DDS
profile and a domain of its own (:mod:`ros_helpers`), set only inside the launch's scope.

Without the launch kit (``launch_testing`` and friends, from ../shared/ros2), ``install/`` or the
bag the launch tests skip with the reason (:func:`skip_unless_launchable`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import tempfile
import time
from typing import Any
import unittest

import pytest

from checkout import ROOT, SHARED_DATA
from ros_helpers import random_domain_id, rclpy_missing, ros_env, ROS_KEYS, ros_session

# When launch_testing is missing its pytest plugin is too: importing this module skips the test
# module that imports it, alone. Below, a missing piece skips at run time (pytest.skip in
# generate_test_description): with the plugin active, a skip while a launch test module is
# imported would skip the whole test directory.
launch_testing = pytest.importorskip(
    'launch_testing',
    reason='the ROS 2 launch kit is not installed (make install adds it from ../shared/ros2)',
)

LAUNCH_FILE = ROOT / 'launch' / 'detector.launch.py'
BAG = SHARED_DATA / 'bags' / 'metavision_evt3'
EVENTS_TOPIC = '/event_camera/events'  # the bag's topic and the node's default input
NODE = '/asynet_detector'
#: Generous: two shared cores, torch and spconv imported by the node at start.
START_TIMEOUT_S = 120.0
OUTPUT_TIMEOUT_S = 60.0


def install_prefix() -> Path | None:
    """The install prefix holding asynet_ros: this checkout's ``install/``, else the ament index.

    ``install/asynet_ros`` (colcon's default isolated layout) or ``install`` (merged) first: it
    holds what ``colcon build`` just built from this tree, also where a sourced workspace has an
    older asynet_ros.
    """
    for prefix in (ROOT / 'install' / 'asynet_ros', ROOT / 'install'):
        marker = prefix / 'share' / 'ament_index' / 'resource_index' / 'packages' / 'asynet_ros'
        if marker.is_file() and (prefix / 'lib' / 'asynet_ros' / 'detector').is_file():
            return prefix
    try:
        from ament_index_python.packages import get_package_prefix, PackageNotFoundError
    except ImportError:
        return None
    try:
        return Path(get_package_prefix('asynet_ros'))
    except (PackageNotFoundError, OSError):  # OSError: AMENT_PREFIX_PATH unset
        return None


def skip_unless_launchable(*, bag: bool) -> Path:
    """Skip (at run time) unless ROS 2, launch_ros, the install prefix and (``bag``) the bag exist.

    Returns:
        The install prefix of asynet_ros.
    """
    reason = rclpy_missing()
    if reason is not None:
        pytest.skip(reason)
    try:
        import launch_ros  # noqa: F401
        import lifecycle_msgs.srv  # noqa: F401
    except ImportError as err:
        pytest.skip(f'the ROS 2 launch kit is incomplete ({err}); make install adds it')
    prefix = install_prefix()
    if prefix is None:
        pytest.skip(
            'asynet_ros is not installed in install/ (nor on AMENT_PREFIX_PATH): run '
            '`colcon build --base-paths . --build-base build --install-base install` (make test)'
        )
    if bag and not (BAG / 'metadata.yaml').is_file():
        pytest.skip(f'the Metavision evt3 bag is missing ({BAG}); it ships with ../shared only')
    return prefix


def detector_launch(prefix: Path, **arguments: str) -> tuple[Any, dict[str, Any]]:
    """The launch file with ``arguments``, in a loopback ROS environment of its own.

    The environment (ROS keys of :func:`ros_helpers.ros_env`, ``AMENT_PREFIX_PATH`` with
    ``prefix`` first) is set in a scoped group, so it reaches the launched node and launch's own
    rclpy node but not the rest of this pytest process.

    Returns:
        The launch description (ending with ``ReadyToTest``) and the test arguments
        ``tmp_dir`` and ``domain_id`` (for :class:`Probe`).
    """
    from launch import LaunchDescription
    from launch.actions import (
        GroupAction,
        IncludeLaunchDescription,
        SetEnvironmentVariable,
        UnsetEnvironmentVariable,
    )
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    tmp_dir = Path(tempfile.mkdtemp(prefix='asynet_launch_'))
    domain_id = random_domain_id()
    env = ros_env(tmp_dir, domain_id)
    paths = [str(prefix), *filter(None, os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep))]
    env_actions: list[Any] = [
        SetEnvironmentVariable(key, env[key]) if key in env else UnsetEnvironmentVariable(key)
        for key in ROS_KEYS
    ]
    env_actions += [
        SetEnvironmentVariable('AMENT_PREFIX_PATH', os.pathsep.join(paths)),
        SetEnvironmentVariable('PYTHONUNBUFFERED', '1'),
    ]
    include = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(LAUNCH_FILE)), launch_arguments=arguments.items()
    )
    description = LaunchDescription(
        [
            GroupAction([*env_actions, include], scoped=True),
            launch_testing.actions.ReadyToTest(),
        ]
    )
    return description, {'tmp_dir': tmp_dir, 'domain_id': domain_id}


def bag_packets() -> list[Any]:
    """The Metavision bag's EventPackets, deserialised (517, 640x480 evt3, frame id ``0293``)."""
    from event_camera_msgs.msg import EventPacket
    from rclpy.serialization import deserialize_message

    from asynet_ros.bag import EventBag

    raws = EventBag(BAG).raw_messages([EVENTS_TOPIC])
    return [deserialize_message(raw, EventPacket) for _, _, _, raw in raws]


def stamp_ns(header: Any) -> int:
    """A header's stamp in nanoseconds."""
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


class Probe:
    """rclpy in the test thread, on the launch's domain: lifecycle and parameter queries, a feed.

    A context of its own without signal handlers (launch owns SIGINT in this process).
    """

    def __init__(self, tmp_dir: Path, domain_id: int) -> None:
        self.tmp_dir, self.domain_id = tmp_dir, domain_id

    def __enter__(self) -> Probe:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.signals import SignalHandlerOptions

        self._stack = contextlib.ExitStack()
        self._stack.enter_context(ros_session(self.tmp_dir, self.domain_id))
        self.context = rclpy.Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)
        self._stack.callback(rclpy.try_shutdown, context=self.context)
        self.node = rclpy.create_node('asynet_launch_probe', context=self.context)
        self._stack.callback(self.node.destroy_node)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown()
        self._stack.close()

    def call(self, srv_type: Any, name: str, request: Any, timeout_s: float) -> Any:
        """Call service ``name``; fail when it does not appear or answer within ``timeout_s``."""
        client = self.node.create_client(srv_type, name)
        try:
            assert client.wait_for_service(timeout_sec=timeout_s), f'no service {name}'
            future = client.call_async(request)
            self.executor.spin_until_future_complete(future, timeout_sec=timeout_s)
            assert future.done(), f'{name} did not answer within {timeout_s} s'
            return future.result()
        finally:
            self.node.destroy_client(client)

    def state(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """The node's lifecycle state label (``/asynet_detector/get_state``)."""
        from lifecycle_msgs.srv import GetState

        reply = self.call(GetState, f'{NODE}/get_state', GetState.Request(), timeout_s)
        return str(reply.current_state.label)

    def transition(self, label: str, timeout_s: float = START_TIMEOUT_S) -> None:
        """Trigger transition ``label`` (``~/change_state``); fail unless it succeeds."""
        from lifecycle_msgs.msg import Transition
        from lifecycle_msgs.srv import ChangeState

        transition_id = getattr(Transition, f'TRANSITION_{label.upper()}')
        request = ChangeState.Request(transition=Transition(id=transition_id))
        reply = self.call(ChangeState, f'{NODE}/change_state', request, timeout_s)
        assert reply.success, f'transition {label} failed'

    def wait_for_state(self, label: str, timeout_s: float = START_TIMEOUT_S) -> str:
        """Poll the state until it is ``label`` or ``timeout_s`` passed; the last state seen."""
        deadline = time.monotonic() + timeout_s
        state = self.state(timeout_s)
        while state != label and time.monotonic() < deadline:
            time.sleep(0.5)
            state = self.state(timeout_s)
        return state

    def parameter(self, name: str, timeout_s: float = START_TIMEOUT_S) -> Any:
        """The node's parameter ``name`` (``/asynet_detector/get_parameters``)."""
        from rcl_interfaces.srv import GetParameters
        from rclpy.parameter import parameter_value_to_python

        request = GetParameters.Request(names=[name])
        reply = self.call(GetParameters, f'{NODE}/get_parameters', request, timeout_s)
        return parameter_value_to_python(reply.values[0])

    def feed(self, packets: list[Any], msg_type: Any, topic: str) -> list[Any]:
        """Publish ``packets`` at the bag's pace; the ``msg_type`` messages seen on ``topic``.

        Publishes best effort (sensor-data QoS, as a camera driver) once the node subscribed,
        subscribes best effort (matches a reliable publisher too), and after the last packet
        keeps listening until no output came for 5 s (at most :data:`OUTPUT_TIMEOUT_S`).
        """
        from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy

        received: list[Any] = []
        listen = QoSProfile(depth=1000, reliability=ReliabilityPolicy.BEST_EFFORT)
        self.node.create_subscription(msg_type, topic, received.append, listen)
        pub = self.node.create_publisher(type(packets[0]), EVENTS_TOPIC, qos_profile_sensor_data)
        self._spin_while(lambda: pub.get_subscription_count() == 0, START_TIMEOUT_S)
        assert pub.get_subscription_count() > 0, f'nothing subscribed to {EVENTS_TOPIC}'
        self._spin_while(lambda: self.node.count_publishers(topic) == 0, START_TIMEOUT_S)
        first = stamp_ns(packets[0].header)
        start = time.monotonic()
        for packet in packets:
            due = start + (stamp_ns(packet.header) - first) * 1e-9
            self._spin_while(lambda due=due: time.monotonic() < due, OUTPUT_TIMEOUT_S)
            pub.publish(packet)
        deadline = time.monotonic() + OUTPUT_TIMEOUT_S
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 5.0:
            self.executor.spin_once(timeout_sec=0.1)
            if len(received) != seen:
                seen, quiet_since = len(received), time.monotonic()
        return received

    def _spin_while(self, condition: Any, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while condition() and time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.01)


def node_output(proc_output: Any) -> str:
    """Everything the launched processes wrote (stdout and stderr)."""
    return ''.join(io.text.decode(errors='replace') for io in proc_output)


def assert_clean_exit(proc_info: Any, proc_output: Any) -> None:
    """The node process was started and ended with exit code 0, without a traceback."""
    names = list(proc_info.process_names())
    assert names, 'no process was launched'
    assert all(name.startswith('detector') for name in names), names
    launch_testing.asserts.assertExitCodes(proc_info)
    output = node_output(proc_output)
    assert 'Traceback' not in output, output


def close_shutdown_loop() -> None:
    """Close the asyncio loop that launch's ``shutdown()`` is about to create in this thread.

    launch_testing calls ``LaunchService.shutdown()`` from its test thread once the active tests
    are done; ``shutdown()`` calls ``osrf_pycommon.process_utils.get_loop()`` only to compare it
    with the launch's loop, and that creates (and keeps) a new loop for the thread, never closed:
    a ResourceWarning (an error here) when it is collected. Creating it now and closing it keeps
    the comparison (a closed loop is returned as is) and frees its sockets.
    """
    import threading

    from osrf_pycommon.process_utils import get_loop

    if threading.current_thread() is not threading.main_thread():  # never launch's own loop
        get_loop().close()


class ActiveTest(unittest.TestCase):
    """Base of the tests that run while the launch is up (in launch_testing's test thread)."""

    @classmethod
    def tearDownClass(cls) -> None:
        close_shutdown_loop()
