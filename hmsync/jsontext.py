"""JSON from outside (an answer, a saved plan, a cache line), read with its depth bounded.

`json.loads` recurses once per level: 100,000 nested `[` end in RecursionError, and a value a
few hundred levels deep would still break the recursive code that walks it later. Nothing
hmsync reads nests past a dozen levels, so the text is scanned first (a loop, no recursion)
and refused, with the place, past MAX_DEPTH.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # a template answer nests about 8 deep; far deeper is a mistake or an attack
# A string (skipped whole, escapes included) or a bracket: the only characters depth hangs on.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class TooDeep(ValueError):
    """JSON nested past MAX_DEPTH at `position` (an offset), said as json says a place."""

    def __init__(self, text: str, position: int) -> None:
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        super().__init__(f"nested deeper than {MAX_DEPTH} levels at line {line} column {column}")
        self.position = position


def too_deep_at(text: str) -> int | None:
    """Where the text first nests past MAX_DEPTH, or None."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # the common case costs two counts
        return None
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) <= MAX_DEPTH:
        return None
    depth = 0  # rare: walk again, for the place
    for match in _TOKENS.finditer(text):
        depth += _STEP.get(match.group(), 0)
        if depth > MAX_DEPTH:
            return match.start()
    return None  # pragma: no cover (the two walks count the same brackets)


def loads(text: str | bytes) -> Any:
    """json.loads, refusing (TooDeep, a ValueError) what nests past MAX_DEPTH."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError too
    where = too_deep_at(text)
    if where is not None:
        raise TooDeep(text, where)
    return json.loads(text)
