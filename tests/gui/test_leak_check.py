""" "Check for leaked tokens…": real widgets offscreen, the real scanner over a tmp tree whose
tokens are made on the local Hub at run time, identification and deactivation over HTTP.
Questions are answered by ``ScriptedPrompts``; folders are added as the picker would."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QToolBar, QWidget
from pytestqt.qtbot import QtBot

from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper
from hubtokens.core.scan.output import KIND_WORDS
from hubtokens.core.vault import Vault
from hubtokens.gui.app import token_window_factory
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.docker import DockerSetup
from hubtokens.gui.messages import describe_error
from hubtokens.gui.shell import HubTokensApp
from hubtokens.gui.tasks import TaskRunner
from hubtokens.gui.views.leak_check_dialog import LeakCheckDialog
from hubtokens.gui.views.leak_rows import KIND_SHORT
from hubtokens.gui.views.new_token_dialog import NewTokenDialog
from hubtokens.gui.views.token_window import TokenWindow
from hubtokens.localhub import LocalHub
from hubtokens.localhub.faults import Fault
from tests.gui.app_support import AppFactory, started
from tests.gui.test_dialog_lifetime import on_screen
from tests.gui.token_support import ScriptedPrompts, StallProbe

WAIT_MS = 30_000
# Cancel must wake the scan at once: a bound for a loaded 2-core machine, far below the
# seconds the rest of the scan takes.
CANCEL_LIMIT_S = 1.0
# Measured here (2 cores, load average ~3 from other work): 31-368 ms, median ~130 ms, over a
# 3 GB check; a GUI thread doing the scan itself would stall for the whole check (seconds).
STALL_LIMIT_S = 0.5
BIG_FILES = 3_000
BIG_FILE_SIZE = 1 << 20  # sparse: 3 GB to read, nothing on disk
# The local Hub's Retry-After while identifying: under the identifier's longest wait (30 s),
# so it waits it out, and far above how long a closed dialog's identifying may take to stop.
RETRY_AFTER_S = 25
STOP_LIMIT_MS = 10_000


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def docker_setup(tmp_path: Path, home: Path, memory_vault: Vault) -> DockerSetup:
    """docker's config and the home the leak check looks in, both in tmp_path."""
    return DockerSetup(
        config_dir=str(tmp_path / "config"),
        environ={"DOCKER_CONFIG": str(tmp_path / "docker"), "HOME": str(home)},
        read_item=memory_vault.get_item,
    )


@pytest.fixture
def app(
    qtbot: QtBot,
    apps: AppFactory,
    signed_in_keeper: Keeper,
    task_runner: TaskRunner,
    client_for: Callable[[str], HubClient],
    clock: Callable[[], datetime],
    clipboard_guard: ClipboardGuard,
    prompts: ScriptedPrompts,
) -> Iterator[HubTokensApp]:
    """The app signed in as alice, with the real token window."""
    windows = token_window_factory(
        task_runner, signed_in_keeper, client_for, clock, clipboard_guard
    )
    made = started(qtbot, apps.make(token_windows=windows, prompts=prompts))
    yield made
    for widget in QApplication.topLevelWidgets():  # not on_screen: no deletes run here
        if isinstance(widget, LeakCheckDialog):
            widget.close()  # cancels a scan; task_runner's teardown waits for the pool
    # No event loop here: pytest-qt has already asked for the app's window to be deleted,
    # and the app's own teardown (apps) still uses it.


@pytest.fixture
def prompts() -> ScriptedPrompts:
    return ScriptedPrompts()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def open_dialog(app: HubTokensApp) -> LeakCheckDialog:
    app.actions.check_leaks.trigger()
    (dialog,) = on_screen(LeakCheckDialog)
    return dialog


def open_on_a_clean_tree(app: HubTokensApp, tree: Path) -> LeakCheckDialog:
    """The dialog with ``tree`` to check, which holds one file and no token."""
    (tree / "notes.txt").write_text("nothing here\n")
    dialog = open_dialog(app)
    dialog.add_folder(tree)
    return dialog


def check(qtbot: QtBot, dialog: LeakCheckDialog) -> None:
    with qtbot.waitSignal(dialog.controller.scan_finished, timeout=WAIT_MS):
        dialog.check_button.click()


