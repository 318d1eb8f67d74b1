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
    from hubtokens.core.settings import SettingsStore
    from hubtokens.core.vault import Vault

    _around(HubClient, "login", before="before-login")
    _around(Vault, "put_session", after="after-session-stored")
    _around(HubClient, "list_tokens", before="before-strays-listed")
    _around(HubClient, "delete_token", after="after-stray-deleted")
    _around(HubClient, "create_token", before="before-create-request", after="after-create")
    _around(Vault, "put_auto_token", after="after-keychain-write")
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
