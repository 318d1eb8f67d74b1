"""A tiny HTTP client for the localhub tests: one connection per call, always closed."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HubClient:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname is not None and parts.port is not None
        self.host = parts.hostname
        self.port = parts.port

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def call(
        self,
        method: str,
        path: str,
        payload: object = None,
        *,
        token: str | None = None,
        scheme: str = "Bearer",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = {"User-Agent": "localhub-tests/1", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"{scheme} {token}"
        if payload is not None:
            body = json.dumps(payload).encode()
            all_headers["Content-Type"] = "application/json"
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=all_headers)
            reply = conn.getresponse()
            data = reply.read()
            return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data)
        finally:
            conn.close()

    def login(self, username: str, password: str) -> str:
        reply = self.call("POST", "/v2/users/login", {"username": username, "password": password})
        assert reply.status == 200, reply.body
        token: str = reply.json()["token"]
        return token

    def create(self, session: str, label: str = "a token", **fields: Any) -> dict[str, Any]:
        payload = {"token_label": label, "scopes": ["repo:read"], **fields}
        reply = self.call("POST", "/v2/access-tokens", payload, token=session)
        assert reply.status == 201, reply.body
        created: dict[str, Any] = reply.json()
        return created
