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


"""``detector.launch.py autostart:=false`` under launch_testing: the node stays unconfigured.

Helpers and the skip rules: ``test/helpers/launch_helpers.py``.
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
    detector_launch,
    launch_testing,
    NODE,
    Probe,
    skip_unless_launchable,
)


@pytest.mark.launch_test
@pytest.mark.slow
def generate_test_description() -> tuple[Any, dict[str, Any]]:
    """The launch file with ``autostart:=false``."""
    prefix = skip_unless_launchable(bag=False)
    return detector_launch(prefix, autostart='false')


class TestUnconfigured(ActiveTest):
    """While the launch is up: no transition but the ones asked for."""

    def test_stays_unconfigured_until_asked(self, tmp_dir: Path, domain_id: int) -> None:
        with Probe(tmp_dir, domain_id) as p:
            assert p.state() == 'unconfigured'
            time.sleep(5.0)  # an autostart would have configured it by now (no false failure)
            assert p.state() == 'unconfigured'
            assert p.node.count_publishers(f'{NODE}/detections') == 0  # made by configure
            p.transition('configure')  # and it is a working node, configured by hand
            assert p.state() == 'inactive'


@launch_testing.post_shutdown_test()
class TestUnconfiguredShutdown(unittest.TestCase):
    """After launch's shutdown (SIGINT to the node)."""

    def test_sigint_ends_the_node_cleanly(
        self, proc_info: Any, proc_output: Any, tmp_dir: Path
    ) -> None:
        self.addCleanup(shutil.rmtree, tmp_dir, ignore_errors=True)  # detector_launch's
        assert_clean_exit(proc_info, proc_output)
