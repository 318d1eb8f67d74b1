"""Where the helper finds secrets: the app's keychain items, on the platform's keychain.

Item names are the vault's contract (core/vault.py): keyring service ``hubtokens`` and
username ``f"{kind}:{account}@{where}"``. The app writes the ``auto-token`` items; this helper
writes ``docker-login`` items, the credentials ``docker login`` gave it, keyed by the docker
username and the canonical server, so they never overwrite the app's token.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Protocol

    class Keychain(Protocol):
        def find(self, key: str) -> str | None: ...
        def put(self, key: str, secret: str) -> None: ...
        def delete(self, key: str) -> None: ...


SERVICE = "hubtokens"
AUTO_TOKEN = "auto-token"
DOCKER_LOGIN = "docker-login"


def item_key(kind: str, account: str, where: str) -> str:
    """The keyring username of an item; for the app's kinds this is ``vault_key``."""
    return f"{kind}:{account}@{where.rstrip('/')}"


def item_label(key: str) -> str:
    """The display label keyring gives its items, so the keychain shows them alike."""
    return f"Password for '{key}' on '{SERVICE}'"


def open_keychain(environ: Mapping[str, str], deadline: float, seconds: float) -> Keychain:
    """The Secret Service over D-Bus where there is one; keyring elsewhere (macOS, Windows)."""
    if sys.platform in ("darwin", "win32"):
        from hubtokens.credhelper.keyringstore import KeyringKeychain

        return KeyringKeychain(deadline, seconds)
    from hubtokens.credhelper.secretservice import SecretServiceKeychain

    return SecretServiceKeychain(environ, deadline, seconds)
