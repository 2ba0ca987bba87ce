"""The plan as a pull-request comment: a summary, outside changes apart, the review pictures
(who may do what, who sees and hears whom) and a coloured diff per template. Pure.

Never longer than its limit: pictures get at most a third of it, and what does not fit is cut
per template with a note naming it."""

from __future__ import annotations

from typing import Any

from .. import kinds
from ..model import ABSENT, Action, Change, Plan, TemplatePlan
from ..plan import origin
from ..plan.normalize import SET_FIELDS
from ..problems import split_path
from . import pictures
from .escape import MARKDOWN_LIMIT, capped, md, md_list, md_text, safe
from .plan import (
    GUARDRAILS_HEAD,
    NOT_SET,
    headline,
    managed,
    rename_hint,
    shown_value,
    summary_line,
    summary_table,
)

FOLD = 100  # characters of a value a diff line shows
ROLE_KINDS = pictures.ROLE_KINDS


def _value(change: Change, value: Any) -> str:
    """As the text plan shows it, folded past FOLD characters."""
    text = shown_value(change, value)
    return text if len(text) <= FOLD else text[: FOLD - 1] + f"… ({len(text)} characters)"


def _fenced(lines: list[str]) -> str:
    """Lines for inside a code fence: control characters escaped, no line can close it."""
    return "\n".join(safe(line).replace("```", "'''") for line in lines)


def leaves(change: Change) -> list[Change]:
    """A change as the fields that differ: an object by its keys, a list of the same length by
    its items, a set by the items added and removed; a v2 list item shows what changed in it."""
    old, new = change.old, change.new
    if change.sensitive:
        return [change]
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            part = Change(f"{change.path}.{key}", old.get(key, ABSENT), new.get(key, ABSENT))
            if part.old != part.new:
                out += leaves(part)
        return out
    if isinstance(old, list) and isinstance(new, list):
        last = split_path(change.path)[-1] if change.path else ""
        if last in SET_FIELDS:
            gone = [Change(change.path, v, ABSENT) for v in old if v not in new]
            return gone + [Change(change.path, ABSENT, v) for v in new if v not in old]
        if len(old) == len(new):
            out = []
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    out += leaves(Change(f"{change.path}[{i}]", a, b))
            return out
    return [change]


