"""The keychain: sessions and auto-token secrets in the OS keychain, with deadlines.

Item format — a contract: the credential helper finds these items directly over Secret
Service, without keyring, so do not change it lightly:

* keyring service ``SERVICE`` = ``"hubtokens"``;
* keyring username ``vault_key(kind, hub_url, account)`` = ``f"{kind}:{account}@{hub_url}"``,
  kind ``"session"`` (a password sign-in's session JWT), ``"refresh-token"`` (a web sign-in's)
  or ``"auto-token"``, hub_url without a trailing slash, for example
  ``auto-token:alice@https://hub.docker.com``;
* on Secret Service the item carries the attributes ``service=hubtokens`` and
  ``username=<key>`` (keyring's default scheme, which the vault enforces) and the secret is
  the UTF-8 text (content type ``text/plain``).

Rules: every call runs on one worker thread per vault (one keychain conversation at a time)
and the caller waits at most ``deadline`` seconds. Nothing is ever written anywhere but a real
OS keychain: keyring's ``fail``/``null`` backends, a chainer without a real keychain, and any
backend whose priority is below 1 are refused with the reason and a fix. keyring itself is
imported on the worker at first use, so importing this module stays cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from hubtokens.core.deadline import DeadlineExceeded, DeadlineWorker
from hubtokens.core.errors import ExitCode, VaultError, VaultUnavailable
from hubtokens.core.secret import Secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = ["KINDS", "SERVICE", "InvalidSecret", "Vault", "VaultDiagnostics", "vault_key"]

T = TypeVar("T")

SERVICE = "hubtokens"
KINDS = ("session", "refresh-token", "auto-token")
MAX_SECRET_BYTES = 16 * 1024

# How long the worker waits on an unlock prompt that a person may be reading; callers have
# long given up by then, and later calls fail fast until the prompt is answered.
_PROMPT_SECONDS = 120.0
_MAX_MESSAGE = 200
# keyring's Secret Service backend, and ours made from it (its connections start safely).
_SECRET_SERVICE_MODULES = ("keyring.backends.SecretService", "hubtokens.core.secret_service")
# D-Bus errors meaning "nobody is there to answer", as opposed to a keychain failure.
_ABSENT_DBUS_ERRORS = frozenset(
    "org.freedesktop.DBus.Error." + name
    for name in ("ServiceUnknown", "NameHasNoOwner", "NoReply", "Disconnected", "NoServer")
)

if sys.platform == "darwin":
    _FIX_HINT = "use the macOS login keychain: make sure keyring's macOS backend is installed"
    _UNLOCK_HINT = "unlock your login keychain (Keychain Access) and try again"
elif sys.platform == "win32":
    _FIX_HINT = "use Windows Credential Manager: make sure keyring's Windows backend is installed"
    _UNLOCK_HINT = "unlock Windows Credential Manager and try again"
else:
    _FIX_HINT = (
        "install and unlock gnome-keyring or KWallet (a Secret Service provider); "
        "in a headless session run it inside dbus-run-session"
    )
    _UNLOCK_HINT = (
        "unlock your login keyring (for example in Passwords and Keys); in a headless session "
        "start gnome-keyring-daemon with --unlock"
    )
_TIMEOUT_HINT = (
    "if a keychain unlock prompt is open, answer it; otherwise the keychain service is stuck: "
    "restart it or sign out and in again"
)


class InvalidSecret(VaultError):
    """The secret cannot be stored (empty, not text or too large)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class VaultDiagnostics:
    """What the vault knows about the keychain, for ``status`` and the storage panel."""

    backend: str  # keyring's name for it, e.g. "SecretService Keyring"; "unknown" before use
    secure: bool  # a real OS keychain was found and accepted
    locked: bool | None  # Secret Service collection state; None when unknown or not applicable
    last_error: str | None  # the most recent failure; cleared by a successful get/put/delete
    hint: str | None  # how to fix last_error, or the state


