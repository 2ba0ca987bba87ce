"""Rendering: results to text, JSON, Markdown and GitHub annotations. Pure functions."""

from __future__ import annotations

import json
import re
from typing import Any

from .drift import Difference, differences
from .model import ABSENT, Action, Change, Outcome, Plan, TemplatePlan
from .normalize import SENSITIVE
from .planfile import action_to_dict, dumps, summary
from .problems import Problem

# Characters a terminal acts on (newlines, escapes) or reorders (bidi controls): never raw.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters Markdown or HTML act on, and @ (a mention pings a person): numeric entities.
_MARKUP = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>&@~\"':]")
MD_NAME = 60  # characters of a name a comment shows


def safe(text: str) -> str:
    """Text for a terminal: control characters shown as escapes, so a name cannot forge or
    hide a line."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def lines_safe(lines: list[str]) -> str:
    return "\n".join(safe(line) for line in lines) + "\n"


def md(name: str, limit: int = MD_NAME) -> str:
    """A name in Markdown, outside code: shortened, every markup character an entity, as code."""
    text = safe(name)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return "<code>" + _MARKUP.sub(lambda m: f"&#{ord(m.group())};", text) + "</code>"


def _counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def validation_text(problems: list[Problem], files: int) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    notes = len(problems) - errors - warnings
    lines = [str(p) for p in problems]
    checked = f"{_counted(files, 'file')} checked"
    if not problems:
        lines.append(f"{checked}: no problems.")
    else:
        also = f", {_counted(notes, 'note')}" if notes else ""
        lines.append(
            f"{checked}: {_counted(errors, 'error')}, {_counted(warnings, 'warning')}{also}."
        )
    return lines_safe(lines)


def validation_json(problems: list[Problem], files: int) -> str:
    body: dict[str, Any] = {
        "format_version": 1,
        "files": files,
        "errors": sum(p.severity == "error" for p in problems),
        "warnings": sum(p.severity == "warning" for p in problems),
        "notes": sum(p.severity == "note" for p in problems),
        "problems": [
            {
                "file": p.location.file,
                "line": p.location.line,
                "col": p.location.col,
                "path": p.path,
                "severity": p.severity,
                "message": p.message,
            }
            for p in problems
        ],
    }
    return json.dumps(body, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def validation_github(problems: list[Problem], files: int) -> str:
    """GitHub workflow commands, so each problem shows on its line of the pull request."""
    lines = []
    for p in problems:
        loc = p.location
        props = f"file={_escape_property(loc.file)},line={loc.line},col={loc.col}"
        what = f"{p.path}: {p.message}" if p.path else p.message
        level = "notice" if p.severity == "note" else p.severity
        lines.append(f"::{level} {props}::{_escape_data(what)}")
    return "\n".join([*lines, validation_text(problems, files).splitlines()[-1]]) + "\n"


# -- plans ------------------------------------------------------------------------------------

MARKDOWN_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters
SYMBOL = {
    "create_template": "+",
    "create_role": "+",
    "update_role": "~",
    "rename_role": "~",
    "update_settings": "~",
    "set_default": "~",
    "delete_role": "-",
}
COLOR = {"+": "32", "~": "33", "-": "1;31"}
NO_CHANGES = "No changes. Live templates match the files."
SUMMARY_WORDS = {
    "create_template": "{n} template{s} to create",
    "create_role": "{n} role{s} to create",
    "update_role": "{n} role{s} to update",
    "rename_role": "{n} role{s} to rename",
    "update_settings": "settings of {n} template{s} to update",
    "set_default": "{n} default flag{s} to change",
    "delete_role": "{n} role{s} to delete",
}


def summary_line(plan: Plan) -> str:
    parts = [
        SUMMARY_WORDS[kind].format(n=n, s="" if n == 1 else "s")
        for kind, n in summary(plan).items()
        if n
    ]
    return f"Plan: {', '.join(parts)}." if parts else NO_CHANGES


def _show(change: Change, value: Any) -> str:
    if value is ABSENT:
        return "(not set)"
    if change.sensitive:
        return SENSITIVE
    return json.dumps(value, separators=(", ", ": "))


def _change_line(change: Change) -> str:
    if change.old is ABSENT:
        return f"+ {change.path}: {_show(change, change.new)}"
    if change.new is ABSENT:
        return f"- {change.path}: {_show(change, change.old)}"
    return f"~ {change.path}: {_show(change, change.old)} -> {_show(change, change.new)}"


def action_title(action: Action) -> str:
    """A short name for an action: `update role host`, `settings`, `default flag`."""
    words = action.kind.replace("_", " ")
    if action.kind == "rename_role":
        return f"rename role {action.old_name} -> {action.role}"
    return f"{words} {action.role}" if action.role else words


def _headline(action: Action) -> str:
    if action.kind == "create_template":
        return f"template {action.template} will be created"
    if action.kind == "update_settings":
        return "settings will be updated"
    if action.kind == "set_default":
        return "default flag will be changed"
    role = f"role {action.role}"
    return {
        "create_role": f"{role} will be created",
        "update_role": f"{role} will be updated",
        "rename_role": f"{role} will be renamed from {action.old_name}",
        "delete_role": f"{role} will be DELETED",
    }[action.kind]


def template_lines(template: TemplatePlan) -> list[str]:
    """One template's actions, deletes first, each with its changed fields under it."""
    lines = []
    for action in template.actions:
        lines.append(f"{SYMBOL[action.kind]} {_headline(action)}")
        lines += [f"    {_change_line(c)}" for c in action.changes]
    return lines


