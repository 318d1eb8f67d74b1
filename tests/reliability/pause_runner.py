"""Run the real ``hubtokens`` CLI or desktop app, stopping at a named step so a test can
SIGKILL it there.

``python pause_runner.py ARGS...`` is ``python -m hubtokens ARGS...``, and
``python pause_runner.py --gui ARGS...`` is ``hubtokens-gui ARGS...``, except that when the
environment names a step in ``HUBTOKENS_TEST_PAUSE_AT``, the process writes its pid to
``HUBTOKENS_TEST_PAUSE_FILE`` on reaching that step and waits there until the file is removed
(the test lets it go on) or it is killed. Nothing in the product knows about this: the steps
are the seams of the keeper's collaborators (hub client, keychain), wrapped here, in the test
process only. The app runs the keeper on a worker thread, so there it is that thread which
writes the marker and waits, while the GUI thread's event loop goes on.

Steps, in the order a sign-in or a recreation reaches them:

  before-login           nothing done yet
  after-session-stored   the session JWT is in the keychain; no settings yet
  before-strays-listed   the intent to create is recorded (pending_create); hub not asked yet
  after-stray-deleted    an old auto token was deleted on the hub; no new one yet
  before-create-request  the attempt is counted; the create request is about to go
  after-create           the hub created the token and answered; the secret is only in memory
  after-keychain-write   the secret is in the keychain; the settings do not know the token yet

and those of a web sign-in (the device flow) and of a web session's create (desktop-generate):

  after-approval         the person approved: the sign-in service's tokens are only in memory
  after-refresh          a renewal rotated the refresh token: the new one is only in memory,
                         the one in the keychain is spent
  after-refresh-stored   the (new) refresh token is in the keychain
  before-desktop-generate  the intent and the tokens already there are recorded; the Hub is
                         about to generate the token
  after-desktop-generate the Hub generated the token and answered; its uuid is not known yet
  after-uuid-noted       the new token's uuid is noted in the settings; its secret is in memory
  after-relabel          the token carries this device's label; the settings do not know it yet

and, for the file tests, the moment between reading a file and replacing it:

  before-settings-write  settings.json was read and is about to be replaced
  before-docker-config-write  docker's config.json was read and is about to be replaced

A process pauses once, at the first time it reaches the step.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAUSE_AT = "HUBTOKENS_TEST_PAUSE_AT"
PAUSE_FILE = "HUBTOKENS_TEST_PAUSE_FILE"
STEPS = (
    "before-login",
    "after-session-stored",
    "before-strays-listed",
    "after-stray-deleted",
    "before-create-request",
    "after-create",
    "after-keychain-write",
    "after-approval",
    "after-refresh",
    "after-refresh-stored",
    "before-desktop-generate",
    "after-desktop-generate",
    "after-uuid-noted",
    "after-relabel",
    "before-settings-write",
    "before-docker-config-write",
)
_paused: set[str] = set()


def _pause(step: str) -> None:
    if os.environ.get(PAUSE_AT) != step or step in _paused:
        return
    _paused.add(step)
    marker = Path(os.environ[PAUSE_FILE])
    marker.write_text(str(os.getpid()))
    while marker.exists():  # until killed, or the test lets us go on
        time.sleep(0.01)


def _around(owner: type, name: str, *, before: str | None = None, after: str | None = None) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if before:
            _pause(before)
        result = original(*args, **kwargs)
        if after:
            _pause(after)
        return result

    setattr(owner, name, wrapper)


def install() -> None:
    from hubtokens.core import dockerconfig
    from hubtokens.core.hub.client import HubClient
    from hubtokens.core.hub.oauth import SignInService
    from hubtokens.core.keeper.creation import Creation
    from hubtokens.core.settings import SettingsStore
    from hubtokens.core.vault import Vault

    _around(HubClient, "login", before="before-login")
    _around(Vault, "put_session", after="after-session-stored")
    _around(HubClient, "list_tokens", before="before-strays-listed")
    _around(HubClient, "delete_token", after="after-stray-deleted")
    _around(HubClient, "create_token", before="before-create-request", after="after-create")
    _around(Vault, "put_auto_token", after="after-keychain-write")
    _around(SignInService, "wait", after="after-approval")
    _around(SignInService, "refresh", after="after-refresh")
    _around(Vault, "put_refresh_token", after="after-refresh-stored")
    _around(
        HubClient,
        "desktop_generate",
        before="before-desktop-generate",
        after="after-desktop-generate",
    )
    _around(Creation, "_make", after="after-uuid-noted")  # it returns once the uuid is noted
    _around(HubClient, "update_token", after="after-relabel")
    _around(SettingsStore, "_write", before="before-settings-write")
    _around_function(dockerconfig, "_rewrite", before="before-docker-config-write")


def _around_function(module: Any, name: str, *, before: str) -> None:
    original: Callable[..., Any] = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _pause(before)
        return original(*args, **kwargs)

    setattr(module, name, wrapper)


GUI = "--gui"  # the first argument: run the desktop app instead of the CLI


def main(argv: list[str]) -> int:
    if os.environ.get(PAUSE_AT):
        assert os.environ[PAUSE_AT] in STEPS, os.environ[PAUSE_AT]
        install()
    if argv[:1] == [GUI]:
        from hubtokens.gui.app import main as gui_main

        return gui_main(argv[1:])
    from hubtokens.cli.main import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
