"""The last line of defense for secrets: whatever hmsync prints passes through here.

The plan conceals secrets structurally (see diff); this catches what comes from elsewhere: an
API error body that echoes the request or the Authorization header, a library's message.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

SENSITIVE = "(sensitive value)"
# Values shorter than this are too common to replace everywhere (`us`, `in`).
MIN_LENGTH = 4
SECRET_VARIABLES = ("HMS_SECRET", "HMS_MANAGEMENT_TOKEN")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}")


# Keys under which an answer holds a secret: storage credentials, v2's `secretKey`, stream
# keys and the RTMP URLs that carry them, anything under `credentials`.
SECRET_KEYS = frozenset({"credentials", "secret", "secretKey", "streamKey", "rtmpUrls", "token"})
# Maps whose keys are names people choose (roles, destinations): a key there is no field.
NAMED_MAPS = frozenset({"roles", "rtmpDestinations", "hlsDestinations", "transcriptions"})
STREAM_KEY_LENGTH = 8  # an RTMP URL's last part this long is taken as its stream key


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Every value that must never be shown: ${HMSYNC_*} values, the app secret, a token."""
    values = [v for k, v in environ.items() if k.startswith("HMSYNC_")]
    values += [environ.get(k, "") for k in SECRET_VARIABLES]
    return sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)


class Secrets:
    """The values to hide, growing as they become known (an environment's token variable,
    a credential read from the API), shared by every stream and file hmsync writes."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._sorted: list[str] = []
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH}
        with self._lock:
            if new - self._values:
                self._values |= new
                # Longest first: a secret that holds another is replaced whole.
                self._sorted = sorted(self._values, key=len, reverse=True)

    def __iter__(self) -> Iterator[str]:
        return iter(self._sorted)


# The run's secrets (cli.main sets them); what the client reads joins them (remember).
KNOWN = Secrets()


def remember(values: Iterable[str]) -> None:
    KNOWN.add(values)


def secrets_in(answer: Any, under_secret: bool = False) -> list[str]:
    """The secret-shaped strings of an API answer: every string under a SECRET_KEYS key, and
    an RTMP URL's last part (its stream key) too. A key of a map of names (a role called
    `token`, a destination called `secret`) is a name, not a secret's key. Every answer passes
    here: a plain loop over containers, no generator per value (a page of templates holds
    ~50,000 values)."""
    found: list[str] = []
    stack: list[tuple[Any, bool, bool]] = [(answer, under_secret, False)]
    while stack:
        value, under, names = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                secret = key in SECRET_KEYS and not names
                if isinstance(item, dict | list) or under or secret:
                    stack.append((item, under or secret, key in NAMED_MAPS))
        elif isinstance(value, list):
            stack.extend(
                (item, under, False) for item in value if under or isinstance(item, dict | list)
            )
        elif isinstance(value, str) and under:
            found.append(value)
            key = value.rstrip("/").rsplit("/", 1)[-1] if "://" in value else ""
            if len(key) >= STREAM_KEY_LENGTH:
                found.append(key)
    return found


def redact(text: str, values: Iterable[str] | None = None) -> str:
    for value in KNOWN if values is None else values:
        if value in text:
            text = text.replace(value, SENSITIVE)
    return _JWT.sub("(token)", text)


class RedactingStream:
    """A text stream that writes through `redact`; everything else is the stream's own."""

    def __init__(self, stream: TextIO, values: Iterable[str] | None = None) -> None:
        self._stream = stream
        self._values = values

    def write(self, text: str) -> int:
        self._stream.write(redact(text, self._values))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
