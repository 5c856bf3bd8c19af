"""ruff check over the whole repository, with the configuration in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.linter
def test_ruff_check() -> None:
    cmd = [sys.executable, '-m', 'ruff', 'check', '--no-cache', str(ROOT)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(
            f'{" ".join(cmd)} exited with {result.returncode}:\n{result.stdout}{result.stderr}',
            pytrace=False,
        )
