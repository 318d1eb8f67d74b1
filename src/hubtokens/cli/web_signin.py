"""``hubtokens signin`` through the browser, as ``docker login`` does with no username: the
one-time code and the page on stderr, the browser opened where there is a display, then the
wait, which Ctrl-C cancels cleanly."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser

from hubtokens.cli.output import Output
from hubtokens.core.errors import SignInCancelled
from hubtokens.core.hub.oauth import DeviceAuthorization
from hubtokens.core.keeper import Keeper, SignInResult
from hubtokens.core.timefmt import exact

#: How long a cancelled wait may take to let go: a poll already on the wire is answered first.
_LET_GO_SECONDS = 30.0


def sign_in_through_browser(
    keeper: Keeper, hub_url: str, out: Output, *, open_browser: bool
) -> SignInResult:
    authorization = keeper.start_web_sign_in(hub_url)
    out.note(f"Your one-time device confirmation code is: {authorization.user_code}")
    opened = open_browser and _has_display() and _open(authorization.verification_uri_complete)
    if opened:
        out.note(f"Opened your browser at {authorization.verification_uri_complete}")
    # Always the plain page as well: a browser that did not come up (or took the terminal)
    # must not leave the person without an address to type.
    out.note(f"Open this page to confirm the code and sign in: {authorization.verification_uri}")
    return _wait(keeper, hub_url, authorization, out)


def _wait(
    keeper: Keeper, hub_url: str, authorization: DeviceAuthorization, out: Output
) -> SignInResult:
    """The wait runs on a worker, so Ctrl-C here can cancel it and let it clean up (a session
    approved at that very moment is revoked, not left open, if the worker lets go within
    ``_LET_GO_SECONDS``; after that the process exits without waiting for it)."""
    cancelled = threading.Event()
    outcome: list[SignInResult | BaseException] = []

    def work() -> None:
        try:
            outcome.append(keeper.complete_web_sign_in(hub_url, authorization, cancelled))
        except BaseException as exc:  # handed to the main thread, raised there
            outcome.append(exc)

    worker = threading.Thread(target=work, name="hubtokens-web-sign-in", daemon=True)
    worker.start()
    try:
        out.note(
            f"Waiting for you to approve this device in the browser (the code expires at "
            f"{exact(authorization.expires_at)}; Ctrl-C cancels)..."
        )
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        cancelled.set()
        worker.join(_LET_GO_SECONDS)
        raise SignInCancelled(hint="run hubtokens signin again when you are ready") from None
    [result] = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open(url: str) -> bool:
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
