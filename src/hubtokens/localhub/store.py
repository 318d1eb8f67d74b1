"""The hub's database (sqlite3): users, personal access tokens, repositories (name and
visibility only, for the registry token service) and the session signing key.

One connection guarded by a lock: in-memory databases cannot be shared between
connections, and the work per request is tiny, so a lock costs nothing measurable.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hubtokens.localhub.times import from_micros, to_micros

DB_FILE_NAME = "localhub.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    uuid TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    otp_secret TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    uuid TEXT PRIMARY KEY,
    user_uuid TEXT NOT NULL REFERENCES users(uuid),
    secret_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    creator_ip TEXT NOT NULL,
    creator_ua TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used INTEGER,
    generated_by TEXT NOT NULL,
    is_active INTEGER NOT NULL,
    label TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS tokens_by_user_newest
    ON tokens (user_uuid, created_at DESC, uuid);
-- Covers the count and active_count every list request needs.
CREATE INDEX IF NOT EXISTS tokens_by_user_active
    ON tokens (user_uuid, is_active);
-- Only what registry grants need: who may pull a repository that is not theirs.
CREATE TABLE IF NOT EXISTS repositories (
    name TEXT PRIMARY KEY,
    is_public INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""

_TOKEN_COLUMNS = (
    "uuid, user_uuid, secret_hash, client_id, creator_ip, creator_ua, created_at, last_used, "
    "generated_by, is_active, label, scopes, expires_at"
)


class UserExistsError(ValueError):
    """A user with that name is already registered."""


@dataclass(frozen=True)
class User:
    uuid: str
    username: str
    password_hash: str
    otp_secret: str | None


@dataclass(frozen=True)
class TokenRow:
    uuid: str
    user_uuid: str
    secret_hash: str
    client_id: str
    creator_ip: str
    creator_ua: str
    created_at: datetime
    last_used: datetime | None
    generated_by: str
    is_active: bool
    label: str
    scopes: tuple[str, ...]
    expires_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        """Whether the token may authenticate: active and not past its expiry."""
        return self.is_active and (self.expires_at is None or self.expires_at > now)


class Store:
    def __init__(self, data_dir: Path | None) -> None:
        if data_dir is None:
            target = ":memory:"
        else:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            target = str(data_dir / DB_FILE_NAME)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if data_dir is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction for modules that keep their own tables here (localhub.oauth)."""
        return self._transaction()

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- settings ---------------------------------------------------------------------------

    def signing_key(self) -> bytes:
        """The JWT key, made on first use and kept so sessions survive a restart on disk."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM settings WHERE name = 'jwt_key'").fetchone()
            if row is not None:
                return bytes(row[0])
            key = secrets.token_bytes(32)
            db.execute("INSERT INTO settings (name, value) VALUES ('jwt_key', ?)", (key,))
            return key

    # -- users ------------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO users (uuid, username, password_hash, otp_secret) "
                    "VALUES (?, ?, ?, ?)",
                    (user.uuid, user.username, user.password_hash, user.otp_secret),
                )
        except sqlite3.IntegrityError as exc:
            raise UserExistsError(f"user {user.username!r} already exists") from exc

    def user_by_name(self, username: str) -> User | None:
        return self._one_user("username", username)

    def user_by_uuid(self, uuid: str) -> User | None:
        return self._one_user("uuid", uuid)

    def _one_user(self, column: str, value: str) -> User | None:
        rows = self._query(
            f"SELECT uuid, username, password_hash, otp_secret FROM users WHERE {column} = ?",
            (value,),
        )
        if not rows:
            return None
        uuid, username, password_hash, otp_secret = rows[0]
        return User(str(uuid), str(username), str(password_hash), _opt_str(otp_secret))

    # -- tokens -----------------------------------------------------------------------------

    def insert_token(self, token: TokenRow) -> None:
        with self._transaction() as db:
            db.execute(
                f"INSERT INTO tokens ({_TOKEN_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token.uuid,
                    token.user_uuid,
                    token.secret_hash,
                    token.client_id,
                    token.creator_ip,
                    token.creator_ua,
                    to_micros(token.created_at),
                    _opt_micros(token.last_used),
                    token.generated_by,
                    int(token.is_active),
                    token.label,
                    json.dumps(list(token.scopes)),
                    _opt_micros(token.expires_at),
                ),
            )

    def token(self, uuid: str) -> TokenRow | None:
        rows = self._query(f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE uuid = ?", (uuid,))
        return _token_row(rows[0]) if rows else None

    def token_by_secret_hash(self, secret_hash: str) -> TokenRow | None:
        rows = self._query(
            f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE secret_hash = ?", (secret_hash,)
        )
        return _token_row(rows[0]) if rows else None

    def tokens_page(self, user_uuid: str, offset: int, limit: int) -> list[TokenRow]:
        """Newest first, ties broken by uuid, as the index is ordered."""
        rows = self._query(
            f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE user_uuid = ? "
            "ORDER BY created_at DESC, uuid LIMIT ? OFFSET ?",
            (user_uuid, limit, offset),
        )
        return [_token_row(row) for row in rows]

    def token_counts(self, user_uuid: str) -> tuple[int, int]:
        """(all tokens, active tokens) of a user."""
        rows = self._query(
            "SELECT COUNT(*), COALESCE(SUM(is_active), 0) FROM tokens WHERE user_uuid = ?",
            (user_uuid,),
        )
        total, active = rows[0]
        return _int(total), _int(active)

    def set_token_label(self, uuid: str, label: str) -> bool:
        return self._update_token(uuid, "label", label)

    def set_token_active(self, uuid: str, active: bool) -> bool:
        return self._update_token(uuid, "is_active", int(active))

    def set_token_expiry(self, uuid: str, expires_at: datetime | None) -> bool:
        return self._update_token(uuid, "expires_at", _opt_micros(expires_at))

    def set_token_last_used(self, uuid: str, when: datetime) -> bool:
        return self._update_token(uuid, "last_used", to_micros(when))

    def delete_token(self, uuid: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM tokens WHERE uuid = ?", (uuid,)).rowcount == 1

    # -- repositories -----------------------------------------------------------------------

    def repository_is_public(self, name: str) -> bool | None:
        """The repository's visibility; None when there is no such repository."""
        rows = self._query("SELECT is_public FROM repositories WHERE name = ?", (name,))
        return bool(rows[0][0]) if rows else None

    def add_repository(self, name: str) -> None:
        """A new private repository; nothing happens when it exists already."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO repositories (name, is_public) VALUES (?, 0)", (name,)
            )

    def set_repository_public(self, name: str, public: bool) -> None:
        """Creates the repository when missing."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO repositories (name, is_public) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET is_public = excluded.is_public",
                (name, int(public)),
            )

    def repositories(self) -> dict[str, bool]:
        rows = self._query("SELECT name, is_public FROM repositories ORDER BY name", ())
        return {str(name): bool(public) for name, public in rows}

    def _update_token(self, uuid: str, column: str, value: object) -> bool:
        """``column`` always comes from the setters above, never from a request."""
        with self._transaction() as db:
            cursor = db.execute(f"UPDATE tokens SET {column} = ? WHERE uuid = ?", (value, uuid))
            return cursor.rowcount == 1


def _token_row(row: tuple[object, ...]) -> TokenRow:
    (uuid, user_uuid, secret_hash, client_id, creator_ip, creator_ua, created_at, last_used,
     generated_by, is_active, label, scopes, expires_at) = row  # fmt: skip
    return TokenRow(
        uuid=str(uuid),
        user_uuid=str(user_uuid),
        secret_hash=str(secret_hash),
        client_id=str(client_id),
        creator_ip=str(creator_ip),
        creator_ua=str(creator_ua),
        created_at=from_micros(_int(created_at)),
        last_used=None if last_used is None else from_micros(_int(last_used)),
        generated_by=str(generated_by),
        is_active=bool(is_active),
        label=str(label),
        scopes=tuple(json.loads(str(scopes))),
        expires_at=None if expires_at is None else from_micros(_int(expires_at)),
    )


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer column, got {type(value).__name__}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_micros(when: datetime | None) -> int | None:
    return None if when is None else to_micros(when)
