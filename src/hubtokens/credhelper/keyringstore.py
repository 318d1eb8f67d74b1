"""macOS and Windows: the app's keychain items through ``keyring`` (imported only here).

Not on the Linux hot path, which reads the Secret Service directly (``secretservice``).
Each call runs on a daemon thread so that a keychain stuck on a prompt cannot outlive the
helper's deadline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from hubtokens.credhelper.errors import HelperError
from hubtokens.credhelper.keychain import SERVICE

_MAX_DETAIL = 200


class KeyringKeychain:
    def __init__(self, deadline: float, seconds: float) -> None:
        self._deadline = deadline
        self._seconds = seconds

    def find(self, key: str) -> str | None:
        value = self._run(lambda keyring: keyring.get_password(SERVICE, key))
        return value if isinstance(value, str) else None

    def put(self, key: str, secret: str) -> None:
        self._run(lambda keyring: keyring.set_password(SERVICE, key, secret))

    def delete(self, key: str) -> None:
        def delete(keyring: Any) -> None:
            from keyring.errors import PasswordDeleteError

            with suppress(PasswordDeleteError):  # no such item: erasing is idempotent
                keyring.delete_password(SERVICE, key)

        self._run(delete)

    def _run(self, op: Callable[[Any], object]) -> object:
        import time

        outcome: list[object] = []

        def work() -> None:
            try:
                import keyring

                outcome.append(op(keyring))
            except Exception as exc:
                outcome.append(exc)

        thread = threading.Thread(target=work, name="hubtokens-keychain", daemon=True)
        thread.start()
        thread.join(max(0.0, self._deadline - time.monotonic()))
        if not outcome:
            raise HelperError(
                f"the keychain did not answer within {self._seconds:g} s: if an unlock prompt "
                "is open, answer it and try again"
            )
        result = outcome[0]
        if isinstance(result, Exception):
            detail = " ".join(str(result).split()) or type(result).__name__
            raise HelperError(f"the keychain failed: {detail[:_MAX_DETAIL]}")
        return result
