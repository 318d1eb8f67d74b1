"""Requests and replies as plain values, so the API logic never touches sockets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"

# How the server puts a reply on the wire: whole, cut short, or not at all.
Delivery = Literal["full", "truncated", "drop"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    base_url: str  # "http://host:port" as the client addressed us, for absolute links
    client_ip: str
    authorization: str | None
    user_agent: str
    body: bytes
    cookie: str = ""  # the Cookie header: only the /activate pages use one

    def json_body(self) -> Any:
        """The parsed body; a malformed one is the client's error, answered with 400."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(bad_request({}, f"Malformed JSON body: {exc}")) from exc

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body; of a repeated field, the last."""
        fields = parse_qs(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    delivery: Delivery = "full"


class ApiError(Exception):
    """Raised by handlers to answer with an error reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


# On every reply that carries a secret (RFC 6749 §5.1): no cache or proxy may keep it.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), JSON_TYPE, dict(headers or {}))


def no_content() -> Reply:
    return Reply(204, b"", None)


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> Reply:
    """The Hub's ``Error`` shape for 401/403/404/405."""
    return json_reply(status, {"detail": detail, "message": detail}, headers)


def bad_request(fields: dict[str, list[str]], text: str) -> Reply:
    """The Hub's ``ValueError`` shape for 400."""
    return json_reply(400, {"fields": fields, "text": text})


def html_reply(status: int, title: str) -> Reply:
    """What a proxy in front of the Hub answers with: a page, not JSON."""
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return Reply(status, page.encode(), HTML_TYPE)
