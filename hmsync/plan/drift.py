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


def differences(plan: Plan) -> list[Difference]:
    """One entry per field (or missing/extra role or template) where live differs from the files."""
    out: list[Difference] = []
    for template in plan.changed:
        for action in template.actions:
            out += _from_action(action, template.defaulted)
    return out


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