def identify(qtbot: QtBot, dialog: LeakCheckDialog) -> None:
    with qtbot.waitSignal(dialog.controller.identified, timeout=WAIT_MS):
        dialog.identify_button.click()
    qtbot.waitUntil(lambda: not dialog.controller.busy, timeout=WAIT_MS)  # its task ends after


def cells(dialog: LeakCheckDialog) -> list[list[str]]:
    table = dialog.table
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


def row_of(dialog: LeakCheckDialog, file_name: str) -> int:
    (row,) = [n for n, texts in enumerate(cells(dialog)) if f"{file_name}:" in texts[0]]
    return row


def select(dialog: LeakCheckDialog, row: int) -> None:
    dialog.table.clearSelection()
    dialog.table.selectRow(row)


def big_tree(root: Path, planted: list[str]) -> Path:
    """``BIG_FILES`` sparse files of ``BIG_FILE_SIZE`` (read as zeros, held nowhere), with the
    ``planted`` secrets in small files among them."""
    for n in range(BIG_FILES):
        folder = root / f"d{n // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"f{n:05d}.bin", "wb") as stream:
            stream.truncate(BIG_FILE_SIZE)
    for n, secret in enumerate(planted):
        (root / f"d{n:03d}" / "settings.env").write_text(f"TOKEN={secret}\n")
    return root


# --- where it is, and how it looks --------------------------------------------------------------


def test_the_check_is_in_the_tray_the_home_window_and_the_manager(
    qtbot: QtBot, app: HubTokensApp
) -> None:
    action = app.actions.check_leaks
    assert action in app.tray.menu.actions()
    home_buttons = [b.text() for b in app.window.findChildren(QAbstractButton)]
    assert action.text() in home_buttons

    dialog = open_dialog(app)
    assert dialog.parent() is None and dialog.windowModality() is Qt.WindowModality.NonModal
    action.trigger()  # asked again: the same one, brought forward
    assert on_screen(LeakCheckDialog) == [dialog]
    with qtbot.waitSignal(dialog.destroyed, timeout=WAIT_MS):
        QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Escape closes it
    del dialog
    assert not on_screen(LeakCheckDialog)

    app.actions.manage.trigger()
    window = app.token_window
    assert isinstance(window, TokenWindow)
    toolbar = window.findChild(QToolBar, "tokenActions")
    assert window.token_actions.check_leaks in toolbar.actions()
    window.token_actions.check_leaks.trigger()
    assert len(on_screen(LeakCheckDialog)) == 1


def test_every_control_is_named_tabs_in_order_and_check_is_the_default_on_the_right(
    app: HubTokensApp,
) -> None:
    dialog = open_dialog(app)
    controls = [
        w
        for w in dialog.findChildren(QWidget)
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(dialog)
    ]
    unnamed = [type(w).__name__ for w in controls if not w.accessibleName()]
    assert unnamed == []
    assert dialog.check_button.isDefault()
    row_buttons = [
        dialog.identify_button,
        dialog.deactivate_button,
        dialog.replace_button,
        dialog.close_button,
        dialog.check_button,
    ]
    xs = [b.mapTo(dialog, b.rect().topLeft()).x() for b in row_buttons]
    assert xs == sorted(xs) and xs[-1] == max(xs)  # Check is the rightmost
    order, widget = [], dialog.folders
    for _ in range(6):
        order.append(widget)
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            widget = widget.nextInFocusChain()
    assert order[:5] == [
        dialog.folders,
        dialog.add_button,
        dialog.remove_button,
        dialog.home_check,
        dialog.table,
    ]


# --- checking, identifying, deactivating, replacing --------------------------------------------


