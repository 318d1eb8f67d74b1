"""Credentials that ``docker login`` (or podman, skopeo) kept in plain text in an auth file.

Without a credential helper, ``auths`` holds ``{"<registry>": {"auth": base64("user:secret")}}``:
the secret is a token (``docker-config-pat``) or the account's password
(``docker-config-password``). Base64 hides a token from the plain pattern, so it is decoded here.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator

from hubtokens.core.scan.findings import (
    KIND_DOCKER_CONFIG_PASSWORD,
    KIND_DOCKER_CONFIG_PAT,
    Finding,
)
from hubtokens.core.scan.patterns import is_token, line_number
from hubtokens.core.secret import Secret

# docker's config.json; containers-auth.json(5) for podman, skopeo and buildah.
DOCKER_AUTH_FILE_NAMES = frozenset({"config.json", "auth.json"})
_AUTHS_KEY = b'"auths"'


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
        encoded = entry.get("auth") if isinstance(entry, dict) else None
        if not isinstance(encoded, str):
            continue
        credential = _credential_of(encoded)
        if credential is not None:
            user, secret = credential
            kind = KIND_DOCKER_CONFIG_PAT if is_token(secret) else KIND_DOCKER_CONFIG_PASSWORD
            line = _line_of(data, encoded)
            yield Finding(display, line, None, kind, Secret(secret), account=user or None)


def _credential_of(encoded: str) -> tuple[str, str] | None:
    """The user and the secret of a base64 ``user:secret`` value, or None when it is not one."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, colon, secret = decoded.partition(":")
    return (user, secret) if colon and secret else None


def _line_of(data: bytes, encoded: str) -> int | None:
    at = data.find(b'"' + encoded.encode() + b'"')
    return line_number(data, at) if at >= 0 else None
