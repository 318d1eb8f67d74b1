"""``hubtokens scan``'s exit codes: 1 means "found" and nothing else, so the pre-commit hook and
CI can tell a leak from a scan that failed (7) or was refused (2)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hubtokens.core.errors import ExitCode
from tests.cli.test_cli_scan_git import hubtokens
from tests.support.git_repo import Repo, make_token


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit({"README": "hello\n"}, "first")
    return repo


def broken_index(repo: Repo) -> dict[str, str]:
    """An index git cannot read, as GIT_INDEX_FILE hands it to the scan."""
    garbage = repo.path.parent / "garbage-index"
    garbage.write_bytes(os.urandom(256))
    return {"GIT_INDEX_FILE": str(garbage)}


def test_a_git_failure_is_not_a_finding(repo: Repo) -> None:
    result = hubtokens(repo, "scan", "--staged", env=broken_index(repo))

    assert result.returncode == ExitCode.SCAN_FAILED == 7, result.stderr
    assert "git diff failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_staged_inside_the_git_folder_is_refused_not_found(repo: Repo) -> None:
    """Nothing is staged in the git folder: bad input (2), not a failed scan (7) or a find."""
    result = hubtokens(repo, "scan", "--staged", cwd=repo.path / ".git")

    assert result.returncode == ExitCode.USAGE == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert "is inside the git folder: nothing is staged there" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_hook_says_blocked_by_a_token_only_when_one_was_found(repo: Repo) -> None:
    assert hubtokens(repo, "scan", "--install-hook").returncode == 0
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    repo.write("t.txt", f"{make_token()}\n")
    repo.git("add", "t.txt")

    def run_hook(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(hook)],
            cwd=repo.path,
            env={**repo.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    found = run_hook({})
    failed = run_hook(broken_index(repo))

    assert found.returncode == 1
    assert "Commit blocked: the staged files above hold a Docker access token" in found.stderr
    assert failed.returncode == 7
    assert "the scan failed (exit 7)" in failed.stderr
    assert "hold a Docker access token" not in failed.stderr