def vault_key(kind: str, hub_url: str, account: str) -> str:
    """The keyring username of an item: ``f"{kind}:{account}@{hub_url}"`` (see module doc)."""
    if kind not in KINDS:
        raise ValueError(f"unknown item kind {kind!r}")
    url = hub_url.rstrip("/")
    for name, value in (("hub URL", url), ("account", account)):
        if not value or any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError(f"invalid {name} for a keychain item: {value!r}")
    if "@" in url:  # keeps the key unambiguous when read from the right
        raise ValueError("a hub URL must not contain '@'")
    return f"{kind}:{account}@{url}"


class Vault:
    """Sessions (JWTs, refresh tokens) and auto-token secrets in the OS keychain."""

    def __init__(self, backend: KeyringBackend | None = None, *, deadline: float = 3.0) -> None:
        if not deadline > 0:
            raise ValueError("deadline must be positive")
        self._given = backend
        self._deadline = deadline
        self._worker = DeadlineWorker("hubtokens-vault")
        # Written on the worker only; read after a worker call returns.
        self._backend: KeyringBackend | None = None
        self._backend_name = "unknown" if backend is None else type(backend).name
        self._prompt_dismissed = False
        # Written by callers on any thread, hence replaced as one tuple.
        self._last: tuple[str, str | None] | None = None

    # --- public API --------------------------------------------------------------------------

    def get_session(self, hub_url: str, account: str) -> Secret | None:
        return self._get(vault_key("session", hub_url, account))

    def put_session(self, hub_url: str, account: str, jwt: Secret) -> None:
        self._put(vault_key("session", hub_url, account), jwt)

    def delete_session(self, hub_url: str, account: str) -> None:
        self._delete(vault_key("session", hub_url, account))

    def get_refresh_token(self, hub_url: str, account: str) -> Secret | None:
        """A web sign-in's refresh token: what keeps its session (the access token it renews
        lives in memory only)."""
        return self._get(vault_key("refresh-token", hub_url, account))

    def put_refresh_token(self, hub_url: str, account: str, token: Secret) -> None:
        self._put(vault_key("refresh-token", hub_url, account), token)

    def delete_refresh_token(self, hub_url: str, account: str) -> None:
        self._delete(vault_key("refresh-token", hub_url, account))

    def get_auto_token(self, hub_url: str, account: str) -> Secret | None:
        return self._get(vault_key("auto-token", hub_url, account))

    def put_auto_token(self, hub_url: str, account: str, secret: Secret) -> None:
        self._put(vault_key("auto-token", hub_url, account), secret)

    def delete_auto_token(self, hub_url: str, account: str) -> None:
        self._delete(vault_key("auto-token", hub_url, account))

    def get_item(self, key: str) -> Secret | None:
        """Any item of ``SERVICE`` by its keyring username: the running app reads the
        ``docker-login`` items the credential helper writes, to answer for it."""
        return self._get(key)

    def diagnostics(self) -> VaultDiagnostics:
        """Describe the keychain; never raises (a failed probe shows up in last_error)."""
        locked: bool | None = None
        state_hint: str | None = None
        try:
            locked = self._worker.call(lambda: self._guarded(self._probe_locked), self._deadline)
        except DeadlineExceeded:
            self._last = (self._timeout_error().message, _TIMEOUT_HINT)
        except VaultError as err:
            self._last = (err.message, err.hint)
        secure = self._backend is not None
        if secure and locked:
            state_hint = _UNLOCK_HINT
        last_error, hint = self._last or (None, state_hint)
        return VaultDiagnostics(self._backend_name, secure, locked, last_error, hint)

    # --- calls -------------------------------------------------------------------------------

    def _get(self, key: str) -> Secret | None:
        def op() -> Secret | None:
            value = self._ready().get_password(SERVICE, key)
            return None if value is None else Secret(value)

        return self._call(op)

    def _put(self, key: str, secret: Secret) -> None:
        value = _checked(secret)
        self._call(lambda: self._ready().set_password(SERVICE, key, value), secret=value)

    def _delete(self, key: str) -> None:
        def op() -> None:
            from keyring.errors import PasswordDeleteError

            backend = self._ready()
            with suppress(PasswordDeleteError):  # no such item: deleting is idempotent
                backend.delete_password(SERVICE, key)

        self._call(op)

    def _call(self, op: Callable[[], T], *, secret: str | None = None) -> T:
        try:
            result = self._worker.call(lambda: self._guarded(op, secret), self._deadline)
        except DeadlineExceeded:
            err = self._timeout_error()
            self._last = (err.message, err.hint)
            raise err from None
        except VaultError as err:
            self._last = (err.message, err.hint)
            raise
        self._last = None
        return result

    def _timeout_error(self) -> VaultUnavailable:
        return VaultUnavailable(
            f"the keychain did not answer within {self._deadline:g} s", hint=_TIMEOUT_HINT
        )

    # --- on the worker -----------------------------------------------------------------------

    def _guarded(self, op: Callable[[], T], secret: str | None = None) -> T:
        """Run ``op``, turning whatever the backend raises into a VaultError."""
        try:
            return op()
        except VaultError:
            raise
        except Exception as exc:
            if _is_locked_signal(exc):
                self._prompt_dismissed = True
                raise _locked_error() from None
            raise _translate(exc, secret) from None

    def _ready(self) -> KeyringBackend:
        backend = self._resolve()
        if _is_secret_service(backend):
            self._ensure_unlocked(backend)
        return backend

    def _resolve(self) -> KeyringBackend:
        if self._backend is not None:
            return self._backend
        if self._given is None:
            import keyring

            backend = keyring.get_keyring()
        else:
            backend = self._given
        self._backend_name = type(backend).name
        problem = _unusable(backend)
        if problem is not None:
            raise VaultUnavailable(f"no secure keychain: {problem}", hint=_FIX_HINT)
        if _is_secret_service(backend):
            from hubtokens.core.secret_service import introduced

            if getattr(backend, "scheme", "default") != "default":
                # The credential helper looks items up by service/username: keep those names.
                backend = backend.with_properties(scheme="default")
            backend = introduced(backend)
        self._backend = backend
        return backend

    def _ensure_unlocked(self, backend: KeyringBackend) -> None:
        """Prompt to unlock once; after a dismissal, fail fast until unlocked elsewhere.

        Checking first also spares keyring's own unlock path, which leaks a D-Bus connection
        when the prompt is dismissed.
        """
        locked = _collection_locked(backend)
        if locked is False:
            self._prompt_dismissed = False
            return
        if self._prompt_dismissed:
            raise _locked_error()
        if locked and not _unlock_collection(backend):
            self._prompt_dismissed = True
            raise _locked_error()
        # locked is None: no such collection yet; keyring creates it (one prompt).

    def _probe_locked(self) -> bool | None:
        backend = self._resolve()
        return _collection_locked(backend) if _is_secret_service(backend) else None


