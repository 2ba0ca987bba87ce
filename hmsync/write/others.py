"""Carrying out the entries of the other kinds (rooms), after the templates: each kind writes
its own (kind.run), then what was written is read back and planned again, as for templates:
whatever still differs did not converge, and a field someone else changed meanwhile is said."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import kinds
from ..errors import ApiError
from ..model import Action, Others, Outcome, Plan
from ..paths import Json


def run_others(
    client: Any,
    plan: Plan,
    others: Others,
    progress: Callable[[Action, str, float], None] | None = None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for kind in kinds.kinds():
        entries = [e for e in plan.of_kind(kind.name) if e.actions]
        if not entries:
            continue
        documents = others.documents.get(kind.name) or []
        live = others.live.get(kind.name) or {}
        outcomes += kind.run(
            client, entries, documents, live, progress, salt=plan.secret_salt, hidden=plan.hidden
        )
    return outcomes


def check_others(
    client: Any, outcomes: list[Outcome], plan: Plan, others: Others, templates: list[Json]
) -> None:
    """Read back what was written; plan it again: what differs did not converge."""
    for kind in kinds.kinds():
        finished = {o.template: o for o in outcomes if o.kind == kind.name and not o.failed}
        if not finished:
            continue
        documents = [d for d in others.documents.get(kind.name) or [] if d.data["name"] in finished]
        try:
            fresh_templates = (
                client.list_templates()
                if any(o.done and o.done[0].kind.startswith("create") for o in finished.values())
                else templates
            )
            after = kind.read(client, documents, fresh_templates)
            again = kind.plan(
                documents, after, fresh_templates, [], hidden=plan.hidden, salt=plan.secret_salt
            )
        except ApiError as exc:
            for outcome in finished.values():
                outcome.unverified = exc.message
            continue
        planned = {e.name: e for e in plan.of_kind(kind.name)}
        for entry in again:
            finished[entry.name].not_converged = list(entry.actions)
            before = (others.live.get(kind.name) or {}).get(entry.name)
            moved = kind.meanwhile(before, after.get(entry.name), planned[entry.name])
            finished[entry.name].meanwhile = moved


def other_fingerprints(others: Others, key: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind in kinds.kinds():
        out.update(kind.fingerprints(others.live.get(kind.name) or {}, key))
    return out
