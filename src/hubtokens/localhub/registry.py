"""What a registry token grants: scopes asked for, the caller's rights, repositories.

Docker Hub's rules, as far as they matter here: a repository ``NAME`` is
``<namespace>/<repo>``; anybody, signed in or not, may pull a public repository; the owner
of the namespace may do what their credential allows. A PAT allows by its scope, a
password everything. Knows nothing about HTTP or signing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hubtokens.localhub.store import Store

SERVICE = "localhub-registry"
REPOSITORY = "repository"
PULL, PUSH, DELETE = "pull", "push", "delete"

# What each PAT scope allows in the caller's own namespace. Public repositories are
# pullable by everyone, so repo:public_read adds nothing of its own.
OWN_ACTIONS: dict[str, frozenset[str]] = {
    "repo:public_read": frozenset(),
    "repo:read": frozenset({PULL}),
    "repo:write": frozenset({PULL, PUSH}),
    "repo:admin": frozenset({PULL, PUSH, DELETE}),
}
EVERYTHING = frozenset({PULL, PUSH, DELETE})

# distribution/reference: lower-case path components joined by "/".
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_NAME_MAX = 255


@dataclass(frozen=True)
class Scope:
    """One ``type:name:actions`` item of a token request."""

    type: str
    name: str
    actions: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Scope | None:
        """None for text that is not a scope at all. A ``type(class)`` is kept as ``type``."""
        head, sep, actions = text.rpartition(":")
        kind, sep2, name = head.partition(":")
        if not sep or not sep2 or not kind or not name:
            return None
        kind = kind.split("(", 1)[0]
        wanted = tuple(dict.fromkeys(a for a in actions.split(",") if a))
        return cls(kind, name, wanted)


def parse_scopes(values: Iterable[str]) -> list[Scope]:
    """Every scope of the repeated ``scope`` parameters (each may hold several, separated by
    spaces, as in OAuth2), those naming the same resource merged, in order."""
    merged: dict[tuple[str, str], tuple[str, ...]] = {}
    for value in values:
        for item in value.split():
            scope = Scope.parse(item)
            if scope is None:
                continue
            key = (scope.type, scope.name)
            merged[key] = tuple(dict.fromkeys(merged.get(key, ()) + scope.actions))
    return [Scope(kind, name, actions) for (kind, name), actions in merged.items()]


@dataclass(frozen=True)
class Caller:
    """Who asks: ``username`` None for anonymous; ``own`` what they may do in their own
    namespace."""

    username: str | None
    own: frozenset[str]

    @classmethod
    def anonymous(cls) -> Caller:
        return cls(None, frozenset())

    @classmethod
    def with_password(cls, username: str) -> Caller:
        return cls(username, EVERYTHING)

    @classmethod
    def with_pat(cls, username: str, pat_scopes: Iterable[str]) -> Caller:
        own: frozenset[str] = frozenset()
        for scope in pat_scopes:
            own |= OWN_ACTIONS.get(scope, frozenset())
        return cls(username, own)


def is_valid_name(name: str) -> bool:
    return len(name) <= _NAME_MAX and _NAME.fullmatch(name) is not None


def grant(store: Store, caller: Caller, scopes: Iterable[Scope]) -> list[dict[str, object]]:
    """The token's ``access`` claim: for each repository scope asked for, the actions the
    caller gets (possibly none, as Docker Hub answers). A push grant creates the repository,
    private, if it does not exist yet. Other resource types get nothing."""
    access: list[dict[str, object]] = []
    for scope in scopes:
        if scope.type != REPOSITORY or not is_valid_name(scope.name):
            continue
        allowed = _allowed(store, caller, scope.name)
        actions = [action for action in scope.actions if action in allowed]
        if PUSH in actions:
            store.add_repository(scope.name)
        access.append({"type": REPOSITORY, "name": scope.name, "actions": actions})
    return access


def _allowed(store: Store, caller: Caller, name: str) -> frozenset[str]:
    allowed: frozenset[str] = frozenset()
    if store.repository_is_public(name):
        allowed |= {PULL}
    namespace, _, rest = name.partition("/")
    if caller.username is not None and rest and namespace == caller.username.lower():
        allowed |= caller.own
    return allowed
