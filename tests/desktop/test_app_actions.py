"""Every action of the tray menu and every button of the home window, used as a person would.

The real ``hubtokens-gui --demo`` runs in its own process on a private X desktop (Xvfb, icewm
and its tray). The test right-clicks the tray icon and clicks menu items and buttons with the
mouse (xdotool), where the accessibility tree (AT-SPI) says they are. It then checks what a
person would see or get: exactly which windows are on the screen (the X server's list, so a
window that the app does not keep alive is not there), what another program pastes (xclip),
what the demo hub accepts, and the files the action should write in the demo's sandbox
(docker's config, the helper's state, the autostart entry, the settings).

One app is started per group of actions, with its windows hidden or shown where that matters.
Skipped only where the tools are missing (see ``run``'s TEST_PACKAGES).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from hubtokens.core.dockerconfig import DOCKER_HUB_KEYS, HELPER
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.secret import Secret
from hubtokens.localhub.demo import DEMO_PASSWORD, DEMO_USERNAME
from tests.desktop.desktop import desktop_test_marks, wait_until
from tests.desktop.person import HOME, Person
from tests.fixtures.activate_http import approve_over_http

pytestmark = desktop_test_marks()

MANAGER = f"Access tokens of {DEMO_USERNAME} — Hub Tokens"
NEW_TOKEN = "New access token"
REVEAL = "Access token created"
SIGN_IN = "Sign in · Hub Tokens"
BALLOON = ("tooltip", HOME)  # a notification of the tray (XEmbed: Qt draws it)
REGISTRY = "127.0.0.1:5999"  # a registry answered by the demo account; nothing listens there


# --- what the app should have done -------------------------------------------------------------


def signed_in(person: Person) -> dict[str, object]:
    """The account record once the demo's sign-in and first sync are done."""
    try:
        return wait_until(
            "signed in and synced",
            lambda: (record := person.app.account()) and record.get("last_check") and record,
        )
    except AssertionError as failure:
        shot = person.desktop.screenshot("not-signed-in")
        raise AssertionError(f"{failure}: {person.app.account()}; {shot}") from None


def hub_session(person: Person, secret: str = DEMO_PASSWORD) -> SessionToken:
    """The demo hub's answer to signing in as the demo with ``secret``: it must accept it."""
    answer = HubClient(person.app.hub_url).login(DEMO_USERNAME, Secret(secret))
    assert isinstance(answer, SessionToken), "the hub did not accept the copied token"
    return answer


def hub_token_ids(person: Person) -> set[str]:
    """The demo account's tokens on the hub, as its owner (with the password) sees them."""
    return {t.uuid for t in HubClient(person.app.hub_url).list_tokens(hub_session(person))}


def pasted(person: Person, step: str, changed_from: str | None = None) -> str:
    """What another program pastes once ``step`` has put something new on the clipboard."""
    text = wait_until(step, lambda: (t := person.clipboard()) != changed_from and t)
    assert isinstance(text, str)
    return text


def cred_helpers(person: Person) -> dict[str, str]:
    try:
        config = json.loads(person.app.docker_config.read_text())
    except FileNotFoundError:
        return {}
    helpers: dict[str, str] = config.get("credHelpers", {})
    return helpers


def uses_helper(person: Person) -> bool:
    return all(cred_helpers(person).get(key) == HELPER for key in DOCKER_HUB_KEYS)


