"""Run the real ``hubtokens`` program as a subprocess against the local Hub and a real keychain."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hubtokens.localhub import LocalHub
from tests.fixtures.keychain import SecretService


@dataclass
class Cli:
    """``cli("token", "ls")`` runs ``python -m hubtokens token ls`` in an isolated home."""

    home: Path
    env: dict[str, str]
    transcript: list[str]

    def __call__(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "hubtokens", *args],
            input=stdin if stdin is not None else "",
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # Everything a person would have seen, for the secret scans.
        self.transcript += [result.stdout, result.stderr]
        return result

    def sign_in(
        self, username: str, password: str, *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self(
            "signin", "--username", username, "--password-stdin", *extra, stdin=password, env=env
        )


@pytest.fixture
def cli(
    tmp_path: Path, local_hub: LocalHub, secret_service: SecretService
) -> Callable[..., subprocess.CompletedProcess[str]]:
    secret_service.restore()
    home = tmp_path / "hubtokens-home"
    env = {
        **secret_service.subprocess_env(),
        "HUBTOKENS_HOME": str(home),
        "HUBTOKENS_HUB_URL": local_hub.url,
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)
    return Cli(home=home, env=env, transcript=[])


@pytest.fixture
def signed_in_cli(cli: Cli, alice_password: str) -> Cli:
    result = cli.sign_in("alice", alice_password)
    assert result.returncode == 0, result.stderr
    return cli
