"""The HTTP side: a threaded server on a background thread that turns sockets into
Requests for the app and Replies back into bytes."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hubtokens.localhub.app import HubApp
from hubtokens.localhub.messages import Reply, Request, bad_request

_POLL_SECONDS = 0.01  # how fast stop() is noticed: tests start and stop hubs constantly
_IDLE_TIMEOUT_SECONDS = 30  # close keep-alive connections that went quiet


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like the real Hub
    server_version = "localhub"
    timeout = _IDLE_TIMEOUT_SECONDS
    # Headers and body go out in separate writes; with Nagle on, each reply waited ~40 ms
    # for the client's delayed ACK.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the app keeps its own request log, without headers or bodies."""

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # the body cannot be framed, so neither can the next
            self._send(bad_request({}, "Invalid Content-Length header."))
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query),
            base_url="http://" + (self.headers.get("Host") or self.server.authority),
            client_ip=str(self.client_address[0]),
            authorization=self.headers.get("Authorization"),
            user_agent=self.headers.get("User-Agent", ""),
            body=self.rfile.read(length),
            cookie=self.headers.get("Cookie", ""),
        )
        self._send(self.server.app.handle(request))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _send(self, reply: Reply) -> None:
        if reply.delivery == "drop":
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        if reply.status != 204:
            self.send_header("Content-Length", str(len(reply.body)))
        body = reply.body
        if reply.delivery == "truncated":
            # Promise the whole body, send half, hang up: an IncompleteRead for the client.
            body = body[: len(body) // 2]
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 resets clients that connect in a burst

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up early is normal (timeouts, fault tests): no traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, address: tuple[str, int], app: HubApp) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self._open_lock = threading.Lock()
        self._open: set[socket.socket] = set()
        super().__init__(address, _Handler)

    @property
    def authority(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def hang_up_all(self) -> None:
        """End keep-alive connections so their handler threads finish and close them."""
        with self._open_lock:
            for conn in self._open:
                with contextlib.suppress(OSError):  # already closed by the client
                    conn.shutdown(socket.SHUT_RDWR)


class HttpService:
    """A started server on its own thread; ``stop()`` ends it and every connection."""

    def __init__(self, host: str, port: int, app: HubApp) -> None:
        self._server = _Server((host, port), app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"localhub {self._server.authority}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return "http://" + self._server.authority

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.hang_up_all()
        self._server.server_close()
