"""The running-app fast path: the helper asks a tiny stand-in for the app over its socket."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hubtokens.credhelper.appsocket import APP_SECONDS, socket_path
from hubtokens.credhelper.errors import NOT_FOUND
from tests.credhelper.conftest import Helper, new_token

pytestmark = pytest.mark.secret_service


class FakeApp:
    """Listens where the app would and answers every request with ``reply(request)``."""

    def __init__(self, path: Path, reply: Callable[[bytes], bytes]) -> None:
        self.requests: list[bytes] = []
        self._reply = reply
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            with conn:
                request = b""
                while chunk := conn.recv(4096):
                    request += chunk
                self.requests.append(request)
                answer = self._reply(request)
                if answer:
                    conn.sendall(answer)

    def close(self) -> None:
        self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread waits in
        self._server.close()
        self._thread.join(timeout=5)


@pytest.fixture
def app_folder(helper: Helper) -> Path:
    path = Path(socket_path(helper.env) or "")
    path.parent.mkdir(parents=True, mode=0o700)
    return path


@pytest.fixture
def fake_app(app_folder: Path) -> Iterator[Callable[[Callable[[bytes], bytes]], FakeApp]]:
    apps: list[FakeApp] = []

    def start(reply: Callable[[bytes], bytes]) -> FakeApp:
        apps.append(FakeApp(app_folder, reply))
        return apps[-1]

    yield start
    for app in apps:
        app.close()


def answer(code: int, text: str) -> Callable[[bytes], bytes]:
    return lambda request: f"{code}\n{text}".encode()


def test_the_socket_lives_in_the_app_home_or_the_runtime_folder() -> None:
    assert socket_path({"HUBTOKENS_HOME": "/h", "XDG_RUNTIME_DIR": "/r"}) == (
        "/h/run/hubtokens/helper.sock"
    )
    assert socket_path({"XDG_RUNTIME_DIR": "/r"}) == "/r/hubtokens/helper.sock"
    assert socket_path({}) is None


def test_the_running_app_answers_get(helper: Helper, fake_app: Callable[..., FakeApp]) -> None:
    secret = new_token()
    reply = json.dumps({"ServerURL": "docker.io", "Username": "alice", "Secret": secret}) + "\n"
    app = fake_app(answer(0, reply))

    result = helper("get", stdin="docker.io\n")

    assert (result.returncode, result.stdout) == (0, reply)
    assert app.requests == [b"get\ndocker.io\n"]
    assert helper.items() == {}  # it never had to read the keychain


def test_the_app_saying_not_found_is_final(
    helper: Helper, fake_app: Callable[..., FakeApp]
) -> None:
    helper.sign_in()  # the keychain has a token, but the app knows better (docker logout)
    fake_app(answer(1, NOT_FOUND + "\n"))
    result = helper("get", stdin="docker.io")
    assert (result.returncode, result.stdout) == (1, NOT_FOUND + "\n")


@pytest.mark.parametrize(
    "reply",
    [
        answer(2, "what"),
        answer(1, ""),
        lambda request: b"",
        lambda request: b"0",
        lambda request: b"0\n\xff\xfe",
        lambda request: b"0\n" + b"x" * 70_000,
    ],
)
def test_a_broken_app_answer_falls_back_to_the_keychain(
    helper: Helper, fake_app: Callable[..., FakeApp], reply: Callable[[bytes], bytes]
) -> None:
    token = helper.sign_in()
    app = fake_app(reply)
    result = helper("get", stdin="docker.io")
    assert json.loads(result.stdout)["Secret"] == token
    assert len(app.requests) == 1


def test_an_app_that_hangs_costs_at_most_its_share_of_the_deadline(
    helper: Helper, fake_app: Callable[..., FakeApp]
) -> None:
    token = helper.sign_in()

    def hang(request: bytes) -> bytes:
        time.sleep(APP_SECONDS + 1)
        return b""

    fake_app(hang)
    started = time.monotonic()
    result = helper("get", stdin="docker.io")
    assert json.loads(result.stdout)["Secret"] == token
    assert time.monotonic() - started < APP_SECONDS + 0.7


def test_a_socket_in_a_folder_others_can_use_is_ignored(
    helper: Helper, fake_app: Callable[..., FakeApp], app_folder: Path
) -> None:
    token = helper.sign_in()
    app = fake_app(answer(0, "{}\n"))
    app_folder.parent.chmod(0o770)  # group access is enough to refuse it
    result = helper("get", stdin="docker.io")
    assert json.loads(result.stdout)["Secret"] == token
    assert app.requests == []


@pytest.fixture
def nobodys_folder() -> Iterator[Path]:
    """A folder where user 65534 may bind a socket (pytest's tmp_path is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="hubtokens-nobody-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="starting a listener as another user needs root")
def test_a_listener_running_as_another_user_is_ignored(
    helper: Helper, app_folder: Path, nobodys_folder: Path
) -> None:
    token = helper.sign_in()
    elsewhere = nobodys_folder
    code = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"s.bind({str(elsewhere / 'app.sock')!r}); s.listen()\n"
        "print('ready', flush=True)\n"
        "c, _ = s.accept(); print(repr(c.recv(100)), flush=True)\n"
    )
    listener = subprocess.Popen(
        ["/usr/bin/python3", "-I", "-c", code],
        user=65534,
        stdout=subprocess.PIPE,
        text=True,
        cwd="/",
    )
    try:
        assert listener.stdout is not None
        assert listener.stdout.readline().strip() == "ready"
        os.rename(elsewhere / "app.sock", app_folder)  # a socket of nobody's in our folder

        result = helper("get", stdin="docker.io")

        assert json.loads(result.stdout)["Secret"] == token
        out, _ = listener.communicate(timeout=5)
        assert out.strip() == "b''"  # it was connected to, but told nothing
    finally:
        listener.kill()
        listener.wait()
