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

"""Every Python source carries the Apache-2.0 header.

Where ROS 2 is installed this runs ament_copyright; elsewhere the same rule is checked directly
(the header text that ament_copyright's ``apache2`` licence template recognises).
"""

from pathlib import Path

import pytest

from checkout import ROOT

LINTED = ['asynet_core', 'asynet_ros', 'asynet_tools', 'benchmarks', 'asynet_training', 'training',
          'launch', 'test', 'tools', 'setup.py']  # fmt: skip
HEADER = [
    '#',
    '# Licensed under the Apache License, Version 2.0 (the "License");',
    '# you may not use this file except in compliance with the License.',
]


def _sources() -> list[Path]:
    files: list[Path] = []
    for name in LINTED:
        path = ROOT / name
        files += sorted(path.rglob('*.py')) if path.is_dir() else [path] if path.exists() else []
    return [f for f in files if '__pycache__' not in f.parts]


@pytest.mark.copyright
@pytest.mark.linter
def test_copyright() -> None:
    try:
        from ament_copyright.main import main
    except ImportError:
        missing = [str(f.relative_to(ROOT)) for f in _sources() if not _has_header(f)]
        assert not missing, f'files without the Apache-2.0 header: {missing}'
        return
    rc = main(argv=[str(ROOT / n) for n in LINTED if (ROOT / n).exists()])
    assert rc == 0, 'Found files without a recognised copyright and licence header'


def _has_header(path: Path) -> bool:
    lines = path.read_text(encoding='utf-8').splitlines()[:4]
    return len(lines) == 4 and lines[0].startswith('# Copyright ') and lines[1:] == HEADER
