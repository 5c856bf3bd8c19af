"""ament_copyright on the package's Python sources (ROS 2 linter test; skips without ROS 2)."""

from pathlib import Path

import pytest

ament_copyright_main = pytest.importorskip(
    'ament_copyright.main',
    reason='ament_copyright is not installed (it ships with ROS 2, not PyPI)',
)

ROOT = Path(__file__).resolve().parents[1]
LINTED = ['asynet_core', 'asynet_ros', 'benchmarks', 'training', 'launch', 'test', 'setup.py']


@pytest.mark.copyright
@pytest.mark.linter
def test_copyright() -> None:
    paths = [str(ROOT / name) for name in LINTED if (ROOT / name).exists()]
    rc = ament_copyright_main.main(argv=paths)
    assert rc == 0, 'Found files without a recognised copyright and licence header'
