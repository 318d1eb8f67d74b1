"""Credentials that ``docker login`` (or podman, skopeo) kept in plain text in an auth file.

Without a credential helper, an ``auths`` entry holds the credential itself, in the forms
docker reads (the ones dockerconfig removes): ``auth`` (base64 ``user:secret``), ``password``
(beside ``username``) or ``identitytoken``. A token there is ``docker-config-pat``, a password
``docker-config-password``, another identity token ``docker-config-identity-token``; base64
hides a token from the plain pattern, so it is decoded here.
The app's backup of an auth file (``config.json.bak-hubtokens``) holds what it removed, so it
is read as the file it backs up.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator

from hubtokens.core.dockerconfig import BACKUP_SUFFIX
from hubtokens.core.scan.findings import (
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN,
    KIND_DOCKER_CONFIG_PASSWORD,
    KIND_DOCKER_CONFIG_PAT,
    Finding,
)
from hubtokens.core.scan.patterns import is_token, line_number
from hubtokens.core.secret import Secret

# docker's config.json; containers-auth.json(5) for podman, skopeo and buildah.
DOCKER_AUTH_FILE_NAMES = frozenset({"config.json", "auth.json"})
_AUTHS_KEY = b'"auths"'


def is_auth_file(display: str) -> bool:
    """Whether the file's name is an auth file's, or that of the app's backup of one."""
    name = display.rpartition("/")[2].removesuffix(BACKUP_SUFFIX)
    return name in DOCKER_AUTH_FILE_NAMES


def docker_auth_findings(data: bytes, display: str) -> Iterator[Finding]:
    """The secrets in the ``auths`` entries of an auth file; nothing for any other content."""
    if _AUTHS_KEY not in data:
        return
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return
    auths = document.get("auths") if isinstance(document, dict) else None
    if not isinstance(auths, dict):
        return
    for entry in auths.values():
        if not isinstance(entry, dict):
            continue
        for spelled, user, secret, kind in _credentials_of(entry):
            line = _line_of(data, spelled)
            yield Finding(display, line, None, kind, Secret(secret), account=user or None)


def _credentials_of(entry: dict[str, object]) -> Iterator[tuple[str, str, str, str]]:
    """Each plain credential of an entry: the value as spelled there, the user, the secret and
    its kind."""
    # the fields of dockerconfig's _PLAIN_CREDENTIAL_FIELDS, each in its own form
    encoded, password = entry.get("auth"), entry.get("password")
    identity_token, username = entry.get("identitytoken"), entry.get("username")
    user = username if isinstance(username, str) else ""
    if isinstance(encoded, str) and (decoded := _decoded(encoded)) is not None:
        yield encoded, decoded[0], decoded[1], _kind(decoded[1])
    if isinstance(password, str) and password:
        yield password, user, password, _kind(password)
    if isinstance(identity_token, str) and identity_token:
        # A registry's OAuth refresh token: it signs in as a token does, so it is no password,
        # yet no Hub access token either (the Hub cannot tell whose it is; it is not sent there
        # by --identify) unless it has a token's shape. Its shape unknown, nothing of it shows.
        token_shaped = is_token(identity_token)
        kind = KIND_DOCKER_CONFIG_PAT if token_shaped else KIND_DOCKER_CONFIG_IDENTITY_TOKEN
        yield identity_token, user, identity_token, kind


def _kind(secret: str) -> str:
    return KIND_DOCKER_CONFIG_PAT if is_token(secret) else KIND_DOCKER_CONFIG_PASSWORD


def _decoded(encoded: str) -> tuple[str, str] | None:
    """The user and the secret of a base64 ``user:secret`` value, or None when it is not one."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, colon, secret = decoded.partition(":")
    return (user, secret) if colon and secret else None


def _line_of(data: bytes, value: str) -> int | None:
    """The line of a string value as the file spells it (None when escapes change it)."""
    at = data.find(b'"' + value.encode("utf-8", "surrogateescape") + b'"')
    return line_number(data, at) if at >= 0 else None
