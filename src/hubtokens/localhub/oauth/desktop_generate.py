"""``POST /v2/access-tokens/desktop-generate``: the Hub makes an auto-generated personal
access token for a session of the sign-in service, as it does for Docker Desktop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hubtokens.localhub.accounts import Accounts
from hubtokens.localhub.demo import AUTO_LABEL
from hubtokens.localhub.handlers.access_tokens import PAT_FORBIDDEN
from hubtokens.localhub.messages import NO_STORE, ApiError, Reply, Request, error, json_reply
from hubtokens.localhub.oauth.sessions import WebSessions
from hubtokens.localhub.pats import NewToken, mint
from hubtokens.localhub.store import Store

AUTO_GENERATED = "auto"  # generated_by of auto-generated tokens (core.hub.models reads it)
AUTO_SCOPES = ("repo:admin",)  # Docker's docs: Read, Write and Delete
AUTO_LIMIT = 5  # per account; the oldest go when a new one is made
WEB_SESSION_REQUIRED = "desktop-generate needs an access token of Docker's sign-in service"


class DesktopGenerate:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        sessions: WebSessions,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._sessions = sessions
        self._clock = clock

    def generate(self, request: Request, params: dict[str, str]) -> Reply:
        principal = self._accounts.authenticate(request.authorization)
        session_id = principal.web_session_id
        if session_id is None:
            raise ApiError(error(403, PAT_FORBIDDEN if principal.via_pat else WEB_SESSION_REQUIRED))
        spec = NewToken(
            label=AUTO_LABEL,
            scopes=AUTO_SCOPES,
            created_at=self._clock(),
            generated_by=AUTO_GENERATED,
            creator_ip=request.client_ip,
            creator_ua=request.user_agent,
        )
        row, secret = mint(self._store, principal.user.uuid, spec)
        self._sessions.remember_token(session_id, row.uuid)
        self._keep_newest(principal.user.uuid, row.uuid)
        return json_reply(201, {"data": {"token": secret}}, NO_STORE)

    def _keep_newest(self, user_uuid: str, new_uuid: str) -> None:
        """At most AUTO_LIMIT auto-generated tokens: the new one and the newest others."""
        total, _ = self._store.token_counts(user_uuid)
        others = [
            row
            for row in self._store.tokens_page(user_uuid, 0, total)  # newest first
            if row.generated_by == AUTO_GENERATED and row.uuid != new_uuid
        ]
        for row in others[AUTO_LIMIT - 1 :]:
            self._store.delete_token(row.uuid)