def test_a_check_lists_each_place_and_identifying_tells_which_token_it_is(
    qtbot: QtBot,
    app: HubTokensApp,
    local_hub: LocalHub,
    tree: Path,
    home: Path,
    prompts: ScriptedPrompts,
) -> None:
    mine, my_secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    gone, gone_secret = local_hub.create_token("alice", "old", ["repo:read"])
    local_hub.delete_token(gone)
    local_hub.add_user("bob", "bob-" + os.urandom(8).hex())
    _theirs, their_secret = local_hub.create_token("bob", "bob's CI", ["repo:write"])
    (tree / ".env").write_text(f"A=1\nTOKEN={my_secret}\n")
    (tree / "old.txt").write_text(f"OLD={gone_secret}\n")
    auth = base64.b64encode(f"bob:{their_secret}".encode()).decode()
    (tree / "config.json").write_text(json.dumps({"auths": {"docker.io": {"auth": auth}}}))
    (home / ".bash_history").write_text(f"echo {my_secret} | docker login -u alice\n")

    dialog = open_dialog(app)
    assert not dialog.check_button.isEnabled()  # nothing to check yet
    dialog.add_folder(tree)
    assert dialog.check_button.isEnabled()
    check(qtbot, dialog)

    texts = cells(dialog)
    assert len(texts) == 3  # the home is not checked unless asked
    assert dialog.status.text().startswith("Found 3 distinct secrets in 3 places, in 3 files")
    every_cell = "\n".join("\n".join(row) for row in texts)
    for secret in (my_secret, gone_secret, their_secret):
        assert secret not in every_cell
        assert secret[:9] + "…" + secret[-4:] in every_cell  # masked
    assert texts[row_of(dialog, ".env")][0].endswith(".env:2")
    assert all(row[3].startswith("not identified yet") for row in texts)

    dialog.home_check.setChecked(True)
    check(qtbot, dialog)
    assert len(cells(dialog)) == 4
    assert any(".bash_history:1" in row[0] for row in cells(dialog))

    prompts.confirm_answer = False
    dialog.identify_button.click()  # asked first: nothing is sent without a yes
    assert "counts as a use" in prompts.confirmations[-1]
    assert not dialog.controller.busy and not dialog.controller.identities
    prompts.confirm_answer = True
    identify(qtbot, dialog)

    texts = cells(dialog)
    mine_row = texts[row_of(dialog, ".env")]
    assert mine_row[3].startswith("your token 'CI read' (Read-only, active")
    assert mine_row[4] == "yes"
    assert any(row[3].startswith("not valid") and row[4] == "no" for row in texts)
    bobs = texts[row_of(dialog, "config.json")]
    assert bobs[1] == "Token in an auth file (plain text)"
    assert bobs[3] == "live, not yours: a token of bob" and bobs[4] == "yes"
    assert local_hub.tokens("alice")  # nothing deactivated by identifying
    assert all(t["is_active"] for t in local_hub.tokens("alice") if t["uuid"] == mine)


def test_deactivate_switches_the_token_off_on_the_hub_after_asking(
    qtbot: QtBot,
    app: HubTokensApp,
    local_hub: LocalHub,
    tree: Path,
    prompts: ScriptedPrompts,
    memory_vault: Vault,
    hub_url: str,
) -> None:
    mine, my_secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    auto = memory_vault.get_auto_token(hub_url, "alice")
    assert auto is not None
    (tree / ".env").write_text(f"TOKEN={my_secret}\n")
    (tree / "device.txt").write_text(f"{auto.reveal()}\n")
    dialog = open_dialog(app)
    dialog.add_folder(tree)
    check(qtbot, dialog)
    identify(qtbot, dialog)
    assert not dialog.deactivate_button.isEnabled()  # nothing selected

    select(dialog, row_of(dialog, "device.txt"))
    prompts.confirm_answer = False
    dialog.deactivate_button.click()
    assert "is this device's auto token" in prompts.confirmations[-1], cells(dialog)
    assert all(t["is_active"] for t in local_hub.tokens("alice"))  # declined: nothing sent
    assert not dialog.replace_button.isEnabled()  # that one is replaced by deleting it

    select(dialog, row_of(dialog, ".env"))
    prompts.confirm_answer = True
    with qtbot.waitSignal(dialog.controller.deactivated, timeout=WAIT_MS):
        dialog.deactivate_button.click()
    assert "CI read" in prompts.confirmations[-1]
    assert "auto token" not in prompts.confirmations[-1]
    (token,) = [t for t in local_hub.tokens("alice") if t["uuid"] == mine]
    assert token["is_active"] is False
    row = cells(dialog)[row_of(dialog, ".env")]
    assert row[3] == "your token 'CI read' · deactivated now" and row[4] == "no (deactivated)"
    assert not dialog.deactivate_button.isEnabled()  # already done
    assert dialog.message.text() == (
        "Deactivated “CI read” on the Hub. Replace… makes a token in its place."
    )


