"""One whole task with the keyboard only, on the real ``hubtokens-gui --demo``: open the
manager, create a token, copy it, close. No click anywhere: xdotool key presses go to the
window that has the focus, and where the focus is is read through AT-SPI."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from hubtokens.core.hub.client import HubClient
from tests.desktop.desktop import desktop_test_marks, wait_until
from tests.desktop.person import HOME, Person
from tests.desktop.screen_reader import focus_on
from tests.desktop.test_app_actions import (
    MANAGER,
    NEW_TOKEN,
    REVEAL,
    hub_session,
    pasted,
    signed_in,
)

pytestmark = desktop_test_marks()


def test_create_and_copy_a_token_with_the_keyboard_only(start: Callable[..., Person]) -> None:
    person = start()
    key = person.desktop.key
    home = ("normal", HOME)
    person.wait_to_see(home, step="started: the home window")
    signed_in(person)
    wait_until("the home window active", lambda: person.nodes(HOME)[0].active)

    key("ctrl+t")  # Manage access tokens…
    manager = (home, ("normal", MANAGER))
    person.wait_to_see(*manager, step="Ctrl+T")
    wait_until("the manager active", lambda: person.nodes(MANAGER)[0].active)

    key("ctrl+n")  # New access token…
    person.wait_to_see(*manager, ("dialog", NEW_TOKEN), step="Ctrl+N")
    focus_on(person, NEW_TOKEN, "text", "Description")
    description = f"keyboard test {secrets.token_hex(4)}"
    person.desktop.type_text(description)
    key("Return")  # Generate, the default button
    person.wait_to_see(*manager, ("dialog", REVEAL), step="Return: Generate")

    focus_on(person, REVEAL, "text", "Access token")
    before = person.clipboard()
    key("Return")  # Copy, the default button
    secret = pasted(person, "Return: Copy", changed_from=before)
    hub_session(person, secret)  # the hub accepts what was copied
    labels = [t.label for t in HubClient(person.app.hub_url).list_tokens(hub_session(person))]
    assert description in labels

    key("Escape")  # the secret was copied: the dialog closes without asking
    person.wait_to_see(*manager, step="Escape")
    wait_until("the manager active again", lambda: person.nodes(MANAGER)[0].active)
    key("alt+F4")  # the window manager's close, from the keyboard
    person.wait_to_see(home, step="Alt+F4: the manager closed")
