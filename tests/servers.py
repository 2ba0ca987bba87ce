"""Small misbehaving servers on loopback, for the client's failure paths.

A `Proxy` forwards every request to an upstream (the emulator) unless its rule answers first,
so a test can make one call misbehave and let the rest be real.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx


@dataclass
class Seen:
    method: str
    path: str  # with the query
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


# A rule sees each request (and what came before) and may answer it: (status, body), or
# (status, body, headers), or "drop" to close the connection unanswered, or
# "forward-then-drop" to carry it out upstream and lose the answer. None: forward as usual.
Rule = Callable[[Seen, list[Seen]], Any]


@dataclass
class Proxy:
    upstream: str  # e.g. the emulator's url
    rule: Rule = lambda seen, history: None
    history: list[Seen] = field(default_factory=list)
    # Sent on every answer (a value is encoded as latin-1: `café` is one byte outside ASCII).
    headers: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                seen = Seen(
                    self.command, self.path, json.loads(raw) if raw else None, dict(self.headers)
                )
                answer = proxy.rule(seen, list(proxy.history))
                proxy.history.append(seen)
                if answer == "drop":
                    self.close_connection = True
                    return
                if answer is None or answer == "forward-then-drop":
                    forwarded = httpx.request(
                        self.command,
                        proxy.upstream + self.path,
                        content=raw,
                        headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                        timeout=10,
                    )
                    if answer == "forward-then-drop":
                        self.close_connection = True
                        return
                    status, data, extra = forwarded.status_code, forwarded.content, []
                else:
                    status, body, *more = answer
                    extra = more[0] if more else []
                    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in [*proxy.headers, *extra]:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class RawServer:
    """A loopback server that answers every connection with handle(socket)."""

    def __init__(self, handle: Any) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.handle = handle
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/policy/v1"

    def _serve(self) -> None:
        import threading

        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: Any) -> None:
        try:
            conn.recv(65536)
            self.handle(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()
