"""Every control a person can use has a name a screen reader can speak.

The real ``hubtokens-gui --demo`` is read from outside through the accessibility bus (AT-SPI),
as a screen reader reads it: each window and dialog is opened as a person opens it, and every
interactive control showing in it must have a name. A placeholder or a tooltip is not a name.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.desktop.accessibility import Node
from tests.desktop.desktop import desktop_test_marks, wait_until
from tests.desktop.person import HOME, TRAY_MENU, Person
from tests.desktop.screen_reader import Survey, unnamed
from tests.desktop.test_app_actions import (
    MANAGER,
    NEW_TOKEN,
    REVEAL,
    SIGN_IN,
    create_a_token,
    dismiss_notification,
    signed_in,
)

pytestmark = desktop_test_marks()

RENAME = "Rename access token"
LEAK_CHECK = "Check for leaked tokens — Hub Tokens"


def _node(
    role: str, name: str, description: str = "", *path: str, labels: tuple[str, ...] = ()
) -> Node:
    return Node(
        window="w", role=role, name=name, description=description, labelled_by=labels,
        path=path, x=0, y=0, width=1, height=1, showing=True, enabled=True, checked=False,
        focused=False, active=False, focusable=True, default=False,
    )  # fmt: skip


def test_unnamed_nodes_are_found() -> None:
    """The check itself: a nameless or sign-named control is an offender, a label is not."""
    nodes = [
        _node("push button", "✕", "Dismiss", "frame 'w'"),
        _node("text", "", "", "frame 'w'", "filler ''"),
        _node("label", ""),
        _node("check box", "Start at login"),
        _node("combo box", "All sources", "", "frame 'w'"),  # its value: no label tied to it
        _node("combo box", "All statuses", "", "frame 'w'", labels=("Status",)),
    ]
    assert unnamed(nodes) == [
        "push button '✕' (description 'Dismiss') in frame 'w'",
        "text '' (description '') in frame 'w' > filler ''",
        "combo box 'All sources' (description '') in frame 'w'",
    ]


def test_every_window_and_dialog_names_its_controls(start: Callable[..., Person]) -> None:
    person = start()
    survey = Survey(person)
    home = ("normal", HOME)
    person.wait_to_see(home, step="started: the home window")
    signed_in(person)

    person.press("Copy docker login command")  # shows the banner, with its close button
    dismiss_notification(person, "Command copied", home)
    survey.read(HOME, "signed in, a notification shown")
    person.open_tray_menu()
    survey.read(TRAY_MENU, "the tray icon's menu")
    person.desktop.key("Escape")

    person.press("Manage access tokens…")
    manager = (home, ("normal", MANAGER))
    person.wait_to_see(*manager, step="Manage access tokens…")
    survey.read(MANAGER, "opened")
    buttons = person.count(MANAGER, "push button")
    person.type_into("text", "Filter tokens", MANAGER, "Renovate")
    wait_until("the clear button", lambda: person.count(MANAGER, "push button") > buttons)
    survey.read(MANAGER, "filtered: the field's clear button shown")
    person.press("Clear the filter", window=MANAGER)
    wait_until(
        "the filter cleared", lambda: not person.has(MANAGER, "push button", "Clear the filter")
    )
    window = person.x_window(MANAGER)
    person.desktop.xdotool("windowsize", "--sync", str(window.id), "520", str(window.height))
    # Qt's » for the actions that no longer fit: a checkable button, so a "check box".
    wait_until("the tool bar's »", lambda: person.has(MANAGER, "check box"))
    survey.read(MANAGER, "narrow: some tool bar actions behind »")
    person.desktop.xdotool(
        "windowsize", "--sync", str(window.id), str(window.width), str(window.height)
    )

    person.press("New token", window=MANAGER)
    person.wait_to_see(*manager, ("dialog", NEW_TOKEN), step="New access token…")
    person.press("Description", window=NEW_TOKEN, role="text")
    person.desktop.key("Tab", "End")  # to the expiration date; its last choice: a custom date
    wait_until("the custom date", lambda: person.has(NEW_TOKEN, "spin button"))
    survey.read(NEW_TOKEN, "a custom expiration date")
    person.press("Cancel", window=NEW_TOKEN)
    person.wait_to_see(*manager, step="Cancel")

    person.press("New token", window=MANAGER)
    person.wait_to_see(*manager, ("dialog", NEW_TOKEN), step="New access token… again")
    create_a_token(person, *manager, on_reveal=lambda: survey.read(REVEAL, "a token created"))

    person.press("Rename", window=MANAGER)  # the new token is the selected one
    person.wait_to_see(*manager, ("dialog", RENAME), step="Rename…")
    survey.read(RENAME, "the new token")
    person.desktop.key("Escape")
    person.wait_to_see(*manager, step="Rename closed")

    person.press("Check for leaked tokens", window=MANAGER)
    person.wait_to_see(*manager, ("dialog", LEAK_CHECK), step="Check for leaked tokens…")
    survey.read(LEAK_CHECK, "opened")
    person.desktop.key("Escape")
    person.wait_to_see(*manager, step="the leak check closed")
    person.close_window(MANAGER)
    person.wait_to_see(home, step="the manager closed")

    person.press("Sign out")
    wait_until("signed out", lambda: person.app.account() is None)
    dismiss_notification(person, "Signed out", home)
    survey.read(HOME, "signed out")
    person.press("Sign in…")
    person.wait_to_see(home, ("dialog", SIGN_IN), step="Sign in…")
    wait_until("the hub field", lambda: person.has(SIGN_IN, "text", "Hub URL"))  # not Docker's
    survey.read(SIGN_IN, "how signing in through the browser works, the hub shown")
    person.press("Sign in with a password instead", window=SIGN_IN)
    wait_until("the password form", lambda: person.has(SIGN_IN, "password text"))
    survey.read(SIGN_IN, "the password form")
    person.desktop.key("Escape")
    person.wait_to_see(home, step="the sign-in dialog closed")
    person.press("Sign in…")
    person.wait_to_see(home, ("dialog", SIGN_IN), step="Sign in… again")
    person.press("Continue in browser", window=SIGN_IN)
    wait_until(
        "the one-time code", lambda: person.has(SIGN_IN, "push button", "Copy the one-time code")
    )
    survey.read(SIGN_IN, "the one-time code")

    assert not survey.offenders, f"{len(survey.offenders)} unnamed controls:\n" + "\n".join(
        survey.offenders
    )
