"""The running app as the GUI tests build it: wired as in production, on the local Hub and
the memory keychain, with a stand-in token window and a tray the test switches on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import AccessToken
from hubtokens.core.keeper import Keeper
from hubtokens.core.vault import Vault
from hubtokens.gui.autostart import XdgAutostart
from hubtokens.gui.browser import UrlOpener
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.docker import DockerSetup
from hubtokens.gui.controllers.session import SyncTimings
from hubtokens.gui.notifications import Notification
from hubtokens.gui.shell import AppTimings, HubTokensApp, TokenWindowFactory
from hubtokens.gui.tasks import TaskRunner
from hubtokens.gui.views.token_prompts import TokenPrompts

WAIT_MS = 15_000


class FakeTokenWindow(QObject):
    """Records what the app asks of the token window (the real one has its own tests)."""

    sign_in_requested = Signal()
    own_token_changed = Signal()
    leak_check_requested = Signal()

    def __init__(self, hub_url: str) -> None:
        super().__init__()
        self.hub_url = hub_url
        self.calls: list[str] = []

    def show_and_refresh(self) -> None:
        self.calls.append("show_and_refresh")

    def open_new_token_dialog(self) -> None:
        self.calls.append("open_new_token_dialog")

    def open_replace_dialog_for(self, token: AccessToken) -> None:
        self.calls.append(f"open_replace_dialog_for {token.uuid}")

    def reload(self) -> None:
        self.calls.append("reload")

    def close(self) -> bool:
        self.calls.append("close")
        return True


def refuse_to_open(url: str) -> bool:
    """No test launches a browser unless it asks for one."""
    return False


@dataclass
class Tray:
    """Whether the desktop has a tray; a test may make one appear."""

    available: bool = False

    def __call__(self) -> bool:
        return self.available


@dataclass
class AppFactory:
    make: Callable[..., HubTokensApp]
    windows: list[FakeTokenWindow]
    tray: Tray
    autostart: XdgAutostart


@pytest.fixture
def docker_setup(tmp_path: Path, memory_vault: Vault) -> DockerSetup:
    """docker's config in ``tmp_path``; no server, so the helper reads the keychain (a test
    module that needs the app's answers overrides this fixture)."""
    return DockerSetup(
        config_dir=str(tmp_path / "config"),
        environ={"DOCKER_CONFIG": str(tmp_path / "docker")},
        read_item=memory_vault.get_item,
    )


@pytest.fixture
def apps(
    qtbot: QtBot,
    tmp_path: Path,
    task_runner: TaskRunner,
    keeper: Keeper,
    client_for: Callable[[str], HubClient],
    clock: Callable[[], datetime],
    hub_url: str,
    clipboard_guard: ClipboardGuard,
    docker_setup: DockerSetup,
) -> Iterator[AppFactory]:
    made: list[HubTokensApp] = []
    windows: list[FakeTokenWindow] = []
    tray = Tray()
    autostart = XdgAutostart(tmp_path / "xdg-config", ["/usr/bin/hubtokens-gui"])

    def make_window(url: str) -> FakeTokenWindow:
        windows.append(FakeTokenWindow(url))
        return windows[-1]

    def make(
        *,
        tray_wait_ms: int = 0,
        sync: SyncTimings | None = None,
        token_windows: TokenWindowFactory | None = None,  # None: FakeTokenWindow
        open_url: UrlOpener = refuse_to_open,
        prompts: TokenPrompts | None = None,
    ) -> HubTokensApp:
        app = HubTokensApp(
            runner=task_runner,
            keeper=keeper,
            client_for=client_for,
            clock=clock,
            hub_url=hub_url,
            clipboard=clipboard_guard,
            autostart=autostart,
            tray_available=tray,
            token_window_factory=token_windows or make_window,
            docker=docker_setup,
            timings=AppTimings(
                sync=sync or SyncTimings(), tray_wait_ms=tray_wait_ms, tray_poll_ms=20
            ),
            open_url=open_url,
            prompts=prompts,
        )
        qtbot.addWidget(app.window)
        made.append(app)
        return app

    yield AppFactory(make, windows, tray, autostart)
    for app in made:
        app.shutdown()


def started(qtbot: QtBot, app: HubTokensApp, *, background: bool = False) -> HubTokensApp:
    app.start(background=background)
    if app.session.state.signed_in:
        qtbot.waitUntil(lambda: synced(app), timeout=WAIT_MS)
    return app


def synced(app: HubTokensApp) -> bool:
    state = app.session.state
    return not state.syncing and state.check is not None


def notifications(app: HubTokensApp) -> list[Notification]:
    shown: list[Notification] = []
    app.notification_shown.connect(shown.append)
    return shown