def docker_logout(person: Person) -> None:
    """In the demo's sandbox: ``hubtokens docker configure --registry`` for the demo hub,
    then what ``docker logout`` of that registry runs, the helper's ``erase``."""
    sandbox = person.app.sandbox
    env = {
        **person.desktop.env,
        "HUBTOKENS_HOME": str(sandbox),
        "DOCKER_CONFIG": str(sandbox / "docker"),
    }
    hub = person.app.hub_url
    bin_dir = Path(sys.executable).parent
    for args, stdin in (
        ([str(bin_dir / "hubtokens"), "docker", "configure", "--hub", hub, "--registry", REGISTRY],
         None),
        ([str(bin_dir / "docker-credential-hubtokens"), "erase"], REGISTRY),
    ):  # fmt: skip
        result = subprocess.run(
            args, input=stdin, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr


def signed_out_servers(person: Person) -> list[str]:
    path = person.app.sandbox / "config" / "docker-cli.json"
    servers = json.loads(path.read_text()).get("servers", {}) if path.exists() else {}
    return [server for server, state in servers.items() if state.get("signed_out")]


# --- what a person does, in several steps ------------------------------------------------------


def dismiss_notification(person: Person, title: str, *also: tuple[str, str]) -> None:
    """The tray shows the notification ``title``: the person reads it and clicks it away."""
    step = f"the notification {title!r}"
    windows = person.wait_to_see(*also, BALLOON, step=step)
    wait_until(step, lambda: title in person.texts())
    (balloon,) = [w for w in windows if (w.kind, w.title) == BALLOON]
    person.desktop.click(balloon.x + balloon.width // 2, balloon.y + balloon.height // 2)
    person.wait_to_see(*also, step=f"{step} clicked away")


def create_a_token(
    person: Person, *also: tuple[str, str], on_reveal: Callable[[], None] = lambda: None
) -> None:
    """In the open New access token dialog: describe, Generate, Copy the secret, Done
    (``on_reveal`` runs when the secret is shown)."""
    description = f"desktop test {secrets.token_hex(4)}"
    person.type_into("text", "Description", NEW_TOKEN, description)
    before = person.clipboard()
    person.press("Generate", window=NEW_TOKEN)
    person.wait_to_see(*also, ("dialog", REVEAL), step="Generate")
    on_reveal()
    person.press("Copy", window=REVEAL)
    secret = pasted(person, "the new token copied", changed_from=before)
    hub_session(person, secret)
    labels = [t.label for t in HubClient(person.app.hub_url).list_tokens(hub_session(person))]
    assert description in labels
    person.press("Done", window=REVEAL)
    person.wait_to_see(*also, step="Done")


def sign_in_with_the_dialog(person: Person, *also: tuple[str, str]) -> None:
    """In the open sign-in dialog: Continue in browser; the desktop's default browser is
    asked to open Docker's page with the code the dialog shows; the person approves there as
    the demo account; the dialog closes by itself."""
    opened = person.app.opened_pages
    before = opened.read_text().splitlines() if opened.exists() else []
    person.press("Continue in browser", window=SIGN_IN)
    pages = wait_until(
        "the sign-in page opened in the browser",
        lambda: (opened.exists() and opened.read_text().splitlines()[len(before) :]) or None,
    )
    [page] = pages
    code = parse_qs(urlsplit(page).query)["user_code"][0]
    assert page.startswith(f"{person.app.hub_url}/activate?")
    wait_until(
        "the dialog shows the code", lambda: any(code in text for text in person.texts(SIGN_IN))
    )
    approve_over_http(person.app.hub_url, code, DEMO_USERNAME, DEMO_PASSWORD)
    person.wait_to_see(*also, step="signed in through the browser")
    assert signed_in(person)["sign_in"] == "web"


# --- the tray menu ------------------------------------------------------------------------------


def test_tray_menu_with_every_window_hidden(start: Callable[..., Person]) -> None:
    person = start("--background")
    app = person.app
    person.wait_to_see(step="started in the background: only the tray icon")
    record = signed_in(person)

    person.choose_in_tray_menu("New access token…")
    (dialog,) = person.wait_to_see(("dialog", NEW_TOKEN), step="New access token… (tray)")
    assert dialog.transient_for not in {w.id for w in person.windows()}  # on its own
    person.choose_in_tray_menu("New access token…")  # asked again: the same one comes forward
    (again,) = person.wait_to_see(("dialog", NEW_TOKEN), step="New access token… again")
    assert again.id == dialog.id
    create_a_token(person)

    person.choose_in_tray_menu("Copy docker login command")
    assert pasted(person, "Copy docker login command") == f"docker login -u {DEMO_USERNAME}"
    dismiss_notification(person, "Command copied")

    person.choose_in_tray_menu("Copy token")
    hub_session(person, pasted(person, "Copy token", changed_from="docker login -u demo"))
    dismiss_notification(person, "Token copied")

    person.choose_in_tray_menu("Let docker use this token")
    wait_until("docker's config names the helper", lambda: uses_helper(person))
    dismiss_notification(person, "docker uses this token")
    person.choose_in_tray_menu("Let docker use this token")
    wait_until("docker's config set back", lambda: not cred_helpers(person))
    dismiss_notification(person, "docker set back")

    docker_logout(person)
    assert signed_out_servers(person) == [REGISTRY]
    person.choose_in_tray_menu("Sign docker in again")
    wait_until("docker signed in again", lambda: not signed_out_servers(person))
    dismiss_notification(person, "docker signed in again")

    checked = record["last_check"]
    person.choose_in_tray_menu("Sync now")
    wait_until("a sync", lambda: (app.account() or {}).get("last_check", "") > checked)
    person.wait_to_see(step="Sync now")

    person.choose_in_tray_menu("Start at login")
    entry = wait_until("the autostart entry", lambda: app.autostart_entry.exists())
    assert entry and "--background" in app.autostart_entry.read_text()
    person.choose_in_tray_menu("Start at login")
    wait_until("the autostart entry removed", lambda: not app.autostart_entry.exists())
    person.wait_to_see(step="Start at login")

    auto_token = signed_in(person)["auto_token"]
    person.choose_in_tray_menu("Sign out")
    wait_until("signed out", lambda: app.account() is None)
    dismiss_notification(person, "Signed out")
    assert isinstance(auto_token, dict) and auto_token["uuid"] not in hub_token_ids(person)
    person.choose_in_tray_menu("Sign in…")
    (sign_in,) = person.wait_to_see(("dialog", SIGN_IN), step="Sign in… (tray)")
    assert sign_in.transient_for not in {w.id for w in person.windows()}
    sign_in_with_the_dialog(person)

    person.choose_in_tray_menu("Quit Hub Tokens")
    assert app.exit_code() == 0, app.output()
    assert person.windows() == []


def test_tray_menu_with_the_windows_shown(start: Callable[..., Person]) -> None:
    person = start()
    (home,) = person.wait_to_see(("normal", HOME), step="started: the home window")
    signed_in(person)

    person.choose_in_tray_menu("Manage access tokens…")
    windows = person.wait_to_see(("normal", HOME), ("normal", MANAGER), step="Manage (tray)")
    (manager,) = [w for w in windows if w.title == MANAGER]
    person.choose_in_tray_menu("New access token…")
    windows = person.wait_to_see(
        ("normal", HOME), ("normal", MANAGER), ("dialog", NEW_TOKEN), step="New (tray, manager)"
    )
    (dialog,) = [w for w in windows if w.title == NEW_TOKEN]
    assert dialog.transient_for == manager.id  # over the manager, as its dialog
    person.press("Cancel", window=NEW_TOKEN)
    person.wait_to_see(("normal", HOME), ("normal", MANAGER), step="Cancel")
    person.close_window(MANAGER)
    person.wait_to_see(("normal", HOME), step="the manager closed")

    person.close_window(HOME)
    dismiss_notification(person, "Hub Tokens is still running")
    person.choose_in_tray_menu("Open Hub Tokens")
    (home,) = person.wait_to_see(("normal", HOME), step="Open Hub Tokens")

    person.choose_in_tray_menu("Sign out")
    wait_until("signed out", lambda: person.app.account() is None)
    dismiss_notification(person, "Signed out", ("normal", HOME))
    person.choose_in_tray_menu("Sign in…")
    windows = person.wait_to_see(("normal", HOME), ("dialog", SIGN_IN), step="Sign in… (tray)")
    (sign_in,) = [w for w in windows if w.title == SIGN_IN]
    assert sign_in.transient_for == home.id
    sign_in_with_the_dialog(person, ("normal", HOME))

    person.choose_in_tray_menu("Quit Hub Tokens")
    assert person.app.exit_code() == 0, person.app.output()


# --- the home window ----------------------------------------------------------------------------


def test_every_button_of_the_home_window(start: Callable[..., Person]) -> None:
    person = start()
    app = person.app
    person.wait_to_see(("normal", HOME), step="started: the home window")
    record = signed_in(person)
    shown = ("normal", HOME)

    person.press("New access token…")  # the manager hidden: a dialog of its own
    windows = person.wait_to_see(shown, ("dialog", NEW_TOKEN), step="New access token… (home)")
    (dialog,) = [w for w in windows if w.title == NEW_TOKEN]
    assert dialog.transient_for not in {w.id for w in windows}
    create_a_token(person, shown)

    person.press("Manage access tokens…")
    windows = person.wait_to_see(shown, ("normal", MANAGER), step="Manage access tokens…")
    (manager,) = [w for w in windows if w.title == MANAGER]
    person.press("New access token…")  # the manager shown: the dialog is the manager's
    windows = person.wait_to_see(
        shown, ("normal", MANAGER), ("dialog", NEW_TOKEN), step="New (home, manager shown)"
    )
    (dialog,) = [w for w in windows if w.title == NEW_TOKEN]
    assert dialog.transient_for == manager.id
    person.press("Cancel", window=NEW_TOKEN)
    person.wait_to_see(shown, ("normal", MANAGER), step="Cancel")
    person.close_window(MANAGER)
    person.wait_to_see(shown, step="the manager closed")

    person.press("Copy docker login command")
    assert pasted(person, "Copy docker login command") == f"docker login -u {DEMO_USERNAME}"
    dismiss_notification(person, "Command copied", shown)
    assert any(t.startswith("docker login -u demo") for t in person.texts(HOME))  # the banner
    person.press("Dismiss")  # the banner's ✕
    wait_until("the banner dismissed", lambda: "Command copied" not in person.texts(HOME))

    person.press("Copy token")
    hub_session(person, pasted(person, "Copy token", changed_from="docker login -u demo"))
    dismiss_notification(person, "Token copied", shown)

    person.press("Let docker use this token", role="check box")
    wait_until("docker's config names the helper", lambda: uses_helper(person))
    dismiss_notification(person, "docker uses this token", shown)
    person.press("Let docker use this token", role="check box")
    wait_until("docker's config set back", lambda: not cred_helpers(person))
    dismiss_notification(person, "docker set back", shown)

    docker_logout(person)
    person.choose_in_tray_menu("Open Hub Tokens")  # a glance at the tray menu reads docker's files
    person.press("Sign docker in again")
    wait_until("docker signed in again", lambda: not signed_out_servers(person))
    dismiss_notification(person, "docker signed in again", shown)

    checked = record["last_check"]
    person.press("Sync now")
    wait_until("a sync", lambda: (app.account() or {}).get("last_check", "") > checked)
    person.wait_to_see(shown, step="Sync now")

    person.press("Sign out")
    wait_until("signed out", lambda: app.account() is None)
    dismiss_notification(person, "Signed out", shown)
    person.press("Sign in…")
    windows = person.wait_to_see(shown, ("dialog", SIGN_IN), step="Sign in… (home)")
    (sign_in,) = [w for w in windows if w.title == SIGN_IN]
    (home,) = [w for w in windows if w.title == HOME]
    assert sign_in.transient_for == home.id
    sign_in_with_the_dialog(person, shown)
    assert os.path.exists(app.sandbox)  # nothing of the demo went anywhere else
