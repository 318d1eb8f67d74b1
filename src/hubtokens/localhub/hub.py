"""LocalHub: the whole service put together, plus helpers that act on its database
directly so tests can play "someone did X on the Hub"."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from hubtokens.localhub.accounts import Accounts
from hubtokens.localhub.app import HubApp, RequestLog
from hubtokens.localhub.config import HubConfig
from hubtokens.localhub.demo import DemoAccount, seed_demo
from hubtokens.localhub.faults import Fault, FaultPlan
from hubtokens.localhub.handlers.access_tokens import AccessTokenHandlers
from hubtokens.localhub.handlers.login import LoginHandlers
from hubtokens.localhub.handlers.registry_token import RegistryTokenHandlers
from hubtokens.localhub.oauth.service import SignInService
from hubtokens.localhub.pats import NewToken, mint
from hubtokens.localhub.registry_auth import RegistryAuth, write_registry_auth
from hubtokens.localhub.routes import Router, build_routes
from hubtokens.localhub.server import HttpService
from hubtokens.localhub.signing import EphemeralSigner, RegistrySigner, load_or_create
from hubtokens.localhub.store import Store, User
from hubtokens.localhub.views import token_json

_HELPER_UA = "localhub-test-helper"


class LocalHub:
    def __init__(self, config: HubConfig | None = None) -> None:
        self.config = config or HubConfig()
        self._store = Store(self.config.data_dir)
        self._sign_in = SignInService(self.config, self._store)
        self._accounts = Accounts(self._store, self.config.clock, self._sign_in.sessions.is_live)
        self._faults = FaultPlan(self.config.seed)
        self._log = RequestLog()
        login = LoginHandlers(
            self._accounts, self.config.session_lifetime, self.config.auth_token_lifetime
        )
        tokens = AccessTokenHandlers(self._store, self._accounts, self.config.clock)
        self._signer_lock = threading.Lock()
        self._signer: RegistrySigner | None = None
        self._ephemeral_signer = EphemeralSigner()
        registry = RegistryTokenHandlers(
            self._store, self._accounts, self.config.clock, self.registry_signer
        )
        router = Router(
            self._sign_in.routes(self._accounts) + build_routes(login, tokens, registry)
        )
        self._app = HubApp(
            self.config,
            self._accounts,
            router,
            self._faults,
            self._log,
            housekeeping=self._sign_in.sessions.sweep,
        )
        self._service: HttpService | None = None
        self._closed = False

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LocalHub:
        if self._closed:
            raise RuntimeError("this LocalHub was stopped; make a new one")
        if self._service is None:
            self._service = HttpService(self.config.host, self.config.port, self._app)
        return self

    @property
    def url(self) -> str:
        """``http://host:port``, without a trailing slash."""
        if self._service is None:
            raise RuntimeError("the LocalHub is not running; call start() first")
        return self._service.url

    def stop(self) -> None:
        """Stop serving and close the database; safe to call twice or without start()."""
        if self._service is not None:
            self._service.stop()
            self._service = None
        if not self._closed:
            self._closed = True
            self._store.close()
            with self._signer_lock:
                self._ephemeral_signer.close()

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accounts and faults ----------------------------------------------------------------

    def add_user(self, name: str, password: str, *, otp_secret: str | None = None) -> None:
        """Raises UserExistsError (a ValueError) when the name is taken."""
        self._accounts.register(name, password, otp_secret)

    def seed_demo(self) -> DemoAccount:
        return seed_demo(self._store, self._accounts, self.config.clock())

    def set_faults(self, *faults: Fault) -> None:
        """Replace the active faults (counts start afresh)."""
        self._faults.set(faults)

    def clear_faults(self) -> None:
        self._faults.set(())

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        return self._log.entries()

    # -- the registry token service ---------------------------------------------------------

    def write_registry_auth(self, directory: Path) -> RegistryAuth:
        """Sign registry tokens from now on with the key in ``directory`` (cert.pem and
        key.pem, made there unless present) and write ``registry-auth.yml`` for a
        docker-registry to trust them. Needs a running hub: the realm is its URL."""
        signer = load_or_create(directory)
        auth = write_registry_auth(signer, self.url)
        with self._signer_lock:
            self._signer = signer
        return auth

    def registry_signer(self) -> RegistrySigner:
        """What signs registry tokens: the key given to write_registry_auth(), else a
        throwaway one made on first use and removed by stop()."""
        with self._signer_lock:
            if self._signer is not None:
                return self._signer
            return self._ephemeral_signer.get()

    def set_repository_public(self, name: str, public: bool) -> None:
        """Make ``namespace/repo`` public or private, creating it if needed."""
        self._store.set_repository_public(name, public)

    def repositories(self) -> dict[str, bool]:
        """Every repository the hub knows of, name -> public."""
        return self._store.repositories()

    # -- the sign-in service ----------------------------------------------------------------

    def decide_device(self, user_code: str, username: str, approve: bool = True) -> None:
        """Approve (or deny) a device's sign-in as ``username`` would on /activate; raises
        KeyError when the code is not waiting for a decision (unknown, used or expired)."""
        if not self._sign_in.grants.decide(user_code, self._user(username).uuid, approve):
            raise KeyError(f"no device sign-in is waiting under {user_code!r}")

    # -- direct token helpers ---------------------------------------------------------------

    def tokens(self, username: str) -> list[dict[str, Any]]:
        """The user's tokens as the API lists them (newest first, ``token`` empty)."""
        user = self._user(username)
        total, _ = self._store.token_counts(user.uuid)
        return [token_json(row) for row in self._store.tokens_page(user.uuid, 0, total)]

    def create_token(
        self,
        username: str,
        label: str,
        scopes: Sequence[str] = ("repo:read",),
        expires_at: datetime | None = None,
        generated_by: str = "manual",
    ) -> tuple[str, str]:
        """(uuid, secret) of a new token, made as if on the Hub's web UI; no validation, so
        tests can make tokens the API would refuse (e.g. already expired)."""
        spec = NewToken(
            label=label,
            scopes=tuple(scopes),
            created_at=self.config.clock(),
            expires_at=expires_at,
            generated_by=generated_by,
            creator_ua=_HELPER_UA,
        )
        row, secret = mint(self._store, self._user(username).uuid, spec)
        return row.uuid, secret

    def set_token_active(self, uuid: str, active: bool) -> None:
        self._require(self._store.set_token_active(uuid, active), uuid)

    def delete_token(self, uuid: str) -> None:
        self._require(self._store.delete_token(uuid), uuid)

    def set_token_expiry(self, uuid: str, expires_at: datetime | None) -> None:
        self._require(self._store.set_token_expiry(uuid, expires_at), uuid)

    def _user(self, username: str) -> User:
        user = self._store.user_by_name(username)
        if user is None:
            raise KeyError(f"no user {username!r} on this hub")
        return user

    @staticmethod
    def _require(found: bool, uuid: str) -> None:
        if not found:
            raise KeyError(f"no token {uuid!r} on this hub")
