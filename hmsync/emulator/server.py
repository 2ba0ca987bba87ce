"""The emulator's HTTP side: the policy v1 routes, the v2 API (v2.py) beside them over one
store, token checks, faults, control endpoint."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt

from . import rooms, v1, v2
from .faults import FaultInjector, Faults
from .interleave import Interleaving, Interleavings
from .readings import Readings
from .store import ApiError, Store

API_PREFIX = v1.PREFIX
CONTROL_PREFIX = "/_emulator"
DEFAULT_ACCESS_KEY = "emulator-access-key"
DEFAULT_SECRET = "emulator-secret-for-local-use-only"
TOKEN_CLAIMS = ["access_key", "type", "version", "iat", "nbf", "exp", "jti"]
WRITE_ROUTES = (*v1.WRITE_ROUTES, *v2.WRITE_ROUTES, *rooms.WRITE_ROUTES)
PREFIXES = {"v1": API_PREFIX, "v2": v2.PREFIX}
MAX_BODY = 10 * 1024 * 1024


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many clients at once (tests run 50): a short listen backlog would refuse connections.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        store: Store,
        access_key: str,
        secret: str,
        faults: Faults,
        seed: int | None,
        log: bool = False,
    ) -> None:
        super().__init__(address, Handler)
        self.store = store
        self.v2 = v2.V2(store)
        self.access_key = access_key
        self.secret = secret
        self.initial_faults = faults
        self.seed = seed
        self.injector = FaultInjector(faults, seed)
        self.interleavings = Interleavings()
        self.calls: Counter[str] = Counter()
        self.sequence: list[str] = []  # the routes in the order they came (tests place edits)
        self.calls_lock = threading.Lock()
        self.log = log

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request (killed, timed out) is routine, not a crash.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def count(self, route: str) -> None:
        with self.calls_lock:
            self.calls[route] += 1
            self.sequence.append(route)

    def call_counts(self) -> dict[str, Any]:
        with self.calls_lock:
            routes = dict(sorted(self.calls.items()))
        writes = sum(n for r, n in routes.items() if r in WRITE_ROUTES)
        return {"total": sum(routes.values()), "writes": writes, "routes": routes}

    def reset_calls(self) -> None:
        with self.calls_lock:
            self.calls.clear()
            self.sequence.clear()


class Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can pool connections

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes; without this, Nagle's algorithm and delayed
        # ACKs add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if status == 204 else json.dumps(body).encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit():  # negative, or not a number: the body's end is unknown
            self.close_connection = True
            raise ApiError(400, "Invalid header", ["Content-Length: must be a whole number"])
        length = int(text)
        if length > MAX_BODY:
            self.close_connection = True  # the unread body must not be taken for a request
            raise ApiError(413, "Request entity too large", [f"at most {MAX_BODY} bytes"])
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, "Invalid body", [f"body is not valid JSON: {exc}"]) from None
        except RecursionError:
            raise ApiError(400, "Invalid body", ["body is nested too deeply"]) from None

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                self._control(method, path[len(CONTROL_PREFIX) :], query)
            elif path.startswith(API_PREFIX + "/"):
                self._api(method, path[len(API_PREFIX) :], query, "v1")
            elif path.startswith(v2.PREFIX + "/"):
                self._api(method, path[len(v2.PREFIX) :], query, "v2")
            else:
                raise ApiError(404, "Not Found", [f"no route for {method} {path}"])
        except ApiError as exc:
            self._send(exc.status, exc.body())
        except (RecursionError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # A request no rule foresaw: a 400 that says so, never a dropped connection.
            self._send(
                400, {"code": 400, "message": "Invalid request", "details": [type(exc).__name__]}
            )

    # -- the APIs -----------------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, str], api: str) -> None:
        if api == "v1":
            route, params = v1.route(method, path, "id" in query)
        else:
            route, params = v2.route(method, path)
        self.server.count(route)
        faults = self.server.injector.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        verdict, status = self.server.injector.decide()
        body = self._body()  # read first, so a dropped connection drops after the request
        self.server.interleavings.before(
            self.server.store, self._writes_to(route, params, query, body)
        )
        if verdict == "drop":
            self.close_connection = True
            return
        if verdict == "throttle":
            raise_ = ApiError(429, "Too Many Requests", ["rate limit exceeded; retry later"])
            self._send(429, raise_.body(), {"Retry-After": str(faults.retry_after)})
            return
        if verdict == "error":
            raise ApiError(status, "Internal error", ["injected fault"])
        self._authorize(api)
        if api == "v1":
            status, answer = v1.handle(self.server.store, route, params, query, body)
        else:
            status, answer = self.server.v2.handle(route, params, query, body)
        rate = self.server.store.readings.lost_answer_rate
        if route in WRITE_ROUTES and self.server.injector.lose_answer(rate):
            self.close_connection = True  # carried out, but the client never hears of it
            return
        self._send(status, answer)

    def _writes_to(
        self, route: str, params: list[str], query: dict[str, str], body: Any
    ) -> str | None:
        """The name of the template a write goes to (a create: the name in its body)."""
        if route not in WRITE_ROUTES:
            return None
        if route in rooms.WRITE_ROUTES:  # `room:NAME`, so a room and a template never meet
            return self._room_written(route, params, body)
        template_id = query.get("id") if route == "modify_template" else None
        template_id = template_id or (params[0] if params else None)
        if template_id is not None:
            template = self.server.store.templates.get(template_id)
            return str(template["name"]) if template else None
        return str(body.get("name")) if isinstance(body, dict) else None

    def _room_written(self, route: str, params: list[str], body: Any) -> str | None:
        store = self.server.store
        room_id = params[0] if params else None
        if route == "v2_update_room_code":
            code = store.codes.get(str(body.get("code"))) if isinstance(body, dict) else None
            room_id = code["room_id"] if code else None
        room = store.rooms.get(room_id) if room_id else None
        name = room["name"] if room else body.get("name") if isinstance(body, dict) else None
        return f"room:{str(name).casefold()}" if name else None

    def _authorize(self, api: str) -> None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise _token_error("an Authorization: Bearer <management token> header is required")
        try:
            claims = jwt.decode(
                header[len("Bearer ") :],
                self.server.secret,
                algorithms=["HS256"],
                options={"require": TOKEN_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise _token_error("token has expired") from None
        except jwt.ImmatureSignatureError:
            raise _token_error("token is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidSignatureError:
            raise _token_error("signature verification failed") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _token_error(f"missing claim {exc.claim}") from None
        except jwt.InvalidTokenError as exc:
            raise _token_error(f"malformed token: {exc}") from None
        if claims["type"] != "management":
            raise _token_error("type must be management")
        if claims["version"] != 2:
            raise _token_error("version must be 2")
        if claims["access_key"] != self.server.access_key:
            # v2: the make-api-calls page's own example; v1's docs give no detail.
            raise _token_error("not found" if api == "v2" else "unknown access key")

    # -- the control endpoint ---------------------------------------------------------------

    def _changed(self, kind: Any, current: Any) -> Any:
        """current (Faults or Readings) changed by the request body, or a 400."""
        body = self._body()
        try:
            return kind.from_dict(body if isinstance(body, dict) else {}, current)
        except ValueError as exc:
            raise ApiError(400, "Invalid body", [str(exc)]) from None

    def _control(self, method: str, path: str, query: dict[str, str]) -> None:
        server = self.server
        if (method, path) == ("POST", "/reset"):
            server.store.reset()
            server.reset_calls()
            server.injector = FaultInjector(server.initial_faults, server.seed)
            server.interleavings.clear()
            self._send(200, {"reset": True})
        elif (method, path) == ("POST", "/interleave"):
            try:
                interleaving = Interleaving.from_dict(self._body())
            except (ValueError, TypeError) as exc:
                raise ApiError(400, "Invalid body", [str(exc)]) from None
            server.interleavings.add(interleaving)
            self._send(200, interleaving.as_dict())
        elif (method, path) == ("GET", "/interleave"):
            pending = [i.as_dict() for i in server.interleavings.pending]
            self._send(200, {"pending": pending, "requests": server.interleavings.requests})
        elif (method, path) == ("DELETE", "/interleave"):
            server.interleavings.clear()
            self._send(204)
        elif (method, path) == ("GET", "/templates"):
            self._send(200, {"templates": server.store.dump()})
        elif (method, path) == ("POST", "/templates"):
            body = self._body()
            templates = body.get("templates") if isinstance(body, dict) else None
            if not isinstance(templates, list) or not all(isinstance(t, dict) for t in templates):
                raise ApiError(400, "Invalid body", ['expected {"templates": [template, ...]}'])
            # Unchecked, but a template the API itself could never hold breaks every listing.
            problems = [p for i, t in enumerate(templates) for p in _unstorable(i, t)]
            if problems:
                raise ApiError(400, "Invalid body", problems)
            self._send(200, {"templates": server.store.load(templates)})
        elif (method, path) == ("GET", "/rooms"):
            with server.store.lock:
                rooms_ = sorted(server.store.rooms.values(), key=lambda r: r["id"])
                codes = sorted(server.store.codes.values(), key=lambda c: c["code"])
                self._send(200, {"rooms": rooms_, "codes": codes})
        elif (method, path) == ("GET", "/faults"):
            self._send(200, server.injector.faults.as_dict())
        elif (method, path) == ("POST", "/faults"):
            server.injector.faults = self._changed(Faults, server.injector.faults)
            self._send(200, server.injector.faults.as_dict())
        elif (method, path) == ("GET", "/readings"):
            self._send(200, server.store.readings.as_dict())
        elif (method, path) == ("POST", "/readings"):
            server.store.readings = self._changed(Readings, server.store.readings)
            self._send(200, server.store.readings.as_dict())
        elif (method, path) == ("GET", "/calls"):
            self._send(200, server.call_counts())
        elif (method, path) == ("DELETE", "/calls"):
            server.reset_calls()
            self._send(204)
        else:
            raise ApiError(
                404, "Not Found", [f"no control route for {method} {CONTROL_PREFIX}{path}"]
            )


def _unstorable(i: int, template: dict[str, Any]) -> list[str]:
    """Why a template given to the control endpoint could never be one the API holds."""
    problems = []
    if not isinstance(template.get("name"), str) or not template["name"]:
        problems.append(f"templates[{i}].name: is required")
    if "_id" in template and not isinstance(template["_id"], str):
        problems.append(f"templates[{i}]._id: must be a string")
    if not isinstance(template.get("roles", {}), dict):
        problems.append(f"templates[{i}].roles: must be an object")
    return problems


def _token_error(detail: str) -> ApiError:
    return ApiError(401, "Token validation error", [detail])


class Emulator:
    """The emulator in a background thread on a loopback port; a context manager for tests."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret: str = DEFAULT_SECRET,
        state_file: Path | None = None,
        faults: Faults | None = None,
        seed: int | None = 0,
        log: bool = False,
        readings: Readings | None = None,
        api: str = "v1",
    ) -> None:
        self.api = api  # which API's base env() and api_base name; both are always served
        self.access_key = access_key
        self.secret = secret
        self.store = Store(access_key, state_file, readings)
        self.server = EmulatorServer(
            (host, port), self.store, access_key, secret, faults or Faults(), seed, log
        )
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_base(self) -> str:
        return self.base(self.api)

    def base(self, api: str) -> str:
        """The base URL of one API version (v1 or v2)."""
        return self.url + PREFIXES[api]

    def env(self) -> dict[str, str]:
        """The environment a client needs to talk to this emulator."""
        return {
            "HMS_API_BASE": self.api_base,
            "HMS_ACCESS_KEY": self.access_key,
            "HMS_SECRET": self.secret,
        }

    def set_faults(self, **options: Any) -> None:
        self.server.injector.faults = Faults.from_dict(options, self.server.injector.faults)

    def set_readings(self, **options: Any) -> None:
        self.store.readings = Readings.from_dict(options, self.store.readings)

    def interleave(self, **options: Any) -> None:
        """A second writer's edit at an exact point of the next run (see interleave.py)."""
        self.server.interleavings.add(Interleaving.from_dict(options))

    def calls(self) -> dict[str, Any]:
        return self.server.call_counts()

    def reset_calls(self) -> None:
        self.server.reset_calls()

    def sequence(self) -> list[str]:
        """The routes of the API requests since the last reset, in the order they came."""
        with self.server.calls_lock:
            return list(self.server.sequence)

    def start(self) -> Emulator:
        # A short poll interval keeps stop() quick; tests start and stop many emulators.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
