"""For transport.py: the boundaries and messages `make mutate` found untested."""

from __future__ import annotations

import email.utils
import gzip
import random
from functools import partial
from typing import Any

import httpx
import pytest

from hmsync.backends import transport
from hmsync.backends.auth import Credentials, TokenSource
from hmsync.backends.transport import MAX_ANSWER_BYTES, RetryPolicy, _decoded, _skew
from hmsync.backends.v1 import V1Client as Client
from hmsync.errors import ApiError

from .servers import RawServer

CREDS = Credentials(access_key="k", secret="s" * 32)


class Top(random.Random):
    """Jitter at its top: every wait is its whole backoff."""

    def uniform(self, a: float, b: float) -> float:
        return b


def client(handler: Any, sleeps: list[float], **retry: Any) -> Client:
    return Client(
        "https://api.example.test/policy/v1",
        TokenSource(CREDS),
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        retry=RetryPolicy(**retry),
        rng=Top(),
    )


def test_exactly_the_cap_decompresses_and_one_byte_more_does_not() -> None:
    fail = partial(ApiError, "GET", "https://x.test/", 200)
    whole = gzip.compress(b"\0" * MAX_ANSWER_BYTES)
    assert len(_decoded(whole, "gzip", fail)) == MAX_ANSWER_BYTES
    with pytest.raises(ApiError, match="the answer is over 32 MiB"):
        _decoded(gzip.compress(b"\0" * (MAX_ANSWER_BYTES + 1)), "gzip", fail)


def test_exactly_the_cap_is_read_from_the_network() -> None:
    body = b'{"limit": 20, "last": "", "data": [], "pad": "'
    body += b"a" * (MAX_ANSWER_BYTES - len(body) - 2) + b'"}'
    assert len(body) == MAX_ANSWER_BYTES
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"

    def answer(conn: Any, stop: Any) -> None:
        conn.sendall(head % len(body) + body)

    with RawServer(answer) as server:
        flow = Client(server.base, TokenSource(CREDS), retry=RetryPolicy(attempts=1))
        assert flow.list_templates() == []


def test_a_300_is_a_redirect_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(300, headers={"Location": "https://elsewhere.test/"})

    with pytest.raises(ApiError) as caught:
        client(handler, []).list_templates()
    assert caught.value.message == (
        "GET https://api.example.test/policy/v1/templates: 300 redirected to "
        "https://elsewhere.test/, not followed; check --api-base"
    )


def test_backoff_doubles_from_the_base_and_a_second_long_wait_is_said() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    sleeps: list[float] = []
    flow = client(handler, sleeps, attempts=4, base_delay=1.0)
    said: list[str] = []
    flow.notify = said.append
    with pytest.raises(ApiError):
        flow.list_templates()
    assert sleeps == [1.0, 2.0, 4.0]
    assert said[0].endswith("; trying again in 1.0 s")  # a wait of exactly a second is said


def test_a_status_without_a_reason_phrase_and_an_unretried_500() -> None:
    def odd(request: httpx.Request) -> httpx.Response:
        return httpx.Response(499)

    with pytest.raises(ApiError) as caught:
        client(odd, []).list_templates()
    assert caught.value.message.endswith(": 499 error")

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"message": "boom"})

    with pytest.raises(ApiError) as caught:
        client(broken, []).create_template({"name": "t"})  # a write: a 500 is not retried
    assert caught.value.message == "POST https://api.example.test/policy/v1/templates: 500 boom"


def test_the_clock_hint_says_two_seconds_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport.time, "time", lambda: 1000.0)

    def at(seconds: float) -> httpx.Response:
        return httpx.Response(401, headers={"Date": email.utils.formatdate(seconds, usegmt=True)})

    assert _skew(at(998)) == ": it is 2 s ahead of the server's"
    assert _skew(at(999)) == " (it agrees with the server's within a second or two)"


def test_names_and_values_are_read_whatever_their_case() -> None:
    """`Content-Encoding: GZIP`, a header named in capitals (as an in-memory answer keeps it),
    and a refusal that says `Token EXPIRED`: each read as its lower-case twin."""
    page = {"limit": 20, "data": [], "last": ""}
    packed = gzip.compress(__import__("json").dumps(page).encode())

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=packed, headers={"CONTENT-ENCODING": "GZIP"})

    with client(handler, []) as c:
        assert c.list_templates() == []

    def expired(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"code": 401, "message": "Token EXPIRED"})

    with client(expired, [], attempts=1) as c, pytest.raises(ApiError) as caught:
        c.list_templates()
    assert "check this machine's clock" in caught.value.message


def test_an_encoding_named_in_capitals_is_undone_off_the_wire() -> None:
    page = __import__("json").dumps({"limit": 20, "data": [], "last": ""}).encode()
    packed = gzip.compress(page)

    def answer(conn: Any, stop: Any) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: GZIP\r\n"
            f"Content-Length: {len(packed)}\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(head.encode() + packed)

    with RawServer(answer) as server, Client(server.base, TokenSource(CREDS)) as c:
        assert c.list_templates() == []
