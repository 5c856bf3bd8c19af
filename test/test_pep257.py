"""ament_pep257 on the package's Python sources (ROS 2 linter test; skips without ROS 2)."""

from pathlib import Path

import pytest

ament_pep257_main = pytest.importorskip(
    'ament_pep257.main', reason='ament_pep257 is not installed (it ships with ROS 2, not PyPI)'
)

ROOT = Path(__file__).resolve().parents[1]
LINTED = ['asynet_core', 'asynet_ros', 'benchmarks', 'training', 'launch', 'test', 'setup.py']
# The project writes Google-style docstrings (summary on the first line, Args:/Returns:
# sections), as ruff's pydocstyle checks them; missing docstrings (D1xx) are left to ruff.
MISSING_DOCSTRING_CODES = ['D100', 'D101', 'D102', 'D103', 'D104', 'D105', 'D106', 'D107']


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257() -> None:
    paths = [str(ROOT / name) for name in LINTED if (ROOT / name).exists()]
    argv = [*paths, '--convention', 'google', '--add-ignore', *MISSING_DOCSTRING_CODES]
    rc = ament_pep257_main.main(argv=argv)
    assert rc == 0, 'Found code style errors / warnings'