def test_deactivating_this_device_s_auto_token_says_how_to_get_it_back_not_replace(
    qtbot: QtBot,
    app: HubTokensApp,
    local_hub: LocalHub,
    tree: Path,
    memory_vault: Vault,
    hub_url: str,
    task_runner: TaskRunner,
) -> None:
    auto = memory_vault.get_auto_token(hub_url, "alice")
    assert auto is not None
    (tree / "device.txt").write_text(f"{auto.reveal()}\n")
    dialog = open_dialog(app)
    dialog.add_folder(tree)
    check(qtbot, dialog)
    identify(qtbot, dialog)
    select(dialog, 0)
    assert not dialog.replace_button.isEnabled()
    (auto_token,) = local_hub.tokens("alice")
    with qtbot.waitSignal(dialog.controller.deactivated, timeout=WAIT_MS):
        dialog.deactivate_button.click()

    note = dialog.message.text()
    assert "Replace…" not in note  # it is off for this token
    assert f"Deactivated “{auto_token['token_label']}” on the Hub. It is this device's auto" in note
    assert "Hub Tokens does not replace a deactivated auto token" in note
    assert "delete it there and Hub Tokens makes a new one" in note
    qtbot.waitUntil(lambda: not task_runner.busy, timeout=WAIT_MS)  # the sync it asked for
    assert [t["uuid"] for t in local_hub.tokens("alice")] == [auto_token["uuid"]]  # not replaced


def test_replace_opens_the_manager_s_replace_dialog_for_that_token(
    qtbot: QtBot, app: HubTokensApp, local_hub: LocalHub, tree: Path
) -> None:
    mine, my_secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    (tree / ".env").write_text(f"TOKEN={my_secret}\n")
    dialog = open_dialog(app)
    dialog.add_folder(tree)
    check(qtbot, dialog)
    assert not dialog.replace_button.isEnabled()  # not identified yet
    identify(qtbot, dialog)
    select(dialog, 0)
    dialog.replace_button.click()

    (replace,) = on_screen(NewTokenDialog)
    assert replace.replaces is not None and replace.replaces.uuid == mine
    assert replace.description.edit.text() == "CI read"
    replace.reject()


def test_without_a_sign_in_it_checks_but_cannot_identify(
    qtbot: QtBot, apps: AppFactory, tree: Path
) -> None:
    app = started(qtbot, apps.make())
    (tree / "x.env").write_text("T=dckr_" + "pat_" + os.urandom(15).hex()[:28] + "\n")
    dialog = open_dialog(app)
    dialog.add_folder(tree)
    check(qtbot, dialog)
    assert len(cells(dialog)) == 1
    assert not dialog.identify_button.isEnabled()
    assert "Sign in" in dialog.identify_button.toolTip()
    dialog.close()


# --- a large tree: Cancel wakes it, and the GUI thread never stalls -----------------------------


def test_cancel_wakes_the_scan_at_once(
    qtbot: QtBot, app: HubTokensApp, tmp_path: Path, local_hub: LocalHub
) -> None:
    root = big_tree(tmp_path / "big", [])
    dialog = open_dialog(app)
    dialog.add_folder(root)
    counts: list[int] = []
    dialog.controller.scan_progress.connect(lambda files, _size: counts.append(files))
    dialog.check_button.click()
    assert dialog.cancel_button.isVisible() and not dialog.check_button.isVisible()
    qtbot.waitUntil(lambda: bool(counts), timeout=WAIT_MS)
    assert dialog.status.text().startswith("Checking… ")
    assert dialog.status.text().endswith(") so far")

    with qtbot.waitSignal(dialog.controller.scan_finished, timeout=WAIT_MS) as ended:
        cancelled_at = time.perf_counter()
        dialog.cancel_button.click()
    took = time.perf_counter() - cancelled_at

    assert ended.args == [None]
    assert took < CANCEL_LIMIT_S, f"the scan went on for {took * 1000:.0f} ms after Cancel"
    assert counts[-1] < BIG_FILES  # it stopped, it did not finish
    assert dialog.status.text().startswith("Cancelled")
    assert dialog.check_button.isVisible() and dialog.check_button.isEnabled()


def test_the_gui_thread_never_stalls_while_a_large_tree_is_checked(
    qtbot: QtBot, app: HubTokensApp, tmp_path: Path, local_hub: LocalHub
) -> None:
    planted = [local_hub.create_token("alice", f"t{n}", ["repo:read"])[1] for n in range(5)]
    root = big_tree(tmp_path / "big", planted)
    dialog = open_dialog(app)
    dialog.add_folder(root)
    probe = StallProbe()
    probe.start()
    check(qtbot, dialog)
    longest = probe.stop()
    print(f"LONGEST {longest * 1000:.0f} ms over {BIG_FILES} files")

    assert len(cells(dialog)) == len(planted)
    assert str(BIG_FILES + len(planted)) in dialog.status.text().replace(",", "")
    assert longest < STALL_LIMIT_S, f"the GUI thread stalled for {longest * 1000:.0f} ms"


