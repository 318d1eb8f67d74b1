"""A tiny scripted HTTP server for the few answers localhub does not give (no ``count``,
``next`` pointing elsewhere, redirects). It is real HTTP on loopback, not a patched requests."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ScriptedHub:
    url: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)  # by path with query
    requests: list[str] = field(default_factory=list)

    def page(self, target: str, body: dict[str, Any]) -> None:
        self.answers[target] = Answer(body=body)


def token_json(n: int) -> dict[str, Any]:
    return {
        "uuid": str(uuid.UUID(int=n)),
        "token_label": f"token {n}",
        "scopes": ["repo:read"],
        "is_active": True,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "last_used": None,
        "token": "",
    }


@contextmanager
def scripted_hub() -> Iterator[ScriptedHub]:
    hub = ScriptedHub()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            hub.requests.append(self.path)
            answer = hub.answers.get(self.path, Answer(404, {"detail": "Not found."}))
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
