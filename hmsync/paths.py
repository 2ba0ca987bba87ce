"""Where a change goes: paths into nested objects (and lists, by index), and the one rule of
every write, `patched`: the object as read with exactly the plan's changes applied. Pure."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from .model import ABSENT, Change
from .problems import split_path

Json = dict[str, Any]
FieldPath = tuple[str | int, ...]


def _obj(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def get_path(obj: Any, path: FieldPath) -> Any:
    """The value at path in nested mappings (and lists, by index), or ABSENT."""
    node: Any = obj
    for part in path:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            continue
        if not (isinstance(node, dict) and isinstance(part, str) and part in node):
            return ABSENT
        node = node[part]
    return node


def _set_path(obj: Any, path: FieldPath, value: Any) -> None:
    node = obj
    for i, part in enumerate(path[:-1]):
        if isinstance(part, int):
            node = node[part]  # a change into a list item: the item is there (equal lengths)
            continue
        if not isinstance(node.get(part), dict | list):
            node[part] = [] if isinstance(path[i + 1], int) else {}
        node = node[part]
    last = path[-1]
    current = node[last] if isinstance(last, int) else node.get(last)
    if isinstance(value, dict) and isinstance(current, dict):
        # Set the object's fields one by one: fields it has and the view omits stay.
        for key, item in value.items():
            _set_path(current, (key,), item)
    elif isinstance(value, list) and isinstance(current, list) and len(value) == len(current):
        for index, item in enumerate(value):  # the same, item by item
            _set_path(current, (index,), item)
    else:
        node[last] = copy.deepcopy(value)


def remove_path(obj: Json, path: FieldPath) -> None:
    """Remove the field at path, if it is there."""
    parent = get_path(obj, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def patched(live: Any, changes: Iterable[Change], prefix: str = "") -> Json:
    """The live object exactly as read, with the plan's changes applied and nothing else.

    prefix: only changes under it apply (`settings.` for a set_default's settings)."""
    out: Json = copy.deepcopy(_obj(live))
    for change in changes:
        if not change.path.startswith(prefix):
            continue
        path = split_path(change.path[len(prefix) :])
        if change.new is ABSENT:
            remove_path(out, path)
        else:
            _set_path(out, path, change.new)
    return out
