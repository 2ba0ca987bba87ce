"""Changed here, or changed outside: `plan --base-ref REF` tells the changes a pull request
makes from the ones it sets back, made in the dashboard. Pure: plans in, a tagged plan out.

A change of the plan whose exact twin (same template, action, role, field and new value) is
in the plan of the files as they are at REF, against the same live templates, is one the
files already asked for before this change: live moved away from them, and applying sets it
back. Every other change is this change's own."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ..model import Action, Plan, TemplatePlan

Key = tuple[str, str, str, str]  # template, action kind, role ('' for none), field path ('')


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _keys(plan: Plan) -> set[tuple[Key, str]]:
    out: set[tuple[Key, str]] = set()
    for action in plan.actions:
        if not action.changes:
            out.add(((action.template, action.kind, action.role or "", ""), ""))
        for change in action.changes:
            key = (action.template, action.kind, action.role or "", change.path)
            out.add((key, _value(change.new)))
    return out


def tag(plan: Plan, base: Plan, ref: str) -> Plan:
    """The plan, with the keys of the changes it shares with the base's plan marked outside."""
    twins = _keys(base)
    outside = sorted(key for key, new in _keys(plan) if (key, new) in twins)
    return replace(plan, outside=tuple(outside), base_ref=ref)


def apart(plan: Plan) -> tuple[list[Action], Plan]:
    """The actions (of only their outside changes) that set back outside changes, and the plan
    as this change makes it (the rest). Without a base, nothing is outside."""
    if not plan.outside:
        return [], plan
    keys = set(plan.outside)
    outside: list[Action] = []
    templates: list[TemplatePlan] = []
    for t in plan.templates:
        here: list[Action] = []
        for action in t.actions:
            kind = (action.template, action.kind, action.role or "")
            if not action.changes:
                (outside if (*kind, "") in keys else here).append(action)
                continue
            out = tuple(c for c in action.changes if (*kind, c.path) in keys)
            rest = tuple(c for c in action.changes if (*kind, c.path) not in keys)
            if out:
                outside.append(replace(action, changes=out))
            if rest:
                here.append(replace(action, changes=rest))
        templates.append(replace(t, actions=tuple(here)))
    return outside, replace(plan, templates=tuple(templates))


def to_json(plan: Plan) -> dict[str, Any]:
    """For the JSON plan: the base, and the changes that set back outside changes."""
    if plan.base_ref is None:
        return {}
    return {
        "base_ref": plan.base_ref,
        "reverts_outside": [
            {"template": t, "kind": k, "role": r or None, "path": p or None}
            for t, k, r, p in plan.outside
        ],
    }