def _paint(line: str, color: bool) -> str:
    code = COLOR.get(line.lstrip()[:1])
    return f"\x1b[{code}m{line}\x1b[0m" if color and code else line


def _template_title(template: TemplatePlan) -> str:
    if template.template_id is None:
        return f"+ template {template.name} will be created ({template.file})"
    return f"~ template {template.name} ({template.file})"


def _body_lines(template: TemplatePlan) -> list[str]:
    """A new template lists what it will hold; an existing one, its actions."""
    if template.template_id is None:
        return [_change_line(c) for c in template.actions[0].changes]
    return template_lines(template)


def plan_text(plan: Plan, color: bool = False) -> str:
    out: list[str] = []
    for template in plan.changed:
        out.append(_paint(safe(_template_title(template)), color))
        out += [_paint(safe(f"    {line}"), color) for line in _body_lines(template)]
        out.append("")
    if plan.unmanaged:
        out.append(safe(f"Unmanaged (live, in no file; left alone): {', '.join(plan.unmanaged)}"))
    for note in (write_only_note(plan), ignored_note(plan)):
        if note:
            out.append(safe(note))
    out.append(summary_line(plan))
    return "\n".join(out) + "\n"


def ignored_note(plan: Plan) -> str:
    if not plan.ignored:
        return ""
    return f"Ignored (left to the dashboard by hmsync.yaml): {', '.join(plan.ignored)}."


def write_only_note(plan: Plan) -> str:
    """Where reads do not return the recording credentials, the plan cannot compare them."""
    names = [t.name for t in plan.templates if t.write_only]
    if not names:
        return ""
    return (
        f"Write-only: the API does not return the recording credentials of {', '.join(names)}, "
        "so they are not compared; after a rotation, write them with --write-credentials."
    )


def plan_json(plan: Plan) -> str:
    return dumps(plan)


def _table(plan: Plan, budget: int) -> list[str]:
    """The summary table, one row per changed template, as many rows as fit in budget."""
    rows = [
        "| template | create | update | rename | delete | settings | default |",
        "|---|---:|---:|---:|---:|:-:|:-:|",
    ]
    used = sum(len(r) + 1 for r in rows)
    for i, t in enumerate(plan.changed):
        kinds = [a.kind for a in t.actions]
        name = md(t.name) + (" (new)" if t.template_id is None else "")
        deletes = kinds.count("delete_role")
        creates = kinds.count("create_role")
        if t.template_id is None:  # the roles the new template brings
            creates = len(
                {c.path.split(".")[1] for c in t.actions[0].changes if c.path.startswith("roles.")}
            )
        row = (
            f"| {name} | {creates or ''} | {kinds.count('update_role') or ''} "
            f"| {kinds.count('rename_role') or ''} | {f'**{deletes}**' if deletes else ''} "
            f"| {'✓' if 'update_settings' in kinds else ''} "
            f"| {'✓' if 'set_default' in kinds else ''} |"
        )
        if used + len(row) > budget:
            rows.append(f"\n_{len(plan.changed) - i} more templates: see the blocks below._")
            break
        rows.append(row)
        used += len(row) + 1
    return rows


