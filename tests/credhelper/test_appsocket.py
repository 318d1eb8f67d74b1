"""The running-app fast path: the helper asks a tiny stand-in for the app over its socket."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import hubtokens
from hubtokens.credhelper.appsocket import APP_SECONDS, socket_path
from hubtokens.credhelper.errors import NOT_FOUND
from tests.credhelper.conftest import Helper, new_token
from tests.credhelper.fake_app import FakeApp, answer

pytestmark = pytest.mark.secret_service


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


APP_PATH_PROBE = """
import sys
sys.path.append(sys.argv[1])
from hubtokens.credhelper.main import main
sys.argv = ["docker-credential-hubtokens", "get"]
code = main()
sys.stderr.write(repr((code, sorted(sys.modules))))
"""


def test_the_app_path_starts_nothing_but_the_helper_and_its_socket(
    helper: Helper, fake_app: Callable[..., FakeApp]
) -> None:
    """As the launcher starts it (python -I -S): every module a docker pull waits for."""
    fake_app(answer(0, '{"ServerURL":"docker.io","Username":"alice","Secret":"s"}\n'))
    source = str(Path(hubtokens.__file__).parent.parent)
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", APP_PATH_PROBE, source],
        input="docker.io",
        env=helper.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    code, loaded = ast.literal_eval(result.stderr)
    assert code == 0 and json.loads(result.stdout)["Secret"] == "s"
    started = set(loaded) - set(sys.builtin_module_names)
    ours = {name for name in started if name.startswith("hubtokens")}
    assert ours == {
        "hubtokens",
        "hubtokens.credhelper",
        "hubtokens.credhelper.main",
        "hubtokens.credhelper.errors",
        "hubtokens.credhelper.appsocket",
    }
    # Python's own start-up (the codecs, the importer) and the socket; no os, no __future__.
    assert {name.split(".")[0] for name in started - ours} <= {
        "__main__",
        "_frozen_importlib",
        "_frozen_importlib_external",
        "zipimport",
        "encodings",
        "codecs",
        "io",
        "abc",
        "_socket",
    }, sorted(started - ours)


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
