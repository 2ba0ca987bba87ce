"""How a plan is made, the steps every command that plans shares: the files as an environment
sees them (checked, errors stopping here), the live templates with what the files manage beyond
the listing, and the plan of the one against the other.

The commands pass their context (commands.context.Context: the project, the environment, the
API, the guardrails to judge by) and a backend; nothing here parses arguments or prints but a
warning of the files."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import kinds
from ..errors import InputError
from ..files.loader import Document
from ..files.schema import Checked, check_kind_files, check_paths
from ..model import Others, Plan, TemplatePlan
from ..paths import Json, get_path
from ..problems import Location, Problem, meant
from .concealment import plan_key
from .diff import make_plan
from .digests import files_digest
from .rulecheck import with_rules

if TYPE_CHECKING:  # a value the commands make and pass in; no import of the commands' layer
    from ..backends import Backend
    from ..commands.context import Context


def checked_files(
    ctx: Context,
    paths: Sequence[str],
    environ: Mapping[str, str],
    cache: Path | None,
    *,
    rules: bool = True,
    strict: bool = False,
    require_env: bool = True,
) -> Checked:
    """The files as ctx's environment sees them (its vars and overlays), against the schema of
    its API and, with rules, the team's rules. cache: see cache_root."""
    checked = check_paths(
        ctx.paths(paths),
        environ,
        strict=strict,
        require_env=require_env,
        variables=ctx.variables,
        overlays=ctx.overlays,
        api=ctx.api,
        cache_root=cache,
    )
    checked = with_other_kinds(checked, ctx, environ, require_env)
    return with_rules(checked, ctx.rules, ctx.name, ctx.api, strict) if rules else checked


def with_other_kinds(
    checked: Checked, ctx: Context, environ: Mapping[str, str], require_env: bool = True
) -> Checked:
    """checked with the files of every other kind (rooms) from their folders: loaded, checked
    against the kind's schema and against the templates, their problems beside the templates'."""
    others = Others()
    problems = list(checked.problems)
    files = checked.files
    for plural in kinds.plurals():
        folders = ctx.folders(plural)
        if not folders:
            continue  # no folder of that kind here: its code is not even imported
        kind = kinds.of_plural(plural)
        docs, found, count = check_kind_files(
            folders, kind.schema, environ, require_env, ctx.variables
        )
        files += count
        problems += found
        if docs and ctx.api not in kind.apis:
            first = docs[0].file
            problems.append(
                Problem(Location(first, 1, 1), "", f"{kind.plural} are managed on the "
                        f"{'/'.join(kind.apis)} API only, and this project uses {ctx.api}; set "
                        f"`api: {kind.apis[0]}` in hmsync.yaml, or move {folders[0]} away")
            )  # fmt: skip
            continue
        problems += kind.check(docs, checked.documents)
        others.documents[kind.name] = docs
    return replace(checked, problems=sorted(set(problems)), files=files, others=others)


def read_others(client: Backend, checked: Checked, live: list[Json]) -> Others:
    """checked's other kinds with what live holds of the objects their files name."""
    for kind in kinds.kinds():
        documents = checked.others.documents.get(kind.name)
        if documents:
            checked.others.live[kind.name] = kind.read(client, documents, live)
    return checked.others


def select_others(others: Others, only: Sequence[str] | None) -> Others:
    """With --only, the other kinds' files it names (by identity); all of them without."""
    if not only:
        return others
    out = Others(live=others.live)
    for kind in kinds.kinds():
        wanted = {kind.identity(n) for n in only}
        docs = others.documents.get(kind.name) or []
        out.documents[kind.name] = [d for d in docs if kind.identity(str(d.data["name"])) in wanted]
    return out


