"""The review pictures of a template's roles: who may do what (a permissions matrix) and who
sees and hears whom (a subscription graph), before and after a plan. Pure: data in, text out.

"After" is "before" with exactly the plan's changes: a picture never shows a change the plan
does not make (a field left to the dashboard stays as live has it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Action
from ..paths import get_path, patched
from ..problems import split_path
from .escape import md, md_text

MEDIA = ("audio", "video", "screen")
SUBSCRIBES = "subscribeParams.subscribeToRoles"
GRAPH_MAX_ROLES = 15  # past this a graph is a tangle: a table instead
BLANK = "·"
ROLE_KINDS = ("create_template", "create_role", "update_role", "rename_role", "delete_role")


@dataclass
class Row:
    name: str
    status: str = ""  # "", "new", "deleted", "renamed"
    old_name: str | None = None
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)  # column: (old, new)


def _cells(role: Mapping[str, Any] | None) -> dict[str, str]:
    """A role as the matrix shows it: what it may publish, each permission, its priority and
    (v2) its peer cap. A flag left out reads as false, as the API reads it."""
    if role is None:
        return {}
    out: dict[str, str] = {}
    allowed = get_path(role, ("publishParams", "allowed"))
    allowed = allowed if isinstance(allowed, list) else []
    for medium in MEDIA:
        out[medium] = "✓" if medium in allowed else ""
    permissions = role.get("permissions")
    for flag, value in sorted((permissions or {}).items() if isinstance(permissions, dict) else []):
        if isinstance(value, bool):
            out[f"permissions.{flag}"] = "✓" if value else ""
    for key in ("priority", "maxPeerCount"):
        value = role.get(key)
        out[key] = "" if value is None or isinstance(value, (dict, list)) else str(value)
    return out


def roles_after(live_roles: Mapping[str, Any], actions: Sequence[Action]) -> dict[str, Any]:
    """The live roles with the plan's role actions applied, and nothing else."""
    roles = {str(k): v for k, v in live_roles.items() if isinstance(v, dict)}
    for action in actions:
        role = str(action.role)
        if action.kind == "create_template":
            made = patched({}, action.changes).get("roles")
            roles = {str(k): v for k, v in (made or {}).items() if isinstance(v, dict)}
        elif action.kind == "delete_role":
            roles.pop(role, None)
        elif action.kind == "rename_role" and action.old_name in roles:
            roles[role] = roles.pop(str(action.old_name))
        if action.kind in ("create_role", "update_role", "rename_role"):
            base = {} if action.kind == "create_role" else roles.get(role, {})
            roles[role] = patched(base, action.changes)
    return roles


def matrix(
    live_roles: Mapping[str, Any],
    actions: Sequence[Action],
    after: Mapping[str, Any] | None = None,
) -> list[Row]:
    """after: roles_after(live_roles, actions), where the caller has it already."""
    after = roles_after(live_roles, actions) if after is None else after
    renamed = {str(a.role): str(a.old_name) for a in actions if a.kind == "rename_role"}
    deleted = {str(a.role) for a in actions if a.kind == "delete_role"}
    created = {str(a.role) for a in actions if a.kind == "create_role"}
    if any(a.kind == "create_template" for a in actions):
        created = set(after)
    rows = []
    for name in sorted(set(after) | deleted):
        before = live_roles.get(renamed.get(name, name)) if name not in created else None
        old, new = _cells(before), _cells(after.get(name))
        status = (
            "deleted" if name in deleted else "new" if name in created
            else "renamed" if name in renamed else ""
        )  # fmt: skip
        cells = {
            c: (old.get(c, ""), new.get(c, "")) for c in (*old, *(k for k in new if k not in old))
        }
        if status == "deleted":
            cells = {c: (v, v) for c, (v, _) in cells.items()}
        rows.append(Row(name, status, renamed.get(name), cells))
    return rows


def columns(rows: Iterable[Row]) -> list[str]:
    """Only the columns with a value somewhere, in a fixed order."""
    seen: set[str] = set()
    for row in rows:
        seen |= {c for c, (old, new) in row.cells.items() if old or new}
    flags = sorted(c for c in seen if c.startswith("permissions."))
    ordered = [*MEDIA, *flags, "priority", "maxPeerCount"]
    return [c for c in ordered if c in seen]


def _header(column: str) -> str:
    return md_text(column.removeprefix("permissions."))


def matrix_markdown(rows: list[Row]) -> str:
    cols = columns(rows)
    if not rows or not cols:
        return ""
    lines = [
        "| role | " + " | ".join(_header(c) for c in cols) + " |",
        "|---|" + "".join("---:|" if c in ("priority", "maxPeerCount") else ":-:|" for c in cols),
    ]
    for row in rows:
        name = md(row.name)
        label = {
            "new": f"**{name}** (new)",
            "deleted": f"~~{name}~~ (deleted)",
            "renamed": f"{md(str(row.old_name))} → **{name}**",
        }.get(row.status, name)
        cells = []
        for c in cols:
            old, new = row.cells.get(c, ("", ""))
            if row.status in ("", "renamed") and old != new:
                cells.append(f"**{old or BLANK} → {new or BLANK}**")
            else:
                cells.append(new)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def matrix_text(rows: list[Row]) -> str:
    """The matrix in plain columns, for a terminal or `hmsync show`."""
    cols = columns(rows)
    if not rows:
        return ""
    table = [["role", *(c.removeprefix("permissions.") for c in cols)]]
    for row in rows:
        mark = {"new": " (new)", "deleted": " (deleted)", "renamed": f" (was {row.old_name})"}
        cells = []
        for c in cols:
            old, new = row.cells.get(c, ("", ""))
            changed = row.status in ("", "renamed") and old != new
            cells.append(f"{old or BLANK}->{new or BLANK}" if changed else new or BLANK)
        table.append([row.name + mark.get(row.status, ""), *cells])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() + "\n"
        for r in table
    )


