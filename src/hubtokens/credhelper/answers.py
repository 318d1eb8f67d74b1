"""What the running app answers the credential helper: the helper's own rules, run over
credentials held in memory instead of the keychain.

``load_credentials`` runs the rules of ``credhelper.actions`` for each of our servers,
reading the keychain, and keeps the secrets they read (nothing else) with a stamp of the files
that decide which item answers. ``answer`` runs the same rules over what was kept. It answers
only what the keychain path would print: a secret it does not hold, or a file replaced since
the load (a ``docker login`` or ``logout``, a sync by the CLI), gives no answer, and the helper
then reads the keychain itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass

from hubtokens.core.dockerconfig import DOCKER_CLI_FILE
from hubtokens.core.secret import Secret
from hubtokens.credhelper.actions import Helper
from hubtokens.credhelper.errors import HelperError
from hubtokens.credhelper.files import SETTINGS_FILE, AppFiles
from hubtokens.credhelper.main import credential_json

# The files that say which keychain item answers a server. registries.json only maps a
# registry to a hub, and the held items are keyed by hub, so a change there cannot mislead.
_STAMPED = (SETTINGS_FILE, DOCKER_CLI_FILE)
# What a sync writes to settings.json every few minutes without touching the keychain: its
# times, outcome, budget and intent (a new token's secret is stored just before the token is
# recorded, and until then the held secret is the one the app has been answering with). A
# change anywhere else (an account, its credential, session or auto token) may come with a new
# keychain item; a change only here does not send the helper to the keychain, which may be
# locked, before the app has reloaded.
_SYNC_FIELDS = frozenset(
    (
        "last_check",
        "last_outcome",
        "last_message",
        "next_check_at",
        "not_before",
        "creation_attempts",
        "pending_create",
    )
)

Stamp = tuple[object, ...] | None  # None: no such file


class StaleCredentials(Exception):
    """The files changed since the credentials were loaded: load them again."""


class _NotHeld(Exception):
    """The rules asked for a secret the app does not hold."""


@dataclass(frozen=True, slots=True)
class HeldCredentials:
    stamps: tuple[Stamp, ...]  # of _STAMPED, taken before the keychain was read
    secrets: Mapping[str, Secret]  # keychain item key -> secret


def load_credentials(config_dir: str, read_item: Callable[[str], Secret | None]) -> HeldCredentials:
    """The secrets the helper would read now; ``read_item`` reads one keychain item by key.

    Keychain errors propagate: the caller then holds nothing."""
    # Stamped first: a file written while the keychain is read leaves a stale snapshot, which
    # answers nothing, rather than one that mixes old and new.
    stamps = file_stamps(config_dir)
    read: dict[str, Secret | None] = {}

    def find(key: str) -> str | None:
        if key not in read:
            read[key] = read_item(key)
        secret = read[key]
        return secret.reveal() if secret else None

    helper = Helper(AppFiles(config_dir), lambda: _ReadOnly(find))
    with suppress(HelperError):  # a file the helper cannot read: it says so itself
        for server in helper.list():
            with suppress(HelperError):  # nothing in the keychain for it
                helper.get(server)
    return HeldCredentials(stamps, {key: secret for key, secret in read.items() if secret})


def answer(held: HeldCredentials, config_dir: str, server: str) -> tuple[int, str] | None:
    """The helper's ``(exit code, stdout)`` for ``get server``; None when the app cannot
    know it. Raises ``StaleCredentials`` when the files changed since ``held`` was loaded."""

    def find(key: str) -> str:
        secret = held.secrets.get(key)
        if secret is None:
            raise _NotHeld()
        return secret.reveal()

    try:
        username, secret = Helper(AppFiles(config_dir), lambda: _ReadOnly(find)).get(server)
        reply = 0, credential_json(server, username, secret)
    except _NotHeld:
        return None
    except HelperError as exc:
        reply = 1, exc.message + "\n"
    # Checked after the files were read: equal stamps mean they were the loaded ones throughout.
    if file_stamps(config_dir) != held.stamps:
        raise StaleCredentials()
    return reply


def file_stamps(config_dir: str) -> tuple[Stamp, ...]:
    settings, cli_state = (os.path.join(config_dir, name) for name in _STAMPED)
    return _settings_stamp(settings), _stamp(cli_state)


def _stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_ctime_ns, st.st_size  # files are replaced whole: a new inode


def _settings_stamp(path: str) -> Stamp:
    """settings.json less its ``_SYNC_FIELDS``; the file's own stamp if it does not parse."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return ("unreadable", _stamp(path))
    accounts = data.get("accounts") if isinstance(data, dict) else None
    if not isinstance(accounts, dict):
        return ("unexpected", _stamp(path))
    data["accounts"] = {
        hub: {k: v for k, v in record.items() if k not in _SYNC_FIELDS}
        if isinstance(record, dict)
        else record
        for hub, record in accounts.items()
    }
    return ("settings", json.dumps(data, sort_keys=True))


class _ReadOnly:
    """The keychain ``Helper.get`` reads through; the app never writes through it."""

    def __init__(self, find: Callable[[str], str | None]) -> None:
        self._find = find

    def find(self, key: str) -> str | None:
        return self._find(key)

    def put(self, key: str, secret: str) -> None:
        raise TypeError("the app's answers never change the keychain")

    def delete(self, key: str) -> None:
        raise TypeError("the app's answers never change the keychain")
