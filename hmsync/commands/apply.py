"""`hmsync apply`: carry out a saved plan, or plan and confirm first."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from .. import config, kinds, render
from ..backends import Backend
from ..errors import ConflictError, Exit, InputError, RefusedError
from ..files.loader import Document
from ..model import Action, Others, Outcome, Plan
from ..paths import Json
from ..plan import planfile
from ..plan.concealment import plan_key
from ..plan.diff import make_plan
from ..plan.digests import live_fingerprint
from ..plan.guardrails import both
from ..plan.pipeline import (
    inputs_digest,
    load_valid,
    plan_live,
    read_live,
    read_others,
    select,
    select_others,
)
from ..write.apply import apply_templates, as_api_error
from ..write.meanwhile import moved_meanwhile
from ..write.others import check_others, other_fingerprints, run_others
from .common import app_secret, load_and_read, open_client, use_color
from .context import Context, context
from .export import write_templates
from .guards import add_force, refuse_out_of_range, refuse_protected
from .options import add_api_arguments, add_only, add_write_arguments, number


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "targets",
        nargs="*",
        metavar="PLAN.json | PATHS",
        help="a plan saved with `hmsync plan -o`, or template files and folders "
        "(default: templates/)",
    )
    p.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    p.add_argument("--allow-delete", action="store_true", help="allow deleting roles")
    p.add_argument(
        "--max-deletes",
        type=number(int, 0, 1_000_000),
        metavar="N",
        help="refuse more than N role deletes",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    add_only(p)
    add_force(p)
    p.add_argument(
        "--backup",
        metavar="DIR",
        help="before the first write, export every template apply will change into DIR",
    )
    add_write_arguments(p)
    add_api_arguments(p)


def run(args: argparse.Namespace, environ: Mapping[str, str], stdin: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    saved = _saved_plan_path(args.targets)
    if saved and args.only:
        raise InputError("--only goes with PATHS; a saved plan is applied whole")
    if saved:
        saved_plan = planfile.read(saved)
        ctx = _saved_context(saved, saved_plan, args)
        if saved_plan["guardrails"]:  # checked with these: never applied under looser ones
            recorded = config.recorded_guardrails(saved_plan["guardrails"], saved)
            ctx = replace(ctx, guard=both(recorded, ctx.guardrails))
        _check_api(saved, saved_plan, ctx)  # before the client, whose base is the API's
        client = open_client(args, environ, ctx)
    else:
        client, checked, live, ctx = load_and_read(args, environ, args.targets)
    with client:
        if saved:
            plan, documents, live, others = _check_saved(
                saved, saved_plan, client, environ, args, ctx
            )
        else:
            documents = select(checked.documents, args.only, checked.others)
            others = select_others(checked.others, args.only)
            plan = plan_live(
                documents,
                live,
                client.base_url,
                all_files=checked.documents,
                write_credentials=args.write_credentials,
                ctx=ctx,
                others=others,
            )
            refuse_out_of_range(plan, checked, args.allow_out_of_range)
            if args.format == "text":
                sys.stdout.write(render.plan_text(plan, use_color(args, environ, sys.stdout)))
        if not plan.actions:
            if args.format == "json":
                sys.stdout.write(render.apply_json([]))
            elif saved:  # from PATHS, the plan shown above already said so
                print(render.NO_CHANGES)
            return Exit.OK
        refuse_protected(plan, ctx, args.force)  # before any write
        _check_deletes(plan, args)
        if not saved and not args.auto_approve:
            _confirm(len(plan.actions), stdin)
        desired = {str(d.data["name"]): d.data for d in documents}
        by_name = {str(t.get("name")): t for t in live}
        for t in plan.templates:  # a template to rename is read under its old name
            if plan.live_name(t) in by_name:
                by_name.setdefault(t.name, by_name[plan.live_name(t)])
        if args.backup:
            _backup(Path(args.backup), plan, by_name)
        outcomes = apply_templates(client, plan, desired, by_name, _progress)
        _check_convergence(client, outcomes, documents, plan)
        # Then the other kinds (rooms), after the templates they name may have been made.
        done = run_others(client, plan, others, _progress_other)
        check_others(client, done, plan, others, live)
        outcomes += done
    if args.format == "json":
        sys.stdout.write(render.apply_json(outcomes))
    else:
        sys.stdout.write(("" if saved else "\n") + render.apply_text(outcomes))
    if any(isinstance(o.error, ConflictError) for o in outcomes):
        return Exit.REFUSED
    failed = any(o.failed or o.not_converged or o.unverified or o.meanwhile for o in outcomes)
    return Exit.INCOMPLETE if failed else Exit.OK


def _saved_context(path: str, saved: dict[str, Any], args: argparse.Namespace) -> Context:
    """A saved plan is applied to the environment it was made for: the plan names it, so
    --env may be left out; an --env naming another is refused before anything else."""
    made_for, given = saved["environment"], getattr(args, "env", None)
    if given is not None and given != made_for:
        where = f"--env {made_for} (or no --env)" if made_for else "no --env"
        raise RefusedError(
            f"{path} was made for environment {made_for or '(none)'}, not {given}; apply it "
            f"with {where}, or run `hmsync plan --env {given} -o {path}` and review the new plan"
        )
    if made_for is not None:
        args = argparse.Namespace(**{**vars(args), "env": made_for})
    return context(args)


def _check_api(path: str, saved: dict[str, Any], ctx: Context) -> None:
    """A saved plan is applied with the API it was made for, or not at all."""
    made_for = saved["api"]
    if made_for != ctx.api:
        raise RefusedError(
            f"{path} was made for the {made_for} API, not {ctx.api}; apply it with --api "
            f"{made_for}, or run `hmsync plan -o {path}` again and review the new plan"
        )


def _saved_plan_path(targets: list[str]) -> str | None:
    if len(targets) == 1 and targets[0].endswith(".json") and Path(targets[0]).is_file():
        return targets[0]
    return None


def _check_saved(
    path: str,
    saved: dict[str, Any],
    client: Backend,
    environ: Mapping[str, str],
    args: argparse.Namespace,
    ctx: Context,
) -> tuple[Plan, list[Document], list[Json], Others]:
    """The saved plan (read from path, its API checked), made again from the same files and
    the live templates as they are now; refused (exit 4) if anything it was made from has
    changed."""
    where = f" --env {ctx.name}" if ctx.name else ""
    again = f"run `hmsync plan{where} -o {path}` again and review the new plan"
    if saved["api_base"] != client.base_url:
        raise RefusedError(
            f"{path} was made against {saved['api_base']}, not {client.base_url}; {again}"
        )
    allow = args.allow_out_of_range or saved["allow_out_of_range"]
    checked = load_valid(saved["files"], environ, ctx, allow)
    if inputs_digest(checked.documents, ctx, checked.others) != saved["files_digest"]:
        raise RefusedError(
            f"the template files or the project file changed since {path} was made; {again}"
        )
    names = [t["name"] for t in saved["templates"]]
    documents = [d for d in checked.documents if d.data["name"] in names]
    live = read_live(client, documents)
    others = read_others(client, checked, live)
    secret = app_secret(environ, ctx)
    plan = plan_live(
        documents,
        live,
        client.base_url,
        saved["secret_salt"],
        checked.documents,
        write_credentials=saved["write_credentials"],
        ctx=ctx,
        app_secret=secret,
        others=others,
    )
    matters = _acted_on(saved["templates"])
    if matters is not None:  # what it does not act on, it leaves alone: no action there now
        kept = tuple(t if t.name in matters else replace(t, actions=()) for t in plan.templates)
        plan = replace(plan, templates=kept)
        acted = {f"{o['kind']}:{o['name']}" for o in saved["others"] if o["actions"]}
        matters |= acted
        kept_others = tuple(
            t if f"{t.kind}:{t.name}" in acted else replace(t, actions=()) for t in plan.others
        )
        plan = replace(plan, others=kept_others)
    key = plan_key(secret, saved["secret_salt"])
    now = {str(t.get("name")): live_fingerprint(t, key) for t in live}
    now.update(other_fingerprints(others, key))
    was: dict[str, str] = saved["live_fingerprints"]
    changed = {n for n, fp in was.items() if now.get(n) != fp} | {
        t.name for t in plan.templates if t.template_id and plan.live_name(t) not in was
    }
    stale = sorted(changed if matters is None else changed & matters)
    if stale:
        raise RefusedError(
            f"live {_what_changed(stale)} changed since {path} was made: "
            f"{', '.join(stale)}; {again}"
        )
    if changed - set(stale):
        print(
            f"note: live template(s) changed since {path} was made, which it does not act on: "
            f"{', '.join(sorted(changed - set(stale)))}; left as they are",
            file=sys.stderr,
        )
    saved_by_name = {t["name"]: t for t in saved["templates"]}
    moved = [
        t.name
        for t in plan.templates
        if dict(t.secret_hashes) != saved_by_name[t.name]["secret_hashes"]
    ]
    if moved:
        raise RefusedError(
            f"the recording credentials (HMSYNC_* variables) of {', '.join(moved)} are not the "
            f"ones {path} was made with; set them as they were, or {again}"
        )
    fresh = planfile.plan_to_dict(plan)
    plurals = [k.plural for k in kinds.kinds()]
    if any(fresh.get(key, []) != saved.get(key, []) for key in ("templates", *plurals)):
        raise RefusedError(f"{path} no longer matches the files and environment; {again}")
    refuse_out_of_range(plan, checked, args.allow_out_of_range or saved["allow_out_of_range"])
    return plan, documents, live, others


def _what_changed(names: list[str]) -> str:
    """`template`, `templates`, or `objects` where another kind's (`room:NAME`) is among them."""
    if any(":" in n and n.split(":", 1)[0] in {k.name for k in kinds.kinds()} for n in names):
        return "objects" if len(names) > 1 else "object"
    return "templates" if len(names) > 1 else "template"


