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


"""Ctrl-C on ``ros2 launch asynet_ros detector.launch.py``: the launch and the node end cleanly.

The launch runs as ``ros2 launch`` runs it (a ``LaunchService`` including the file, in a process
and a session of its own). Once the node is active, SIGINT goes to the whole process group
(Ctrl-C in a terminal: the node gets it from the terminal; an interactive launch then only
waits, escalating to SIGTERM after 5 s) or, with ``ros2 launch --noninteractive``, to the launch
process alone (``kill -INT``; launch passes SIGINT on to the node). Either way the node must end
on that SIGINT, with exit code 0 and no traceback. Helpers and the skip rules:
``test/helpers/launch_helpers.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import signal
import subprocess
import sys

import pytest

from launch_helpers import LAUNCH_FILE, Probe, skip_unless_launchable
from ros_helpers import random_domain_id, ros_env

#: ``ros2 launch [--noninteractive] FILE [name:=value ...]`` without ros2cli, as
#: ros2launch.api.launch_a_launch_file does it; argv: FILE, ``interactive`` or ``noninteractive``.
ROS2_LAUNCH = """
import sys
from launch import LaunchService
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import AnyLaunchDescriptionSource
arguments = [tuple(arg.split(':=', 1)) for arg in sys.argv[3:]]
noninteractive = sys.argv[2] == 'noninteractive'
service = LaunchService(argv=sys.argv[3:], noninteractive=noninteractive)
service.include_launch_description(
    IncludeLaunchDescription(AnyLaunchDescriptionSource(sys.argv[1]), launch_arguments=arguments)
)
sys.exit(service.run())
"""
EXIT_TIMEOUT_S = 60.0  # launch escalates to SIGTERM after 5 s and SIGKILL after 10 s


@pytest.mark.slow
@pytest.mark.parametrize(
    ('mode', 'group'),
    [('interactive', True), ('noninteractive', False)],
    ids=['ctrl-c-to-the-group', 'kill-int-noninteractive-launch'],
)
def test_sigint_ends_launch_and_node_cleanly(tmp_path: Path, mode: str, group: bool) -> None:
    prefix = skip_unless_launchable(bag=False)
    domain_id = random_domain_id()
    env = ros_env(tmp_path, domain_id)
    env['AMENT_PREFIX_PATH'] = os.pathsep.join(
        filter(None, [str(prefix), env.get('AMENT_PREFIX_PATH', '')])
    )
    log = tmp_path / 'launch.log'
    with log.open('w', encoding='utf-8') as out:
        launch = subprocess.Popen(
            [sys.executable, '-c', ROS2_LAUNCH, str(LAUNCH_FILE), mode],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    try:
        with Probe(tmp_path, domain_id) as p:
            assert p.wait_for_state('active') == 'active', log.read_text(encoding='utf-8')
        if group:
            os.killpg(launch.pid, signal.SIGINT)
        else:
            launch.send_signal(signal.SIGINT)
        returncode = launch.wait(timeout=EXIT_TIMEOUT_S)
    finally:
        if launch.poll() is None:
            os.killpg(launch.pid, signal.SIGKILL)
            launch.wait()
    output = log.read_text(encoding='utf-8')
    assert returncode == 0, output
    assert re.search(r'\[detector-1\]: process has finished cleanly', output), output
    assert 'Traceback' not in output, output
    assert 'SIGTERM' not in output, output  # no escalation: SIGINT was enough
