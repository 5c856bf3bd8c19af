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


"""``detector.launch.py checkpoint:=...`` under launch_testing: the override reaches the node.

With the bundled classification checkpoint the node has the parameter, publishes
``vision_msgs/Classification`` on ``~/classification`` for the bag's packets and no
``~/detections``. Helpers and the skip rules: ``test/helpers/launch_helpers.py``.
"""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any
import unittest

import pytest

from checkout import ROOT

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
)

CHECKPOINT = ROOT / 'asynet_ros' / 'models' / 'synthetic_cls.pt'


@pytest.mark.launch_test
@pytest.mark.slow
def generate_test_description() -> tuple[Any, dict[str, Any]]:
    """The launch file with ``checkpoint:=`` the bundled classifier."""
    prefix = skip_unless_launchable(bag=True)
    return detector_launch(prefix, checkpoint=str(CHECKPOINT))


class TestCheckpointOverride(ActiveTest):
    """While the launch is up: the classifier runs."""

    def test_the_classifier_classifies(self, tmp_dir: Path, domain_id: int) -> None:
        from vision_msgs.msg import Classification

        packets = bag_packets()
        with Probe(tmp_dir, domain_id) as p:
            assert p.wait_for_state('active') == 'active'
            assert p.parameter('checkpoint') == str(CHECKPOINT)
            assert p.node.count_publishers(f'{NODE}/detections') == 0
            outputs = p.feed(packets, Classification, f'{NODE}/classification')
        assert outputs, 'no Classification on ~/classification'
        assert {o.header.frame_id for o in outputs} == {'0293'}
        assert all(o.results for o in outputs)


@launch_testing.post_shutdown_test()
class TestCheckpointShutdown(unittest.TestCase):
    """After launch's shutdown (SIGINT to the node)."""

    def test_sigint_ends_the_node_cleanly(
        self, proc_info: Any, proc_output: Any, tmp_dir: Path
    ) -> None:
        self.addCleanup(shutil.rmtree, tmp_dir, ignore_errors=True)  # detector_launch's
        assert_clean_exit(proc_info, proc_output)