def _acted_on(templates: list[dict[str, Any]]) -> set[str] | None:
    """The live templates whose change since the plan makes it stale: those it acts on (by
    their names now and before a rename). None: every one, for a plan that sets a default
    flag (setting one clears it on the others, so another's change matters too)."""
    out: set[str] = set()
    for template in templates:
        for action in template["actions"]:
            if action.get("kind") == "set_default":
                return None
            out.add(str(template["name"]))
            if action.get("kind") == "rename_template" and action.get("from"):
                out.add(str(action["from"]))
    return out


def _check_deletes(plan: Plan, args: argparse.Namespace) -> None:
    deletes = [a for a in plan.actions if a.kind == "delete_role"]
    if not deletes:
        return
    names = ", ".join(f"{a.template}/{a.role}" for a in deletes)
    n = len(deletes)
    if not args.allow_delete:
        raise RefusedError(
            f"refusing to delete {n} role{'s' if n > 1 else ''} without --allow-delete: {names}. "
            "Nothing was changed; review the deletes, then run again with --allow-delete"
        )
    if args.max_deletes is not None and n > args.max_deletes:
        raise RefusedError(
            f"{n} role deletes exceed --max-deletes {args.max_deletes}: {names}. "
            "Nothing was changed"
        )


def _confirm(count: int, stdin: TextIO) -> None:
    if not stdin.isatty():
        raise RefusedError(
            "no terminal to confirm on; review the plan, then run again with --auto-approve "
            "(or apply a reviewed plan file: hmsync plan -o plan.json, hmsync apply plan.json)"
        )
    print(f"Apply {count} change{'s' if count != 1 else ''}? [y/N] ", end="", flush=True)
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise RefusedError("not confirmed; nothing was changed")


