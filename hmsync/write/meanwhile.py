"""What someone else changed while apply ran: the template as the plan read it against the read
after apply's last write, outside everything the plan changed. Pure.

apply carries such changes over (every write is built on the fresh read); this says them, so
a change made by the dashboard in the same minutes is never silently kept as if hmsync had
made it. A field the plan changes is the convergence check's, not this one's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..model import ABSENT, Action
from ..paths import _obj
from ..plan.normalize import Json
from ..redact import SECRET_KEYS

COMPARED = ("name", "roles", "settings", "destinations", "plugins", "recordings")
_SECRET_WORDS = tuple(key.lower() for key in SECRET_KEYS)  # anywhere in a path: shown masked
ROLE_KINDS = ("create_role", "update_role", "rename_role", "delete_role")
PART_KINDS = {
    "update_destinations": "destinations",
    "update_recordings": "recordings",
    "update_plugins": "plugins",
}


def moved_meanwhile(before: Json, after: Json, actions: Iterable[Action]) -> list[str]:
    """Field by field, what differs between the two reads and the plan did not change."""
    actions = list(actions)
    planned: set[str] = set()  # dotted paths the plan wrote, with everything below them
    handled_roles: set[str] = set()  # roles the plan created or deleted: the plan's
    renames = {}
    for action in actions:
        if action.kind in ("create_role", "delete_role"):
            handled_roles.add(str(action.role))
        if action.kind == "rename_role":
            renames[str(action.old_name)] = str(action.role)
        if action.kind in ROLE_KINDS:
            planned |= {f"roles.{action.role}.{c.path}" for c in action.changes}
        elif action.kind == "update_settings":
            planned |= {f"settings.{c.path}" for c in action.changes}
        elif action.kind in PART_KINDS:
            planned.add(PART_KINDS[action.kind])
        else:  # set_default and the template itself: its fields as named
            planned |= {c.path for c in action.changes}
    out: list[str] = []
    roles_before = _obj(before.get("roles"))
    roles_before = {renames.get(name, name): role for name, role in roles_before.items()}
    roles_after = _obj(after.get("roles"))
    for name in sorted(roles_before.keys() | roles_after.keys()):
        if name in handled_roles:
            continue
        if name not in roles_after:
            out.append(f"roles.{name}: deleted by someone else meanwhile")
        elif name not in roles_before:
            out.append(f"roles.{name}: created by someone else meanwhile")
        else:  # a role's own `name` is its key, which a rename changes
            planned_here = planned | {f"roles.{name}.name"}
            out += _differences(
                f"roles.{name}", roles_before[name], roles_after[name], planned_here
            )
    for key in COMPARED:
        if key != "roles" and key in before and key in after:
            out += _differences(key, before[key], after[key], planned)
    return out


def _differences(path: str, old: Any, new: Any, planned: set[str]) -> Iterator[str]:
    if any(path == p or path.startswith((p + ".", p + "[")) for p in planned) or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            yield from _differences(
                f"{path}.{key}", old.get(key, ABSENT), new.get(key, ABSENT), planned
            )
        return
    if any(p.startswith((path + ".", path + "[")) for p in planned):
        return  # a list or value the plan wrote inside: the convergence check's
    yield f"{path}: {_shown(path, old)} -> {_shown(path, new)}, changed by someone else meanwhile"


def _shown(path: str, value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    if any(word in path.lower() for word in _SECRET_WORDS):
        return "(sensitive value)"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
