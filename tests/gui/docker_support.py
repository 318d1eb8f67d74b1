"""The running app answering the real ``docker-credential-hubtokens``: the setup and probes
shared by the GUI's docker tests and the reliability suite's load test on the app. Each test
module wraps the setup in its own fixtures (a global plugin would shadow the ``registry``
fixture of tests/fixtures/registry.py).

The helper runs with the app's home and a session bus address where nobody listens: it can
read no keychain at all, so every credential it prints came from the app.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from hubtokens.core import dockerconfig as dc
from hubtokens.core.vault import Vault
from hubtokens.credhelper.appserver import server_for
from hubtokens.credhelper.appsocket import ask_app
from hubtokens.gui.controllers.docker import DockerSetup
from tests.credhelper.conftest import BIN, HELPER, REGISTRY


def serving_docker_setup(tmp_path: Path, vault: Vault) -> DockerSetup:
    """As conftest's ``docker_setup``, and the app answers the helper run with
    ``HUBTOKENS_HOME=tmp_path``."""
    config_dir = str(tmp_path / "config")
    return DockerSetup(
        config_dir=config_dir,
        environ={"DOCKER_CONFIG": str(tmp_path / "docker")},
        read_item=vault.get_item,
        server=server_for({"HUBTOKENS_HOME": str(tmp_path)}, config_dir),
    )


def helper_env_for(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HUBTOKENS_HOME": str(home),
        "DOCKER_CONFIG": str(home / "docker"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus",  # no keychain to read
    }


def map_test_registry(home: Path, hub_url: str) -> str:
    """A registry answered by the account of ``hub_url`` (``docker configure --registry``)."""
    dc.map_registry(str(home / "config"), REGISTRY, hub_url)
    return REGISTRY


def helper(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HELPER), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def from_app(env: dict[str, str], server: str) -> str | None:
    """The secret the app answers for ``server`` (through the helper's own client), if any."""
    answer = ask_app(env, server, time.monotonic() + 2)
    if answer is None or answer[0] != 0:
        return None
    secret: str = json.loads(answer[1])["Secret"]
    return secret


def answers(env: dict[str, str], server: str) -> Callable[[], bool]:
    return lambda: from_app(env, server) is not None
