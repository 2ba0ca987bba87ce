"""Management tokens (HS256 JWTs), made from the app access key and secret, cached and renewed."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass

import httpx
import jwt

from ..errors import InputError

SKEW_SECONDS = 10  # official SDKs backdate iat by 10 s against clock skew
LIFETIME_SECONDS = 24 * 3600
RENEW_BEFORE_SECONDS = 300  # a fresh token this long before the old one expires
CREDENTIAL_HELP = (
    "set HMS_ACCESS_KEY and HMS_SECRET (the app's access key and secret), or HMS_MANAGEMENT_TOKEN"
)


@dataclass(frozen=True, repr=False)
class Credentials:
    """Either a ready-made management token, or the access key and secret to make them."""

    token: str | None = None
    access_key: str | None = None
    secret: str | None = None

    def __repr__(self) -> str:  # never show a secret, even in a debugger or a traceback
        return f"Credentials(access_key={self.access_key!r}, secret=..., token=...)"


def credentials_from_env(environ: Mapping[str, str]) -> Credentials:
    token = environ.get("HMS_MANAGEMENT_TOKEN", "").strip()
    access_key = environ.get("HMS_ACCESS_KEY", "").strip()
    secret = environ.get("HMS_SECRET", "").strip()
    if access_key and secret:
        return Credentials(None, access_key, secret)
    if access_key or secret:
        missing = "HMS_SECRET" if access_key else "HMS_ACCESS_KEY"
        if not token:
            raise InputError(f"{missing} is not set; {CREDENTIAL_HELP}")
    if token:
        return Credentials(token=token)
    raise InputError(f"no 100ms credentials: {CREDENTIAL_HELP}")


def make_token(access_key: str, secret: str, now: float) -> tuple[str, int]:
    """A management token exactly as the official server SDKs make it, and its expiry."""
    issued = int(now) - SKEW_SECONDS
    expires = issued + LIFETIME_SECONDS
    claims = {
        "access_key": access_key,
        "type": "management",
        "version": 2,
        "iat": issued,
        "nbf": issued,
        "exp": expires,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, secret, algorithm="HS256"), expires


class TokenSource:
    """The current token: made on first use, cached, and made anew shortly before expiry."""

    def __init__(self, credentials: Credentials, clock: Callable[[], float] = time.time) -> None:
        self.credentials = credentials
        self.clock = clock
        self.lock = threading.Lock()
        self._token = credentials.token
        self._expires: float | None = None

    @property
    def can_renew(self) -> bool:
        return bool(self.credentials.access_key and self.credentials.secret)

    def token(self) -> str:
        with self.lock:
            if self._token is None or (
                self._expires is not None and self.clock() >= self._expires - RENEW_BEFORE_SECONDS
            ):
                self._make()
            assert self._token is not None
            return self._token

    def renew(self, rejected: str) -> bool:
        """A fresh token after the server rejected `rejected`; False if none can be made."""
        if not self.can_renew:
            return False
        with self.lock:
            if self._token == rejected:  # another thread may have renewed it already
                self._make()
        return True

    def _make(self) -> None:
        key, secret = self.credentials.access_key, self.credentials.secret
        assert key and secret
        self._token, self._expires = make_token(key, secret, self.clock())


class ManagementAuth(httpx.Auth):
    """Bearer management token; on 401/403, one retry with a fresh token when one can be made."""

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.source.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code in (401, 403) and self.source.renew(token):
            request.headers["Authorization"] = f"Bearer {self.source.token()}"
            yield request