# -- who sees and hears whom ------------------------------------------------------------------


def edges(roles: Mapping[str, Any]) -> set[tuple[str, str]]:
    out = set()
    for name, role in roles.items():
        targets = get_path(role, split_path(SUBSCRIBES)) if isinstance(role, dict) else None
        for target in targets if isinstance(targets, list) else []:
            out.add((str(name), str(target)))
    return out


@dataclass(frozen=True)
class Graph:
    roles: tuple[tuple[str, str], ...]  # (name, status)
    kept: frozenset[tuple[str, str]]
    added: frozenset[tuple[str, str]]
    removed: frozenset[tuple[str, str]]


def graph(live_roles: Mapping[str, Any], actions: Sequence[Action]) -> Graph:
    return pictures(live_roles, actions)[1]


def pictures(live_roles: Mapping[str, Any], actions: Sequence[Action]) -> tuple[list[Row], Graph]:
    """The matrix and the graph of one template, from one application of the plan's actions."""
    after = roles_after(live_roles, actions)
    rows = matrix(live_roles, actions, after)
    renamed = {str(a.old_name): str(a.role) for a in actions if a.kind == "rename_role"}
    # Before, with renamed roles under their new names: a rename alone moves no edge.
    before_roles = {renamed.get(str(k), str(k)): v for k, v in live_roles.items()}
    before = {(renamed.get(a, a), renamed.get(b, b)) for a, b in edges(before_roles)}
    now = edges(after)
    return rows, Graph(
        tuple((r.name, r.status) for r in rows),
        frozenset(before & now),
        frozenset(now - before),
        frozenset(before - now),
    )


def subscriptions(roles: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each role and whom it sees and hears, sorted (no one: an empty list)."""
    out: dict[str, list[str]] = {str(name): [] for name in roles}
    for a, b in sorted(edges(roles)):
        out[a].append(b)
    return out


def mermaid_label(text: str) -> str:
    """A name inside a Mermaid "..." label: nothing in it can end the label, the diagram or
    the code fence around it (entity codes, as Mermaid reads them)."""
    out = []
    for ch in text:
        if ch == '"':
            out.append("#quot;")
        elif ch in "#&<>`\\" or not ch.isprintable():
            out.append(f"#{ord(ch)};")
        else:
            out.append(ch)
    return "".join(out)


def graph_mermaid(g: Graph) -> str:
    ids = {name: f"r{i}" for i, (name, _) in enumerate(g.roles)}
    lines = ["flowchart LR"]
    for name, status in g.roles:
        suffix = {"new": " (new)", "deleted": " (deleted)"}.get(status, "")
        lines.append(f'  {ids[name]}["{mermaid_label(name + suffix)}"]')
    styles = []
    n = 0
    for kind, arrow, style in (
        (g.kept, "-->", ""),
        (g.added, "==>|added|", "stroke:#1a7f37,stroke-width:3px"),
        (g.removed, "-.->|removed|", "stroke:#cf222e,stroke-dasharray:4"),
    ):
        for a, b in sorted(kind):
            if a in ids and b in ids:
                lines.append(f"  {ids[a]} {arrow} {ids[b]}")
                if style:
                    styles.append(f"  linkStyle {n} {style}")
                n += 1
    return "\n".join(lines + styles) + "\n"


def graph_table(g: Graph) -> str:
    """The graph as a table: each role, whom it subscribes to; added bold, removed struck."""
    lines = ["| role | sees and hears |", "|---|---|"]
    for name, _ in g.roles:
        targets = sorted(
            [(b, "kept") for a, b in g.kept if a == name]
            + [(b, "added") for a, b in g.added if a == name]
            + [(b, "removed") for a, b in g.removed if a == name]
        )
        shown = [
            {"added": f"**+{md(b)}**", "removed": f"~~{md(b)}~~"}.get(k, md(b)) for b, k in targets
        ]
        lines.append(f"| {md(name)} | {', '.join(shown) or BLANK} |")
    return "\n".join(lines) + "\n"


LEGEND = "_An arrow: the role sees and hears the one it points to (`subscribeToRoles`)."
CHANGES = (
    " Thick, labelled added: this plan adds it; dotted, labelled removed: this plan removes it."
)


def graph_markdown(g: Graph, room: int) -> str:
    """The Mermaid graph, or the table when there are too many roles or too little room."""
    if len(g.roles) <= GRAPH_MAX_ROLES:
        legend = LEGEND + (CHANGES if g.added or g.removed else "") + "_\n"
        text = f"```mermaid\n{graph_mermaid(g)}```\n{legend}"
        if len(text) <= room:
            return text
    text = graph_table(g)
    return text if len(text) <= room else ""
