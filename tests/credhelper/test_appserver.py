"""The app's side of the helper's fast path, against the helper's real client.

Its answers must be the keychain path's, byte for byte, in every state: the real helper
program runs once with the app holding nothing (so it reads gnome-keyring) and once with the
app answering while the keychain is locked. Then the socket's guards: its folder and mode,
other users, malformed or slow requests, and 200 clients while the credential is swapped.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hubtokens.core.dockerconfig import DOCKER_HUB_HUB_URL
from hubtokens.core.paths import AppPaths
from hubtokens.core.secret import Secret
from hubtokens.core.settings import AccountRecord, AutoTokenRecord, SettingsStore
from hubtokens.credhelper import appserver
from hubtokens.credhelper.answers import HeldCredentials, load_credentials
from hubtokens.credhelper.appserver import CredServer, ServerUnavailable, server_for
from hubtokens.credhelper.appsocket import APP_SECONDS, ask_app, socket_path
from hubtokens.credhelper.errors import NOT_FOUND
from hubtokens.credhelper.keychain import AUTO_TOKEN, item_key
from tests.credhelper import conftest as credhelper_fixtures
from tests.credhelper.conftest import LOCAL_HUB, REGISTRY, Helper, new_token

helper = credhelper_fixtures.helper  # the helper program in an isolated home, on gnome-keyring

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="acting as another user needs root")


@dataclass
class App:
    """A started server over the helper's home, with what it answered."""

    server: CredServer
    config_dir: str
    answered: list[str] = field(default_factory=list)
    stale: threading.Event = field(default_factory=threading.Event)

    def load(self, read_item: Callable[[str], Secret | None]) -> HeldCredentials:
        held = load_credentials(self.config_dir, read_item)
        self.server.hold(held)
        return held


