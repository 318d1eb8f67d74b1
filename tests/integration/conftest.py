"""End to end with real clients: the real ``hubtokens`` CLI signed in to a local Hub, Debian's
``docker-registry`` taking that hub's tokens, gnome-keyring, ``docker-credential-hubtokens``,
and skopeo / the docker CLI finding the helper through ``credHelpers`` in docker's config.json.

Every program of a test runs with one environment (``Rig.env``): a private HOME and XDG
folders, ``DOCKER_CONFIG=$HOME/.docker`` (skopeo 1.9 reads it, as the docker CLI does, and
falls back to ``$HOME/.docker`` anyway), the app's ``HUBTOKENS_HOME``, the private session bus
of the real keychain, and PATH starting with this venv's bin folder, where the helper is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hubtokens.core.dockerconfig import HELPER_PROGRAM
from hubtokens.localhub import LocalHub
from tests.cli.conftest import Cli
from tests.fixtures.keychain import SecretService
from tests.fixtures.registry import OciImage, RunningRegistry, Skopeo
from tests.support.settings_file import age_creation_attempts

BIN = Path(sys.executable).parent
HELPER = BIN / HELPER_PROGRAM
_TIMEOUT_SECONDS = 30


def program(name: str) -> str | None:
    """``name`` on PATH, or in /usr/bin (Debian's packages) when PATH is narrow."""
    return shutil.which(name) or shutil.which(name, path="/usr/bin")


class HelperSkopeo(Skopeo):
    """skopeo that finds credentials on its own, as a person's skopeo does: no ``--creds``
    and no ``--no-creds``, so it asks the helper named in docker's config.json."""

    def __init__(self, binary: str, home: Path, env: dict[str, str]) -> None:
        super().__init__(binary, home)
        self._env = dict(env)

    def push(self, image: OciImage, dest: str) -> subprocess.CompletedProcess[str]:
        return self.run(
            "copy",
            "--retry-times",
            "0",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            image.ref,
            dest,
        )

    def pull(self, ref: str) -> subprocess.CompletedProcess[str]:
        """``skopeo inspect``: the manifest and config, which is a pull as far as auth goes."""
        return self.run("inspect", "--retry-times", "0", "--tls-verify=false", ref)


@dataclass
class Rig:
    """One test's world; see the module docstring."""

    registry: RunningRegistry
    hub: LocalHub
    cli: Cli
    skopeo: HelperSkopeo
    checker: Skopeo  # skopeo with explicit creds only: what the registry really holds
    secret_service: SecretService
    env: dict[str, str]
    alice_password: str

    @property
    def host(self) -> str:
        return self.registry.host

    def ref(self, repository: str, tag: str) -> str:
        return self.registry.ref(repository, tag)

    # --- the programs ----------------------------------------------------------------------

    def helper(self, *args: str, stdin: str | bytes = b"") -> subprocess.CompletedProcess[str]:
        """``docker-credential-hubtokens ARGS`` with ``stdin``; output decoded leniently."""
        raw = subprocess.run(
            [str(HELPER), *args],
            input=stdin.encode() if isinstance(stdin, str) else stdin,
            env=self.env,
            capture_output=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
        return subprocess.CompletedProcess(
            raw.args,
            raw.returncode,
            raw.stdout.decode("utf-8", "replace"),
            raw.stderr.decode("utf-8", "replace"),
        )

    def docker(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        binary = program("docker")
        assert binary is not None, "mark the test with needs_docker"
        return subprocess.run(
            [binary, *args],
            input=stdin if stdin is not None else "",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )

    def keychain(self) -> str:
        """``secret-tool search --all service hubtokens``: every app item, its attributes,
        secret and created/modified times, as libsecret's own tool shows them."""
        result = self.secret_service.run("secret-tool", "search", "--all", "service", "hubtokens")
        # secret-tool prints the items on stdout and the attributes on stderr, in order.
        return result.stdout + result.stderr

    def keychain_keys(self) -> list[str]:
        return sorted(
            line.split("=", 1)[1].strip()
            for line in self.keychain().splitlines()
            if line.startswith("attribute.username")
        )

    # --- the hub -------------------------------------------------------------------------

    def sign_in(self) -> None:
        result = self.cli.sign_in("alice", self.alice_password)
        assert result.returncode == 0, result.stderr

    def configure(self) -> None:
        result = self.cli("docker", "configure", "--registry", self.host)
        assert result.returncode == 0, result.stderr

    def auto_token_uuid(self) -> str:
        result = self.cli("status", "--json")
        assert result.returncode == 0, result.stderr
        uuid: str = json.loads(result.stdout)["auto_token"]["uuid"]
        return uuid

    def auto_token_secret(self) -> str:
        result = self.cli("token", "print")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def hub_token(self, uuid: str, user: str = "alice") -> dict[str, Any]:
        """The token as the hub lists it (``last_used``, ``is_active``, ...)."""
        (token,) = [t for t in self.hub.tokens(user) if t["uuid"] == uuid]
        return token

    def age_creation_attempts(self, minutes: int) -> None:
        age_creation_attempts(self.cli.home, minutes)

    def app_files(self) -> dict[str, str]:
        """The app's config folder, file by file (what the helper may write)."""
        folder = self.cli.home / "config"
        return {p.name: p.read_text() for p in sorted(folder.glob("*")) if p.is_file()}


@pytest.fixture
def rig(
    registry: RunningRegistry,
    skopeo: Skopeo,
    secret_service: SecretService,
    alice_password: str,
    tmp_path: Path,
) -> Iterator[Rig]:
    """A registry trusting ``registry.hub``, a CLI (not yet signed in) pointed at that hub,
    and skopeo/docker/helper sharing the CLI's environment."""
    if not HELPER.exists():
        pytest.skip(f"{HELPER} is not installed (pip install -e .)")
    if program("secret-tool") is None:
        pytest.skip("secret-tool is not installed (apt install libsecret-tools)")
    skopeo_binary = program("skopeo")
    assert skopeo_binary is not None  # the skopeo fixture skipped otherwise
    secret_service.restore()
    home = tmp_path / "home"
    runtime = home / "run"
    runtime.mkdir(parents=True, mode=0o700)
    env = {
        **secret_service.subprocess_env(),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "DOCKER_CONFIG": str(home / ".docker"),
        # An auth file of our own that never exists: no machine-wide skopeo login takes part.
        "REGISTRY_AUTH_FILE": str(home / "no-auth.json"),
        "HUBTOKENS_HOME": str(tmp_path / "hubtokens-home"),
        "HUBTOKENS_HUB_URL": registry.hub.url,  # the hub whose tokens the registry trusts
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)
    cli = Cli(home=Path(env["HUBTOKENS_HOME"]), env=env, transcript=[])
    helper_skopeo = HelperSkopeo(skopeo_binary, tmp_path / "helper-skopeo", env)
    yield Rig(
        registry, registry.hub, cli, helper_skopeo, skopeo, secret_service, env, alice_password
    )
    secret_service.restore()


@pytest.fixture
def signed_in_rig(rig: Rig) -> Rig:
    """The CLI signed in (so the keeper made the auto token) and the registry configured."""
    rig.sign_in()
    rig.configure()
    return rig