def test_closing_the_dialog_cancels_its_scan(
    qtbot: QtBot, app: HubTokensApp, tmp_path: Path, task_runner: TaskRunner
) -> None:
    root = big_tree(tmp_path / "big", [])
    dialog = open_dialog(app)
    dialog.add_folder(root)
    dialog.check_button.click()
    assert dialog.controller.scanning
    qtbot.waitUntil(lambda: task_runner.busy, timeout=WAIT_MS)
    closed_at = time.perf_counter()
    dialog.close()
    del dialog
    qtbot.waitUntil(lambda: not task_runner.busy, timeout=WAIT_MS)
    assert time.perf_counter() - closed_at < CANCEL_LIMIT_S * 2
    QApplication.processEvents()
    assert not on_screen(LeakCheckDialog)


def test_closing_the_dialog_stops_identifying_at_once(
    qtbot: QtBot, app: HubTokensApp, local_hub: LocalHub, tree: Path, task_runner: TaskRunner
) -> None:
    """Each sign-in with a token found counts as a use of it: after Close, not one more, and a
    rate limit's wait ends at once rather than holding a worker (and quitting) for it."""
    for n in range(3):
        _uuid, secret = local_hub.create_token("alice", f"CI {n}", ["repo:read"])
        (tree / f"{n}.env").write_text(f"TOKEN={secret}\n")
    dialog = open_dialog(app)
    dialog.add_folder(tree)
    check(qtbot, dialog)
    local_hub.set_faults(Fault("rate_limit", path="/v2/auth/token", value=RETRY_AFTER_S))

    def sign_ins() -> int:
        return sum(1 for _method, path, _ in local_hub.request_log if path == "/v2/auth/token")

    dialog.identify_button.click()
    qtbot.waitUntil(lambda: sign_ins() == 1, timeout=WAIT_MS)  # rate limited: it waits
    assert dialog.controller.busy
    dialog.close_button.click()
    del dialog
    qtbot.waitUntil(lambda: not task_runner.busy, timeout=STOP_LIMIT_MS)
    assert sign_ins() == 1  # the other two secrets were never sent


def test_a_check_that_fails_says_so_in_its_status_and_shows_why(
    qtbot: QtBot, app: HubTokensApp, tree: Path
) -> None:
    dialog = open_on_a_clean_tree(app, tree)
    dialog.add_folder(tree / "bad\0name")  # no file system takes it: the scanner raises
    check(qtbot, dialog)
    assert dialog.status.text() == "The check did not finish: nothing is listed from it."
    assert dialog.message.isVisibleTo(dialog)
    assert dialog.message.text() == describe_error(ValueError("embedded null byte"))
    assert dialog.check_button.isEnabled() and not dialog.progress.isVisibleTo(dialog)


def test_a_cancelled_scan_s_late_count_never_shows_during_the_next_one(
    qtbot: QtBot, app: HubTokensApp, tree: Path
) -> None:
    dialog = open_on_a_clean_tree(app, tree)
    with qtbot.waitSignal(dialog.controller.scan_finished, timeout=WAIT_MS):
        dialog.check_button.click()
        old_relay = dialog.controller._relay  # the cancelled scan's worker reports through it
        dialog.cancel_button.click()
    counts: list[int] = []
    dialog.controller.scan_progress.connect(lambda files, _size: counts.append(files))
    stale = 999_999

    with qtbot.waitSignal(dialog.controller.scan_finished, timeout=WAIT_MS):
        dialog.check_button.click()
        # The old worker's last report, queued from its thread while the new scan runs.
        late = threading.Thread(target=old_relay.report, args=(stale, 1))
        late.start()
        late.join()

    assert counts == [1]  # the new scan's own count only
    assert dialog.status.text().startswith("No Docker token found in 1 file (")


def test_every_kind_the_scanner_reports_has_a_short_name_in_the_table() -> None:
    """A kind the scanner learns must not reach the table as its raw identifier."""
    assert set(KIND_SHORT) == set(KIND_WORDS)
