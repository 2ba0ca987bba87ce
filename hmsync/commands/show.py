"""`hmsync show`: the roles of the files as they are, as pictures: who may do what and who sees
and hears whom. Offline: no API call, no credentials (unset ${HMSYNC_*} are placeholders)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from .. import kinds
from ..errors import Exit
from ..plan.pipeline import load_valid, select, select_others
from ..render import md, safe
from ..render.escape import md_text
from ..render.pictures import (
    MEDIA,
    columns,
    graph,
    graph_markdown,
    graph_mermaid,
    matrix,
    matrix_markdown,
    matrix_text,
    pictures,
    subscriptions,
)
from .context import cache_root, context
from .options import add_cache_argument, add_only, add_paths, add_project_arguments

FORMATS = ("text", "markdown", "mermaid", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_paths(p)
    add_cache_argument(p)
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default), markdown, "
                   "mermaid (one flowchart per template) or json (for policy tools)")  # fmt: skip
    add_only(p)
    add_project_arguments(p)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    saved = saved_plan_path(args.paths)
    if saved:
        return _show_saved(saved, args.format)
    ctx = context(args)
    checked = load_valid(
        args.paths,
        environ,
        ctx,
        rules=False,
        cache=cache_root(args, ctx, environ),
        require_env=False,  # offline: an unset ${HMSYNC_*} is a placeholder, nothing is sent
    )  # pictures, not a verdict
    documents = select(checked.documents, args.only, checked.others)
    templates = sorted(((str(d.data["name"]), d.file, d.data) for d in documents), key=str)
    others = select_others(checked.others, args.only)
    tables = {
        k.plural: k.rows(others.documents[k.name])
        for k in kinds.kinds()
        if others.documents.get(k.name)
    }
    if args.format == "json":  # one document: {"templates": [...], "rooms": [...]}
        sys.stdout.write(json.dumps({**json.loads(_json(templates)), **tables}, indent=2) + "\n")
        return Exit.OK
    sys.stdout.write(RENDER[args.format](templates))
    if tables:
        sys.stdout.write(TABLES[args.format](tables))
    return Exit.OK


def _tables_text(tables: Mapping[str, list[dict[str, str]]]) -> str:
    """The other kinds' objects (rooms), a line each: `all-hands: template town-hall, ...`."""
    out = []
    for plural, rows in tables.items():
        out.append(f"{plural}:")
        for r in rows:
            cells = ", ".join(f"{k} {v}" for k, v in r.items() if k != "name")
            out.append(safe(f"  {r['name']}: {cells}"))
    return "\n".join(out) + "\n"


def _tables_markdown(tables: Mapping[str, list[dict[str, str]]]) -> str:
    out = []
    for plural, rows in tables.items():
        columns_ = list(rows[0])
        out += ["", f"### {plural}", "", "| " + " | ".join(columns_) + " |"]
        out.append("|" + "---|" * len(columns_))
        out += ["| " + " | ".join(md_text(r[c], 200) for c in columns_) + " |" for r in rows]
    return "\n".join(out) + "\n"


def saved_plan_path(paths: list[str]) -> str | None:
    """The one PATH given, if it is a saved plan (`hmsync plan -o`): JSON with a format_version."""
    if len(paths) != 1 or not paths[0].endswith(".json"):
        return None
    from pathlib import Path

    try:
        head = Path(paths[0]).read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    return paths[0] if '"format_version"' in head else None


def _show_saved(path: str, fmt: str) -> int:
    """A saved plan, as `terraform show PLAN` shows one: offline, from the file alone."""
    from .. import render
    from ..errors import InputError
    from ..plan import planfile

    if fmt == "mermaid":
        raise InputError(
            f"{path}: a saved plan shows as text, markdown or json (its roles' pictures need "
            "the live templates: run hmsync plan --format markdown)"
        )
    plan = planfile.plan_from_dict(planfile.read(path), path)
    if fmt == "json":
        sys.stdout.write(render.plan_json(plan))
    elif fmt == "markdown":
        sys.stdout.write(render.plan_markdown(plan))
    else:
        where = f" for environment {plan.environment}" if plan.environment else ""
        print(safe(f"A saved plan{where} ({plan.api} API, {plan.api_base}):"))
        sys.stdout.write(render.plan_text(plan))
    return Exit.OK


Shown = list[tuple[str, str, dict[str, Any]]]


def _roles(data: Mapping[str, Any]) -> dict[str, Any]:
    roles = data.get("roles")
    return (
        {str(k): v for k, v in roles.items() if isinstance(v, dict)}
        if isinstance(roles, dict)
        else {}
    )


def _text(templates: Shown) -> str:
    out = []
    for name, file, data in templates:
        roles = _roles(data)
        out.append(safe(f"template {name} ({file})"))
        out += ["  " + safe(line) for line in matrix_text(matrix(roles, [])).splitlines()]
        out.append("  sees and hears:")
        for role, targets in sorted(subscriptions(roles).items()):
            out.append(safe(f"    {role} -> {', '.join(targets) or '(no one)'}"))
        out.append("")
    return "\n".join(out)


def _markdown(templates: Shown) -> str:
    out = []
    for name, file, data in templates:
        roles = _roles(data)
        rows, drawn = pictures(roles, [])
        out += [f"### {md(name)} ({md(file)})", "", matrix_markdown(rows)]
        out += [graph_markdown(drawn, 60_000)]
    return "\n".join(out)


def _mermaid(templates: Shown) -> str:
    return "\n".join(
        f"%% {safe(name).replace('%', '')}\n{graph_mermaid(graph(_roles(data), []))}"
        for name, _, data in templates
    )


def _json(templates: Shown) -> str:
    """The same as data, for policy tools (conftest, jq): flags a role leaves out read false."""
    out = []
    for name, file, data in templates:
        roles = _roles(data)
        rows = matrix(roles, [])
        seen = subscriptions(roles)
        flags = [c for c in columns(rows) if c.startswith("permissions.")]
        shown = []
        for row in rows:
            cells = {c: new for c, (_, new) in row.cells.items()}
            entry: dict[str, Any] = {
                "name": row.name,
                "publish": [m for m in MEDIA if cells.get(m) == "✓"],
                "permissions": {f.split(".", 1)[1]: cells.get(f) == "✓" for f in flags},
                "subscribesTo": seen[row.name],
            }
            for key in ("priority", "maxPeerCount"):
                value = roles[row.name].get(key)
                if isinstance(value, int):
                    entry[key] = value
            shown.append(entry)
        out.append({"name": name, "file": file, "roles": shown})
    return json.dumps({"templates": out}, indent=2) + "\n"


def _no_tables(tables: Mapping[str, list[dict[str, str]]]) -> str:
    return ""  # mermaid: flowcharts of templates only


RENDER = {"text": _text, "markdown": _markdown, "mermaid": _mermaid, "json": _json}
# The other kinds' tables (rooms): mermaid draws templates only, and says nothing more.
TABLES = {
    "text": _tables_text,
    "markdown": _tables_markdown,
    "mermaid": _no_tables,
}
