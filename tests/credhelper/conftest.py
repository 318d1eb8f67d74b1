"""Run the real ``docker-credential-hubtokens`` against a real gnome-keyring.

Docker Hub keys are answered by the account signed in on https://hub.docker.com. The helper
never calls a hub, so tests sign that account in by writing what ``hubtokens signin`` would:
the settings record (``SettingsStore``) and the auto-token item (``Vault``).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hubtokens.core import dockerconfig
from hubtokens.core.paths import AppPaths
from hubtokens.core.secret import Secret
from hubtokens.core.settings import AccountRecord, SettingsStore
from hubtokens.core.vault import SERVICE, Vault
from tests.fixtures.keychain import SecretService

BIN = Path(sys.executable).parent
HELPER = BIN / dockerconfig.HELPER_PROGRAM
DOCKER_HUB = dockerconfig.DOCKER_HUB_HUB_URL
LOCAL_HUB = "http://127.0.0.1:5000"  # a hub URL only: nothing listens, the helper never calls
REGISTRY = "127.0.0.1:5999"


def new_token() -> str:
    """A made-up PAT, different on every run (no secret-looking literal in the sources)."""
    return "dckr_pat_" + secrets.token_urlsafe(24)


@dataclass
class Helper:
    """``helper("get", stdin="docker.io")`` runs the helper program in an isolated home."""

    home: Path
    env: dict[str, str]
    vault: Vault
    secret_service: SecretService
    calls: list[subprocess.CompletedProcess[bytes]] = field(default_factory=list)

    @property
    def paths(self) -> AppPaths:
        return AppPaths.under(self.home)

    def __call__(
        self, *args: str, stdin: str | bytes = b"", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        raw = subprocess.run(
            [str(HELPER), *args],
            input=data,
            env={**self.env, **(env or {})},
            capture_output=True,
            timeout=20,
            check=False,
        )
        self.calls.append(raw)
        return subprocess.CompletedProcess(
            raw.args,
            raw.returncode,
            raw.stdout.decode("utf-8", "replace"),
            raw.stderr.decode("utf-8", "replace"),
        )

    def sign_in(self, hub_url: str = DOCKER_HUB, account: str = "alice") -> str:
        """What ``hubtokens signin`` leaves behind: a settings record and an auto token."""
        token = new_token()
        store = SettingsStore(self.paths.settings_file)
        store.save(store.load().with_account(AccountRecord(hub_url=hub_url, account=account)))
        self.vault.put_auto_token(hub_url, account, Secret(token))
        return token

    def add_registry(self, registry: str = REGISTRY, hub_url: str = LOCAL_HUB) -> None:
        dockerconfig.map_registry(str(self.paths.config_dir), registry, hub_url)

    def items(self) -> dict[str, str]:
        """Every keychain item of the app: key -> secret."""
        return keychain_items(self.secret_service)

    def cli_state_file(self) -> Path:
        return self.paths.config_dir / dockerconfig.DOCKER_CLI_FILE


def keychain_items(secret_service: SecretService) -> dict[str, str]:
    import secretstorage

    with closing(secret_service.connect()) as connection:
        items = secretstorage.Collection(connection).search_items({"service": SERVICE})
        return {item.get_attributes()["username"]: item.get_secret().decode() for item in items}


def helper_env(home: Path, secret_service: SecretService) -> dict[str, str]:
    env = {
        **secret_service.subprocess_env(),
        "HUBTOKENS_HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DOCKER_CONFIG": str(home / "docker"),
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)
    return env


@pytest.fixture
def helper(
    tmp_path: Path, secret_service: SecretService, secret_service_vault: Vault
) -> Iterator[Helper]:
    if not HELPER.exists():
        pytest.skip(f"{HELPER} is not installed (pip install -e .)")
    home = tmp_path / "hubtokens-home"
    yield Helper(home, helper_env(home, secret_service), secret_service_vault, secret_service)
