"""Drift: a plan read as a report of how live differs from the files. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..model import ABSENT, Action, Plan
from .normalize import masked

MISSING = "(missing)"


@dataclass(frozen=True)
class Difference:
    template: str
    role: str | None
    field: str | None
    live: Any  # already masked where sensitive: a report never holds a secret's hash
    file: Any
    kind: str = "template"  # or another kind's name: `template` is then that object's name


def differences(plan: Plan) -> list[Difference]:
    """One entry per field (or missing/extra role or template) where live differs from the files."""
    out: list[Difference] = []
    for template in plan.changed:
        for action in template.actions:
            out += _from_action(action, template.defaulted)
    for entry in plan.others:
        for action in entry.actions:
            out += _other(action, entry.kind)
    return out


def _other(action: Action, kind: str) -> list[Difference]:
    """Another kind's action (a room's) as differences: a missing object, or field by field."""
    name = action.template
    if action.kind.startswith("create_"):
        return [Difference(name, None, None, MISSING, "(defined)", kind)]
    return [
        Difference(
            name,
            action.role,
            change.path,
            _shown(change.old, change.sensitive),
            _shown(change.new, change.sensitive),
            kind,
        )
        for change in action.changes
    ]


def _from_action(action: Action, defaulted: frozenset[tuple[str, str]]) -> list[Difference]:
    t, role = action.template, action.role
    if action.kind == "create_template":
        return [Difference(t, None, None, MISSING, "(defined)")]
    if action.kind == "rename_template":
        return [Difference(t, None, "name", action.old_name, t)]
    if action.kind == "create_role":
        return [Difference(t, role, None, MISSING, "(defined)")]
    if action.kind == "delete_role":
        return [Difference(t, role, None, "(exists)", MISSING)]
    out = []
    if action.kind == "rename_role":
        out.append(Difference(t, role, "name", action.old_name, role))
    prefix = {"update_settings": "settings.", "update_destinations": "destinations."}.get(
        action.kind, ""
    )
    for change in action.changes:
        file = _shown(change.new, change.sensitive)
        if (role or "", change.path) in defaulted:
            file = f"(not set in the file; the default is {json.dumps(file)})"
        out.append(
            Difference(t, role, prefix + change.path, _shown(change.old, change.sensitive), file)
        )
    return out


def _shown(value: Any, sensitive: bool) -> Any:
    return MISSING if value is ABSENT else masked(value, sensitive)
