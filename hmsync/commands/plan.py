"""`hmsync plan`: what apply would do, read-only."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .. import render
from ..errors import Exit, InputError
from ..model import Plan
from ..paths import Json
from ..plan import origin, planfile
from ..plan.diff import make_plan
from ..plan.pipeline import plan_live, select, select_others
from ..redact import redact
from .common import app_secret, load_and_read, use_color
from .guards import add_force, refuse_out_of_range, refuse_protected
from .options import (
    add_api_arguments,
    add_cache_argument,
    add_only,
    add_paths,
    add_write_arguments,
    non_empty,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_paths(p)
    add_cache_argument(p)
    p.add_argument(
        "-o", "--out", type=non_empty, metavar="PLAN.json", help="save the plan for hmsync apply"
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text (default), json, or markdown for pull-request comments",
    )
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 with no changes, 2 with changes, 1 on error",
    )
    p.add_argument(
        "--base-ref",
        metavar="REF",
        help="tell this change from changes made outside hmsync: the files as they are at this "
        "git ref (the pull request's base) against the same live templates",
    )
    add_only(p)
    add_force(p)
    add_write_arguments(p)
    add_api_arguments(p)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from .show import saved_plan_path

    saved = saved_plan_path(args.paths)
    if saved:
        raise InputError(
            f"{saved} is a saved plan, not a template file: show it with `hmsync show {saved}`, "
            f"apply it with `hmsync apply {saved}`, or plan afresh with `hmsync plan -o {saved}`"
        )
    client, checked, live, ctx = load_and_read(args, environ, args.paths)
    with client:
        documents = select(checked.documents, args.only, checked.others)
        # Live fingerprints go only where a saved plan needs them: -o and the JSON output.
        keep = bool(args.out) or args.format == "json"
        plan = plan_live(
            documents,
            live,
            client.base_url,
            all_files=checked.documents,
            fingerprints=keep,
            write_credentials=args.write_credentials,
            ctx=ctx,
            app_secret=app_secret(environ, ctx),
            others=select_others(checked.others, args.only),
        )
    refuse_out_of_range(plan, checked, args.allow_out_of_range)
    plan = replace(plan, allow_out_of_range=args.allow_out_of_range)
    if args.base_ref:
        plan = _tagged(plan, args, environ, live, ctx.api)
    if args.format == "json":
        sys.stdout.write(render.plan_json(plan))
    elif args.format == "markdown":
        sys.stdout.write(render.plan_markdown(plan))
    else:
        wide = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        sys.stdout.write(render.plan_text(plan, use_color(args, environ, sys.stdout), wide))
    refuse_protected(plan, ctx, args.force)  # shown above, refused here: never saved
    if args.out:
        # Secrets are masked in the plan by structure; this catches any the server told us.
        write_atomic(Path(args.out), redact(planfile.dumps(plan)))
        where = f" --env {ctx.name}" if ctx.name else ""
        print(
            f"Saved the plan to {args.out}; apply it with: hmsync apply{where} {args.out}",
            file=sys.stderr,
        )
    if args.detailed_exitcode and plan.actions:
        return Exit.CHANGES
    return Exit.OK


def _tagged(
    plan: Plan, args: argparse.Namespace, environ: Mapping[str, str], live: list[Json], api: str
) -> Plan:
    """The plan with the changes it sets back (made outside hmsync) told apart."""
    from .. import gitbase  # git and tar: only with --base-ref

    base = gitbase.documents_at(
        args.base_ref,
        args.paths,
        getattr(args, "config", None),
        plan.environment,
        environ,
        api,
    )
    if base is None:
        return plan
    names = {t.name for t in plan.templates}
    base_plan = make_plan(
        [(d.file, d.data) for d in base if d.data["name"] in names],
        live,
        plan.secret_salt,
        fingerprints=False,
        hidden=plan.hidden,
        ignore=plan.ignored,
        api=api,
    )
    return origin.tag(plan, base_plan, args.base_ref)


def write_atomic(path: Path, text: str) -> None:
    # The rename would replace whatever is there: a device, a pipe, a folder's link.
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: not a regular file; name a plan file (such as plan.json)")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the plan file: {exc.strerror}") from None
