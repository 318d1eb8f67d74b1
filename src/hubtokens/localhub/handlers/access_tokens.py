"""The personal-access-token endpoints under /v2/access-tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from hubtokens.localhub.accounts import Accounts
from hubtokens.localhub.messages import (
    NO_STORE,
    ApiError,
    Reply,
    Request,
    error,
    json_reply,
    no_content,
)
from hubtokens.localhub.pats import NewToken, mint
from hubtokens.localhub.store import Store, TokenRow, User
from hubtokens.localhub.validation import Paging, parse_create, parse_paging, parse_patch
from hubtokens.localhub.views import token_json

PAT_FORBIDDEN = "access to the resource is forbidden with personal access token"


class AccessTokenHandlers:
    def __init__(self, store: Store, accounts: Accounts, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock

    def list_tokens(self, request: Request, params: dict[str, str]) -> Reply:
        user = self._manager(request)
        paging = parse_paging(request.query)
        count, active_count = self._store.token_counts(user.uuid)
        if paging.page > 1 and paging.offset >= count:
            raise ApiError(error(404, "Invalid page."))
        rows = self._store.tokens_page(user.uuid, paging.offset, paging.page_size)
        has_next = paging.offset + len(rows) < count
        return json_reply(
            200,
            {
                "count": count,
                "next": _page_url(request, paging, paging.page + 1) if has_next else None,
                "previous": _page_url(request, paging, paging.page - 1)
                if paging.page > 1
                else None,
                "active_count": active_count,
                "results": [token_json(row) for row in rows],
            },
        )

    def create(self, request: Request, params: dict[str, str]) -> Reply:
        user = self._manager(request)
        now = self._clock()
        wanted = parse_create(request.json_body(), now)
        spec = NewToken(
            label=wanted.label,
            scopes=wanted.scopes,
            created_at=now,
            expires_at=wanted.expires_at,
            creator_ip=request.client_ip,
            creator_ua=request.user_agent,
        )
        row, secret = mint(self._store, user.uuid, spec)
        return json_reply(201, token_json(row, secret), NO_STORE)

    def get(self, request: Request, params: dict[str, str]) -> Reply:
        return json_reply(200, token_json(self._owned(request, params["uuid"])))

    def patch(self, request: Request, params: dict[str, str]) -> Reply:
        user = self._manager(request)
        token = self._find(user, params["uuid"])
        change = parse_patch(request.json_body())
        if change.label is not None:
            self._store.set_token_label(token.uuid, change.label)
        if change.is_active is not None:
            self._store.set_token_active(token.uuid, change.is_active)
        return json_reply(200, token_json(self._find(user, token.uuid)))

    def delete(self, request: Request, params: dict[str, str]) -> Reply:
        token = self._owned(request, params["uuid"])
        if not self._store.delete_token(token.uuid):
            raise ApiError(error(404, "Not found"))
        return no_content()

    def _manager(self, request: Request) -> User:
        """The caller, who must hold a password-based session to manage tokens."""
        principal = self._accounts.authenticate(request.authorization)
        if principal.via_pat:
            raise ApiError(error(403, PAT_FORBIDDEN))
        return principal.user

    def _owned(self, request: Request, token_uuid: str) -> TokenRow:
        return self._find(self._manager(request), token_uuid)

    def _find(self, user: User, token_uuid: str) -> TokenRow:
        token = self._store.token(token_uuid)
        # Someone else's token is as invisible as a missing one.
        if token is None or token.user_uuid != user.uuid:
            raise ApiError(error(404, "Not found"))
        return token


def _page_url(request: Request, paging: Paging, page: int) -> str:
    query = urlencode({"page": page, "page_size": paging.page_size})
    return f"{request.base_url}{request.path}?{query}"
