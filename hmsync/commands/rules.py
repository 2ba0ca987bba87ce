"""`hmsync rules`: the team's rules of hmsync.yaml, what each selects, what breaks it. Offline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping

from ..config import find
from ..errors import Exit, InputError
from ..plan.pipeline import checked_files
from ..plan.rulecheck import in_scope
from ..plan.rules import Rule
from ..render import safe
from .context import Context, cache_root, context
from .options import add_cache_argument, add_paths, add_project_arguments


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_paths(p)
    add_cache_argument(p)
    add_project_arguments(p)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    project = find(getattr(args, "config", None))
    if project is None or not (project.rules or project.protect):
        raise InputError(
            "no rules: hmsync.yaml has no rules or protect "
            "(the README's 'Your own rules' shows how)"
        )
    if getattr(args, "env", None) is None and project.environments:
        contexts = [Context(project, e, None) for e in project.environments.values()]
    else:
        contexts = [context(args)]
    lines: list[str] = []
    broken = False
    for ctx in contexts:
        checked = checked_files(ctx, args.paths, environ, cache_root(args, ctx, environ))
        if len(contexts) > 1:
            lines.append(f"environment {ctx.name}:")
        applying = {r.id for r in in_scope(project.rules, ctx.name)}
        for rule in project.rules:
            lines += _rule_lines(rule, rule.id in applying, checked.matched.get(rule.id, []))
            for problem in checked.problems:
                if problem.code == "rule" and f" rule {rule.id}:" in problem.message:
                    lines.append(f"    {problem}")
                    broken = broken or problem.severity == "error"
        lines.append("")
    if project.protect:
        p = project.protect
        roles = ", ".join(p.roles) or "none"
        limit = f"{p.max_changed_percent:g}%" if p.max_changed_percent is not None else "none"
        rooms = f"; rooms {', '.join(p.rooms)}" if p.rooms else ""
        lines.append(
            f"protect: roles {roles}; max_changed_percent {limit}{rooms} (checked on plans)"
        )
    sys.stdout.write("".join(safe(line) + "\n" for line in lines))
    return Exit.ERROR if broken else Exit.OK


def _rule_lines(rule: Rule, applies: bool, matched: list[str]) -> list[str]:
    where = [f"{k} {', '.join(v)}" for k, v in (
        ("templates", rule.templates), ("roles", rule.roles), ("rooms", rule.rooms),
        ("environments", rule.environments),
    ) if v]  # fmt: skip
    every = "every room" if rule.rooms is not None else "every template"
    requires = "; ".join(
        f"{path} {' and '.join(f'{k} {json.dumps(v)}' for k, v in conditions)}"
        for path, conditions in rule.require
    )
    head = f"  {rule.id} ({rule.severity}){': ' + rule.message if rule.message else ''}"
    out = [head, f"    where: {'; '.join(where) or every}", f"    requires: {requires}"]
    if not applies:
        out.append("    not here: its environments do not include this one")
    else:
        noun = "room" if rule.rooms is not None else "template" if rule.roles is None else "role"
        kind = noun + ("s" if len(matched) != 1 else "")
        more = f" and {len(matched) - 20} more" if len(matched) > 20 else ""
        shown = ", ".join(matched[:20]) + more
        out.append(f"    matched {len(matched)} {kind}: {shown or 'none'}")
    return out