@pytest.fixture
def app(helper: Helper, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    config_dir = str(helper.paths.config_dir)
    server = server_for(helper.env, config_dir)
    assert server is not None
    started = App(server, config_dir)
    answer = appserver.answer

    def recorded(held: HeldCredentials, config: str, server_url: str) -> tuple[int, str] | None:
        reply = answer(held, config, server_url)
        if reply is not None:
            started.answered.append(server_url)
        return reply

    monkeypatch.setattr(appserver, "answer", recorded)
    server.start(started.stale.set)
    yield started
    server.stop()


def outputs(helper: Helper, servers: list[str]) -> list[tuple[int, str]]:
    return [(r.returncode, r.stdout) for r in (helper("get", stdin=s) for s in servers)]


# --- the same answers as the keychain ---------------------------------------------------------


def signed_in(helper: Helper) -> list[str]:
    helper.sign_in()
    return ["docker.io", "https://index.docker.io/v1/", "registry-1.docker.io", "index.docker.io"]


def registry(helper: Helper) -> list[str]:
    helper.sign_in()
    helper.sign_in(LOCAL_HUB, "bob")
    helper.add_registry()
    return [REGISTRY, f"http://{REGISTRY}/", "docker.io"]


def docker_login(helper: Helper) -> list[str]:
    helper.sign_in()
    theirs = {"ServerURL": "docker.io", "Username": "carol", "Secret": new_token()}
    assert helper("store", stdin=json.dumps(theirs)).returncode == 0
    return ["docker.io", "https://index.docker.io/v1/"]


def docker_logout(helper: Helper) -> list[str]:
    helper.sign_in()
    assert helper("erase", stdin="https://index.docker.io/v1/").returncode == 0
    return ["docker.io"]


def not_ours(helper: Helper) -> list[str]:
    helper.sign_in()
    return ["ghcr.io", "127.0.0.1:5998", "not an address!", "https://[::1"]


def signed_out(helper: Helper) -> list[str]:
    return ["docker.io"]


def unreadable_settings(helper: Helper) -> list[str]:
    helper.sign_in()
    helper.paths.settings_file.write_text("{not json")
    return ["docker.io", "ghcr.io"]


@pytest.mark.secret_service
@pytest.mark.parametrize(
    "state",
    [
        signed_in,
        registry,
        docker_login,
        docker_logout,
        not_ours,
        signed_out,
        unreadable_settings,
    ],
)
def test_the_app_answers_exactly_what_the_keychain_path_prints(
    helper: Helper, app: App, state: Callable[[Helper], list[str]]
) -> None:
    servers = state(helper)
    from_keychain = outputs(helper, servers)  # the app holds nothing yet: it does not answer
    assert app.answered == []
    app.load(helper.vault.get_item)
    helper.secret_service.lock()  # so only the app can have read a secret
    try:
        from_app = outputs(helper, servers)
    finally:
        helper.secret_service.unlock()
    assert from_app == from_keychain
    assert app.answered == servers


@pytest.mark.secret_service
def test_only_the_secrets_the_helper_would_read_are_held(helper: Helper, app: App) -> None:
    registry(helper)
    helper.vault.put_session(DOCKER_HUB_HUB_URL, "alice", Secret(new_token()))
    held = app.load(helper.vault.get_item)
    assert sorted(held.secrets) == [
        item_key(AUTO_TOKEN, "alice", DOCKER_HUB_HUB_URL),
        item_key(AUTO_TOKEN, "bob", LOCAL_HUB),
    ]
    assert "dckr_pat_" not in repr(held)


@pytest.mark.secret_service
def test_a_secret_the_app_does_not_hold_is_left_to_the_keychain(helper: Helper, app: App) -> None:
    helper.sign_in()
    helper.vault.delete_auto_token(DOCKER_HUB_HUB_URL, "alice")
    app.load(helper.vault.get_item)
    got = helper("get", stdin="docker.io")
    assert (got.returncode, got.stdout) == (1, NOT_FOUND + "\n")
    assert app.answered == []  # the helper asked the keychain itself


@pytest.mark.secret_service
def test_a_docker_login_after_the_load_is_answered_by_the_keychain(
    helper: Helper, app: App
) -> None:
    first = {"ServerURL": "docker.io", "Username": "carol", "Secret": new_token()}
    assert helper("store", stdin=json.dumps(first)).returncode == 0
    helper.sign_in()
    app.load(helper.vault.get_item)
    again = {**first, "Secret": new_token()}  # the same user, a new password
    assert helper("store", stdin=json.dumps(again)).returncode == 0

    got = helper("get", stdin="docker.io")

    assert json.loads(got.stdout)["Secret"] == again["Secret"]
    assert app.answered == []  # docker-cli.json was replaced: the app knew it was behind
    assert app.stale.wait(1)


@pytest.mark.secret_service
def test_a_sync_rewriting_the_settings_keeps_the_app_answering(helper: Helper, app: App) -> None:
    """A sync writes its time and outcome every few minutes: the app still answers (the
    keychain may be locked meanwhile). A new auto token recorded makes it load again."""
    token = helper.sign_in()
    app.load(helper.vault.get_item)
    helper.secret_service.lock()  # only the app can answer now
    store = SettingsStore(helper.paths.settings_file)
    store.update(
        lambda s: s.with_account(replace(s.accounts[DOCKER_HUB_HUB_URL], last_outcome="ok"))
    )

    got = helper("get", stdin="docker.io")

    assert (got.returncode, json.loads(got.stdout or "{}").get("Secret")) == (0, token)
    assert app.answered == ["docker.io"] and not app.stale.is_set()

    recorded = AutoTokenRecord(str(uuid.uuid4()), "Auto-generated", datetime.now(UTC))
    store.update(
        lambda s: s.with_account(replace(s.accounts[DOCKER_HUB_HUB_URL], auto_token=recorded))
    )
    assert helper("get", stdin="docker.io").returncode == 1  # to the locked keychain
    assert app.answered == ["docker.io"]
    assert app.stale.wait(1)


@pytest.mark.secret_service
def test_a_docker_logout_after_the_load_is_answered_by_the_rules(helper: Helper, app: App) -> None:
    helper.sign_in()
    app.load(helper.vault.get_item)
    assert helper("erase", stdin="docker.io").returncode == 0
    helper.secret_service.lock()
    try:
        got = helper("get", stdin="docker.io")
    finally:
        helper.secret_service.unlock()
    assert (got.returncode, got.stdout) == (1, NOT_FOUND + "\n")
    assert app.stale.is_set()


# --- the socket -------------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Signed in to Docker Hub as alice (settings only: the secrets are made up per test)."""
    store = SettingsStore(AppPaths.under(tmp_path).settings_file)
    store.save(store.load().with_account(AccountRecord(DOCKER_HUB_HUB_URL, "alice")))
    return tmp_path


def held_with(home: Path, secret: str) -> HeldCredentials:
    items = {item_key(AUTO_TOKEN, "alice", DOCKER_HUB_HUB_URL): Secret(secret)}
    return load_credentials(str(AppPaths.under(home).config_dir), items.get)


@pytest.fixture
def server(home: Path) -> Iterator[CredServer]:
    started = CredServer(
        str(home / "run" / "hubtokens" / "helper.sock"), str(AppPaths.under(home).config_dir)
    )
    started.start()
    started.hold(held_with(home, new_token()))
    yield started
    started.stop()


def raw(path: str, request: bytes, *, shut: bool = True) -> bytes:
    """What the server sends back for ``request``; b"" when it closes without answering."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(APP_SECONDS + 2)
        sock.connect(path)
        try:
            sock.sendall(request)
            if shut:
                sock.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
            return reply
        except (ConnectionResetError, BrokenPipeError):
            return b""


def test_the_folder_is_owner_only_and_the_socket_0600(server: CredServer) -> None:
    folder = os.stat(os.path.dirname(server.path))
    assert stat.S_IMODE(folder.st_mode) == 0o700 and folder.st_uid == os.getuid()
    assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600


def test_a_folder_others_could_use_is_made_private(home: Path) -> None:
    folder = home / "run" / "hubtokens"
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    server = CredServer(str(folder / "helper.sock"), str(home / "config"))
    server.start()
    server.stop()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@needs_root
def test_a_folder_of_another_user_is_refused(home: Path) -> None:
    folder = home / "run" / "hubtokens"
    folder.mkdir(parents=True, mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(ServerUnavailable, match="not a folder of this user's"):
        CredServer(str(folder / "helper.sock"), str(home / "config")).start()


def test_a_stale_socket_is_replaced_a_live_one_left_alone(home: Path, server: CredServer) -> None:
    with pytest.raises(ServerUnavailable, match="another Hub Tokens answers"):
        CredServer(server.path, str(home / "config")).start()
    assert raw(server.path, b"get\ndocker.io\n").startswith(b"0\n")  # the first still answers

    server.stop()
    assert not os.path.exists(server.path)
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(server.path)  # as a crashed app leaves it: bound, nobody listening
    left.close()
    again = CredServer(server.path, str(home / "config"))
    again.start()
    again.hold(held_with(home, new_token()))
    try:
        assert raw(again.path, b"get\ndocker.io\n").startswith(b"0\n")
    finally:
        again.stop()


def test_stop_ends_every_worker(home: Path) -> None:
    before = set(threading.enumerate())
    server = CredServer(str(home / "run" / "hubtokens" / "helper.sock"), str(home / "config"))
    server.start()
    assert len(set(threading.enumerate()) - before) == appserver.WORKERS
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1
    assert set(threading.enumerate()) <= before


def test_holding_nothing_answers_nothing(server: CredServer) -> None:
    server.hold(None)
    assert raw(server.path, b"get\ndocker.io\n") == b""


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"",
        b"get\n",
        b"get\n\n",
        b"get\ndocker.io",  # not terminated
        b"put\ndocker.io\n",
        b"GET\ndocker.io\n",
        b"get\n\xff\xfe\n",
        b"get\n" + b"a" * (appserver.MAX_REQUEST + 1) + b"\n",
        b"get\ndocker.io\n" * 100_000,  # ~1.5 MB: read no further than the bound
    ],
)
def test_malformed_requests_get_no_answer(server: CredServer, request_bytes: bytes) -> None:
    assert raw(server.path, request_bytes) == b""
    assert raw(server.path, b"get\ndocker.io\n").startswith(b"0\n")  # and it goes on


def test_a_silent_client_is_dropped_at_the_deadline_and_blocks_nobody(
    server: CredServer,
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.connect(server.path)
        silent.sendall(b"get\ndocker.io\n")  # never shuts its side
        assert raw(server.path, b"get\ndocker.io\n").startswith(b"0\n")
        silent.settimeout(APP_SECONDS + 2)
        started = time.monotonic()
        assert silent.recv(100) == b""
        assert time.monotonic() - started < APP_SECONDS + 0.5


@pytest.fixture
def nobodys_runtime() -> Iterator[Path]:
    """A runtime folder user 65534 may enter (pytest's tmp_path is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="hubtokens-run-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@needs_root
def test_a_client_running_as_another_user_is_refused(home: Path, nobodys_runtime: Path) -> None:
    server = CredServer(
        str(nobodys_runtime / "hubtokens" / "helper.sock"), str(AppPaths.under(home).config_dir)
    )
    server.start()
    server.hold(held_with(home, new_token()))
    # Open the way to the socket, as a mistake could: the peer check is the last guard.
    os.chmod(os.path.dirname(server.path), 0o711)
    os.chmod(server.path, 0o666)
    code = (
        "import socket\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"s.connect({server.path!r})\n"
        "try:\n"
        "    s.sendall(b'get\\ndocker.io\\n'); s.shutdown(socket.SHUT_WR)\n"
        "    print(repr(s.recv(4096)))\n"
        "except (ConnectionResetError, BrokenPipeError):\n"
        "    print('hung up')\n"
    )
    try:
        nobody = subprocess.run(
            ["/usr/bin/python3", "-I", "-c", code],
            user=65534,
            capture_output=True,
            text=True,
            timeout=10,
            cwd="/",
            check=False,
        )
        assert nobody.returncode == 0, nobody.stderr  # it could connect...
        assert nobody.stdout.strip() in ("b''", "hung up")  # ...and was told nothing
        assert raw(server.path, b"get\ndocker.io\n").startswith(b"0\n")  # its owner is
    finally:
        server.stop()


def test_200_clients_while_the_credential_changes_see_old_or_new_never_a_mix(
    home: Path, server: CredServer
) -> None:
    env = {"HUBTOKENS_HOME": str(home)}
    assert socket_path(env) == server.path
    old, new = new_token(), new_token()
    snapshots = [held_with(home, old), held_with(home, new)]
    expected = {
        json.dumps(
            {"ServerURL": "docker.io", "Username": "alice", "Secret": s}, separators=(",", ":")
        )
        + "\n"
        for s in (old, new)
    }
    server.hold(snapshots[0])
    answers: list[tuple[int, str] | None] = []
    ready = threading.Barrier(201)
    done = threading.Event()

    def client() -> None:
        ready.wait()
        answers.append(ask_app(env, "docker.io", time.monotonic() + 5))

    swaps = 0

    def swap() -> None:
        nonlocal swaps
        ready.wait()
        while not done.is_set():
            swaps += 1
            server.hold(snapshots[swaps % 2])
            time.sleep(0)  # let the clients and workers run between swaps

    clients = [threading.Thread(target=client) for _ in range(200)]
    swapper = threading.Thread(target=swap)
    for thread in [*clients, swapper]:
        thread.start()
    for thread in clients:
        thread.join(timeout=30)
    done.set()
    swapper.join(timeout=5)

    assert len(answers) == 200
    assert all(a is not None and a[0] == 0 and a[1] in expected for a in answers), answers
    assert swaps > 1
