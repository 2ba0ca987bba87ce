"""`hmsync init`: a starting hmsync.yaml, the schemas and the workflows, in a repository."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path

from .. import __version__, config, scaffold, schema
from ..errors import Exit, InputError, RefusedError
from .export import write_regular

ACTION_REF = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", default=".", help="the template repository (default: here)")
    p.add_argument(
        "--action",
        metavar="OWNER/hmsync@COMMIT",
        help="the hmsync action the workflows use, pinned by its 40-hex commit "
        "(default: a placeholder to replace)",
    )
    p.add_argument("--force", action="store_true", help="overwrite the schemas and workflows")


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise InputError(f"--dir {root}: not a folder")
    action = scaffold.PLACEHOLDER
    if args.action:
        if not ACTION_REF.match(args.action):
            raise InputError(
                f"--action {args.action}: expected OWNER/hmsync@<40-hex commit>, pinned by commit"
            )
        action = f"{args.action} # v{__version__}"
    files: dict[str, str] = {}
    project_file = root / config.PROJECT_FILE
    if project_file.exists():
        envs = list(config.load(project_file).environments.values())
    else:
        files[config.PROJECT_FILE] = scaffold.PROJECT
        envs = []
    files["schemas/template.schema.json"] = schema.schema_text()
    files["schemas/template.v2.schema.json"] = schema.schema_text("v2")
    files["schemas/project.schema.json"] = config.schema_text()
    for name, make in scaffold.WORKFLOWS.items():
        files[f".github/workflows/{name}"] = make(envs, action)
    existing = [name for name in files if (root / name).exists()]
    if existing and not args.force:
        raise RefusedError(
            f"refusing to overwrite {', '.join(existing)}; pass --force to write them anew"
        )
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_regular(path, text)
        print(f"wrote {path}")
    where = f" for {', '.join(e.name for e in envs)}" if envs else ""
    print(
        f"Initialized hmsync{where}. Next: set the secrets in GitHub environments (hmsync's "
        "docs/github.md)" + ("" if args.action else ", and replace OWNER and the commit") + "."
    )
    return Exit.OK
