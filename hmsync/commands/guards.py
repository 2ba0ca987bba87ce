"""The guards between a plan and a write that the commands share: values outside the
documented ranges, and hmsync.yaml's protect (change rules)."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError, RefusedError
from ..files.schema import Checked
from ..model import Plan
from ..problems import Problem, dotted, split_path
from .context import Context

# Where in a file each kind of action's change paths are (roles: under roles.NAME).
FILE_PREFIX: dict[str, tuple[str, ...]] = {
    "update_settings": ("settings",),
    "update_destinations": ("destinations",),
    "update_recordings": (),  # its paths start with recordings[i]
    "update_plugins": (),  # its paths start with plugins. (and settings. for credentials)
}


def add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help="go past hmsync.yaml's protect.max_changed_percent (protected roles stay refused)",
    )


def refuse_protected(plan: Plan, ctx: Context, force: bool) -> None:
    """hmsync.yaml's change rules: a plan they refuse is never applied (exit 4)."""
    from ..plan.guardrails import refusals

    found = refusals(plan, ctx.protect, force)
    if found:
        n = len(found)
        raise RefusedError(
            f"refused by hmsync.yaml's protect ({n} reason{'s' if n != 1 else ''}): {found[0]}"
            + (f"; and {n - 1} more" if n > 1 else "")
            + ". Nothing was changed",
            tuple(found[1:]),
        )


def refuse_out_of_range(plan: Plan, checked: Checked, allow: bool) -> None:
    """A value outside a documented range may be written only on purpose; one that live
    already has and the plan leaves alone passes quietly."""
    written = [p for p in checked.out_of_range if _writes(plan, p)]
    if not written:
        return
    if allow:
        for problem in written:
            print(problem, file=sys.stderr)
        return
    n = len(written)
    raise InputError(
        f"the plan would write {n} value{'s' if n != 1 else ''} outside the documented "
        "ranges; fix them, or pass --allow-out-of-range to write them anyway",
        tuple(str(p) for p in written),
    )


def _writes(plan: Plan, problem: Problem) -> bool:
    for template in plan.templates:
        if template.file != problem.location.file:
            continue
        for action in template.actions:
            if action.kind == "create_template":
                return True
            if action.kind in ("create_role", "delete_role", "set_default"):
                prefixes = [dotted(("roles", str(action.role)))] * (action.kind == "create_role")
            else:
                base = FILE_PREFIX.get(action.kind, ("roles", str(action.role)))
                prefixes = [dotted((*base, *split_path(c.path))) for c in action.changes]
            if any(_under(problem.path, prefix) for prefix in prefixes):
                return True
    return False


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))
