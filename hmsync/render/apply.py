"""What apply did: text and JSON reports. Pure."""

from __future__ import annotations

import json
from typing import Any

from ..model import Outcome
from ..plan.planfile import action_to_dict
from .escape import lines_safe
from .plan import action_title, change_line


def _named(o: Outcome) -> str:
    """A template's name as it is; another kind's object with its kind: `room all-hands`."""
    return o.template if o.kind == "template" else f"{o.kind} {o.template}"


def apply_text(outcomes: list[Outcome]) -> str:
    """What apply did: every template's (and room's) done, failed and not attempted actions."""
    lines: list[str] = []
    for o in sorted(outcomes, key=lambda o: (o.kind != "template", o.kind, o.template)):
        name = _named(o)
        notes = [f"          note: {n}" for n in o.notes]
        if o.failed is None and not o.not_converged and not o.unverified and not o.meanwhile:
            lines.append(f"ok      {name}: {len(o.done)} action(s) done")
            lines += [f"          done: {action_title(a)}" for a in o.done]
            lines += notes
            continue
        if o.unverified:
            lines.append(
                f"UNCHECKED {name}: {len(o.done)} action(s) done, but the read-back "
                f"failed, so they are not verified: {o.unverified}"
            )
            lines += [f"          done: {action_title(a)}" for a in o.done]
        if o.failed is not None and o.error is not None:
            lines.append(
                f"FAILED  {name}: {len(o.done)} done, then {action_title(o.failed)} failed:"
            )
            lines += [f"          done: {action_title(a)}" for a in o.done]
            lines += [f"          {line}" for line in o.error.lines()]
            for action in o.not_attempted:
                lines.append(f"          not attempted: {action_title(action)}")
        lines += notes
        if o.not_converged:
            lines.append(f"DIFFERS {name}: written, but the API reads back differently:")
            for action in o.not_converged:
                lines.append(f"          {action_title(action)}")
                lines += [f"              {change_line(c)}" for c in action.changes]
        if o.meanwhile:
            lines.append(
                f"MOVED   {name}: someone else changed it while apply wrote; kept as they "
                "left it (check it is wanted, or plan again):"
            )
            lines += [f"          {line}" for line in o.meanwhile]
    counts = apply_counts(outcomes)
    lines.append(
        f"Apply: {counts['done']} action(s) done, {counts['failed']} failed, "
        f"{counts['not_attempted']} not attempted, {counts['not_converged']} not converged."
        + (f" {counts['unverified']} not verified." if counts["unverified"] else "")
        + (
            f" {counts['changed_meanwhile']} field(s) changed by someone else meanwhile."
            if counts["changed_meanwhile"]
            else ""
        )
    )
    return lines_safe(lines)


def apply_counts(outcomes: list[Outcome]) -> dict[str, int]:
    return {
        "done": sum(len(o.done) for o in outcomes),
        "failed": sum(o.failed is not None for o in outcomes),
        "not_attempted": sum(len(o.not_attempted) for o in outcomes),
        "not_converged": sum(len(o.not_converged) for o in outcomes),
        "unverified": sum(len(o.done) for o in outcomes if o.unverified),
        "changed_meanwhile": sum(len(o.meanwhile) for o in outcomes),
    }


def apply_json(outcomes: list[Outcome]) -> str:
    counts = apply_counts(outcomes)
    complete = not (
        counts["failed"]
        or counts["not_converged"]
        or counts["unverified"]
        or counts["changed_meanwhile"]
    )
    result = "applied" if complete else "incomplete"
    body = {
        "format_version": 1,
        "result": result,
        "summary": counts,
        "templates": [
            _outcome(o) for o in sorted(outcomes, key=lambda o: o.template) if o.kind == "template"
        ],
        # Each other kind's outcomes under its plural (rooms), where there are any.
        **{
            f"{kind}s": [
                _outcome(o) for o in sorted(outcomes, key=lambda o: o.template) if o.kind == kind
            ]
            for kind in sorted({o.kind for o in outcomes} - {"template"})
        },
    }
    return json.dumps(body, indent=2) + "\n"


def _outcome(o: Outcome) -> dict[str, Any]:
    return {
        "name": o.template,
        "done": [action_to_dict(a) for a in o.done],
        "failed": None
        if o.failed is None
        else {
            "action": action_to_dict(o.failed),
            "error": None
            if o.error is None
            else {
                "method": o.error.method,
                "url": o.error.url,
                "status": o.error.status,
                "message": o.error.message,
                "details": list(o.error.details),
            },
        },
        "not_attempted": [action_to_dict(a) for a in o.not_attempted],
        "not_converged": [action_to_dict(a) for a in o.not_converged],
        "changed_meanwhile": list(o.meanwhile),
        "unverified": o.unverified or None,
        "notes": list(o.notes),
    }
