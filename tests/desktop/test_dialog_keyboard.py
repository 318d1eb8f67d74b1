"""Every window and dialog of the real ``hubtokens-gui --demo``, met with the keyboard and a
screen reader (AT-SPI): each control has a name, Return presses the button it should, Tab goes
through every control in reading order (top to bottom, left to right) and comes back round,
and Escape closes the dialog without doing anything."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Iterator

import pytest

from hubtokens.core.hub.client import HubClient
from hubtokens.localhub import LocalHub, totp
from hubtokens.localhub.demo import DEMO_USERNAME
from tests.desktop.desktop import desktop_test_marks, wait_until
from tests.desktop.person import HOME, TRAY_MENU, Person
from tests.desktop.screen_reader import (
    Survey,
    default_button,
    focus_on,
    out_of_reading_order,
    tab_cycle,
    unreachable,
)
from tests.desktop.test_accessible_names import LEAK_CHECK, RENAME
from tests.desktop.test_app_actions import (
    BALLOON,
    MANAGER,
    NEW_TOKEN,
    REVEAL,
    SIGN_IN,
    create_a_token,
    dismiss_notification,
    hub_session,
    signed_in,
)

pytestmark = desktop_test_marks()

CONFIRM_DELETE = "Delete access tokens"
STALE_REVIEW = "Review stale tokens"
REPLACE = "Replace access token"
NOT_COPIED = "Close without copying?"
RETIRE = "Retire the old token?"
PLAIN_TEXT = "docker keeps a Docker Hub credential in plain text"
REMOVE_PLAIN = "Remove docker's stored credential?"
USE_DOCKER = "Let docker use this token"
DOCKER_HUB = "https://index.docker.io/v1/"
TOOL_BAR = {
    "New token…", "Rename…", "Replace…", "Activate", "Deactivate", "Delete…", "Refresh",
    "Review 5 stale tokens…", "Check for leaked tokens…",
}  # fmt: skip
COPY_CODE = "Copy the one-time code"
HOME_CHECK = "Also check where tokens end up on this computer (docker's config, shell histories)"
Windows = tuple[tuple[str, str], ...]


class Keyboard:
    """Goes through windows as a keyboard and screen-reader user does, and writes down what
    is wrong in each: printed as found, asserted at the end (one run shows every problem)."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.names = Survey(person)
        self.problems: list[str] = []

    def check(self, window: str, step: str, default: str | None) -> None:
        """Names, the default button and the Tab cycle of ``window``, as it is now."""
        self.person.bring_forward(window)
        self.names.read(window, step)
        found = []
        if (pressed := default_button(self.person, window)) != default:
            found.append(f"Return presses {pressed!r}, not {default!r}")
        stops = tab_cycle(self.person, window)
        print(f"{window} ({step}) Tab:", [f"{s.role} {s.name!r}" for s in stops])
        # Back where it started: a button the focus passed on the way must not have kept
        # Return for itself (Qt's pitfall: a default set before the button was in the dialog).
        if (after := default_button(self.person, window)) != pressed:
            found.append(f"after a round of Tab, Return presses {after!r}, not {pressed!r}")
        found += [f"Tab goes back: {step}" for step in out_of_reading_order(stops)]
        found += [f"Tab never reaches {c}" for c in unreachable(self.person.nodes(window), stops)]
        found = [f"{window} ({step}): {problem}" for problem in found]
        print(*found, sep="\n")
        self.problems += found

    def escape(self, window: str, *left: tuple[str, str]) -> None:
        """Escape in ``window``: it closes, and ``left`` are the windows still shown."""
        self.person.bring_forward(window)
        self.person.desktop.key("Escape")
        self.person.wait_to_see(*left, step=f"Escape in {window}")

    def assert_nothing_wrong(self) -> None:
        wrong = self.names.offenders + self.problems
        assert not wrong, f"{len(wrong)} problems:\n" + "\n".join(wrong)


