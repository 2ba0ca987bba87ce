"""One deadline for a whole HTTP request, from connect to the last byte, headers included.

httpx's timeouts bound each network operation, so a server that sends one header line a
second holds a request forever. Here every read and write of the socket is bounded by what is
left of the request's deadline (set per thread by `within`), and past it the request fails as
a timeout. The stream is httpcore's, wrapped; no thread watches it.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_local = threading.local()


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """The requests this thread makes inside the block end by `seconds` from now."""
    _local.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.at = None


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_local, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:  # fmt: skip
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(super().connect_tcp(host, port, left, local_address, socket_options))


def transport(limits: httpx.Limits, tls: bool = True) -> httpx.HTTPTransport:
    """httpx's own transport, its sockets bounded by the request's deadline.

    tls=False (a plain http:// base, the emulator): no certificate store is loaded, ~20 ms of
    every start-up; the context trusts no certificate at all, so no TLS connection can be
    made through it by mistake (and redirects are never followed)."""
    verify: ssl.SSLContext | bool = True if tls else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    made = httpx.HTTPTransport(limits=limits, verify=verify)
    # httpx offers no parameter for httpcore's network backend; tests/test_security.py
    # proves the deadline holds, so a change here in a new httpx release is seen at once.
    made._pool._network_backend = _Backend()
    return made
