"""OAuth error answers: ``{"error": ..., "error_description": ...}`` (RFC 6749 §5.2)."""

from __future__ import annotations

from hubtokens.localhub.messages import Reply, json_reply

# Auth0 (login.docker.com) answers 403 for these and 400 for the rest; clients go by "error".
_FORBIDDEN = {
    "authorization_pending",
    "slow_down",
    "expired_token",
    "access_denied",
    "invalid_grant",
}


class OAuthError(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description

    def reply(self) -> Reply:
        status = 403 if self.code in _FORBIDDEN else 400
        return json_reply(status, {"error": self.code, "error_description": self.description})
