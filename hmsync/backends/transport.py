"""The one module that speaks HTTP to 100ms: the request loop (auth, deadlines, retries, size
caps, the shape of an answer). Both backends (backends/v1.py, backends/v2.py) make their calls
through it; it knows no endpoint."""

from __future__ import annotations

import ipaddress
import logging
import random
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import httpx

from .. import jsontext
from ..errors import ApiError, InputError
from . import deadline
from .answers import json_answer
from .auth import CREDENTIAL_HELP, ManagementAuth, TokenSource

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A read changes nothing, so a 500 on it is worth another try too; a write's 500 is reported.
READ_RETRY_STATUSES = RETRY_STATUSES | {500}
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # a page of 20 large templates is well under 1 MiB
LOOPBACK_NAMES = frozenset({"localhost"})
log = logging.getLogger("hmsync.api")
Json = dict[str, Any]
_T = TypeVar("_T", bound="Transport")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # in all, the first one included
    base_delay: float = 0.25
    max_delay: float = 8.0
    deadline: float = 120.0  # seconds from the first attempt; no retry starts after it


def check_base_url(url: str) -> str:
    """https:// only, except loopback hosts: a management token must not travel in clear text."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InputError(f"--api-base {url!r} is not a URL: {exc}") from None
    if parsed.scheme == "https" and parsed.host:
        return url.rstrip("/")
    if parsed.scheme == "http" and _is_loopback(parsed.host):
        return url.rstrip("/")
    raise InputError(
        f"--api-base {url}: refusing to send a management token to it; use https:// "
        "(plain http:// only for loopback hosts: 127.0.0.1, localhost, [::1])"
    )


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _retry_after(response: httpx.Response, now: float) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # '²' is a digit to str.isdigit, not to float
        return float(value)
    try:
        import email.utils  # only for a Retry-After date

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class Transport:
    """The request loop of one API base: every call a backend makes goes through `_call`.

    Every call hmsync makes is safe to retry: create template is an upsert by name, modify
    replaces whole objects, a role write is an upsert, and a retried delete that finds the role
    gone (404) is taken as done. So writes are retried like reads.
    """

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        timeout: float = 30.0,
        parallelism: int = 8,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.timeout = timeout
        self.parallelism = max(1, parallelism)
        # Told of every wait of a second or more, so a long retry is not mistaken for a hang.
        self.notify: Callable[[str], None] | None = None
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        limits = httpx.Limits(
            max_connections=self.parallelism, max_keepalive_connections=self.parallelism
        )
        self.http = httpx.Client(
            auth=ManagementAuth(tokens),
            timeout=timeout,
            transport=transport
            or deadline.transport(limits, tls=self.base_url.startswith("https:")),
            follow_redirects=False,  # a token must never travel to another host
            # identity: an answer's size is what crosses the wire (see _decoded)
            headers={"User-Agent": "hmsync", "Accept-Encoding": "identity"},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the request loop -------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One attempt, with one deadline for all of it, connect to last byte (httpx's timeout
        bounds each read: a server sending a header line a second could hold it forever), and
        a cap on the answer, compressed or not."""
        with deadline.within(self.timeout), self.http.stream(method, url, **kwargs) as response:
            fail = partial(ApiError, method, url, response.status_code)
            if response.is_stream_consumed:  # an in-memory answer (a test's mock transport)
                content = response.content
            else:
                chunks, size = [], 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise _too_big(fail)
                    chunks.append(chunk)
                encodings = response.headers.get("Content-Encoding", "")
                content = _decoded(b"".join(chunks), encodings, fail)
        # Raw bytes, never decoded and encoded again: a header with a byte outside ASCII (a
        # latin-1 `café`) would not survive the round trip.
        headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"content-encoding"]
        return httpx.Response(
            response.status_code, headers=headers, content=content, request=response.request
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Json:
        answer: Json = self._answer(method, path, dict, **kwargs)
        return answer

    def _pages(
        self,
        path: str,
        params: dict[str, str],
        limit: int,
        parse: Callable[[Any, str, bool], tuple[list[Any], str]],
        most: int,
        what: str = "page",
    ) -> Iterator[list[Any]]:
        """Each page of a list (GET path), walked `limit` at a time with `start` = the last
        page's `last`; parse(answer, url, continued) checks a page's shape and gives its items
        and `last`. Ends on a short page or an empty `last`; a cursor seen before, or more
        than `most` pages, is an error: such a list would page forever."""
        url = self._url(path)
        cursors: set[str] = set()
        start: str | None = None
        items = 0
        while True:
            query = {**params, "limit": str(limit), **({"start": start} if start else {})}
            data, last = parse(self._call("GET", path, params=query), url, start is not None)
            items += len(data)
            yield data
            if len(data) < limit or not last:
                return
            if last in cursors or last == start:
                raise ApiError("GET", url, 200, f"the list returns to {what} {last!r} again")
            if len(cursors) >= most or items > most * limit:
                raise ApiError("GET", url, 200, f"the list goes on past {most} pages")
            cursors.add(last)
            start = last

    def _call_list(self, method: str, path: str, **kwargs: Any) -> list[Any]:
        """A call whose answer is a JSON array (v2's recordings)."""
        answer: list[Any] = self._answer(method, path, list, **kwargs)
        return answer

    def _answer(self, method: str, path: str, shape: type, **kwargs: Any) -> Any:
        url = self._url(path)
        if method != "GET" and kwargs.get("params"):
            # `POST /templates?id=` modifies and `POST /templates` creates: say which.
            url = str(httpx.URL(url, params=kwargs.pop("params")))
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            delay: float | None = None
            try:
                response = self._request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failure = ApiError(
                    method,
                    url,
                    None,
                    f"{_network_reason(exc)} after {_attempts(attempt)}",
                    hint="check --api-base, the network, or raise --timeout",
                )
                log.debug("%s %s: %s (attempt %d)", method, url, type(exc).__name__, attempt)
            else:
                log.debug("%s %s: %d (attempt %d)", method, url, response.status_code, attempt)
                if response.status_code < 300:
                    return json_answer(response, method, url, shape)
                failure = _error(response, method, url, attempt)
                retried = READ_RETRY_STATUSES if method == "GET" else RETRY_STATUSES
                if response.status_code not in retried:
                    raise failure
                delay = _retry_after(response, time.time())
            backoff = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
            backoff = backoff / 2 + self.rng.uniform(0, backoff / 2)  # jitter spreads clients out
            wait = max(backoff, delay or 0.0)
            elapsed = self.clock() - started
            if attempt >= self.retry.attempts or elapsed + wait > self.retry.deadline:
                raise failure
            log.debug("retrying %s %s in %.2f s", method, url, wait)
            if self.notify and wait >= 1.0:
                self.notify(f"{failure.message}; trying again in {wait:.1f} s")
            self.sleep(wait)


def _too_big(fail: Callable[..., ApiError]) -> ApiError:
    reason = f"the answer is over {MAX_ANSWER_BYTES // 2**20} MiB; not read further"
    return fail(reason, hint="check --api-base")


def _decoded(data: bytes, encodings: str, fail: Callable[..., ApiError]) -> bytes:
    """The answer's bytes, undone layer by layer (`gzip, gzip` too), each decompressed at
    most to the cap: a few KB that expand to a GiB stop at MAX_ANSWER_BYTES, in memory too.
    fail(reason, hint=...) makes the error, located at the request."""
    for encoding in reversed([e.strip().lower() for e in encodings.split(",") if e.strip()]):
        if encoding == "identity":
            continue
        if encoding not in ("gzip", "x-gzip", "deflate"):
            reason = f"the answer is encoded as {encoding!r}, which hmsync does not read"
            raise fail(reason + " (it asks for none)", hint="check --api-base")
        wbits = zlib.MAX_WBITS | 16 if "gzip" in encoding else zlib.MAX_WBITS
        inflater = zlib.decompressobj(wbits)
        pieces, size = [], 0
        try:
            while data:  # a MiB at a time: a bomb stops at the cap, not at its own size
                piece = inflater.decompress(data, 1 << 20)
                size += len(piece)
                if size > MAX_ANSWER_BYTES:
                    raise _too_big(fail)
                pieces.append(piece)
                data = inflater.unconsumed_tail
            pieces.append(inflater.flush())
            if size + len(pieces[-1]) > MAX_ANSWER_BYTES:
                raise _too_big(fail)
        except zlib.error:
            raise fail(f"the answer is not valid {encoding}") from None
        data = b"".join(pieces)
    return data


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _network_reason(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return "connection lost"


def _error(response: httpx.Response, method: str, url: str, attempt: int) -> ApiError:
    status = response.status_code
    reason = response.reason_phrase or "error"
    details: tuple[str, ...] = ()
    try:
        body = jsontext.loads(response.content)
    except ValueError:  # not JSON, or too deep to read: the status says enough
        body = None
    if isinstance(body, dict):
        reason = str(body.get("message") or reason)
        raw = body.get("details")
        if isinstance(raw, list):
            details = tuple(str(d) for d in raw)
    hint = ""
    if 300 <= status < 400:
        reason = f"redirected to {response.headers.get('Location', '?')}, not followed"
        hint = "check --api-base"
    elif status in (401, 403) and _about_time(reason, details):
        skew = _skew(response)
        hint = f"check this machine's clock{skew}, or that a ready-made token has not expired"
    elif status in (401, 403):
        hint = CREDENTIAL_HELP.replace("set ", "check ", 1)
    elif status in READ_RETRY_STATUSES and attempt > 1:
        reason += f" after {_attempts(attempt)}"
    return ApiError(method, url, status, reason, details, hint)


def _about_time(reason: str, details: tuple[str, ...]) -> bool:
    """A token refused for its times (not valid yet, expired): a clock, not a credential."""
    text = " ".join((reason, *details)).lower()
    return any(word in text for word in ("not valid yet", "expired", "nbf", "iat", "future"))


def _skew(response: httpx.Response) -> str:
    """How far this machine's clock is from the server's, by its Date header, if it sent one."""
    try:
        import email.utils

        server = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        return ""
    ahead = round(time.time() - server.timestamp())
    if abs(ahead) < 2:
        return " (it agrees with the server's within a second or two)"
    return f": it is {abs(ahead)} s {'ahead of' if ahead > 0 else 'behind'} the server's"