def test_the_manager_and_its_dialogs_by_keyboard(start: Callable[..., Person]) -> None:
    person = start()
    keyboard = Keyboard(person)
    key = person.desktop.key
    home = ("normal", HOME)
    person.wait_to_see(home, step="started: the home window")
    signed_in(person)
    keyboard.check(HOME, "signed in", default="Manage access tokens…")  # the focused one

    key("ctrl+t")
    manager: Windows = (home, ("normal", MANAGER))
    person.wait_to_see(*manager, step="Ctrl+T: Manage access tokens…")
    keyboard.check(MANAGER, "opened", default=None)

    key("ctrl+n")
    person.wait_to_see(*manager, ("dialog", NEW_TOKEN), step="Ctrl+N: New access token…")
    focus_on(person, NEW_TOKEN, "text", "Description")
    person.desktop.type_text("not created")  # Generate enabled: every control takes part
    keyboard.check(NEW_TOKEN, "described", default="Generate")
    keyboard.escape(NEW_TOKEN, *manager)  # typing is not asked about: nothing is lost yet

    key("ctrl+n")
    person.wait_to_see(*manager, ("dialog", NEW_TOKEN), step="Ctrl+N again")

    def before_copying() -> None:
        keyboard.check(REVEAL, "shown", default="Copy")
        key("Escape")  # not copied yet: it asks
        person.wait_to_see(*manager, ("dialog", REVEAL), ("dialog", NOT_COPIED), step="Escape")
        keyboard.check(NOT_COPIED, "the token not copied", default="Cancel")
        keyboard.escape(NOT_COPIED, *manager, ("dialog", REVEAL))  # the token still shown

    create_a_token(person, *manager, on_reveal=before_copying)
    created = _token_count(person)

    key("shift+Tab")  # from the filter field, where the focus was, back to the table
    focus_on(person, MANAGER, "table", "Access tokens")
    key("Menu")  # the tool bar takes no focus: its actions are in the table's menu
    wait_until("the table's menu", lambda: person.has(TRAY_MENU, "menu item", "Rename…"))
    items = {n.name for n in person.nodes(TRAY_MENU) if n.role == "menu item"}
    assert items >= TOOL_BAR, f"not in the table's menu: {TOOL_BAR - items}; there: {items}"
    key("Escape")
    focus_on(person, MANAGER, "table", "Access tokens")
    key("F2")  # Rename the new token, the selected one
    person.wait_to_see(*manager, ("dialog", RENAME), step="F2: Rename…")
    focus_on(person, RENAME, "text", "Description")  # Return must not cancel
    person.desktop.type_text("not renamed")  # the old description was selected: replaced
    keyboard.check(RENAME, "a new description typed", default="Rename")
    keyboard.escape(RENAME, *manager)

    person.bring_forward(MANAGER)
    key("Delete")
    person.wait_to_see(*manager, ("dialog", CONFIRM_DELETE), step="Delete: the question")
    keyboard.check(CONFIRM_DELETE, "the new token", default="Cancel")
    keyboard.escape(CONFIRM_DELETE, *manager)
    assert _token_count(person) == created, "Escape in the question deleted the token"

    person.press("Replace", window=MANAGER)  # the new token, still the selected one
    person.wait_to_see(*manager, ("dialog", REPLACE), step="Replace…")
    focus_on(person, REPLACE, "combo box", "None")  # the expiry: the one thing to choose
    keyboard.check(REPLACE, "the new token", default="Create replacement")
    key("Return")
    person.wait_to_see(*manager, ("dialog", REVEAL), step="Return: Create replacement")
    focus_on(person, REVEAL, "text", "Access token")
    key("Return")  # Copy
    wait_until("copied", lambda: person.has(REVEAL, "push button", "Copied ✓"))
    keyboard.escape(REVEAL, *manager, ("dialog", RETIRE))  # copied: it closes without asking
    keyboard.check(RETIRE, "the replaced token", default="Deactivate")
    keyboard.escape(RETIRE, *manager)  # keeps the old token as it is
    created += 1
    assert _token_count(person) == created, "Escape in the question retired the old token"

    person.press("Review 5 stale tokens", window=MANAGER)
    person.wait_to_see(*manager, ("dialog", STALE_REVIEW), step="Review stale tokens…")
    keyboard.check(STALE_REVIEW, "5 ticked", default="Cancel")  # deleting is for good
    keyboard.escape(STALE_REVIEW, *manager)
    assert _token_count(person) == created, "Escape in the review deleted tokens"
    assert "not renamed" not in _token_labels(person) and "not created" not in _token_labels(person)

    person.press("Check for leaked tokens", window=MANAGER)
    person.wait_to_see(*manager, ("dialog", LEAK_CHECK), step="Check for leaked tokens…")
    keyboard.check(LEAK_CHECK, "opened", default="Check")
    _plant_a_token_in_the_shell_history(person)
    person.press(HOME_CHECK, window=LEAK_CHECK, role="check box")
    key("Return")  # Check
    wait_until("the token found", lambda: person.has(LEAK_CHECK, "push button", "Identify"))
    keyboard.check(LEAK_CHECK, "a token found", default="Check")
    keyboard.escape(LEAK_CHECK, *manager)

    keyboard.assert_nothing_wrong()


