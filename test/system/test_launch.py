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

"""``launch/detector.launch.py`` under the real launch system (launch_testing), default arguments.

The node comes up active by itself, turns the Metavision bag's EventPackets (published best
effort, as a camera driver does) into ``Detection2DArray`` messages, and ends cleanly on the
SIGINT that launch sends at shutdown. Helpers and the skip rules (``install/`` from
``colcon build``, the launch kit, the bag): ``test/helpers/launch_helpers.py``.
"""

from __future__ import annotations

from pathlib import Path
import shutil
import time
from typing import Any
import unittest

import pytest

# launch_testing through launch_helpers, which skips this module where it is missing.
from launch_helpers import (
    ActiveTest,
    assert_clean_exit,
    bag_packets,
    detector_launch,
    launch_testing,
    NODE,
    Probe,
    skip_unless_launchable,
    stamp_ns,
)


@pytest.mark.launch_test
@pytest.mark.slow
def generate_test_description() -> tuple[Any, dict[str, Any]]:
    """The launch file with its default arguments (autostart, the bundled detector)."""
    prefix = skip_unless_launchable(bag=True)
    return detector_launch(prefix)


class TestDetectorLaunch(ActiveTest):
    """While the launch is up: state, detections, a manual reconfigure."""

    def test_comes_up_active_by_itself(self, tmp_dir: Path, domain_id: int) -> None:
        with Probe(tmp_dir, domain_id) as p:
            assert p.wait_for_state('active') == 'active'

    def test_detections_flow_from_the_bag(self, tmp_dir: Path, domain_id: int) -> None:
        from vision_msgs.msg import Detection2DArray

        packets = bag_packets()
        with Probe(tmp_dir, domain_id) as p:
            assert p.wait_for_state('active') == 'active'
            outputs = p.feed(packets, Detection2DArray, f'{NODE}/detections')
        assert outputs, 'no Detection2DArray on ~/detections'
        assert {o.header.frame_id for o in outputs} == {'0293'}  # the bag's frame id
        stamps = [stamp_ns(o.header) for o in outputs]
        assert stamps == sorted(stamps), 'detection stamps go backwards'
        # Sensor time of the input (2023), not the wall clock: within the bag's stamps.
        first, last = stamp_ns(packets[0].header), stamp_ns(packets[-1].header)
        assert first <= stamps[0] <= stamps[-1] <= last + 1_000_000_000, (first, stamps, last)

    def test_a_later_configure_is_not_activated(self, tmp_dir: Path, domain_id: int) -> None:
        # Autostart activates after the launch's configure only: a node cleaned up and
        # configured again by hand stays inactive (as a deactivated one does).
        with Probe(tmp_dir, domain_id) as p:
            assert p.wait_for_state('active') == 'active'
            for transition in ('deactivate', 'cleanup', 'configure'):
                p.transition(transition)
            time.sleep(5.0)  # launch's handler would have reacted by now (no false failure)
            assert p.state() == 'inactive'
            p.transition('activate')  # as the other tests expect it
            assert p.state() == 'active'


@launch_testing.post_shutdown_test()
class TestDetectorShutdown(unittest.TestCase):
    """After launch's shutdown (SIGINT to the node)."""

    def test_sigint_ends_the_node_cleanly(
        self, proc_info: Any, proc_output: Any, tmp_dir: Path
    ) -> None:
        self.addCleanup(shutil.rmtree, tmp_dir, ignore_errors=True)  # detector_launch's
        assert_clean_exit(proc_info, proc_output)
