"""The last line of defense for secrets: whatever hmsync prints passes through here.

The plan conceals secrets structurally (see diff); this catches what comes from elsewhere: an
API error body that echoes the request or the Authorization header, a library's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

SENSITIVE = "(sensitive value)"
# Values shorter than this are too common to replace everywhere (`us`, `in`).
MIN_LENGTH = 4
SECRET_VARIABLES = ("HMS_SECRET", "HMS_MANAGEMENT_TOKEN")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}")


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Every value that must never be shown: ${HMSYNC_*} values, the app secret, a token."""
    values = [v for k, v in environ.items() if k.startswith("HMSYNC_")]
    values += [environ.get(k, "") for k in SECRET_VARIABLES]
    return sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)


def redact(text: str, values: Iterable[str]) -> str:
    for value in values:
        if value in text:
            text = text.replace(value, SENSITIVE)
    return _JWT.sub("(token)", text)


class RedactingStream:
    """A text stream that writes through `redact`; everything else is the stream's own."""

    def __init__(self, stream: TextIO, values: list[str]) -> None:
        self._stream = stream
        self._values = values

    def write(self, text: str) -> int:
        self._stream.write(redact(text, self._values))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
