"""`hmsync export`: write the live templates as template files."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import kinds
from ..backends import Backend
from ..errors import Exit, InputError, RefusedError
from ..files.schema import data_errors, undocumented_values
from ..files.yamlfile import variable_names
from ..plan.normalize import Json
from ..redact import redact
from ..render.export import dump, file_name, template_file
from .common import open_client
from .context import Context, context
from .options import add_api_arguments, add_only

SCHEMA_FILES = {
    "v1": Path("schemas") / "template.schema.json",
    "v2": Path("schemas") / "template.v2.schema.json",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="templates", metavar="DIR", help="folder (default: templates/)")
    add_only(p)
    p.add_argument(
        "--room",
        action="append",
        metavar="NAME",
        default=[],
        help="also write the live room of that name (case-insensitive; v2) as a room file; "
        "repeatable",
    )
    p.add_argument(
        "--rooms-out",
        metavar="DIR",
        help="folder for the room files (default: hmsync.yaml's rooms folder, else rooms/)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="accept live into the template files in place: each value the plan would set "
        "back, where a file states it literally (comments, variables and layout kept); "
        "refused, with the paths, where that would change what a file means",
    )
    add_api_arguments(p)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    if args.refresh:
        return refresh(args, environ)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: not a folder; name a folder for the template files")
    ctx = context(args)
    with open_client(args, environ, ctx) as client:
        live = client.list_templates()
        if args.only:
            missing = sorted(set(args.only) - {str(t.get("name")) for t in live})
            if missing:
                raise InputError(f"--only {missing[0]}: no live template has that name")
            live = [t for t in live if t.get("name") in args.only]
        client.read_parts(live, {str(t.get("name")) for t in live})  # v2: the recordings
        rooms = _rooms(client, args, ctx)
    written, variables = write_templates(out, live, args.force, ignore=ctx.ignore, api=ctx.api)
    for path, roles in written:
        print(f"wrote {path} ({roles} role(s))")
    print(f"Exported {len(written)} template(s) to {out}/.")
    if rooms is not None:
        folder = Path(args.rooms_out or (ctx.folders("rooms") or ["rooms"])[0])
        for path in write_others(folder, rooms, args.force, variables):
            print(f"wrote {path}")
        print(f"Exported {len(rooms)} room(s) to {folder}/.")
    if variables:
        print(
            f"{_what(variables)} written as placeholders; set these variables (to the "
            f"values you use today) before plan or apply: {', '.join(variables)}"
        )
    schema_file = SCHEMA_FILES[ctx.api]
    if not schema_file.exists():
        command = "hmsync schema" + (" --api v2" if ctx.api == "v2" else "")
        print(f"For editor completion: mkdir -p schemas && {command} > {schema_file}")
    return Exit.OK


def refresh(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """`export --refresh`: the project's own files, with live's values where they differ."""
    from ..plan.pipeline import load_valid, plan_live, read_live, read_others, select, select_others
    from ..problems import split_path
    from ..render.refresh import Edit, refreshed

    ctx = context(args)
    checked = load_valid([], environ, ctx, rules=False)
    documents = select(checked.documents, args.only, checked.others)
    with open_client(args, environ, ctx) as client:
        live = read_live(client, documents)
        others = select_others(read_others(client, checked, live), args.only)
        plan = plan_live(
            documents, live, client.base_url, all_files=checked.documents, ctx=ctx, others=others
        )
    by_name = {str(d.data["name"]): d for d in documents}
    # The other kinds' files (rooms) by their name, as the plan names their entries.
    files = {(k, str(d.data["name"])): d for k, ds in others.documents.items() for d in ds}
    refused: list[str] = []
    texts: dict[str, str] = {}
    for template in plan.changed:
        doc = by_name[template.name]
        where = getattr(doc, "overlay", None)
        if where is not None:
            refused.append(
                f"{template.name}: the environment's overlay {where.file} shapes it; refresh "
                "the overlay or the base file by hand"
            )
            continue
        edits: list[Edit] = []
        for action in template.actions:
            base = {"update_role": ("roles", str(action.role)), "update_settings": ("settings",)}
            if action.kind not in base:
                what = f"{action.kind.replace('_', ' ')} {action.role or ''}".strip()
                refused.append(f"{doc.file}: {what}: not a value to refresh; do it by hand")
                continue
            for change in action.changes:
                if change.sensitive:
                    continue  # a secret: never read into a file (its variable stays)
                edits.append(Edit((*base[action.kind], *split_path(change.path)), change.old))
        text, problems = refreshed(Path(doc.file).read_text(encoding="utf-8"), edits)
        refused += [f"{doc.file}: {problem}" for problem in problems]
        if edits and not problems:
            texts[doc.file] = text
    for entry in plan.others:
        if not entry.actions:
            continue
        doc = files[(entry.kind, entry.name)]
        edits, why = kinds.kind(entry.kind).refresh(entry.actions)
        refused += [f"{doc.file}: {reason}" for reason in why]
        text, problems = refreshed(Path(doc.file).read_text(encoding="utf-8"), edits)
        refused += [f"{doc.file}: {problem}" for problem in problems]
        if edits and not problems and not why:
            texts[doc.file] = text
    if refused:
        raise RefusedError(
            f"refusing to refresh: {len(refused)} live value(s) cannot be written into the "
            "files without changing what they mean; nothing was written",
            tuple(refused),
        )
    for file, text in texts.items():
        write_regular(Path(file), text)
        print(f"refreshed {file} from live (comments, variables and layout kept)")
    print(f"Refreshed {len(texts)} file(s); the files now say what live does.")
    return Exit.OK


def _rooms(client: Backend, args: argparse.Namespace, ctx: Context) -> list[Any] | None:
    """The live rooms --room names, as files: (stem, data, variables) each; None without."""
    if not args.room:
        return None
    room_kind = kinds.kind("room")
    if ctx.api not in room_kind.apis:
        raise InputError("--room: rooms are managed on the v2 API only; use --api v2")
    return room_kind.export(client, list(dict.fromkeys(args.room)), client.list_templates())


def write_others(folder: Path, made: list[Any], force: bool, variables: list[str]) -> list[Path]:
    """Another kind's files (rooms) in folder, checked against its schema first; existing
    files only with force, and never one that reads variables."""
    paths = [(folder / f"{stem}.yaml", data, needed) for stem, data, needed in made]
    existing = [str(p) for p, _, _ in paths if p.exists() or p.is_symlink()]
    if existing and not force:
        raise RefusedError(
            f"refusing to overwrite {len(existing)} existing file(s): {', '.join(existing)}; "
            "pass --force to overwrite, or --rooms-out another folder"
        )
    _refuse_to_flatten([p for p, _, _ in paths if p.is_file()])
    refused = [f"{d['name']}: {problem}" for _, d, _ in paths for problem in data_errors(d, "room")]
    if refused:
        raise InputError(
            f"{len(refused)} live value(s) cannot be written as a valid room file, so nothing "
            "was written; correct them in the dashboard",
            tuple(refused),
        )
    folder.mkdir(parents=True, exist_ok=True)
    schema_path = os.path.relpath(Path("schemas") / "room.schema.json", folder)
    for path, data, needed in paths:
        variables += [v for v in needed if v not in variables]
        write_regular(path, redact(dump(data, schema_path)))
    return [p for p, _, _ in paths]


def _what(variables: list[str]) -> str:
    if any("_RTMP_" in v for v in variables):
        return "Recording credentials and RTMP URLs (they hold stream keys) are"
    return "Recording credentials are"


def write_templates(
    out: Path,
    live: list[Json],
    force: bool,
    hints: Mapping[str, Mapping[str, str]] | None = None,
    instead: str = "pass --force to overwrite, or --out another folder",
    ignore: tuple[str, ...] = (),
    api: str = "v1",
    renamed: Mapping[str, str] | None = None,
) -> tuple[list[tuple[Path, int]], list[str]]:
    """Live templates as files in out: [(path, roles)] and the variables they need.

    hints: per template, {role: renamedFrom} to write (a backup undoes a rename by one);
    renamed: {template: its new name}, written as the template's renamedFrom, likewise."""
    taken: set[str] = set()
    files = [(out / file_name(str(t.get("name")), taken), t) for t in sorted(live, key=_name)]
    links = [str(path) for path, _ in files if path.is_symlink()]
    if links:
        raise RefusedError(
            f"refusing to write through symbolic link(s): {', '.join(links)}; hmsync writes "
            "regular files only, inside the folder"
        )
    existing = [str(path) for path, _ in files if path.exists()]
    if existing and not force:
        raise RefusedError(
            f"refusing to overwrite {len(existing)} existing file(s): {', '.join(existing)}; "
            + instead
        )
    _refuse_to_flatten([path for path, _ in files if path.is_file()])
    stems: set[str] = set()
    made = [(path, *template_file(template, stems, ignore, api)) for path, template in files]
    for _, data, _ in made:
        for role, renamed_from in (hints or {}).get(data["name"], {}).items():
            if role in data["roles"]:
                data["roles"][role]["renamedFrom"] = renamed_from
        new_name = (renamed or {}).get(data["name"])
        if new_name:  # right after `name`, as a person writes it
            name, rest = data["name"], [(k, v) for k, v in data.items() if k != "name"]
            data.clear()
            data.update([("name", name), ("renamedFrom", new_name), *rest])

    # A file that validate refuses would fail the first pull request: write none of them.
    refused = [
        f"{data['name']}: {problem}" for _, data, _ in made for problem in data_errors(data, api)
    ]
    if refused:
        raise InputError(
            f"{len(refused)} live value(s) cannot be written as a valid template file, so "
            "nothing was written; correct them in the dashboard, or export the other "
            "templates with --only",
            tuple(refused),
        )
    out.mkdir(parents=True, exist_ok=True)
    schema_path = os.path.relpath(SCHEMA_FILES[api], out)
    variables: list[str] = []
    for path, data, needed in made:
        variables += needed
        write_regular(path, redact(dump(data, schema_path)))  # a live secret never lands
        for value in undocumented_values(data, api):
            # The server stored it; the file says it as it is, and validate will ask for a fix.
            print(f"warning: {path}: {value} (live has it; validate refuses it until corrected)",
                  file=sys.stderr)  # fmt: skip
    return [(path, len(data["roles"])) for path, data, _ in made], variables


def _refuse_to_flatten(paths: list[Path]) -> None:
    """A file that reads ${vars.*} or ${HMSYNC_*} says different things in different
    environments (or hides a secret): overwriting it with one environment's live values
    would set that environment's value for all of them. Refused, naming the variables."""
    found = {}
    for path in paths:
        names = sorted(variable_names(path.read_text(encoding="utf-8", errors="replace")))
        if names:
            found[str(path)] = names
    if found:
        raise RefusedError(
            f"refusing to overwrite {len(found)} file(s) that read variables: the live values of "
            "one environment would replace a value each environment sets (or a secret); "
            "nothing was written. Export to another folder (--out) and carry the change over "
            "by hand",
            tuple(f"{path}: {_named(names)}" for path, names in found.items()),
        )


def _named(names: list[str]) -> str:
    return ", ".join("${" + n + "}" for n in names)


def _name(template: Mapping[str, object]) -> str:
    return str(template.get("name"))


def write_regular(path: Path, text: str) -> None:
    """A regular file, never through a symbolic link (one may appear after the check)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
