"""Load: many concurrent ``docker-credential-hubtokens get`` while the app rotates the token.

Two hubs, two accounts: alice on hub A answers registry A, bob on hub B answers registry B.
The keeper (as the app runs it: real gnome-keyring, real local hubs, settings on disk) keeps
rotating alice's auto token — deleted on the hub, recreated by a reconcile — and, as the app
does, reloads what its socket server holds after each one. Meanwhile hundreds of real helper
processes ask for registry A or B at once, once through the app's socket and once with no app
running (keychain path). Every answer is alice's (for A) or bob's (for B) token that was current
at some moment while that helper ran, or exit 1 with a one-line error: never empty, never
partial JSON, never another account's.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from hubtokens.core import dockerconfig
from hubtokens.core.paths import AppPaths
from hubtokens.core.secret import Secret
from hubtokens.core.vault import Vault
from hubtokens.credhelper.answers import load_credentials
from hubtokens.credhelper.appserver import CredServer, server_for
from hubtokens.localhub import HubConfig, LocalHub
from tests.fixtures.keychain import SecretService
from tests.fixtures.localhub import HubClock
from tests.reliability.cliproc import BIN
from tests.reliability.conftest import Tally, scaled
from tests.reliability.support import Timeouts, keeper_for

pytestmark = [pytest.mark.secret_service, pytest.mark.integration]

HELPERS = scaled(40, 200)  # at once, in each wave
WAVES = scaled(2, 3)  # at least; more until the token has rotated WAVES times meanwhile
MAX_WAVES = 10 * WAVES  # a machine whose keychain is slow still gets a bounded test
HELPER = BIN / dockerconfig.HELPER_PROGRAM
REGISTRY_A, REGISTRY_B = "127.0.0.1:5001", "127.0.0.1:5002"


@dataclass
class Timeline:
    """When each of alice's secrets could be seen: from the start of the reconcile that made
    it until the end of the one (and the app's reload) that replaced it."""

    windows: dict[str, list[float]] = field(default_factory=dict)  # secret -> [from, until]

    def begin(self, secret: str, at: float) -> None:
        self.windows[secret] = [at, float("inf")]

    def end(self, secret: str, at: float) -> None:
        self.windows[secret][1] = at

    def current_during(self, secret: str, start: float, end: float) -> bool:
        window = self.windows.get(secret)
        return window is not None and window[0] <= end and start <= window[1]


@pytest.fixture
def world(
    tmp_path: Path,
    secret_service: SecretService,
    secret_service_vault: Vault,
    hub_clock: HubClock,
) -> Iterator[dict[str, object]]:
    home = tmp_path / "home"
    paths = AppPaths.under(home)
    config = HubConfig(
        clock=hub_clock.now, creates_per_hour=10_000, session_lifetime=timedelta(days=3650)
    )
    hubs = [LocalHub(config).start() for _ in "ab"]
    try:
        passwords = {}
        for hub, user in zip(hubs, ("alice", "bob"), strict=True):
            passwords[user] = secrets.token_urlsafe(16)
            hub.add_user(user, passwords[user])
        # settings in the config folder, where the helper reads them
        keeper = keeper_for(paths.config_dir, secret_service_vault, hub_clock.now, Timeouts())
        for hub, user in zip(hubs, ("alice", "bob"), strict=True):
            keeper.sign_in(hub.url, user, Secret(passwords[user]))
        dockerconfig.map_registry(str(paths.config_dir), REGISTRY_A, hubs[0].url)
        dockerconfig.map_registry(str(paths.config_dir), REGISTRY_B, hubs[1].url)
        env = {**secret_service.subprocess_env(), "HUBTOKENS_HOME": str(home)}
        env.pop("PYTHON_KEYRING_BACKEND", None)
        yield {
            "home": home,
            "paths": paths,
            "hubs": hubs,
            "keeper": keeper,
            "vault": secret_service_vault,
            "env": env,
        }
    finally:
        for hub in hubs:
            hub.stop()


def _get(env: dict[str, str], registry: str) -> tuple[float, float, int, str]:
    start = time.monotonic()
    result = subprocess.run(
        [str(HELPER), "get"],
        input=registry.encode(),
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return start, time.monotonic(), result.returncode, result.stdout.decode("utf-8", "replace")


@pytest.mark.timeout(scaled(180, 900))
@pytest.mark.parametrize("app", ["app socket", "keychain only"])
def test_concurrent_helpers_while_the_token_rotates_get_old_new_or_a_clear_error(
    world: dict[str, object], hub_clock: HubClock, tally: Tally, app: str
) -> None:
    keeper = world["keeper"]
    vault: Vault = world["vault"]  # type: ignore[assignment]
    paths: AppPaths = world["paths"]  # type: ignore[assignment]
    hub_a, hub_b = world["hubs"]  # type: ignore[misc]
    env: dict[str, str] = world["env"]  # type: ignore[assignment]
    config_dir = str(paths.config_dir)
    timeline = Timeline()
    alice = vault.get_auto_token(hub_a.url, "alice")
    bob = vault.get_auto_token(hub_b.url, "bob")
    assert alice is not None and bob is not None
    timeline.begin(alice.reveal(), 0.0)
    server: CredServer | None = None
    if app == "app socket":
        server = server_for(env, config_dir)
        assert server is not None
        server.start()
        server.hold(load_credentials(config_dir, vault.get_item))

    done = threading.Event()
    rotations = 0
    errors: list[BaseException] = []

    def rotate() -> None:
        nonlocal rotations
        current = alice.reveal()
        try:
            while not done.is_set():
                began = time.monotonic()
                [token] = [t for t in hub_a.tokens("alice") if t["token_label"] == keeper.label]
                hub_a.delete_token(token["uuid"])  # deleted on the hub ...
                hub_clock.advance(8 * 3600 + 60)  # the budget: 10 min apart, 3 a day
                report = keeper.reconcile(hub_a.url)  # ... and recreated
                assert report.recreated, report.message
                new = vault.get_auto_token(hub_a.url, "alice")
                assert new is not None
                timeline.begin(new.reveal(), began)
                if server is not None:  # the app reloads what it answers with
                    server.hold(load_credentials(config_dir, vault.get_item))
                timeline.end(current, time.monotonic())
                current = new.reveal()
                rotations += 1
        except BaseException as exc:
            errors.append(exc)

    rotator = threading.Thread(target=rotate)
    results: list[tuple[str, tuple[float, float, int, str]]] = []
    lock = threading.Lock()

    def ask(registry: str) -> None:
        outcome = _get(env, registry)
        with lock:
            results.append((registry, outcome))

    rotator.start()
    started = time.monotonic()
    waves = 0
    # A wave's length depends on the machine, a rotation's on its keychain: keep asking until
    # the token has rotated WAVES times while helpers ran, not for a fixed number of waves.
    while waves < WAVES or (rotations < WAVES and not errors and waves < MAX_WAVES):
        waves += 1
        askers = [
            threading.Thread(target=ask, args=(REGISTRY_A if n % 4 else REGISTRY_B,))
            for n in range(HELPERS)
        ]
        for thread in askers:
            thread.start()
        for thread in askers:
            thread.join(timeout=120)
    wall = time.monotonic() - started
    rotations_while_asked = rotations
    done.set()
    rotator.join(timeout=60)
    if server is not None:
        server.stop()

    assert errors == [], errors
    assert len(results) == HELPERS * waves
    answered, failed = 0, []
    for registry, (start, end, code, out) in results:
        if code != 0:
            lines = out.strip().splitlines()
            assert code == 1 and len(lines) == 1 and lines[0], (code, out)
            failed.append(lines[0])
            continue
        data = json.loads(out)  # whole JSON, never partial
        assert set(data) == {"ServerURL", "Username", "Secret"}, data
        assert data["ServerURL"] == registry
        if registry == REGISTRY_B:
            assert (data["Username"], data["Secret"]) == ("bob", bob.reveal()), "not bob's"
        else:
            assert data["Username"] == "alice", "another account's"
            assert timeline.current_during(data["Secret"], start, end), "not a current secret"
        answered += 1
    assert rotations_while_asked >= WAVES, "the token did not rotate while the helpers ran"
    assert answered >= HELPERS * waves * 0.9, failed
    tally.record(
        f"Load: waves of {HELPERS} concurrent `docker-credential-hubtokens get` while the "
        "token rotates (two accounts, two registries)",
        HELPERS * waves,
        "every answer whole JSON with the right account's token current while it ran, or "
        "exit 1 with one line; never empty, partial or another account's",
        cases=[app],
        answered=answered,
        clear_errors=len(failed),
        rotations=rotations_while_asked,
        waves=waves,
        wall_seconds=round(wall, 1),
        error_lines=sorted(set(failed))[:3],
    )
