"""The tests' own reading of a plan: a template as it was with the plan's changes applied.

Independent of hmsync's `patched`, so that the invariant tests (test_invariant.py for v1,
test_invariant_v2.py for v2) check apply against a second reading of the same plan.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hmsync.model import ABSENT, Change, Plan


def _parts(path: str) -> list[str | int]:
    return [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]


def _set(obj: Any, path: list[str | int], value: Any) -> None:
    for part in path[:-1]:
        if isinstance(part, str) and not isinstance(obj.get(part), dict | list):
            obj[part] = {}
        obj = obj[part]
    last = path[-1]
    if value is ABSENT:
        obj.pop(last, None)
    elif isinstance(value, dict) and isinstance(last, str) and isinstance(obj.get(last), dict):
        for key, item in value.items():
            _set(obj[last], [key], item)
    else:
        obj[last] = copy.deepcopy(value)


def applied(obj: Any, changes: tuple[Change, ...], prefix: str = "") -> Any:
    """obj with the changes under prefix applied; concealed ones (a hash or a value from a
    variable, never in the plan in clear) left out."""
    out = copy.deepcopy(obj)
    for change in changes:
        if change.path.startswith(prefix) and not _concealed(change):
            _set(out, _parts(change.path[len(prefix) :]), change.new)
    return out


def expected_after(before: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """The template `before` as the plan's actions leave it (created roles aside)."""
    expected = copy.deepcopy(before)
    roles = expected.setdefault("roles", {})
    for action in plan.actions:
        if action.kind == "update_role":
            roles[action.role] = applied(roles[action.role], action.changes)
        elif action.kind == "rename_role":
            roles[action.role] = applied(roles.pop(action.old_name), action.changes)
        elif action.kind == "delete_role":
            roles.pop(action.role)
        elif action.kind == "update_settings":
            expected["settings"] = applied(expected.get("settings") or {}, action.changes)
        elif action.kind == "set_default":
            expected["default"] = action.changes[0].new
        elif action.kind == "update_destinations":
            expected["destinations"] = applied(expected.get("destinations") or {}, action.changes)
        elif action.kind == "update_recordings":
            wrapped = {"recordings": expected.get("recordings") or []}
            expected["recordings"] = applied(wrapped, action.changes)["recordings"]
        elif action.kind == "update_plugins":
            plugins = expected.get("plugins") or {}
            expected["plugins"] = applied(plugins, action.changes, "plugins.")
    return expected


def _concealed(change: Change) -> bool:
    text = json.dumps(change.new, default=str)
    return change.sensitive and ("(sensitive value)" in text or "hmac-sha256:" in text)
