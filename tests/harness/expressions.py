"""GitHub Actions expressions (`${{ ... }}` and `if:`), as far as hmsync's workflows and action
use them: literals, contexts with dotted and dashed names, ! && || == != < >, and the
functions always, success, failure, cancelled, format, contains, startsWith, endsWith, toJSON.
Comparison of strings ignores case, and && / || give an operand, as GitHub's do."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!<>().,\[\]*])"
    r"|(?P<name>[A-Za-z_][\w-]*))"
)
STATUS = ("success(", "failure(", "always(", "cancelled(")


def tokens(text: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        m = TOKEN.match(text, i)
        if not m or m.end() == i:
            raise ValueError(f"cannot read expression at {text[i:]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        i = m.end()
    return out


def text(value: Any) -> str:
    """A value as GitHub puts it into a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", 0.0)


def _number(value: Any) -> float:
    """GitHub's loose conversion: null 0, booleans 1 and 0, '' 0, other text parsed or NaN."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return float("nan")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) and not isinstance(a, (int, float)):
        return bool(a == b)
    return _number(a) == _number(b)


class Parser:
    def __init__(self, text: str, contexts: Mapping[str, Any], status: Mapping[str, bool]):
        self.tokens = tokens(text)
        self.i = 0
        self.contexts = contexts
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ValueError(f"expected {value!r}, got {token!r}")
        self.i += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        token = self.peek()
        if token and token[1] in ("==", "!=", "<", ">", "<=", ">="):
            self.take()
            right = self.unary()
            ops: dict[str, Callable[[Any, Any], bool]] = {
                "==": _equal,
                "!=": lambda a, b: not _equal(a, b),
                "<": lambda a, b: float(a) < float(b),
                ">": lambda a, b: float(a) > float(b),
                "<=": lambda a, b: float(a) <= float(b),
                ">=": lambda a, b: float(a) >= float(b),
            }
            return ops[token[1]](value, right)
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value) if "." in value else int(value)
        if value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if kind != "name":
            raise ValueError(f"unexpected {value!r}")
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self.peek() == ("op", "("):
            return self.call(value)
        node: Any = self.contexts.get(value)
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            node = node.get(str(key)) if isinstance(node, dict) else None
        return node

    def call(self, name: str) -> Any:
        self.take("(")
        args = []
        while self.peek() != ("op", ")"):
            args.append(self.or_())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        lowered = name.lower()
        if lowered in ("success", "failure", "always", "cancelled"):
            return self.status[lowered]
        if lowered == "format":
            return re.sub(r"\{(\d+)\}", lambda m: text(args[1 + int(m.group(1))]), args[0])
        if lowered == "contains":
            hay, needle = args
            if isinstance(hay, list):
                return any(_equal(x, needle) for x in hay)
            return text(needle).lower() in text(hay).lower()
        if lowered == "startswith":
            return text(args[0]).lower().startswith(text(args[1]).lower())
        if lowered == "endswith":
            return text(args[0]).lower().endswith(text(args[1]).lower())
        if lowered == "tojson":
            return json.dumps(args[0])
        raise ValueError(f"function {name} is not in the harness")


def evaluate(expr: str, contexts: Mapping[str, Any], status: Mapping[str, bool]) -> Any:
    expr = expr.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    return Parser(expr, contexts, status).parse()


def condition(expr: Any, contexts: Mapping[str, Any], status: Mapping[str, bool]) -> bool:
    """An `if:`: without a status function, GitHub puts success() && in front."""
    if expr is None or expr == "":
        return status["success"]
    if isinstance(expr, bool):
        return expr and status["success"]
    source = str(expr)
    result = truthy(evaluate(source, contexts, status))
    if not any(f in source.replace(" ", "").lower() for f in STATUS):
        return status["success"] and result
    return result


def interpolate(value: Any, contexts: Mapping[str, Any], status: Mapping[str, bool]) -> Any:
    """Every ${{ }} in a string (or in the strings of a mapping) replaced by its value."""
    if isinstance(value, dict):
        return {k: interpolate(v, contexts, status) for k, v in value.items()}
    if not isinstance(value, str):
        return text(value)
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: text(evaluate(m.group(1), contexts, status)), value)
