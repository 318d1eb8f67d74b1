"""``docker-credential-hubtokens``: the Docker credential-helper protocol, exactly.

``docker-credential-hubtokens ACTION`` with one of ``store``, ``get``, ``erase``, ``list``,
``version`` (also ``--version``/``-v``; ``--help``/``-h`` prints the usage, exit 0):

* ``get`` reads a server URL on stdin and prints ``{"ServerURL","Username","Secret"}``;
* ``store`` reads that JSON on stdin and prints nothing;
* ``erase`` reads a server URL on stdin and prints nothing (erasing nothing is success);
* ``list`` prints ``{server: username}`` for our servers.

Failures print one line on stdout and exit 1, never an empty one; "nothing stored" is exactly
``credentials not found in native keychain``, which the docker CLI takes as "go anonymous".
Wrong arguments print the usage on stdout and exit 1. Stdin is read up to 64 KiB; more is an
error and nothing is changed.

What ``store`` and ``erase`` mean here (the rules are in ``actions``):

* ``store`` (``docker login``) for Docker Hub or a registry added with ``hubtokens docker
  configure --registry`` keeps what it is given in its own keychain item (``docker-login``
  kind), never over the app's auto token; ``get`` then returns it. Other servers: refused.
* ``erase`` (``docker logout``) signs the docker CLI out for that server: the ``docker login``
  credential, if any, is deleted and a marker (``docker-cli.json``, no secret) makes ``get``
  say not found. The app's auto token stays in the keychain for the app, and nothing undoes
  the marker behind the person's back: only ``hubtokens docker login`` (or a new
  ``docker login``) signs the CLI in again.

The ``get`` path imports the standard library's cheapest modules only (no json, re, typing,
pathlib; never keyring, requests, platformdirs or Qt) and makes no network call. It asks the
running app first (``appsocket``), else reads the keychain: the Secret Service over a minimal
D-Bus client on Linux (``secretservice``), keyring on macOS and Windows. Everything shares one
deadline of ``DEADLINE_SECONDS``; a locked keychain is reported, never unlocked.
"""

import sys
import time

from hubtokens import __version__
from hubtokens.credhelper.errors import HelperError

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hubtokens.credhelper.actions import Helper

PROGRAM = "docker-credential-hubtokens"
USAGE = f"Usage: {PROGRAM} <store|get|erase|list|version>"
ACTIONS = ("store", "get", "erase", "list")
MAX_INPUT = 64 * 1024
MAX_SECRET = 16 * 1024  # as the vault
MAX_USERNAME = 256
DEADLINE_SECONDS = 3.0


def main(argv: "Sequence[str] | None" = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        return _emit(USAGE, 1)
    action = args[0]
    if action in ("version", "--version", "-v"):
        return _emit(f"{PROGRAM} (Hub Tokens) {__version__}", 0)
    if action in ("--help", "-h"):
        return _emit(USAGE, 0)
    if action not in ACTIONS:
        return _emit(f"Unknown credential action `{action[:64]}`", 1)
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        return _emit(run(action, _read_stdin(), _environ(), deadline), 0)
    except HelperError as exc:
        return _emit(exc.message, 1)
    except Exception as exc:  # a bug: still one clear line, never a traceback
        return _emit(f"{PROGRAM}: unexpected error ({type(exc).__name__}); nothing was changed", 1)


def run(action: str, data: str, environ: "Mapping[str, str]", deadline: float) -> str:
    """What to print on success; raises HelperError with what to print on failure."""
    if action == "list":
        from hubtokens.credhelper.fastjson import dumps_strings

        return dumps_strings(_helper(environ, deadline).list()) + "\n"
    if action == "store":
        server, username, secret = _credentials(data)
        _helper(environ, deadline).store(server, username, secret)
        return ""
    server = data.strip()
    if not server:
        raise HelperError("no credentials server URL")
    if action == "erase":
        _helper(environ, deadline).erase(server)
        return ""
    return _get(server, environ, deadline)


def _get(server: str, environ: "Mapping[str, str]", deadline: float) -> str:
    from hubtokens.credhelper.appsocket import ask_app

    answer = ask_app(environ, server, deadline)
    if answer is not None:
        code, text = answer
        if code:
            raise HelperError(text.strip())
        return text
    username, secret = _helper(environ, deadline).get(server)
    return credential_json(server, username, secret)


def credential_json(server: str, username: str, secret: str) -> str:
    """What ``get`` prints for a credential; the running app answers with the same text."""
    from hubtokens.credhelper.fastjson import dumps_strings

    return dumps_strings({"ServerURL": server, "Username": username, "Secret": secret}) + "\n"


def _helper(environ: "Mapping[str, str]", deadline: float) -> "Helper":
    from hubtokens.credhelper.actions import Helper
    from hubtokens.credhelper.files import AppFiles, config_dir
    from hubtokens.credhelper.keychain import open_keychain

    files = AppFiles(config_dir(environ))
    return Helper(files, lambda: open_keychain(environ, deadline, DEADLINE_SECONDS))


def _credentials(data: str) -> tuple[str, str, str]:
    """ServerURL, Username and Secret from ``store``'s JSON (field names as Go matches them)."""
    from hubtokens.credhelper.fastjson import loads

    try:
        value = loads(data)
    except ValueError:
        raise HelperError("the input is not the JSON of a credential; nothing was stored") from None
    if not isinstance(value, dict):
        raise HelperError("the input is not the JSON of a credential; nothing was stored")
    fields = {}
    for name in ("ServerURL", "Username", "Secret"):
        # Go's decoder matches field names case-insensitively; null is the empty string.
        found = [v for k, v in value.items() if k.lower() == name.lower()]
        field = found[-1] if found else None
        if field is not None and not isinstance(field, str):
            raise HelperError(f"{name} must be a string; nothing was stored")
        fields[name] = field or ""
    server, username, secret = fields["ServerURL"], fields["Username"], fields["Secret"]
    if not server.strip():
        raise HelperError("no credentials server URL")
    if not username:
        raise HelperError("no credentials username")
    if len(username) > MAX_USERNAME or not username.isprintable():
        raise HelperError("the username is too long or has control characters; nothing was stored")
    if not secret:
        raise HelperError("no credentials secret: refusing to store an empty secret")
    try:
        size = len(secret.encode("utf-8"))
    except UnicodeEncodeError:
        size = -1
    if not 0 < size <= MAX_SECRET:
        raise HelperError("the secret is too large or not valid text; nothing was stored")
    return server, username, secret


def _environ() -> "Mapping[str, str]":
    """``os.environ`` without importing os, which with what it imports costs ~1.4 ms of the
    ~17 ms a docker pull waits for the helper when the app is running."""
    if sys.platform == "win32":
        import os

        return os.environ
    import posix

    encoding = sys.getfilesystemencoding()  # decoded as os.environ decodes it
    return {
        key.decode(encoding, "surrogateescape"): value.decode(encoding, "surrogateescape")
        for key, value in posix.environ.items()
    }


def _read_stdin() -> str:
    stream = sys.stdin.buffer if sys.stdin is not None else None
    data = stream.read(MAX_INPUT + 1) if stream is not None else b""
    if len(data) > MAX_INPUT:
        raise HelperError(f"the input is larger than {MAX_INPUT // 1024} KiB; nothing was changed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HelperError("the input is not UTF-8 text; nothing was changed") from None


def _emit(text: str, code: int) -> int:
    """Print ``text`` (a line unless it already ends with one) and return the exit code."""
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader went away: nothing left to tell
        pass
    return code
