"""The plan: text (a terminal), JSON, and Markdown (a pull-request comment). Pure."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from .. import kinds
from ..model import ABSENT, Action, Change, Plan, TemplatePlan
from ..plan import origin
from ..plan.normalize import SENSITIVE, SET_FIELDS
from ..plan.planfile import dumps, summary
from ..problems import dotted, split_path
from . import pictures
from .escape import md, names_text, safe

SYMBOL = {
    "create_template": "+",
    "rename_template": "~",
    "create_role": "+",
    "update_role": "~",
    "rename_role": "~",
    "update_settings": "~",
    "update_destinations": "~",
    "update_recordings": "~",
    "update_plugins": "~",
    "set_default": "~",
    "delete_role": "-",
}
# v2's parts of a template that are written whole, each as one action.
V2_PARTS = {
    "update_destinations": "destinations",
    "update_recordings": "recordings",
    "update_plugins": "plugins",
}
COLOR = {"+": "32", "~": "33", "-": "1;31"}
NO_CHANGES = "No changes. Live templates match the files."
NOT_SET = " (not set in the file: the default)"
SUMMARY_WORDS = {
    "create_template": "{n} template{s} to create",
    "rename_template": "{n} template{s} to rename",
    "create_role": "{n} role{s} to create",
    "update_role": "{n} role{s} to update",
    "rename_role": "{n} role{s} to rename",
    "update_settings": "settings of {n} template{s} to update",
    "update_destinations": "destinations of {n} template{s} to update",
    "update_recordings": "recordings of {n} template{s} to update",
    "update_plugins": "plugins of {n} template{s} to update",
    "set_default": "{n} default flag{s} to change",
    "delete_role": "{n} role{s} to delete",
}


def _of_kinds(table: str) -> dict[str, str]:
    """SYMBOL or SUMMARY_WORDS, with every other kind's (rooms') beside the templates'."""
    out = dict(SYMBOL if table == "symbols" else SUMMARY_WORDS)
    for kind in kinds.kinds():
        out.update(kind.symbols if table == "symbols" else kind.summary_words)
    return out


def summary_line(plan: Plan) -> str:
    words = _of_kinds("summary_words")
    parts = [
        words[kind].format(n=n, s="" if n == 1 else "s") for kind, n in summary(plan).items() if n
    ]
    return f"Plan: {', '.join(parts)}." if parts else NO_CHANGES


def shown_value(change: Change, value: Any) -> str:
    """A change's value as a plan line shows it: JSON, masked if sensitive."""
    if value is ABSENT:
        return "(not set)"
    if change.sensitive:
        return SENSITIVE
    return json.dumps(value, separators=(", ", ": "))


def change_line(change: Change) -> str:
    if change.old is ABSENT:
        return f"+ {change.path}: {shown_value(change, change.new)}"
    if change.new is ABSENT:
        return f"- {change.path}: {shown_value(change, change.old)}"
    if isinstance(change.old, list) and isinstance(change.new, list) and not change.sensitive:
        return f"~ {change.path}: {list_delta(change)}"
    return (
        f"~ {change.path}: {shown_value(change, change.old)} -> {shown_value(change, change.new)}"
    )


def list_delta(change: Change) -> str:
    """What changed in a list, not both lists whole: the items added and removed of a set
    (`+"panelist" -"speaker"`); of an ordered list, the items by place (`+[2] {...}`)."""
    old, new = change.old, change.new
    last = split_path(change.path)[-1] if change.path else ""
    if last in SET_FIELDS:
        added = [f"+{_json(v)}" for v in new if v not in old]
        removed = [f"-{_json(v)}" for v in old if v not in new]
        return " ".join(added + removed) or f"{_json(old)} -> {_json(new)}"
    # The user's choice of differ, for the one place a general one reads best: it names each
    # item by its place. Imported here: only a plan with such a change needs it.
    from deepdiff import DeepDiff

    parts = []
    for kind, levels in DeepDiff(old, new, view="tree").items():
        for level in levels:
            where = dotted(tuple(level.path(output_format="list")))
            if kind == "iterable_item_added":
                parts.append(f"+{where} {_json(level.t2)}")
            elif kind == "iterable_item_removed":
                parts.append(f"-{where} {_json(level.t1)}")
            else:
                before = "(not set)" if "item_added" in kind else _json(level.t1)
                after = "(not set)" if "item_removed" in kind else _json(level.t2)
                parts.append(f"~{where} {before} -> {after}")
    return " ".join(sorted(parts, key=_by_place)) or f"{_json(old)} -> {_json(new)}"


