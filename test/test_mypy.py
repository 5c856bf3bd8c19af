"""mypy --strict over asynet_core, with the configuration in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