def diff_lines(action: Action, defaulted: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """An action in a ```diff block: a heading, then each field as - old and + new lines."""
    head = _heading(action)
    lines = [head]
    for change in action.changes:
        note = NOT_SET if (action.role or "", change.path) in defaulted else ""
        for leaf in leaves(change):
            if leaf.old is not ABSENT:
                lines.append(f"-     {leaf.path}: {_value(leaf, leaf.old)}")
            if leaf.new is not ABSENT:
                lines.append(f"+     {leaf.path}: {_value(leaf, leaf.new)}{note}")
    return lines


def _heading(action: Action) -> str:
    """The action's headline as a diff line: + created, - deleted, @@ changed @@ (a hunk)."""
    text = headline(action)
    if action.kind in ("create_template", "create_role", "create_room"):
        return f"+ {text}"
    removing = ("delete_role", "disable_room", "disable_codes")
    return f"- {text}" if action.kind in removing else f"@@ {text} @@"


def details(t: TemplatePlan, lines: list[str], kind: str = "") -> str:
    return (
        f"<details><summary>{kind + ' ' if kind else ''}{md(t.name)}: {len(t.actions)} action(s) "
        f"({md(t.file)})</summary>\n\n```diff\n" + _fenced(lines) + "\n```\n</details>\n"
    )


def body_lines(t: TemplatePlan) -> list[str]:
    return [line for action in t.actions for line in diff_lines(action, t.defaulted)]


def template_pictures(t: TemplatePlan, room: int, arrow: str = "") -> str:
    """The matrix of a template whose roles change, and its graph when who sees whom changes.
    arrow: what old -> new means, where it is not this plan's before and after (drift)."""
    actions = [a for a in t.actions if a.kind in ROLE_KINDS]
    if not actions:
        return ""
    rows, g = pictures.pictures(t.live_roles or {}, actions)
    text = f"#### {md(t.name)}: who may do what{arrow}\n\n{pictures.matrix_markdown(rows)}\n"
    if g.added or g.removed:
        graph = pictures.graph_markdown(g, room - len(text) - 60)
        if graph:
            text += f"#### {md(t.name)}: who sees and hears whom{arrow}\n\n{graph}\n"
    return text if len(text) <= room else ""


def unmanaged_line(plan: Plan) -> list[str]:
    """Unmanaged templates as a count, their names folded away."""
    if not plan.unmanaged:
        return []
    n = len(plan.unmanaged)
    hint = rename_hint(plan)
    return [
        f"<details><summary>{n} unmanaged template{'s' if n != 1 else ''} (live, in no file; "
        f"left alone)</summary>\n\n{md_list(plan.unmanaged, 200, managed(plan))}\n</details>",
        "",
        *([f"> [!TIP]\n> {md_text(hint, 400)}", ""] if hint else []),
    ]


GUARDRAILS_MARKER = "<!-- hmsync-guardrails -->"  # the plan workflow labels hmsync:guardrails


def guardrails_block(plan: Plan) -> list[str]:
    """What the pull request does to the guardrails that judge it: first, above all else."""
    if not plan.guardrails_changed:
        return []
    head = GUARDRAILS_HEAD.format(ref=md(plan.base_ref or "the base"))
    return [
        GUARDRAILS_MARKER,
        "> [!WARNING]",
        f"> **{head.split(': ', 1)[0]}**: {head.split(': ', 1)[1]}",
        *(f"> - {md_text(line, 200)}" for line in plan.guardrails_changed),
        "",
    ]


# Role fields the pictures show (the matrix's columns, the graph's edges): the rest of a role's
# changes, and every settings change, are listed above the fold too.
PICTURED = ("publishParams.allowed", "permissions.", "priority", "maxPeerCount",
            "subscribeParams.subscribeToRoles")  # fmt: skip
ALSO_MOST = 20


def also_changes(plan: Plan) -> list[str]:
    """What changes that neither the table's counts nor the pictures show: settings, and role
    fields outside the matrix (a bitrate, a subscription cap), old -> new, each folded short."""
    lines = []
    for t in plan.changed:
        for action in t.actions:
            if action.kind == "update_settings":
                where = "settings"
            elif action.kind in ("update_role", "rename_role"):
                where = f"role {md(str(action.role))}"
            else:
                continue
            for change in action.changes:
                if where != "settings" and change.path.startswith(PICTURED):
                    continue
                old, new = shown_value(change, change.old), shown_value(change, change.new)
                lines.append(
                    f"- {md(t.name)}: {where} <code>{md_text(change.path, 80)}</code>: "
                    f"{md_text(old, 60)} → {md_text(new, 60)}"
                )
    if not lines:
        return []
    more = len(lines) - ALSO_MOST
    tail = [f"- and {more} more: see the blocks below"] if more > 0 else []
    return ["**Also changes** (not in the pictures):", "", *lines[:ALSO_MOST], *tail, ""]


def plan_markdown(plan: Plan, limit: int = MARKDOWN_LIMIT) -> str:
    """For a pull-request comment. Never longer than `limit`."""
    title = f"### hmsync plan: {md(plan.environment)}" if plan.environment else "### hmsync plan"
    head = [title, "", *guardrails_block(plan), f"**{summary_line(plan)}**", ""]
    write_only = [t.name for t in plan.templates if t.write_only]
    if write_only:
        head += [
            f"Write-only: the API does not return the recording credentials of "
            f"{md_list(write_only)}, so they are not compared, and a rotation made in the "
            "dashboard cannot be seen (not by this plan, not by apply); after a rotation of "
            "yours, write them with `--write-credentials`.",
            "",
        ]
    if plan.ignored:
        head += [f"Ignored (left to the dashboard by hmsync.yaml): {md_list(plan.ignored)}", ""]
    others = [e for e in plan.others if e.actions]
    if not plan.changed and not others:
        return capped("\n".join(head + unmanaged_line(plan)), limit)
    deletes = [a for a in plan.actions if a.kind == "delete_role"]
    if deletes:
        shown = md_list([f"{a.template}/{a.role}" for a in deletes])
        head += ["> [!CAUTION]", f"> **{len(deletes)} role(s) will be deleted:** {shown}", ""]
    if plan.changed:
        head += summary_table(plan, limit // 3)
        head.append("")
    head += also_changes(plan)
    head += unmanaged_line(plan)
    text = "\n".join(head) + "\n"
    outside, here = origin.apart(plan)
    text += outside_block(plan, outside)  # first, as Terraform shows changes made outside it
    skipped = []
    room = limit // 3
    for t in plan.changed:
        picture = template_pictures(t, room)
        if picture:
            text += picture
            room -= len(picture)
        elif any(a.kind in ROLE_KINDS for a in t.actions):
            skipped.append(t.name)
    if skipped:
        text += f"_No room for the pictures of {md_list(skipped)}; the changes are below._\n\n"
    text += other_kinds_markdown(plan)
    return capped(_blocks(here, text, limit), limit)


def other_kinds_markdown(plan: Plan) -> str:
    """Each other kind's table (rooms: template, region, size, codes per role), then a diff
    block per entry, as a template's."""
    text = ""
    for kind in kinds.kinds():
        entries = [e for e in plan.of_kind(kind.name) if e.actions]
        if entries:
            text += kind.markdown(entries) + "\n"
            text += "".join(details(e, body_lines(e), kind.name) for e in entries)
    return text


def outside_block(plan: Plan, outside: list[Action]) -> str:
    """The changes that set back what someone changed outside hmsync, first, as a warning."""
    if plan.base_ref is None:
        return ""
    if not outside:
        return f"Every change is this pull request's own (compared with {md(plan.base_ref)}).\n\n"
    lines = []
    for action in outside:
        for line in diff_lines(action):
            lines.append(line.replace("@@ ", f"@@ {action.template}: ", 1))
    block = _fenced(lines)
    return (
        "> [!WARNING]\n> **Changed outside hmsync: this plan sets it back.** The files at "
        f"{md(plan.base_ref)} already ask for what follows; live was changed elsewhere (the "
        "dashboard?). Merge only if setting it back is meant, or write the change into the files."
        f"\n\n```diff\n{block}\n```\n\n**This pull request's own changes** (the pictures show "
        "the whole plan):\n\n"
    )


def _blocks(plan: Plan, text: str, limit: int) -> str:
    shown_part: list[str] = []
    cut: list[str] = []
    reserve = 2_000  # room for the note on what was cut
    for t in plan.changed:
        lines = body_lines(t)
        room = limit - reserve - len(text)
        block = details(t, lines)
        if not cut and len(block) > room and room > reserve:
            # Too big on its own: show as many of its lines as fit, then cut the rest.
            kept = list(lines)
            while kept and len(details(t, [*kept, "..."])) > room:
                del kept[-max(1, len(kept) // 10) :]
            block = details(t, [*kept, f"... {len(lines) - len(kept)} more lines not shown"])
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
        names = md_list(cut)
        part = f"{md(shown_part[0])} is shown in part" if shown_part else ""
        what = "; ".join(
            x for x in (part, f"{len(cut)} template(s) not shown: {names}" if cut else "") if x
        )
        text += (
            f"\n> [!NOTE]\n> **Cut to stay under GitHub's comment limit:** {what}. "
            "Run `hmsync plan` or read the plan artifact for every change.\n"
        )
    return text