def _plant_a_token_in_the_shell_history(person: Person) -> None:
    """A made-up token, typed once in a shell: what the leak check's home check finds (the
    demo's home is its sandbox)."""
    token = "dckr_pat_" + secrets.token_urlsafe(24)[:27]
    history = person.app.sandbox / ".bash_history"
    history.write_text(f"docker login -u {DEMO_USERNAME} -p {token}\n")


def _basic(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def _token_labels(person: Person) -> list[str]:
    return [t.label for t in HubClient(person.app.hub_url).list_tokens(hub_session(person))]


def _token_count(person: Person) -> int:
    return len(_token_labels(person))


@pytest.fixture
def two_factor_hub() -> Iterator[tuple[LocalHub, str, str]]:
    """A second local hub, with an account that has two-factor authentication turned on:
    its URL, the account's name and password."""
    hub = LocalHub().start()
    password = secrets.token_urlsafe(12)
    hub.add_user("carol", password, otp_secret=totp.new_secret())
    yield hub, "carol", password
    hub.stop()


def test_the_home_window_prompts_and_sign_in_by_keyboard(
    start: Callable[..., Person], two_factor_hub: tuple[LocalHub, str, str]
) -> None:
    hub, username, password = two_factor_hub
    person = start()
    keyboard = Keyboard(person)
    home = ("normal", HOME)
    person.wait_to_see(home, step="started: the home window")
    signed_in(person)

    # docker login once stored a password in plain text: two questions about it
    config = person.app.docker_config
    config.parent.mkdir(exist_ok=True)
    config.write_text(json.dumps({"auths": {DOCKER_HUB: {"auth": _basic("demo", "secret")}}}))
    person.open_tray_menu()  # the app reads docker's config again when its menu opens
    person.desktop.key("Escape")
    wait_until("the plain-text warning", lambda: any("plain text" in t for t in person.texts()))
    person.press(USE_DOCKER, role="check box")
    person.wait_to_see(home, ("dialog", PLAIN_TEXT), step="Let docker use this token")
    keyboard.check(PLAIN_TEXT, "asked", default="Use this token and remove it")
    keyboard.escape(PLAIN_TEXT, home)
    assert "credHelpers" not in json.loads(config.read_text()), "Escape changed docker's config"
    person.press(USE_DOCKER, role="check box")
    person.wait_to_see(home, ("dialog", PLAIN_TEXT), step="Let docker use this token again")
    person.press("Use this token, keep it", window=PLAIN_TEXT)
    person.wait_to_see(home, BALLOON, step="docker uses the token, the credential kept")
    dismiss_notification(person, "docker uses this token", home)
    person.press("Remove docker's stored credential…")
    person.wait_to_see(home, ("dialog", REMOVE_PLAIN), step="Remove docker's stored credential…")
    keyboard.check(REMOVE_PLAIN, "asked", default="Cancel")
    keyboard.escape(REMOVE_PLAIN, home)
    assert DOCKER_HUB in json.loads(config.read_text())["auths"], "Escape removed it"

    person.press("Sign out")
    wait_until("signed out", lambda: person.app.account() is None)
    dismiss_notification(person, "Signed out", home)
    keyboard.check(HOME, "signed out", default="Sign in…")

    person.desktop.key("Return")  # wherever the focus is
    sign_in = (home, ("dialog", SIGN_IN))
    person.wait_to_see(*sign_in, step="Return: Sign in…")
    keyboard.check(SIGN_IN, "the browser sign-in", default="Continue in browser")
    person.desktop.key("Return")  # Continue in browser: the code, while the browser is asked
    wait_until("the code", lambda: person.has(SIGN_IN, "push button", COPY_CODE))
    keyboard.check(SIGN_IN, "the one-time code", default=COPY_CODE)
    keyboard.escape(SIGN_IN, home)  # the sign-in cancelled
    person.desktop.key("Return")  # the focus is back on Sign in…
    person.wait_to_see(*sign_in, step="Return: Sign in… again")

    person.press("Sign in with a password instead", window=SIGN_IN)
    wait_until("the password form", lambda: person.has(SIGN_IN, "password text"))
    keyboard.check(SIGN_IN, "the password form", default="Sign in")

    person.type_into("text", "Hub URL", SIGN_IN, "")
    person.desktop.key("ctrl+a")
    person.desktop.type_text(hub.url)
    person.type_into("text", "Username", SIGN_IN, username)
    person.type_into("password text", "Password or access token", SIGN_IN, password)
    person.desktop.key("Return")
    wait_until("the two-factor step", lambda: person.has(SIGN_IN, "text", "Two-factor code"))
    keyboard.check(SIGN_IN, "the two-factor code", default="Verify")
    keyboard.escape(SIGN_IN, home)
    assert person.app.account() is None

    keyboard.assert_nothing_wrong()