def _by_place(part: str) -> tuple[int, str]:
    index = part[2:].split("]", 1)[0]
    return (int(index) if index.isdigit() else 0, part)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def action_title(action: Action) -> str:
    """A short name for an action: `update role host`, `settings`, `default flag`."""
    words = action.kind.replace("_", " ")
    if action.kind == "rename_role":
        return f"rename role {action.old_name} -> {action.role}"
    return f"{words} {action.role}" if action.role else words


def headline(action: Action) -> str:
    if action.kind not in SYMBOL:  # another kind's action (a room's)
        return next(k for k in kinds.kinds() if action.kind in k.actions).headline(action)
    if action.kind == "create_template":
        return f"template {action.template} will be created"
    if action.kind == "rename_template":
        return f"template {action.template} will be renamed from {action.old_name}"
    if action.kind == "update_settings":
        return "settings will be updated"
    if action.kind == "set_default":
        return "default flag will be changed"
    if action.kind in V2_PARTS:
        return f"{V2_PARTS[action.kind]} will be updated"
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
    symbols = _of_kinds("symbols")
    for action in template.actions:
        lines.append(f"{symbols[action.kind]} {headline(action)}")
        if action.kind == "rename_role":
            followers = _subscriptions_following(template, action)
            if followers:
                lines.append(f"    (subscriptions follow the rename: {', '.join(followers)})")
        for c in action.changes:
            note = NOT_SET if (action.role or "", c.path) in template.defaulted else ""
            lines.append(f"    {change_line(c)}{note}")
    return lines


def _subscriptions_following(template: TemplatePlan, rename: Action) -> list[str]:
    """The roles whose subscriptions move from the old name to the new one in this plan."""
    out = []
    for action in template.actions:
        for change in action.changes:
            if action.role and change.path == "subscribeParams.subscribeToRoles":
                old = change.old if isinstance(change.old, list) else []
                new = change.new if isinstance(change.new, list) else []
                if rename.old_name in old and rename.role in new:
                    out.append(str(action.role))
    return sorted(out)


def _paint(line: str, color: bool) -> str:
    code = COLOR.get(line.lstrip()[:1])
    return f"\x1b[{code}m{line}\x1b[0m" if color and code else line


def _template_title(template: TemplatePlan) -> str:
    """`+ template NAME will be created (FILE)`, `~ room NAME (FILE)`: any kind's entry."""
    if template.template_id is None:
        return f"+ {template.kind} {template.name} will be created ({template.file})"
    return f"~ {template.kind} {template.name} ({template.file})"


def _body_lines(template: TemplatePlan) -> list[str]:
    """A new object lists what it will hold (then what follows its creation: a room's codes);
    an existing one, its actions."""
    if template.template_id is None:
        made, *then = template.actions
        later = template_lines(replace(template, actions=tuple(then))) if then else []
        return [change_line(c) for c in made.changes] + later
    return template_lines(template)


def plan_text(plan: Plan, color: bool = False, width: int | None = None) -> str:
    """width: a terminal's, where the permissions matrix of each template is shown if it fits."""
    out = [safe(line) for line in guardrails_lines(plan)]
    outside, here = origin.apart(plan)
    if outside:
        out.append(
            safe(
                f"! Changed outside hmsync: the files at {plan.base_ref} already ask for these; "
                "live was changed elsewhere, and applying sets it back:"
            )
        )
        for action in outside:
            out.append(_paint(safe(f"    {action.template}: {headline(action)}"), color))
            out += [_paint(safe(f"        {change_line(c)}"), color) for c in action.changes]
        out += ["", safe(f"This change (the files differ from {plan.base_ref}):")]
    for template in here.changed:
        out.append(_paint(safe(_template_title(template)), color))
        out += [_paint(safe(f"    {line}"), color) for line in _body_lines(template)]
        out += _matrix_lines(template, width)
        out.append("")
    out += other_kinds_text(plan, color)
    if plan.unmanaged:
        shown = names_text(plan.unmanaged, managed(plan))
        out.append(f"Unmanaged (live, in no file; left alone): {shown}")
    for note in (rename_hint(plan), write_only_note(plan), ignored_note(plan)):
        if note:
            out.append(safe(note))
    out.append(summary_line(plan))
    return "\n".join(out) + "\n"


