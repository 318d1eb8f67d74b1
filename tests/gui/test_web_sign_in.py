"""The browser sign-in (the device authorization grant) in the sign-in dialog and the app,
against the real local Hub and its sign-in service. The person's approval in the browser is
given with ``LocalHub.decide_device``, as /activate records it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from hubtokens.core.hub.urls import DEFAULT_HUB_URL
from hubtokens.core.keeper import Keeper
from hubtokens.core.keeper.reports import AUTO_TOKEN_LIMIT
from hubtokens.gui.controllers.session import SessionController
from hubtokens.gui.state import DISPLACED_LINE, tray_state
from hubtokens.gui.tasks import TaskRunner
from hubtokens.gui.views.sign_in_dialog import SignInDialog, Step
from hubtokens.gui.views.web_sign_in_pages import start_words
from hubtokens.localhub import HubConfig, LocalHub
from tests.fixtures.browser import approve_in_browser
from tests.fixtures.localhub import HubClock
from tests.fixtures.signin import desktop_generate, signed_in
from tests.gui.app_support import AppFactory, notifications, started
from tests.gui.test_sign_in import closed_port
from tests.gui.token_support import ScriptedPrompts

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

WAIT_MS = 15_000
FAST_POLL = timedelta(seconds=1)


class RecordingOpener:
    """Stands in for the system browser: records each page it was asked to open."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        return True


@pytest.fixture
def poll_interval() -> timedelta:
    return FAST_POLL


@pytest.fixture
def local_hub(
    hub_clock: HubClock, alice_password: str, poll_interval: timedelta
) -> Iterator[LocalHub]:
    """The usual hub with alice, its sign-in service polled every ``poll_interval``."""
    config = HubConfig(clock=hub_clock.now, seed=0, device_poll_interval=poll_interval)
    with LocalHub(config) as hub:
        hub.add_user("alice", alice_password)
        yield hub


@pytest.fixture
def opener() -> RecordingOpener:
    return RecordingOpener()


@pytest.fixture
def dialog(
    qtbot: QtBot, session: SessionController, hub_url: str, opener: RecordingOpener
) -> SignInDialog:
    dialog = SignInDialog(session, hub_url=hub_url, open_url=opener)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def code_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["user_code"][0]


def continue_in_browser(qtbot: QtBot, dialog: SignInDialog) -> str:
    """Click Continue in browser (or Try again); returns the code on show."""
    assert dialog.step in (Step.BROWSER, Step.BROWSER_FAILED)
    qtbot.mouseClick(dialog._primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.step is Step.BROWSER_CODE, timeout=WAIT_MS)
    return dialog.shown_code


def polls(hub: LocalHub) -> int:
    return sum(1 for _method, path, _status in hub.request_log if path == "/oauth/token")


def test_the_dialog_leads_with_the_browser(qtbot: QtBot, dialog: SignInDialog) -> None:
    assert dialog.step is Step.BROWSER
    assert dialog._primary.text() == "Continue in browser"
    assert dialog._primary.isDefault() and dialog._primary.isEnabled()
    dialog._start_page.password_link.click()
    assert dialog.step is Step.CREDENTIALS
    dialog._browser_link.click()
    assert dialog.step is Step.BROWSER


def test_the_first_page_names_only_the_ways_of_signing_in_the_hubs_page_offers(
    dialog: SignInDialog, local_hub: LocalHub
) -> None:
    local_words = dialog._start_page.text.text()
    assert "your password" in local_words and "Google" not in local_words  # the local hub's
    assert start_words(local_hub.url) == local_words
    docker_words = start_words(DEFAULT_HUB_URL)
    assert "Google, GitHub or single sign-on" in docker_words and "Docker Hub" in docker_words


def test_the_code_is_the_hubs_the_page_opens_and_approval_closes_the_dialog(
    qtbot: QtBot,
    dialog: SignInDialog,
    session: SessionController,
    local_hub: LocalHub,
    opener: RecordingOpener,
) -> None:
    code = continue_in_browser(qtbot, dialog)

    assert len(opener.opened) == 1
    page = opener.opened[0]
    assert page.startswith(f"{local_hub.url}/activate?")
    assert code_in(page) == code  # the page opens with the code on show
    assert "expires in 1" in dialog._browser_code.time_left.text()  # 15 minutes by default
    dialog._browser_code.copy_button.click()
    assert QGuiApplication.clipboard().text() == code
    assert not session.state.signed_in

    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        local_hub.decide_device(code, "alice")  # raises unless the hub waits for this code

    assert not dialog.isVisible()
    assert session.state.account == "alice" and session.state.sign_in == "web"
    qtbot.waitUntil(lambda: session.state.check is not None, timeout=WAIT_MS)
    shown = tray_state(session.state, session.state.check.checked_at)  # type: ignore[union-attr]
    assert shown.session_line == "Signed in through your browser · the sign-in renews itself"
    assert shown.notice_line is None  # a 15-minute access token is no "sign-in expires soon"
    generated = [t for t in local_hub.tokens("alice") if t["generated_by"] != "manual"]
    assert len(generated) == 1