# --- helpers ---------------------------------------------------------------------------------


def _checked(secret: Secret) -> str:
    if not isinstance(secret, Secret):
        raise TypeError("the vault stores Secret objects")
    value = secret.reveal()
    if not isinstance(value, str):
        raise InvalidSecret("a secret must be text")
    if not value:
        raise InvalidSecret("refusing to store an empty secret")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidSecret("a secret must be valid Unicode text") from None
    if size > MAX_SECRET_BYTES:
        raise InvalidSecret(
            f"refusing to store a secret of {size} bytes (the limit is "
            f"{MAX_SECRET_BYTES // 1024} KiB)"
        )
    return value


def _locked_error() -> VaultUnavailable:
    return VaultUnavailable("the keychain is locked", hint=_UNLOCK_HINT)


def _is_secret_service(backend: KeyringBackend) -> bool:
    return type(backend).__module__ in _SECRET_SERVICE_MODULES


def _unusable(backend: KeyringBackend) -> str | None:
    """Why ``backend`` is not a real OS keychain, or None when it is."""
    from keyring.backends import chainer, fail, null

    name = type(backend).name
    if isinstance(backend, fail.Keyring):
        return f"keyring found only '{name}', its stand-in for no keychain{_why_no_ss()}"
    if isinstance(backend, null.Keyring):
        return f"'{name}' accepts secrets and silently stores nothing"
    if isinstance(backend, chainer.ChainerBackend):
        members = list(backend.backends)
        if not members:
            return f"'{name}' chains no keychain at all{_why_no_ss()}"
        for member in members:
            problem = _unusable(member)
            if problem is not None:
                return f"'{name}' chains a backend that is not usable: {problem}"
        return None
    try:
        priority = type(backend).priority
    except Exception as exc:  # keyring's way of saying "not usable here", with the reason
        return f"'{name}' is not usable: {_short(exc)}"
    if priority < 1:
        return f"'{name}' is not an OS keychain (keyring priority {priority:g})"
    return None


