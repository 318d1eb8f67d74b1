"""No Docker token, real or made up, ever enters this repository: its whole history is checked
with the project's own scanner (tests make their token-like strings at run time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_repository_history_holds_no_docker_token() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hubtokens", "scan", "--git", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"
