"""Real git repositories for the leak guard's tests, with token-like strings made at run time."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path


def make_token(kind: str = "pat", length: int = 27) -> str:
    """A fresh string shaped like a Docker token (never a literal in the source)."""
    tail = secrets.token_urlsafe(32)[:length]
    return "dckr_" + kind + "_" + tail


def git_env(home: Path) -> dict[str, str]:
    """An environment where only the repository's own config counts (no user or system one)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "LC_ALL": "C.UTF-8",
    }


class Repo:
    """A repository in a folder, driven with the git CLI."""

    def __init__(self, path: Path, *, init: bool = True) -> None:
        self.path = path
        self.env = git_env(path.parent)
        if init:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", "main")

    def git(self, *args: str | bytes, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=check,
        )

    def write(self, name: str | bytes, content: str | bytes) -> Path:
        path = Path(os.fsdecode(self.path / os.fsdecode(name)))
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
        return path

    def commit(self, files: dict[str, str | bytes], message: str = "change") -> str:
        """Write and commit ``files``; the new commit's id."""
        for name, content in files.items():
            self.write(name, content)
        self.git("add", "--", *files)
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()