def _progress_other(action: Action, status: str, seconds: float) -> None:
    """As _progress, for another kind's action (rooms go one after another)."""
    line = f"[room] {action.template}: {render.action_title(action)} ... {status}"
    print(render.safe(f"{line} {seconds:.2f} s"), file=sys.stderr, flush=True)


def _progress(done: int, total: int, action: Action, status: str, seconds: float) -> None:
    """A line per action as it finishes, on any output (a CI log is no terminal)."""
    line = f"[{done}/{total}] {action.template}: {render.action_title(action)} ... {status}"
    print(render.safe(f"{line} {seconds:.2f} s"), file=sys.stderr, flush=True)


def _backup(folder: Path, plan: Plan, live: Mapping[str, Json]) -> None:
    """The templates this apply changes, as they are now, as template files: `hmsync apply
    DIR` restores them. A role this apply renames is written with renamedFrom its new name,
    so the restore renames it back instead of deleting and creating it."""
    touched = [live[t.name] for t in plan.changed if t.name in live]
    # Keyed by the name live has now: a template this apply renames is backed up under it,
    # with renamedFrom its new name, so the restore renames it back.
    hints = {
        plan.live_name(t): {
            str(a.old_name): str(a.role) for a in t.actions if a.kind == "rename_role"
        }
        for t in plan.changed
    }
    renamed = {plan.live_name(t): t.name for t in plan.changed if plan.live_name(t) != t.name}
    written, variables = write_templates(
        folder,
        touched,
        False,
        hints,
        "name a new folder for --backup; nothing was changed",
        api=plan.api,
        renamed=renamed,
    )
    print(
        f"Backed up {len(written)} template(s) to {folder}/ before writing; restore with: "
        f"hmsync apply {folder} --allow-delete",
        file=sys.stderr,
    )
    if variables:
        print(
            f"  (the restore needs these variables set: {', '.join(variables)})",
            file=sys.stderr,
        )


def _check_convergence(
    client: Backend, outcomes: list[Outcome], documents: list[Document], plan: Plan
) -> None:
    """Re-read what was written and plan it again: whatever still differs did not converge."""
    finished = {o.template: o for o in outcomes if not o.failed}
    if not finished:
        return
    try:
        live = read_live(client, [d for d in documents if d.data["name"] in finished])
    except Exception as exc:
        # The writes happened: the report must still say which, and that they are unchecked.
        for outcome in finished.values():
            outcome.unverified = as_api_error(exc, client).message
        return
    again = make_plan(
        [(d.file, d.data) for d in documents if d.data["name"] in finished],
        live,
        plan.secret_salt,
        # Not write_credentials: reads cannot tell them, so they could never read back as
        # written; the write itself was checked by its answer.
        ignore=plan.ignored,  # fields left to the dashboard were never meant to match
        hidden=plan.hidden,  # what does not converge is shown: concealed as the plan was
        api=plan.api,
    )
    for template in again.templates:
        finished[template.name].not_converged = list(template.actions)
    planned = {t.name: t.actions for t in plan.templates}
    after = {str(t.get("name")): t for t in live}
    for name, outcome in finished.items():
        if outcome.base is not None and name in after:
            outcome.meanwhile = moved_meanwhile(outcome.base, after[name], planned[name])