def load_valid(
    paths: Sequence[str],
    environ: Mapping[str, str],
    ctx: Context,
    allow_out_of_range: bool = False,
    rules: bool = True,
    cache: Path | None = None,
    require_env: bool = True,
) -> Checked:
    """The files, validated; errors stop here, warnings go to stderr.

    allow_out_of_range: a value outside a documented enum (an error otherwise) is let through
    like a number outside a range: said, and written only where the plan needs it.
    require_env: False where nothing is sent (show): an unset ${HMSYNC_*} is a placeholder."""
    checked = checked_files(ctx, paths, environ, cache, rules=rules, require_env=require_env)
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


def select(
    documents: list[Document], only: Sequence[str] | None, others: Others | None = None
) -> list[Document]:
    """The template files --only names (all without it). A name may be an other kind's (a
    room's): select_others picks those."""
    if not only:
        return documents
    names = {d.data["name"] for d in documents}
    for kind in kinds.kinds():
        docs = (others.documents.get(kind.name) or []) if others else []
        ids = {kind.identity(str(d.data["name"])) for d in docs}
        names |= {n for n in only if kind.identity(n) in ids}
    unknown = [n for n in only if n not in names]
    if unknown:
        hint = meant(unknown[0], sorted(str(n) for n in names))
        raise InputError(
            f"--only {unknown[0]}: no template file defines a template of that name{hint}"
        )
    return [d for d in documents if d.data["name"] in only]


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
    *,
    ctx: Context,
    app_secret: str | None = None,
    others: Others | None = None,
) -> Plan:
    """The documents diffed against the live templates; all_files: every file read (--only).
    app_secret keys a saved plan's hashes (plan_key). others: the other kinds' files and live
    (rooms), each planned by its kind."""
    every = all_files or documents
    others = others or Others()
    salt = salt or secrets.token_hex(16)
    plan = make_plan(
        [(d.file, d.data) for d in documents],
        live,
        salt,
        inputs_digest(every, ctx, others),
        api_base,
        managed=[str(d.data["name"]) for d in every],
        files=[d.file for d in every],  # the template files (the other kinds': their folders)
        fingerprints=fingerprints,
        write_credentials=write_credentials,
        hidden=hidden_values(every + [d for ds in others.documents.values() for d in ds]),
        ignore=ctx.ignore,
        environment=ctx.name,
        api=ctx.api,
        hash_key=plan_key(app_secret, salt),
    )
    described = {str(d.data["name"]) for d in every}
    described |= {str(d.data["renamedFrom"]) for d in every if d.data.get("renamedFrom")}
    managed = sum(len(t.get("roles") or {}) for t in live if t.get("name") in described)
    entries: list[TemplatePlan] = []
    prints = dict(plan.fingerprints)
    key = plan_key(app_secret, salt)
    for kind in kinds.kinds():
        docs = others.documents.get(kind.name) or []
        found = others.live.get(kind.name) or {}
        entries += kind.plan(docs, found, live, every, hidden=plan.hidden, salt=key or salt)
        if fingerprints:
            prints.update(kind.fingerprints(found, key))
    return replace(
        plan,
        guardrails=ctx.guardrails.raw,
        guardrails_changed=ctx.guard_changes,
        managed_roles=managed,
        others=tuple(entries),
        fingerprints=tuple(sorted(prints.items())),
    )


def inputs_digest(documents: list[Document], ctx: Context, others: Others | None = None) -> str:
    """One digest of everything a plan was made from: the template files (and overlays), the
    other kinds' files, and the project file, whose vars and ignore shape the plan as much as
    the templates do."""
    pairs = [(d.file, d.digest) for d in documents]
    pairs += [
        (d.file, d.digest) for ds in (others.documents.values() if others else ()) for d in ds
    ]
    project = ctx.project
    if project is not None:
        pairs.append((project.file, project.digest))
    return files_digest(pairs)


def hidden_values(documents: list[Document]) -> frozenset[str]:
    """Every string a file took from an ${HMSYNC_*} variable: shown nowhere."""
    out: set[str] = set()
    for doc in documents:
        for path in doc.interpolated:
            node = get_path(doc.data, path)
            if isinstance(node, str) and node:
                out.add(node)
    return frozenset(out)
