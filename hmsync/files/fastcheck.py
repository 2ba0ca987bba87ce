"""jsonschema's verdict on a template, without jsonschema: the schema compiled once into
nested checks, so a valid file (nearly every file) costs one walk and builds no errors.

Only the keywords in FAST_KEYWORDS are understood; a test keeps the schemas within them and
another holds the verdict equal to jsonschema's on generated templates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

FAST_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "items",
        "uniqueItems",
        "minLength",
        "maxLength",
        "maxItems",
        "multipleOf",
        "pattern",
        "minimum",
        "maximum",
        # annotations, no effect on validity:
        "$schema",
        "$id",
        "title",
        "description",
        "default",
    }
)
TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


def compiled(rule: dict[str, Any]) -> Check:
    """A function telling whether a value meets rule (and every rule below it)."""
    kind = TYPES[rule["type"]] if "type" in rule else None
    enum = rule.get("enum")
    props = {k: compiled(r) for k, r in rule.get("properties", {}).items()}
    extra = rule.get("additionalProperties", True)
    extra_check = compiled(extra) if isinstance(extra, dict) else None
    closed = extra is False
    names = compiled(rule["propertyNames"]) if "propertyNames" in rule else None
    required = tuple(rule.get("required", ()))
    items = compiled(rule["items"]) if "items" in rule else None
    max_items, unique = rule.get("maxItems"), bool(rule.get("uniqueItems"))
    min_length, max_length = rule.get("minLength", 0), rule.get("maxLength")
    pattern = re.compile(rule["pattern"]) if "pattern" in rule else None
    low, high, step = rule.get("minimum"), rule.get("maximum"), rule.get("multipleOf")

    def items_fit(value: dict[Any, Any]) -> bool:
        for key, item in value.items():
            if names is not None and not names(key):
                return False
            check = props.get(key)
            if check is not None:
                if not check(item):
                    return False
            elif closed or (extra_check is not None and not extra_check(item)):
                return False
        return True

    def fits(value: Any) -> bool:
        if kind is not None and not kind(value):
            return False
        if enum is not None and not any(_equal(value, e) for e in enum):
            return False
        if isinstance(value, dict):
            if any(k not in value for k in required) or not items_fit(value):
                return False
        elif isinstance(value, list):
            if items is not None and not all(items(v) for v in value):
                return False
            if max_items is not None and len(value) > max_items:
                return False
            if unique and not _unique(value):
                return False
        elif isinstance(value, str):
            if len(value) < min_length or (max_length is not None and len(value) > max_length):
                return False
            if pattern is not None and not pattern.search(value):
                return False
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if (low is not None and value < low) or (high is not None and value > high):
                return False
            if step is not None and value % step:
                return False
        return True

    # The common shapes get a check of their own, with no test for what they cannot hold
    # (a property holds every one to jsonschema's verdict).
    kind_name, plain = rule.get("type"), enum is None
    if kind_name == "object" and plain and names is None and not required:
        return lambda value: isinstance(value, dict) and items_fit(value)
    if kind_name == "boolean" and plain:
        return TYPES["boolean"]
    if kind_name == "integer" and plain and step is None:

        def fits_integer(value: Any) -> bool:
            if type(value) is not int:  # bool is not; a whole float is rare: the long way
                return fits(value)
            return (low is None or value >= low) and (high is None or value <= high)

        return fits_integer
    only_enum = not ({"pattern", "minLength", "maxLength"} & rule.keys())
    if kind_name == "string" and enum is not None and only_enum:
        choices = frozenset(e for e in enum if type(e) is str)  # true is not "true"
        return lambda value: type(value) is str and value in choices

    return fits


def _equal(a: Any, b: Any) -> bool:
    """As jsonschema compares for enum: true is not 1, and 1.0 is 1."""
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and bool not in (type(a), type(b)):
        return a == b
    return type(a) is type(b) and a == b


def _unique(value: list[Any]) -> bool:
    if all(type(v) is str for v in value):  # the usual list (roles, tracks): no encoding
        return len(set(value)) == len(value)
    return len({identity(v) for v in value}) == len(value)


def identity(value: Any) -> str:
    # As jsonschema's uniqueItems: 1 and true differ, 1 and 1.0 do not.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, sort_keys=True, default=repr)
