"""`hubtokens hub` (here `python -m hubtokens.localhub`) as a real program."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hubtokens.localhub import totp
from hubtokens.localhub.program import default_data_dir, main
from tests.fixtures.activate_http import approve_over_http
from tests.fixtures.signin import desktop_generate, poll, start_device_sign_in
from tests.localhub.client import HubClient

PROGRAM = [sys.executable, "-m", "hubtokens.localhub"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The program's environment, with a private HUBTOKENS_HOME."""
    return {**os.environ, "HUBTOKENS_HOME": str(tmp_path / "home")}


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROGRAM, *args], input=stdin, env=env, capture_output=True, text=True, timeout=30
    )


@contextmanager
def serving(args: list[str], env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A running `serve` and the URL it printed first; killed if the test did not stop it."""
    command = [*PROGRAM, "serve", *args]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            yield proc, proc.stdout.readline().strip()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_demo_answers_and_stops_cleanly(env: dict[str, str], stop: signal.Signals) -> None:
    with serving(["--port", "0", "--demo"], env) as (proc, url):
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert proc.stdout is not None
        hint = proc.stdout.readline()
        assert "demo" in hint and f"--hub {url}" in hint and "--password-stdin" in hint
        sign_in_service = proc.stdout.readline()
        assert f"{url}/activate" in sign_in_service
        started = start_device_sign_in(url)
        assert started["verification_uri"] == f"{url}/activate"
        # The demo account signs in through the web too.
        approve_over_http(url, started["user_code"], "demo", "demo-password")
        web = poll(url, started["device_code"])
        assert web.status_code == 200, web.text
        assert desktop_generate(url, web.json()["access_token"]).status_code == 201
        client = HubClient(url)
        session = client.login("demo", "demo-password")
        assert client.call("GET", "/v2/access-tokens", token=session).json()["count"] >= 10
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert err == ""
    assert (Path(env["HUBTOKENS_HOME"]) / "localhub" / "localhub.sqlite3").exists()


def test_serve_with_options_and_faults(env: dict[str, str], tmp_path: Path) -> None:
    options = [
        "--data", str(tmp_path / "data"),
        "--requests-per-minute", "7",
        "--creates-per-hour", "3",
        "--session-lifetime", "120",
        "--fault", "error:value=500,count=1,path=/v2/users/login",
    ]  # fmt: skip
    with serving(options, env) as (proc, url):
        client = HubClient(url)
        login = {"username": "x", "password": "y"}
        first = client.call("POST", "/v2/users/login", login)
        assert (first.status, first.headers["x-ratelimit-limit"]) == (500, "7")
        assert client.call("POST", "/v2/users/login", login).status == 401
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert (tmp_path / "data" / "localhub.sqlite3").exists()


@pytest.mark.parametrize(
    ("args", "complaint"),
    [(["--host", "0.0.0.0"], "--allow-remote"), (["--fault", "explode"], "unknown fault kind")],
)
def test_serve_refuses_bad_options(env: dict[str, str], args: list[str], complaint: str) -> None:
    result = run(["serve", *args], env)
    assert result.returncode == 2
    assert complaint in result.stderr and result.stdout == ""


def test_add_user(env: dict[str, str], tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    added = run(["add-user", "erin", "--data", data], env, stdin="s3cret-pass\n")
    assert added.returncode == 0, added.stderr
    assert "erin" in added.stdout and "s3cret-pass" not in added.stdout
    duplicate = run(["add-user", "erin", "--data", data], env, stdin="other\n")
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    empty = run(["add-user", "frank", "--data", data], env, stdin="\n")
    assert empty.returncode == 2
    assert "password" in empty.stderr
    with serving(["--data", data], env) as (proc, url):
        assert HubClient(url).login("erin", "s3cret-pass")
        proc.terminate()
        proc.communicate(timeout=10)


def test_add_user_with_otp_prints_a_working_secret(env: dict[str, str]) -> None:
    added = run(["add-user", "grace", "--otp-secret"], env, stdin="pass-word\n")
    assert added.returncode == 0, added.stderr
    secret = re.search(r"TOTP secret: ([A-Z2-7=]+)", added.stdout)
    uri = re.search(r"(otpauth://totp/\S+)", added.stdout)
    assert secret and uri
    assert f"secret={secret.group(1).rstrip('=')}" in uri.group(1)
    # No --data: the user landed in the default folder under HUBTOKENS_HOME.
    with serving([], env) as (proc, url):
        client = HubClient(url)
        first = client.call(
            "POST", "/v2/users/login", {"username": "grace", "password": "pass-word"}
        )
        assert first.status == 401
        code = totp.code_at(secret.group(1), datetime.now(UTC))
        second = client.call(
            "POST",
            "/v2/users/2fa-login",
            {"login_2fa_token": first.json()["login_2fa_token"], "code": code},
        )
        assert second.status == 200
        proc.terminate()
        proc.communicate(timeout=10)


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUBTOKENS_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "localhub"
    monkeypatch.delenv("HUBTOKENS_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "hubtokens" / "localhub"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "hubtokens" / "localhub"


def test_main_needs_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "hubtokens hub" in capsys.readouterr().err
