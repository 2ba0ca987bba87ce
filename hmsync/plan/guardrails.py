"""The guardrails a change is judged by: hmsync.yaml's rules, protect and ignore. Pure.

A pull request must not judge itself: with --base-ref they come from the base (what was
already reviewed), and what the pull request changes about them is said first, taking effect
from the next pull request (as Atlantis keeps its repo config server-side and Terraform Cloud
its policy sets outside the change they judge). And protect on a plan (`refusals`): the
change rules a plan is refused by before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Plan
from .rules import Protect, Rule, selected


@dataclass(frozen=True)
class Guardrails:
    rules: tuple[Rule, ...] = ()
    protect: Protect | None = None
    ignore: tuple[str, ...] = ()
    # As the project file wrote them (rules, protect, ignore): what a saved plan records.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def digest(self) -> str:
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def both(recorded: Guardrails, current: Guardrails) -> Guardrails:
    """What a saved plan is applied under: the guardrails it was checked with (recorded), and
    the project file's now, whichever is stricter: every rule of either, every protected role
    of either, the lower percentage. The fields compared are the recorded ones: the plan was
    made with them."""
    rules = (*recorded.rules, *(r for r in current.rules if r not in recorded.rules))
    a, b = recorded.protect or Protect(), current.protect or Protect()
    limits = [x for x in (a.max_changed_percent, b.max_changed_percent) if x is not None]
    protect = Protect(
        tuple(dict.fromkeys((*a.roles, *b.roles))),
        min(limits, default=None),
        tuple(dict.fromkeys((*a.rooms, *b.rooms))),
    )
    return Guardrails(rules, protect, recorded.ignore, recorded.raw)


def changes(base: Guardrails, head: Guardrails) -> list[str]:
    """What head changes about base, one line each, the loosening ones said as such."""
    out: list[str] = []
    was = {r.id: r for r in base.rules}
    now = {r.id: r for r in head.rules}
    for rule_id in sorted(was.keys() - now.keys()):
        out.append(f"rule {rule_id} removed (loosened)")
    for rule_id in sorted(now.keys() - was.keys()):
        out.append(f"rule {rule_id} added")
    for rule_id in sorted(was.keys() & now.keys()):
        old, new = was[rule_id], now[rule_id]
        if old != new:
            looser = old.severity == "error" and new.severity != "error"
            out.append(f"rule {rule_id} changed" + (" (loosened: no longer an error)" if looser
                                                    else ""))  # fmt: skip
    old_p, new_p = base.protect or Protect(), head.protect or Protect()
    for role in sorted(set(old_p.roles) - set(new_p.roles)):
        out.append(f"protect.roles: {role} no longer protected (loosened)")
    for role in sorted(set(new_p.roles) - set(old_p.roles)):
        out.append(f"protect.roles: {role} now protected")
    for room in sorted(set(old_p.rooms) - set(new_p.rooms)):
        out.append(f"protect.rooms: {room} no longer protected (loosened)")
    for room in sorted(set(new_p.rooms) - set(old_p.rooms)):
        out.append(f"protect.rooms: {room} now protected")
    a, b = old_p.max_changed_percent, new_p.max_changed_percent
    if a != b:
        looser = a is not None and (b is None or b > a)
        out.append(
            f"protect.max_changed_percent: {_shown(a)} -> {_shown(b)}"
            + (" (loosened)" if looser else "")
        )
    for path in sorted(set(head.ignore) - set(base.ignore)):
        out.append(f"ignore: {path} added (loosened: no longer compared)")
    for path in sorted(set(base.ignore) - set(head.ignore)):
        out.append(f"ignore: {path} removed")
    return out


def _shown(value: float | None) -> str:
    if value is None:
        return "(none)"
    return f"{value:g}"


# -- protect, on a plan (change rules) ---------------------------------------------------


def refusals(plan: Plan, protect: Protect | None, force: bool) -> list[str]:
    """Why hmsync.yaml's protect refuses this plan, if it does."""
    if protect is None:
        return []
    out = []
    for action in plan.actions:
        if action.kind in ("delete_role", "rename_role"):
            role = str(action.old_name if action.kind == "rename_role" else action.role)
            if protect.roles and selected(protect.roles, role):
                verb = "deletes" if action.kind == "delete_role" else f"renames (to {action.role})"
                out.append(
                    f"the plan {verb} role {action.template}/{role}, which hmsync.yaml protects "
                    "(protect.roles)"
                )
    for entry in plan.others:
        folded = tuple(p.casefold() for p in protect.rooms)  # room names ignore case
        if (
            entry.kind == "room"
            and entry.actions
            and folded
            and selected(folded, entry.name.casefold())
        ):
            out.append(
                f"the plan changes room {entry.name} ({', '.join(a.kind for a in entry.actions)}),"
                " which hmsync.yaml protects (protect.rooms)"
            )
    limit = protect.max_changed_percent
    if limit is not None and not force:
        # Every managed role of the environment, whatever --only selects: the share is of the
        # whole, as the same change planned without --only measures it.
        managed = plan.managed_roles or sum(
            len(t.live_roles or {}) for t in plan.templates if t.template_id
        )
        changed = sum(
            1 for a in plan.actions if a.kind in ("update_role", "rename_role", "delete_role")
        )
        if managed and changed * 100 > limit * managed:
            out.append(
                f"the plan changes {changed} of {managed} managed roles "
                f"({changed * 100 / managed:.0f}%), over protect.max_changed_percent {limit:g}%; "
                "review it, then pass --force"
            )
    return out
