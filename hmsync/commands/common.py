"""What the commands that talk to 100ms share: loading valid files, the client, the plan."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from .. import config
from ..backends import Backend, client_from_env
from ..errors import InputError
from ..files.loader import Document
from ..files.schema import Checked
from ..model import Plan
from ..paths import Json, get_path
from ..plan.concealment import plan_key
from ..plan.diff import make_plan
from ..plan.digests import files_digest
from ..render import safe
from .context import Context, cache_root, checked_files, context
from .options import (  # noqa: F401 (the commands import them from here too)
    add_api_arguments,
    add_cache_argument,
    add_only,
    add_paths,
    add_project_arguments,
    add_write_arguments,
    global_default,
    non_empty,
    number,
)


def load_valid(
    paths: Sequence[str],
    environ: Mapping[str, str],
    ctx: Context | None = None,
    allow_out_of_range: bool = False,
    rules: bool = True,
    cache: Path | None = None,
) -> Checked:
    """The files, validated; errors stop here, warnings go to stderr.

    allow_out_of_range: a value outside a documented enum (an error otherwise) is let through
    like a number outside a range: said, and written only where the plan needs it."""
    checked = checked_files(ctx or Context(), paths, environ, cache, rules=rules)
    if allow_out_of_range:
        problems = [
            replace(p, severity="warning", code="range") if p.code == "enum" else p
            for p in checked.problems
        ]
        checked = replace(checked, problems=problems)
    for problem in checked.warnings:
        if problem.code != "range":  # said only where a plan would write the value
            print(problem, file=sys.stderr)
    if checked.errors:
        n = len(checked.errors)
        raise InputError(
            f"{n} error{'s' if n != 1 else ''} in the template files; fix them first "
            "(hmsync validate lists the same)",
            tuple(str(p) for p in checked.errors),
        )
    return checked


def select(documents: list[Document], only: Sequence[str] | None) -> list[Document]:
    if not only:
        return documents
    names = {d.data["name"] for d in documents}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise InputError(f"--only {unknown[0]}: no template file defines a template of that name")
    return [d for d in documents if d.data["name"] in only]


def open_client(
    args: argparse.Namespace, environ: Mapping[str, str], ctx: Context | None = None
) -> Backend:
    """The client, with the environment's credentials only. The base URL: --api-base, then
    the environment's api_base, then HMS_API_BASE, then 100ms's own."""
    ctx = ctx or Context()
    base = args.api_base or (ctx.env.api_base if ctx.env else None)
    only = {**config.credentials(ctx.env, environ)}
    if "HMS_API_BASE" in environ:
        only["HMS_API_BASE"] = environ["HMS_API_BASE"]
    client = client_from_env(only, base, args.timeout, args.parallelism, args.retries, ctx.api)
    client.notify = _still_working
    return client


def _still_working(message: str) -> None:
    print(safe(f"hmsync: still working: {message}"), file=sys.stderr, flush=True)


def load_and_read(
    args: argparse.Namespace, environ: Mapping[str, str], paths: Sequence[str], rules: bool = True
) -> tuple[Backend, Checked, list[Json], Context]:
    """The validated files and every live template, read at once: the listing waits on the
    network while validation works the CPU, so both take about as long as the longer one.

    Problems in the files are reported first, before credential or API errors; a listing
    begun for files that turn out invalid only read, never wrote."""
    ctx = context(args)
    cache = cache_root(args, ctx, environ)
    try:
        client = open_client(args, environ, ctx)
    except InputError:
        load_valid(paths, environ, ctx, rules=rules, cache=cache)  # files first
        raise
    from concurrent.futures import ThreadPoolExecutor  # not for validate's start-up

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            listing = pool.submit(client.list_templates)
            try:
                allow = bool(getattr(args, "allow_out_of_range", False))
                checked = load_valid(paths, environ, ctx, allow, rules, cache)
            except InputError:
                listing.cancel()
                raise
            live = listing.result()
        client.read_parts(live, managed_parts(checked.documents))
        return client, checked, live, ctx
    except BaseException:
        client.close()
        raise


def managed_parts(documents: list[Document]) -> set[str]:
    """The templates whose live parts beyond the listing a plan needs (v2's recordings)."""
    return {str(d.data["name"]) for d in documents if "recordings" in d.data}


def read_live(client: Backend, documents: list[Document]) -> list[Json]:
    """Every live template, with what the files manage beyond the listing."""
    live = client.list_templates()
    client.read_parts(live, managed_parts(documents))
    return live


def plan_live(
    documents: list[Document],
    live: list[Json],
    api_base: str,
    salt: str | None = None,
    all_files: list[Document] | None = None,
    fingerprints: bool = False,
    write_credentials: bool = False,
    ctx: Context | None = None,
    app_secret: str | None = None,
) -> Plan:
    """The documents diffed against the live templates; all_files: every file read (--only).
    app_secret keys a saved plan's hashes (plan_key)."""
    every = all_files or documents
    salt = salt or secrets.token_hex(16)
    ctx = ctx or Context()
    plan = make_plan(
        [(d.file, d.data) for d in documents],
        live,
        salt,
        inputs_digest(every, ctx),
        api_base,
        managed=[str(d.data["name"]) for d in every],
        files=[d.file for d in every],
        fingerprints=fingerprints,
        write_credentials=write_credentials,
        hidden=hidden_values(every),
        ignore=ctx.ignore,
        environment=ctx.name,
        api=ctx.api,
        hash_key=plan_key(app_secret, salt),
    )
    return replace(plan, guardrails=ctx.guardrails.raw, guardrails_changed=ctx.guard_changes)


def inputs_digest(documents: list[Document], ctx: Context | None) -> str:
    """One digest of everything a plan was made from: the template files (and overlays) and
    the project file, whose vars and ignore shape the plan as much as the templates do."""
    pairs = [(d.file, d.digest) for d in documents]
    project = (ctx or Context()).project
    if project is not None:
        pairs.append((project.file, project.digest))
    return files_digest(pairs)


def app_secret(environ: Mapping[str, str], ctx: Context) -> str | None:
    """The app secret this command's credentials hold, if they hold one (not a token)."""
    return config.credentials(ctx.env, environ).get("HMS_SECRET")


def hidden_values(documents: list[Document]) -> frozenset[str]:
    """Every string a file took from an ${HMSYNC_*} variable: shown nowhere."""
    out: set[str] = set()
    for doc in documents:
        for path in doc.interpolated:
            node = get_path(doc.data, path)
            if isinstance(node, str) and node:
                out.add(node)
    return frozenset(out)


def use_color(args: argparse.Namespace, environ: Mapping[str, str], stream: TextIO) -> bool:
    """--no-color, then NO_COLOR and FORCE_COLOR (each only when set and not empty, as
    no-color.org and force-color.org say), then a terminal that is not `dumb`."""
    env = {**os.environ, **environ}
    if getattr(args, "no_color", False) or env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return stream.isatty() and env.get("TERM") != "dumb"
