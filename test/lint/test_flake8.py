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

"""ament_flake8 on the package's Python sources (ROS 2 linter test; skips without ROS 2)."""

import pytest

from checkout import ROOT

ament_flake8_main = pytest.importorskip(
    'ament_flake8.main', reason='ament_flake8 is not installed (it ships with ROS 2, not PyPI)'
)

# Explicit paths: the package root also holds .venv/, build/ and install/.
LINTED = ['asynet_core', 'asynet_ros', 'asynet_tools', 'benchmarks', 'asynet_training', 'training',
          'launch', 'test', 'tools', 'setup.py']  # fmt: skip
CONFIG = ROOT / '.flake8'  # ROS 2's default configuration, three changes justified inside


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8() -> None:
    paths = [str(ROOT / name) for name in LINTED if (ROOT / name).exists()]
    rc, errors = ament_flake8_main.main_with_errors(argv=['--config', str(CONFIG), *paths])
    assert rc == 0, f'Found {len(errors)} code style errors / warnings:\n' + '\n'.join(errors)