def other_kinds_text(plan: Plan, color: bool) -> list[str]:
    """The entries of every other kind (rooms), each as a template is shown, then the kind's
    own table."""
    out: list[str] = []
    for kind in kinds.kinds():
        entries = [e for e in plan.of_kind(kind.name) if e.actions]
        for entry in entries:
            out.append(_paint(safe(_template_title(entry)), color))
            out += [_paint(safe(f"    {line}"), color) for line in _body_lines(entry)]
            out.append("")
        out += kind.text(entries)
    return out


def _matrix_lines(template: TemplatePlan, width: int | None) -> list[str]:
    """Who may do what, before -> after, where the terminal is wide enough for it."""
    actions = [a for a in template.actions if a.kind in pictures.ROLE_KINDS]
    if not width or not actions:
        return []
    text = pictures.matrix_text(pictures.matrix(template.live_roles or {}, actions))
    lines = ["    " + line for line in text.splitlines()]
    if max(len(line) for line in lines) > width:
        return []
    return ["", "    who may do what (before->after):", *(safe(line) for line in lines)]


GUARDRAILS_HEAD = (
    "Guardrails changed: this change edits hmsync.yaml's rules, protect or ignore. It was "
    "checked with those at {ref}; its own apply from the next change:"
)


def guardrails_lines(plan: Plan) -> list[str]:
    """What the change does to the guardrails that judge it, first in the text plan."""
    if not plan.guardrails_changed:
        return []
    head = GUARDRAILS_HEAD.format(ref=plan.base_ref or "the base")
    return ["! " + head, *(f"    {line}" for line in plan.guardrails_changed), ""]


def managed(plan: Plan) -> list[str]:
    """The names the files give, which an unmanaged name may pass for."""
    return [t.name for t in plan.templates]


def rename_hint(plan: Plan) -> str:
    """A new template beside unmanaged ones may be a rename nobody said: how to say it."""
    created = [t.name for t in plan.templates if t.template_id is None and t.actions]
    if not created or not plan.unmanaged:
        return ""
    return (
        f"Renamed? If {created[0]} is a live template under another name ({plan.unmanaged[0]}, "
        "say), add `renamedFrom: OLD-NAME` to its file: hmsync renames that template instead "
        "of creating a second one and leaving the old one unmanaged."
    )


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
        "so they are not compared, and a rotation made in the dashboard cannot be seen (not by "
        "this plan, not by apply); after a rotation of yours, write them with "
        "--write-credentials."
    )


def plan_json(plan: Plan) -> str:
    return dumps(plan)


def summary_table(plan: Plan, budget: int) -> list[str]:
    """The summary table, one row per changed template, as many rows as fit in budget."""
    last = ("destinations", "recordings", "plugins") if plan.api == "v2" else ("default",)
    rows = [
        f"| template | create | update | rename | delete | settings | {' | '.join(last)} |",
        "|---|---:|---:|---:|---:|:-:" + "|:-:" * len(last) + "|",
    ]
    marks: tuple[str, ...] = ("set_default",)
    if plan.api == "v2":
        marks = ("update_destinations", "update_recordings", "update_plugins")
    used = sum(len(r) + 1 for r in rows)
    for i, t in enumerate(plan.changed):
        kinds = [a.kind for a in t.actions]
        name = md(t.name) + (" (new)" if t.template_id is None else "")
        if plan.live_name(t) != t.name:
            name = f"{md(plan.live_name(t))} → {md(t.name)}"
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
            + "".join(f"| {'✓' if mark in kinds else ''} " for mark in marks)
            + "|"
        )
        if used + len(row) > budget:
            rows.append(f"\n_{len(plan.changed) - i} more templates: see the blocks below._")
            break
        rows.append(row)
        used += len(row) + 1
    return rows
