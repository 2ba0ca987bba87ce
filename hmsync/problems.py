"""Located problems: what validation reports, one line each."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "note"]
# A path into a document: mapping keys and list indices, outermost first.
Path = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Problem:
    location: Location
    path: str
    message: str
    severity: Severity = "error"
    code: str = ""  # "range": a value of the right type outside a documented range or enum

    def __str__(self) -> str:
        where = f"{self.location}: "
        what = f"{self.path}: {self.message}" if self.path else self.message
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}{prefix}{what}"


_PLAIN_KEY = re.compile(r"^[^.\[\]\"]+$")
_PART = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def dotted(path: Path) -> str:
    """`roles.host.publishParams.allowed[1]`, the way users write paths in messages; a key
    holding `.`, `[`, `]` or `"` is quoted (`rtmpDestinations["live.eu"].width`), so that
    `split_path` reads the path back exactly."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.match(part):
            out += f"[{json.dumps(part)}]"
        else:
            out += f".{part}" if out else part
    return out


def split_path(text: str) -> tuple[str | int, ...]:
    """The parts of a path `dotted` wrote."""
    parts: list[str | int] = []
    for match in _PART.finditer(text):
        plain, index, quoted = match.groups()
        if plain is not None:
            parts.append(plain)
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append(json.loads(quoted))
    return tuple(parts)


def shorten(text: str, limit: int = 80) -> str:
    """A value as a message may quote it: one line, at most `limit` characters."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant: a close spelling, or one the value starts with
    (`india` -> `in`), or None."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return lowered[close[0]]
    prefixed = [c for c in choices if len(c) > 1 and value.lower().startswith(c.lower())]
    return max(prefixed, key=len) if prefixed else None


def meant(value: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` to end a message with, or nothing."""
    close = did_you_mean(value, choices)
    return f"; did you mean {close!r}?" if close else ""


def unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key; expected one of: {', '.join(known)}"