def plan_markdown(plan: Plan, limit: int = MARKDOWN_LIMIT) -> str:
    """For a pull-request comment: summary, deletes called out, a <details> block per template.

    Never longer than `limit`: what does not fit is cut per template, with a note naming it.
    """
    head = ["### hmsync plan", "", f"**{summary_line(plan)}**", ""]
    write_only = [t.name for t in plan.templates if t.write_only]
    if write_only:
        head += [
            f"Write-only: the API does not return the recording credentials of "
            f"{_md_list(write_only)}, so they are not compared; after a rotation, write them "
            "with `--write-credentials`.",
            "",
        ]
    if plan.environment:
        head[0] = f"### hmsync plan: {md(plan.environment)}"
    if plan.ignored:
        head += [f"Ignored (left to the dashboard by hmsync.yaml): {_md_list(plan.ignored)}", ""]
    if not plan.changed:
        if plan.unmanaged:
            head.append(f"Unmanaged (live, in no file; left alone): {_md_list(plan.unmanaged)}")
        return _capped("\n".join(head) + "\n", limit)
    deletes = [a for a in plan.actions if a.kind == "delete_role"]
    if deletes:
        shown = _md_list([f"{a.template}/{a.role}" for a in deletes])
        head += ["> [!CAUTION]", f"> **{len(deletes)} role(s) will be deleted:** {shown}", ""]
    head += _table(plan, limit // 3)
    head.append("")
    if plan.unmanaged:
        head += [f"Unmanaged (live, in no file; left alone): {_md_list(plan.unmanaged)}", ""]
    text = "\n".join(head) + "\n"
    shown_part: list[str] = []
    cut: list[str] = []
    reserve = 2_000  # room for the note on what was cut
    for t in plan.changed:
        lines = _body_lines(t)
        room = limit - reserve - len(text)
        block = _details(t, lines)
        if not cut and len(block) > room and room > reserve:
            # Too big on its own: show as many of its lines as fit, then cut the rest.
            kept = list(lines)
            while kept and len(_details(t, [*kept, "..."])) > room:
                del kept[-max(1, len(kept) // 10) :]
            block = _details(t, [*kept, f"... {len(lines) - len(kept)} more lines not shown"])
            shown_part.append(t.name)
            text += block
            cut.append("")  # everything after this one is cut
            continue
        if cut or len(block) > room:
            cut.append(t.name)
            continue
        text += block
    cut = [n for n in cut if n]
    if cut or shown_part:
        names = _md_list(cut)
        part = f"{md(shown_part[0])} is shown in part" if shown_part else ""
        what = "; ".join(
            x for x in (part, f"{len(cut)} template(s) not shown: {names}" if cut else "") if x
        )
        text += (
            f"\n> [!NOTE]\n> **Cut to stay under GitHub's comment limit:** {what}. "
            "Run `hmsync plan` or read the plan artifact for every change.\n"
        )
    return _capped(text, limit)


def _md_list(names: list[str] | tuple[str, ...], most: int = 20) -> str:
    shown = ", ".join(md(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _capped(text: str, limit: int) -> str:
    """The last guard of GitHub's limit, whatever the input: cut, and say so."""
    if len(text) <= limit:
        return text
    note = "\n\n> [!NOTE]\n> **Cut to stay under GitHub's comment limit.** Run `hmsync` locally.\n"
    return text[: limit - len(note)] + note


def _details(t: TemplatePlan, lines: list[str]) -> str:
    return (
        f"<details><summary>{md(t.name)}: {len(t.actions)} action(s) "
        f"({md(t.file)})</summary>\n\n```diff\n"
        # Inside the fence, control characters escaped: no line can close it early.
        + "\n".join(safe(line) for line in lines)
        + "\n```\n</details>\n"
    )


# -- apply reports ----------------------------------------------------------------------------


def apply_text(outcomes: list[Outcome]) -> str:
    """What apply did: every template's done, failed and not attempted actions."""
    lines: list[str] = []
    for o in sorted(outcomes, key=lambda o: o.template):
        notes = [f"          note: {n}" for n in o.notes]
        if o.failed is None and not o.not_converged and not o.unverified:
            lines.append(f"ok      {o.template}: {len(o.done)} action(s) done")
            lines += [f"          done: {action_title(a)}" for a in o.done]
            lines += notes
            continue
        if o.unverified:
            lines.append(
                f"UNCHECKED {o.template}: {len(o.done)} action(s) done, but the read-back "
                f"failed, so they are not verified: {o.unverified}"
            )
            lines += [f"          done: {action_title(a)}" for a in o.done]
        if o.failed is not None and o.error is not None:
            lines.append(
                f"FAILED  {o.template}: {len(o.done)} done, then {action_title(o.failed)} failed:"
            )
            lines += [f"          done: {action_title(a)}" for a in o.done]
            lines += [f"          {line}" for line in o.error.lines()]
            for action in o.not_attempted:
                lines.append(f"          not attempted: {action_title(action)}")
        lines += notes
        if o.not_converged:
            lines.append(f"DIFFERS {o.template}: written, but the API reads back differently:")
            for action in o.not_converged:
                lines.append(f"          {action_title(action)}")
                lines += [f"              {_change_line(c)}" for c in action.changes]
    counts = apply_counts(outcomes)
    lines.append(
        f"Apply: {counts['done']} action(s) done, {counts['failed']} failed, "
        f"{counts['not_attempted']} not attempted, {counts['not_converged']} not converged."
        + (f" {counts['unverified']} not verified." if counts["unverified"] else "")
    )
    return lines_safe(lines)


def apply_counts(outcomes: list[Outcome]) -> dict[str, int]:
    return {
        "done": sum(len(o.done) for o in outcomes),
        "failed": sum(o.failed is not None for o in outcomes),
        "not_attempted": sum(len(o.not_attempted) for o in outcomes),
        "not_converged": sum(len(o.not_converged) for o in outcomes),
        "unverified": sum(len(o.done) for o in outcomes if o.unverified),
    }


def apply_json(outcomes: list[Outcome]) -> str:
    counts = apply_counts(outcomes)
    complete = not (counts["failed"] or counts["not_converged"] or counts["unverified"])
    result = "applied" if complete else "incomplete"
    body = {
        "format_version": 1,
        "result": result,
        "summary": counts,
        "templates": [
            {
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
                "unverified": o.unverified or None,
                "notes": list(o.notes),
            }
            for o in sorted(outcomes, key=lambda o: o.template)
        ],
    }
    return json.dumps(body, indent=2) + "\n"


# -- drift reports ----------------------------------------------------------------------------

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
            if d.template != current:
                current = d.template
                file = next(t.file for t in plan.templates if t.name == d.template)
                lines += ["", f"{d.template} ({file})"]
            live, file = _value(d.live), _value(d.file)
            lines.append(f"  {_where(d)}: live {live}, file {file}")
        lines.append("")
    if plan.unmanaged:
        lines.append(f"Unmanaged (live, in no file; left alone): {', '.join(plan.unmanaged)}")
    if found:
        n = len({d.template for d in found})
        lines.append(
            f"Drift: {n} template{'s' if n != 1 else ''} drifted, {len(found)} "
            f"difference{'s' if len(found) != 1 else ''}."
        )
    else:
        lines.append(IN_SYNC)
    return lines_safe(lines)


def drift_json(plan: Plan) -> str:
    found = differences(plan)
    body = {
        "format_version": 1,
        "in_sync": not found,
        "differences": [
            {
                "template": d.template,
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
        lines += [
            f"**{n} template(s) drifted, {len(found)} difference(s).** Live values differ from the "
            "files: apply the files again, or change the files to match.",
            "",
            "| template | role | field | live | file |",
            "|---|---|---|---|---|",
        ]
        used = sum(len(x) + 1 for x in lines)
        for i, d in enumerate(found):
            row = (
                f"| {md(d.template)} | {md(d.role) if d.role else ''} | {md(d.field or '', 200)} "
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
            f"Unmanaged (live, in no file; left alone): {_md_list(plan.unmanaged)}",
        ]
    return _capped("\n".join(lines) + "\n", limit)
