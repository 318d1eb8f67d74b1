"""The real CLI (and the real desktop app, offscreen) as a subprocess in an isolated home,
against a local hub and gnome-keyring, with what the tests need to check the outcome from the
outside (hub, keychain, settings)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubtokens.core.labels import auto_label
from hubtokens.core.vault import SERVICE, vault_key
from hubtokens.localhub import LocalHub
from tests.fixtures.keychain import SecretService
from tests.reliability.pause_runner import GUI, PAUSE_AT, PAUSE_FILE
from tests.reliability.support import TOKENS, Instrumented, token_of_secret
from tests.support.settings_file import age_creation_attempts

RUNNER = Path(__file__).with_name("pause_runner.py")
BIN = Path(sys.executable).parent
OFFSCREEN = {"QT_QPA_PLATFORM": "offscreen"}  # the app without a display
LABEL = auto_label(socket.gethostname())  # what the CLI labels its auto token with
CODE = re.compile(r"code is: ([A-Z]{4}-[A-Z]{4})")  # signin's one-time code, on stderr
WEB_SIGN_IN = ("signin", "--no-browser")


@dataclass
class CliHome:
    """``home.run("sync")`` runs ``python -m hubtokens sync`` with this home's environment."""

    home: Path
    env: dict[str, str]
    hub: LocalHub
    secret_service: SecretService
    user: str = "alice"
    transcript: list[str] = field(default_factory=list)

    @classmethod
    def make(
        cls, home: Path, hub: LocalHub, secret_service: SecretService, **extra: str
    ) -> CliHome:
        env = {
            **secret_service.subprocess_env(),
            "HUBTOKENS_HOME": str(home),
            "HUBTOKENS_HUB_URL": hub.url,
            "DOCKER_CONFIG": str(home / "docker"),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **extra,
        }
        env.pop("PYTHON_KEYRING_BACKEND", None)
        return cls(home, env, hub, secret_service)

    # --- running ---------------------------------------------------------------------------

    def run(
        self, *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return self._run([sys.executable, "-m", "hubtokens", *args], stdin, env or {}, timeout)

    def run_gui(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        """The installed ``hubtokens-gui`` entry point, offscreen, until it exits by itself."""
        return self._run([str(BIN / "hubtokens-gui"), *args], "", OFFSCREEN, timeout)

    def _run(
        self, command: list[str], stdin: str, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            command,
            input=stdin,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.transcript += [result.stdout, result.stderr]
        return result

    def make_recreation_due(self, password: str, *, deleted_on_hub: bool) -> None:
        """Signed in with one working token, which is then deleted on the hub (or its secret
        dropped from the keychain), with the budget allowing a recreation."""
        assert self.sign_in(password).returncode == 0
        old = self.assert_one_working_token()
        if deleted_on_hub:
            self.hub.delete_token(old)
        else:
            self.drop_item("auto-token")
        age_creation_attempts(self.home, 11)

    def sign_in(self, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run(
            "signin", "--username", self.user, "--password-stdin", *extra, stdin=password
        )

    def web_sign_in(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """``hubtokens signin`` through the browser, approved on the hub as the person would."""
        process, _ = self.start_paused([*WEB_SIGN_IN, *extra], None)
        self.approve(process)
        out, err = process.communicate(timeout=60)
        self.transcript += [out, err]
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def approve(self, process: subprocess.Popen[str]) -> str:
        """Read the one-time code a web ``signin`` printed and approve it; the code."""
        assert process.stderr is not None
        lines: list[str] = []
        while (line := process.stderr.readline()) != "":
            lines.append(line)
            if found := CODE.search(line):
                self.transcript += lines
                self.hub.decide_device(found.group(1), self.user)
                return found.group(1)
        raise AssertionError(f"no code printed: {lines}")

    def start_paused(
        self, args: Sequence[str], step: str | None, stdin: str = "", *, gui: bool = False
    ) -> tuple[subprocess.Popen[str], Path]:
        """Start the CLI (``gui``: the desktop app, offscreen) through the pause runner; it
        stops at ``step`` (None: nowhere)."""
        marker = self.home.parent / f"paused-{time.monotonic_ns()}"
        env = {**self.env, PAUSE_FILE: str(marker), **(OFFSCREEN if gui else {})}
        if step is not None:
            env[PAUSE_AT] = step
        process = subprocess.Popen(
            [sys.executable, str(RUNNER), *([GUI] if gui else []), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
        process.stdin = None  # communicate() must not touch it again
        return process, marker

    # --- looking ---------------------------------------------------------------------------

    @property
    def settings_file(self) -> Path:
        return self.home / "config" / "settings.json"

    def record(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.settings_file.read_text())
        except FileNotFoundError:
            return None
        record: dict[str, Any] | None = data.get("accounts", {}).get(self.hub.url)
        return record

    def recorded_uuid(self) -> str | None:
        record = self.record()
        token = None if record is None else record.get("auto_token")
        return None if token is None else str(token["uuid"])

    def ours(self) -> list[dict[str, Any]]:
        return [t for t in self.hub.tokens(self.user) if t["token_label"] == LABEL]

    def keychain(self) -> dict[str, str]:
        return keychain_items(self.secret_service)

    def stored(self, kind: str) -> str | None:
        return self.keychain().get(vault_key(kind, self.hub.url, self.user))

    def drop_item(self, kind: str) -> None:
        import secretstorage

        key = vault_key(kind, self.hub.url, self.user)
        with closing(self.secret_service.connect()) as connection:
            collection = secretstorage.Collection(connection)
            for item in collection.search_items({"service": SERVICE, "username": key}):
                item.delete()

    def assert_one_working_token(self) -> str:
        """Exactly one auto token on the hub, the recorded one, whose secret the keychain holds."""
        found = self.ours()
        assert len(found) == 1, f"{len(found)} auto tokens on the hub"
        [token] = found
        assert token["is_active"]
        assert self.recorded_uuid() == token["uuid"], "the settings name another token"
        record = self.record()
        assert record is not None and record.get("pending_create") is None
        secret = self.stored("auto-token")
        assert token_of_secret(self.hub, secret) == token["uuid"], (
            "the keychain holds another secret"
        )
        session_kind = "refresh-token" if record.get("sign_in") == "web" else "session"
        assert self.stored(session_kind) is not None
        return str(token["uuid"])

    def assert_no_orphan(self) -> None:
        """Nothing on the hub carries our label, nor was generated by the Hub for a session
        (a web sign-in's auto tokens), except the token the settings record."""
        found = {
            t["uuid"]
            for t in self.hub.tokens(self.user)
            if t["token_label"] == LABEL or t["generated_by"] != "manual"
        }
        assert found <= {self.recorded_uuid()}, f"orphans on the hub: {found}"


def keychain_items(secret_service: SecretService) -> dict[str, str]:
    import secretstorage

    with closing(secret_service.connect()) as connection:
        items = secretstorage.Collection(connection).search_items({"service": SERVICE})
        return {item.get_attributes()["username"]: item.get_secret().decode() for item in items}


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Until the paused process wrote ``path``; fails if it ended first."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"ended (exit {process.returncode}) before pausing: {out}{err}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("never reached the step")
        time.sleep(0.01)


def wait_until_arrived(
    watch: Instrumented,
    process: subprocess.Popen[str],
    timeout: float = 30.0,
    *,
    path: str = TOKENS,
) -> None:
    """Until the process's create request (a POST to ``path``) reached the hub (which a
    latency fault then holds), the one point of a recreation that no hook marks; fails if the
    process ended first."""
    deadline = time.monotonic() + timeout
    while ("POST", path) not in watch.arrived:
        assert process.poll() is None, process.communicate()
        if time.monotonic() > deadline:
            process.kill()  # left running, it would outlive the test
            raise AssertionError("the create request never arrived")
        time.sleep(0.005)


def healthy(home: CliHome) -> bool:
    """Whether ``assert_one_working_token`` holds now: the end state, reached or not yet."""
    try:
        home.assert_one_working_token()
    except AssertionError:
        return False
    return True


def kill(process: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGKILL, then what the process had written (stdout, stderr) before it died."""
    os.kill(process.pid, signal.SIGKILL)
    out, err = process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL
    return out, err
