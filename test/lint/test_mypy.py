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

"""mypy --strict over asynet_core, with the configuration in pyproject.toml."""

import subprocess
import sys

import pytest

from checkout import ROOT


@pytest.mark.linter
def test_mypy_strict_asynet_core() -> None:
    cmd = [
        sys.executable,
        '-m',
        'mypy',
        '--config-file',
        str(ROOT / 'pyproject.toml'),
        '--strict',
        'asynet_core',
    ]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(
            f'{" ".join(cmd)} exited with {result.returncode}:\n{result.stdout}{result.stderr}',
            pytrace=False,
        )
