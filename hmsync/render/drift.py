"""Drift: how live differs from the files, as text, JSON and Markdown (an issue). Pure."""

from __future__ import annotations

import json
from typing import Any

from ..model import Plan
from ..plan.drift import Difference, differences
from .escape import MARKDOWN_LIMIT, capped, counted, lines_safe, md, md_list, names_text
from .markdown import template_pictures
from .plan import managed

IN_SYNC = "In sync: live templates match the files."


def _value(value: Any) -> str:
    """JSON, except the (parenthesized) placeholders, which read better bare."""
    if isinstance(value, str) and value.startswith("(") and value.endswith(")"):
        return value
    return json.dumps(value, separators=(", ", ": "))


def _where(d: Difference) -> str:
    parts = [f"role {d.role}" if d.role else "", d.field or ""]
    return ": ".join(p for p in parts if p) or "template"


def drift_text(plan: Plan) -> str:
    found = differences(plan)
    lines: list[str] = []
    if found:
        lines.append("Drift: live templates differ from the files.")
        current = None
        for d in found:
            if (d.kind, d.template) != current:
                current = (d.kind, d.template)
                entries = plan.templates if d.kind == "template" else plan.others
                file = next(t.file for t in entries if t.name == d.template and t.kind == d.kind)
                shown = d.template if d.kind == "template" else f"{d.kind} {d.template}"
                lines += ["", f"{shown} ({file})"]
            live, file = _value(d.live), _value(d.file)
            lines.append(f"  {_where(d)}: live {live}, file {file}")
        lines.append("")
    if plan.unmanaged:
        shown = names_text(plan.unmanaged, managed(plan))
        lines.append(f"Unmanaged (live, in no file; left alone): {shown}")
    if found:
        lines.append(f"Drift: {_drifted(found)}, {counted(len(found), 'difference')}.")
    else:
        lines.append(IN_SYNC)
    return lines_safe(lines)


def _drifted(found: list[Difference]) -> str:
    """`2 templates drifted`, `1 template and 1 room drifted`."""
    kinds = sorted({d.kind for d in found}, key=lambda k: (k != "template", k))
    parts = [counted(len({d.template for d in found if d.kind == k}), k) for k in kinds]
    return " and ".join(parts) + " drifted"


def drift_json(plan: Plan) -> str:
    found = differences(plan)
    body = {
        "format_version": 1,
        "in_sync": not found,
        "differences": [
            {
                "template": d.template,
                **({"kind": d.kind} if d.kind != "template" else {}),
                "role": d.role,
                "field": d.field,
                "live": d.live,
                "file": d.file,
            }
            for d in found
        ],
        "unmanaged": list(plan.unmanaged),
    }
    return json.dumps(body, indent=2) + "\n"


def drift_markdown(plan: Plan, limit: int = MARKDOWN_LIMIT) -> str:
    """For a drift issue: a table of differences, cut under GitHub's limit with a note."""
    found = differences(plan)
    lines = ["### hmsync drift", ""]
    if not found:
        lines.append(f"**{IN_SYNC}**")
    else:
        n = len({d.template for d in found})
        rooms = any(d.kind != "template" for d in found)
        what = _drifted(found) if rooms else f"{n} template(s) drifted"
        lines += [
            f"**{what}, {len(found)} difference(s).** Live values differ from the "
            "files: apply the files again, or change the files to match.",
            "",
        ]
        room = limit // 3
        for t in plan.changed:  # what changed outside, as pictures: live -> the files
            picture = template_pictures(t, room, " (live → the files)")
            room -= len(picture)
            lines += [picture] if picture else []
        lines += ["| template | role | field | live | file |", "|---|---|---|---|---|"]
        used = sum(len(x) + 1 for x in lines)
        for i, d in enumerate(found):
            name = md(d.template) if d.kind == "template" else f"{d.kind} {md(d.template)}"
            row = (
                f"| {name} | {md(d.role) if d.role else ''} | {md(d.field or '', 200)} "
                f"| {md(_value(d.live), 200)} | {md(_value(d.file), 200)} |"
            )
            if used + len(row) > limit - 500:
                lines.append(
                    f"\n> [!NOTE]\n> {len(found) - i} more difference(s) not shown, to stay under "
                    "GitHub's limit. Run `hmsync drift` for every one."
                )
                break
            lines.append(row)
            used += len(row) + 1
    if plan.unmanaged:
        lines += [
            "",
            "Unmanaged (live, in no file; left alone): "
            + md_list(plan.unmanaged, managed=managed(plan)),
        ]
    return capped("\n".join(lines) + "\n", limit)
