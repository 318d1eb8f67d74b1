"""Web sessions: one per approved device sign-in, each a family of rotating refresh tokens
(OAuth 2.0 Security BCP: a refresh token used twice revokes its family) and the
auto-generated tokens the session made, which end with it. Kept in the hub's database, so
sessions outlive a restart of a hub that keeps its data on disk."""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubtokens.localhub.credentials import hash_secret
from hubtokens.localhub.oauth.errors import OAuthError
from hubtokens.localhub.store import Store
from hubtokens.localhub.times import to_micros

_SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_sessions (
    session_id TEXT PRIMARY KEY,
    user_uuid TEXT NOT NULL REFERENCES users(uuid),
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    ends_at INTEGER NOT NULL,   -- the absolute end
    expires_at INTEGER NOT NULL -- the earlier of ends_at and the idle deadline
);
CREATE INDEX IF NOT EXISTS oauth_sessions_by_expiry ON oauth_sessions (expires_at);
CREATE TABLE IF NOT EXISTS oauth_refresh_tokens (
    secret_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS oauth_refresh_by_session ON oauth_refresh_tokens (session_id);
CREATE TABLE IF NOT EXISTS oauth_session_tokens (
    token_uuid TEXT PRIMARY KEY,
    session_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS oauth_tokens_by_session ON oauth_session_tokens (session_id);
"""

_UNKNOWN = "Unknown or invalid refresh token."


@dataclass(frozen=True)
class WebSession:
    session_id: str
    user_uuid: str
    client_id: str
    scope: str


@dataclass(frozen=True)
class SessionLifetimes:
    absolute: timedelta  # from sign-in to the end, refreshes or not
    idle: timedelta  # without a refresh
    without_refresh: timedelta  # no offline_access: the session lasts as its access token


class WebSessions:
    def __init__(
        self, store: Store, clock: Callable[[], datetime], lifetimes: SessionLifetimes
    ) -> None:
        self._store = store
        self._clock = clock
        self._lifetimes = lifetimes
        with store.transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    def start(self, user_uuid: str, client_id: str, scope: str) -> tuple[WebSession, str | None]:
        """A new session, and its first refresh token when the scope has offline_access."""
        session = WebSession(str(uuid.uuid4()), user_uuid, client_id, scope)
        now = self._clock()
        offline = "offline_access" in scope.split()
        ends_at = now + (self._lifetimes.absolute if offline else self._lifetimes.without_refresh)
        expires_at = min(ends_at, now + self._lifetimes.idle)
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO oauth_sessions VALUES (?, ?, ?, ?, ?, ?)",
                (session.session_id, user_uuid, client_id, scope, to_micros(ends_at),
                 to_micros(expires_at)),
            )  # fmt: skip
            refresh = self._new_refresh(db, session.session_id) if offline else None
        return session, refresh

    def rotate(self, refresh_token: str, client_id: str) -> tuple[WebSession, str]:
        """The session behind a refresh token and its next refresh token; the one presented
        is spent. Presenting a spent one again ends the whole session."""
        now = to_micros(self._clock())
        # The refusal is raised after the commit: the session's end must not roll back.
        refusal: str | None = None
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT r.used, s.session_id, s.user_uuid, s.client_id, s.scope, s.ends_at, "
                "s.expires_at FROM oauth_refresh_tokens r JOIN oauth_sessions s "
                "USING (session_id) WHERE r.secret_hash = ?",
                (hash_secret(refresh_token),),
            ).fetchone()
            if row is None or row[3] != client_id:
                refusal = _UNKNOWN
            elif row[0]:
                _end(db, row[1])
                refusal = "This refresh token was already used: the session is revoked."
            elif row[6] <= now:
                _end(db, row[1])
                refusal = "The session has expired."
            else:
                _, session_id, user_uuid, _, scope, ends_at, _ = row
                db.execute(
                    "UPDATE oauth_refresh_tokens SET used = 1 WHERE secret_hash = ?",
                    (hash_secret(refresh_token),),
                )
                db.execute(
                    "UPDATE oauth_sessions SET expires_at = ? WHERE session_id = ?",
                    (min(ends_at, now + _micros(self._lifetimes.idle)), session_id),
                )
                refresh = self._new_refresh(db, session_id)
        if refusal is not None:
            raise OAuthError("invalid_grant", refusal)
        return WebSession(session_id, user_uuid, client_id, scope), refresh

    def revoke(self, refresh_token: str, client_id: str) -> None:
        """End the session of a refresh token (spent or not); unknown tokens are ignored,
        as RFC 7009 asks."""
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT s.session_id, s.client_id FROM oauth_refresh_tokens r "
                "JOIN oauth_sessions s USING (session_id) WHERE r.secret_hash = ?",
                (hash_secret(refresh_token),),
            ).fetchone()
            if row is not None and row[1] == client_id:
                _end(db, row[0])

    def is_live(self, session_id: str) -> bool:
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT 1 FROM oauth_sessions WHERE session_id = ? AND expires_at > ?",
                (session_id, to_micros(self._clock())),
            ).fetchone()
        return row is not None

    def remember_token(self, session_id: str, token_uuid: str) -> None:
        """The session made this token: it is deleted when the session ends."""
        with self._store.transaction() as db:
            db.execute("INSERT INTO oauth_session_tokens VALUES (?, ?)", (token_uuid, session_id))

    def sweep(self) -> None:
        """End every session past its expiry (and delete the tokens it made)."""
        with self._store.transaction() as db:
            expired = db.execute(
                "SELECT session_id FROM oauth_sessions WHERE expires_at <= ?",
                (to_micros(self._clock()),),
            ).fetchall()
            for (session_id,) in expired:
                _end(db, session_id)

    @staticmethod
    def _new_refresh(db: sqlite3.Connection, session_id: str) -> str:
        secret = secrets.token_urlsafe(32)
        db.execute(
            "INSERT INTO oauth_refresh_tokens VALUES (?, ?, 0)", (hash_secret(secret), session_id)
        )
        return secret


def _micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def _end(db: sqlite3.Connection, session_id: str) -> None:
    """The session, its refresh tokens and the auto-generated tokens it made, all gone."""
    db.execute(
        "DELETE FROM tokens WHERE uuid IN "
        "(SELECT token_uuid FROM oauth_session_tokens WHERE session_id = ?)",
        (session_id,),
    )
    for table in ("oauth_session_tokens", "oauth_refresh_tokens", "oauth_sessions"):
        db.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
