"""``hubtokens signin`` through the browser, run as the real program against the local Hub and
a real keychain: the code and page on stderr, the browser opened (or not), the approval, and
Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hubtokens.localhub import HubConfig, LocalHub
from tests.cli.conftest import Cli
from tests.fixtures.browser import approve_in_browser

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CODE = re.compile(r"code is: ([A-Z]{4}-[A-Z]{4})")


@pytest.fixture
def local_hub(alice_password: str) -> Iterator[LocalHub]:
    """The usual hub, polled every second instead of five (the tests wait for approvals), on
    the real clock: the program polls in real time, and the hub spaces polls by its clock."""
    config = HubConfig(seed=0, device_poll_interval=timedelta(seconds=1))
    with LocalHub(config) as hub:
        hub.add_user("alice", alice_password)
        yield hub


def _start(cli: Cli, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hubtokens", "signin", *args],
        env={**cli.env, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _recording_browser(folder: Path, opened: Path) -> str:
    """A $BROWSER command that writes down the page it is asked to open."""
    program = folder / "browser"
    program.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    program.chmod(0o755)
    return f"{program} %s"


def _code_from(process: subprocess.Popen[str]) -> tuple[str, list[str]]:
    """The one-time code the program printed, and the lines up to it."""
    assert process.stderr is not None
    lines: list[str] = []
    while (line := process.stderr.readline()) != "":
        lines.append(line)
        found = CODE.search(line)
        if found:
            return found.group(1), lines
    raise AssertionError(f"no code printed: {lines}")


def test_signin_without_a_username_waits_for_the_browser_and_signs_in(
    cli: Cli, local_hub: LocalHub
) -> None:
    process = _start(cli, "--no-browser")
    code, _ = _code_from(process)
    assert process.stderr is not None
    rest = [process.stderr.readline(), process.stderr.readline()]
    assert any(f"{local_hub.url}/activate" in line for line in rest), rest
    assert any("Ctrl-C cancels" in line for line in rest), rest
    local_hub.decide_device(code, "alice")
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert f"Signed in to {local_hub.url} as alice through the browser." in out
    status = json.loads(cli("status", "--json").stdout)
    assert status["sign_in"] == "web" and status["auto_token"] is not None
    assert status["session_expires_at"] is None and status["management"] == "ok"
    text = cli("status").stdout
    assert "Sign-in:" in text and "the session renews itself" in text


def test_the_browser_opens_at_the_page_with_the_code_where_there_is_a_display(
    cli: Cli, local_hub: LocalHub, tmp_path: Path
) -> None:
    opened = tmp_path / "opened"
    process = _start(cli, env={"BROWSER": _recording_browser(tmp_path, opened), "DISPLAY": ":99"})
    code, _ = _code_from(process)
    local_hub.decide_device(code, "alice")
    _, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert opened.read_text() == f"{local_hub.url}/activate?user_code={code}"
    assert "Opened your browser" in err
    # and the plain page, in case the browser never came up
    assert f"Open this page to confirm the code and sign in: {local_hub.url}/activate\n" in err


def test_no_browser_is_opened_without_a_display_or_with_no_browser(
    cli: Cli, local_hub: LocalHub, tmp_path: Path
) -> None:
    opened = tmp_path / "opened"
    browser = _recording_browser(tmp_path, opened)
    for extra, env in (((), {"DISPLAY": ""}), (("--no-browser",), {"DISPLAY": ":99"})):
        process = _start(cli, *extra, env={"BROWSER": browser, **env})
        code, _ = _code_from(process)
        local_hub.decide_device(code, "alice", approve=False)
        _, err = process.communicate(timeout=60)
        assert process.returncode != 0 and "denied" in err.lower(), err
    assert not opened.exists()


def test_ctrl_c_cancels_at_once_and_leaves_nothing(cli: Cli, local_hub: LocalHub) -> None:
    process = _start(cli, "--no-browser")
    _code_from(process)
    assert process.stderr is not None
    while "Ctrl-C cancels" not in process.stderr.readline():
        pass  # the wait has begun
    started = time.monotonic()
    os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=30)

    assert time.monotonic() - started < 10
    assert process.returncode != 0 and "cancelled" in err.lower(), err
    assert "Traceback" not in err
    assert cli("status").returncode != 0  # not signed in
    assert [t for t in local_hub.tokens("alice")] == []


def test_a_password_flag_without_a_username_is_refused(cli: Cli) -> None:
    result = cli("signin", "--password-stdin", stdin="whatever")
    assert result.returncode == 2
    assert "needs the username" in result.stderr


def test_the_cli_finishes_its_sign_in_while_a_real_browser_approves(
    cli: Cli, local_hub: LocalHub, browser: WebDriver, alice_password: str
) -> None:
    process = _start(cli, "--no-browser")
    code, _ = _code_from(process)
    closing = approve_in_browser(
        browser, f"{local_hub.url}/activate?user_code={code}", "alice", alice_password
    )
    out, err = process.communicate(timeout=60)

    assert "close this window" in closing.lower()
    assert process.returncode == 0, err
    assert "as alice through the browser" in out
    assert json.loads(cli("status", "--json").stdout)["sign_in"] == "web"