def _why_no_ss() -> str:
    """On Linux, the reason Secret Service was not found (R-5.7: name the missing piece)."""
    if sys.platform in ("darwin", "win32"):
        return ""
    from keyring.backends import SecretService

    try:
        SecretService.Keyring.priority  # noqa: B018  # raises with the reason
    except Exception as exc:
        return f" (Secret Service: {_short(exc)})"
    return ""


def _collection_path(backend: KeyringBackend) -> str:
    from secretstorage.collection import DEFAULT_COLLECTION

    path: str = getattr(backend, "preferred_collection", DEFAULT_COLLECTION)
    return path


def _collection_locked(backend: KeyringBackend) -> bool | None:
    """The collection keyring writes to: locked or not; None if it does not exist."""
    import secretstorage
    from secretstorage.exceptions import ItemNotFoundException

    from hubtokens.core.secret_service import open_connection

    with closing(open_connection()) as connection:
        try:
            return secretstorage.Collection(connection, _collection_path(backend)).is_locked()
        except ItemNotFoundException:
            return None


def _unlock_collection(backend: KeyringBackend) -> bool:
    """Ask the Secret Service to unlock (it may prompt); True if it is unlocked now."""
    import secretstorage

    from hubtokens.core.secret_service import open_connection

    with closing(open_connection()) as connection:
        collection = secretstorage.Collection(connection, _collection_path(backend))
        try:
            collection.unlock(timeout=_PROMPT_SECONDS)
        except TimeoutError:
            return False
        return not collection.is_locked()


def _is_locked_signal(exc: Exception) -> bool:
    from keyring.errors import InitError, KeyringLocked

    if isinstance(exc, KeyringLocked):
        return True
    if isinstance(exc, InitError):  # "Failed to create the collection: Prompt dismissed."
        return "dismissed" in str(exc).lower()
    ss_errors = sys.modules.get("secretstorage.exceptions")
    return ss_errors is not None and isinstance(
        exc, ss_errors.LockedException | ss_errors.PromptDismissedException
    )


def _translate(exc: Exception, secret: str | None) -> VaultError:
    from keyring.errors import InitError, NoKeyringError

    detail = _short(exc, secret)
    if isinstance(exc, NoKeyringError):
        return VaultUnavailable(f"no keychain is available: {detail}", hint=_FIX_HINT)
    if isinstance(exc, InitError):
        return VaultUnavailable(f"the keychain could not be opened: {detail}", hint=_FIX_HINT)
    ss_errors = sys.modules.get("secretstorage.exceptions")
    if ss_errors is not None and isinstance(exc, ss_errors.SecretServiceNotAvailableException):
        return VaultUnavailable(f"the Secret Service is not available: {detail}", hint=_FIX_HINT)
    if getattr(exc, "name", None) in _ABSENT_DBUS_ERRORS or isinstance(exc, OSError | EOFError):
        return VaultUnavailable(f"the keychain service is not answering: {detail}", hint=_FIX_HINT)
    return VaultError(f"the keychain failed: {type(exc).__name__}: {detail}")


def _short(exc: BaseException, secret: str | None = None) -> str:
    """A one-line message that never carries the secret being handled."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if secret:
        text = text.replace(secret, "****")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