@pytest.mark.parametrize("poll_interval", [timedelta(seconds=60)])
def test_cancel_wakes_the_waiting_at_once_and_closes(
    qtbot: QtBot,
    dialog: SignInDialog,
    session: SessionController,
    task_runner: TaskRunner,
    local_hub: LocalHub,
) -> None:
    code = continue_in_browser(qtbot, dialog)
    assert task_runner.busy  # waiting: its first poll is a minute away
    started_at = time.monotonic()
    qtbot.mouseClick(dialog._cancel, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()  # closed at once, without waiting for the task

    qtbot.waitUntil(lambda: not task_runner.busy, timeout=WAIT_MS)
    assert time.monotonic() - started_at < 10  # woken, not left to sleep out its 60 s
    asked = polls(local_hub)
    local_hub.decide_device(code, "alice")  # approved too late: nobody asks any more
    qtbot.wait(300)
    assert polls(local_hub) == asked
    assert not session.state.signed_in


def test_escape_while_waiting_closes_the_dialog(
    qtbot: QtBot, dialog: SignInDialog, task_runner: TaskRunner
) -> None:
    continue_in_browser(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: not task_runner.busy, timeout=WAIT_MS)


def test_denied_says_so_and_try_again_makes_a_new_code(
    qtbot: QtBot,
    dialog: SignInDialog,
    session: SessionController,
    local_hub: LocalHub,
    opener: RecordingOpener,
) -> None:
    first = continue_in_browser(qtbot, dialog)
    local_hub.decide_device(first, "alice", approve=False)
    qtbot.waitUntil(lambda: dialog.step is Step.BROWSER_FAILED, timeout=WAIT_MS)
    assert dialog.problem == "Sign-in denied"
    assert "denied in the browser" in dialog._problem_page.text.text()
    assert dialog._primary.text() == "Try again" and dialog._primary.isDefault()
    assert not session.state.signed_in

    second = continue_in_browser(qtbot, dialog)
    assert second != first
    assert [code_in(url) for url in opener.opened] == [first, second]
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        local_hub.decide_device(second, "alice")
    assert session.state.account == "alice"


def test_an_expired_code_says_so(
    qtbot: QtBot, dialog: SignInDialog, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    continue_in_browser(qtbot, dialog)
    hub_clock.advance(901)  # past the code's 15 minutes, as the hub counts them
    qtbot.waitUntil(lambda: dialog.step is Step.BROWSER_FAILED, timeout=WAIT_MS)
    assert dialog.problem == "The code expired"
    assert dialog._primary.text() == "Try again"


def test_an_unreachable_sign_in_service_says_so(
    qtbot: QtBot, dialog: SignInDialog, opener: RecordingOpener
) -> None:
    dialog._hub.setText(f"http://127.0.0.1:{closed_port()}")
    qtbot.mouseClick(dialog._primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.step is Step.BROWSER_FAILED, timeout=WAIT_MS)
    assert dialog.problem == "Cannot reach the sign-in service"
    assert "Check your connection" in dialog._problem_page.text.text()
    assert opener.opened == []
    dialog._problem_page.password_link.click()  # the second way stays open
    assert dialog.step is Step.CREDENTIALS


def test_every_control_of_the_browser_steps_has_a_name(
    qtbot: QtBot, dialog: SignInDialog, local_hub: LocalHub
) -> None:
    def unnamed() -> list[str]:
        missing = []
        for widget in dialog.findChildren(QWidget):
            if not widget.isVisible() or not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
                continue
            if not isinstance(widget, QAbstractButton | QLineEdit):
                continue
            if not (widget.accessibleName() or getattr(widget, "text", lambda: "")()):
                missing.append(type(widget).__name__)
        return missing

    assert unnamed() == []
    code = continue_in_browser(qtbot, dialog)
    assert unnamed() == []
    # What a screen reader reads for the code's label is the code itself.
    assert dialog._browser_code.code.accessibleName() == f"One-time code {code}"
    assert dialog.focusWidget() is dialog._browser_code.copy_button  # Space copies the code


def test_the_app_signs_in_through_the_browser_and_says_so(
    qtbot: QtBot, apps: AppFactory, local_hub: LocalHub, opener: RecordingOpener
) -> None:
    app = started(qtbot, apps.make(open_url=opener))
    shown = notifications(app)
    dialog = app.open_sign_in()
    code = continue_in_browser(qtbot, dialog)
    assert code_in(opener.opened[0]) == code

    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        local_hub.decide_device(code, "alice")
    qtbot.waitUntil(lambda: app.session.state.check is not None, timeout=WAIT_MS)
    state = app.tray_state()
    assert state.account_line == "Signed in as alice"
    assert state.session_line == "Signed in through your browser · the sign-in renews itself"
    assert app.window._session.text() == state.session_line
    assert [n.title for n in shown][:1] == ["Signed in as alice"]
    assert "renews itself" in shown[0].message


def web_signed_in(keeper: Keeper, hub: LocalHub) -> None:
    """The keeper signed in as alice through the browser, before the app starts."""
    authorization = keeper.start_web_sign_in(hub.url)
    hub.decide_device(authorization.user_code, "alice")
    keeper.complete_web_sign_in(hub.url, authorization, threading.Event())


def other_devices_sign_in(hub: LocalHub, count: int) -> None:
    """``count`` other devices sign in as alice through the browser, each getting its auto
    token from desktop-generate (the hub keeps the newest five)."""
    for _ in range(count):
        reply = desktop_generate(hub.url, signed_in(hub, "alice")["access_token"])
        assert reply.status_code == 201, reply.text


@pytest.mark.parametrize("confirm", [False, True])
def test_a_displaced_token_is_said_and_recreated_only_when_confirmed(
    qtbot: QtBot,
    apps: AppFactory,
    keeper: Keeper,
    local_hub: LocalHub,
    hub_clock: HubClock,
    confirm: bool,
) -> None:
    web_signed_in(keeper, local_hub)
    ours = keeper.account(local_hub.url).auto_token.uuid  # type: ignore[union-attr]
    hub_clock.advance(1)  # the others' tokens are newer than ours
    other_devices_sign_in(local_hub, AUTO_TOKEN_LIMIT)
    assert ours not in {t["uuid"] for t in local_hub.tokens("alice")}

    prompts = ScriptedPrompts()
    prompts.confirm_answer = confirm
    app = apps.make(prompts=prompts)
    shown = notifications(app)
    started(qtbot, app)
    state = app.tray_state()
    assert state.token_line == DISPLACED_LINE
    assert state.can_recreate and app.actions.recreate.isVisible()
    assert not state.can_copy
    assert [n.title for n in shown] == ["Auto token displaced"]
    assert "Docker Hub keeps at most 5" in shown[0].message
    generated = len(local_hub.tokens("alice"))

    app.actions.recreate.trigger()
    assert len(prompts.confirmations) == 1
    assert "delete the oldest" in prompts.confirmations[0]
    if not confirm:
        qtbot.wait(200)
        assert not app.session.state.syncing
        assert len(local_hub.tokens("alice")) == generated  # nothing made, nothing deleted
        return
    qtbot.waitUntil(lambda: any(n.title == "Auto token recreated" for n in shown), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not app.tray_state().can_recreate, timeout=WAIT_MS)
    assert app.tray_state().token_line.startswith("Auto token healthy")
    assert len(local_hub.tokens("alice")) == AUTO_TOKEN_LIMIT  # the oldest other one went


def test_the_app_finishes_its_sign_in_while_a_real_browser_approves(
    qtbot: QtBot,
    apps: AppFactory,
    local_hub: LocalHub,
    opener: RecordingOpener,
    browser: WebDriver,
    alice_password: str,
    hub_clock: HubClock,
) -> None:
    """The page the app opens, approved in headless Chromium as a person would, while the
    app waits: the dialog closes by itself and the app is signed in through the browser."""
    app = started(qtbot, apps.make(open_url=opener))
    dialog = app.open_sign_in()
    continue_in_browser(qtbot, dialog)
    [page] = opener.opened
    approving = threading.Thread(
        target=approve_in_browser, args=(browser, page, "alice", alice_password)
    )
    done = threading.Event()
    # The app polls in real time and the hub spaces polls by its own (test) clock: let that
    # clock run with real time while the person approves.
    ticking = threading.Thread(target=_tick, args=(hub_clock, done))
    ticking.start()
    try:
        with qtbot.waitSignal(dialog.finished, timeout=60_000):
            approving.start()
    finally:
        done.set()
        ticking.join()
        approving.join(30)

    qtbot.waitUntil(lambda: app.session.state.check is not None, timeout=WAIT_MS)
    assert app.session.state.sign_in == "web"
    generated = [t for t in local_hub.tokens("alice") if t["generated_by"] != "manual"]
    assert len(generated) == 1


def _tick(clock: HubClock, done: threading.Event) -> None:
    while not done.wait(0.1):
        clock.advance(0.1)
