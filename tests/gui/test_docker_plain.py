"""docker login's plain-text Docker Hub credential in config.json: the tray and the home window
say so (a line, the attention state), and "Let docker use this token" offers to remove it in
the same atomic edit, with the backup written. The secret is made at run time."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from hubtokens.core import dockerconfig as dc
from hubtokens.core.keeper import Keeper
from hubtokens.gui.shell import HubTokensApp
from hubtokens.gui.state import Health
from tests.gui.app_support import AppFactory, notifications, started
from tests.gui.token_support import ScriptedPrompts

WAIT_MS = 15_000
PLAIN_LINE = "docker's config.json keeps a Docker Hub credential in plain text"


def plain_config(tmp_path: Path) -> tuple[Path, str]:
    """docker's config (the ``docker_setup`` fixture's) as docker login leaves it."""
    config = tmp_path / "docker" / "config.json"
    config.parent.mkdir()
    auth = base64.b64encode(f"alice:{secrets.token_urlsafe(20)}".encode()).decode()
    text = json.dumps(
        {"auths": {"https://index.docker.io/v1/": {"auth": auth}}, "currentContext": "default"},
        indent="\t",
    )
    config.write_text(text)
    return config, auth


def settled(app: HubTokensApp) -> bool:
    return not app.docker.status.busy


def home_texts(app: HubTokensApp) -> list[str]:
    return [
        label.text() for label in app.window.findChildren(QLabel) if label.isVisibleTo(app.window)
    ]


def test_the_tray_and_the_window_say_docker_keeps_a_plain_credential(
    qtbot: QtBot, apps: AppFactory, signed_in_keeper: Keeper, tmp_path: Path
) -> None:
    config, _auth = plain_config(tmp_path)
    app = started(qtbot, apps.make())
    state = app.tray_state()
    assert state.docker_line is not None and state.docker_line.startswith(PLAIN_LINE)
    assert "Let docker use this token offers to remove it" in state.docker_line
    assert state.health is Health.ATTENTION
    app.tray.refresh()
    assert any(a.text().startswith(PLAIN_LINE) for a in app.tray.menu.actions())
    assert any(text.startswith(PLAIN_LINE) for text in home_texts(app))

    config.write_text('{"auths": {"https://index.docker.io/v1/": {}}}')  # a store's entry
    app.docker.refresh()
    assert app.tray_state().docker_line is None
    assert app.tray_state().health is Health.HEALTHY


def test_let_docker_use_this_token_removes_it_when_asked_with_a_backup(
    qtbot: QtBot, apps: AppFactory, signed_in_keeper: Keeper, tmp_path: Path
) -> None:
    config, auth = plain_config(tmp_path)
    before = config.read_text()
    prompts = ScriptedPrompts()
    app = started(qtbot, apps.make(prompts=prompts))
    shown = notifications(app)

    prompts.choice = None  # closed the question: nothing changes
    app.actions.use_docker.trigger()
    assert config.read_text() == before
    assert not app.actions.use_docker.isChecked()
    text, choices = prompts.choices[-1]
    assert str(config) in text and "backup" in text
    assert choices == ["Use this token and remove it", "Use this token, keep it"]

    prompts.choice = 0
    app.actions.use_docker.trigger()
    qtbot.waitUntil(lambda: settled(app) and app.actions.use_docker.isChecked(), timeout=WAIT_MS)

    data = json.loads(config.read_text())
    assert data["auths"] == {}
    assert data["credHelpers"] == dict.fromkeys(dc.DOCKER_HUB_KEYS, dc.HELPER)
    assert auth not in config.read_text()
    backup = Path(str(config) + dc.BACKUP_SUFFIX)
    assert backup.read_text() == before  # the one write: the backup is the file as it was
    assert shown[-1].title == "docker uses this token"
    assert "plain text is removed" in shown[-1].message and str(backup) in shown[-1].message
    assert app.tray_state().docker_line is None


def test_keeping_it_leaves_the_entry_and_offers_to_remove_it_later(
    qtbot: QtBot, apps: AppFactory, signed_in_keeper: Keeper, tmp_path: Path
) -> None:
    config, auth = plain_config(tmp_path)
    prompts = ScriptedPrompts()
    app = started(qtbot, apps.make(prompts=prompts))
    prompts.choice = 1
    app.actions.use_docker.trigger()
    qtbot.waitUntil(lambda: settled(app) and app.actions.use_docker.isChecked(), timeout=WAIT_MS)
    assert auth in config.read_text()
    line = app.tray_state().docker_line
    assert line is not None and "Remove docker's stored credential… deletes it" in line
    remove = app.actions.remove_docker_credential
    assert remove.isVisible() and remove in app.tray.menu.actions()

    prompts.confirm_answer = True
    remove.trigger()
    qtbot.waitUntil(lambda: settled(app) and not remove.isVisible(), timeout=WAIT_MS)
    assert "credHelpers" in json.loads(config.read_text())  # still uses this token
    assert auth not in config.read_text()
    assert auth in Path(str(config) + dc.BACKUP_SUFFIX).read_text()
