"""`hmsync init`: a starting hmsync.yaml, the schemas and the workflows, in a repository."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path

from .. import __version__, config, scaffold
from ..errors import Exit, InputError
from ..files import schema
from .export import write_regular

ACTION_REF = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
# The hmsync action in a workflow init wrote: any pinned `uses:` that is not GitHub's own.
PINNED_USE = re.compile(
    r"^\s*(?:- )?uses: ((?!actions/)[\w.-]+/[\w.-]+@[0-9a-f]{40}(?: # \S+)?)\s*$", re.M
)


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
    files: dict[str, str] = {}
    project_file = root / config.PROJECT_FILE
    if project_file.exists():
        project = config.load(project_file)
    else:
        files[config.PROJECT_FILE] = scaffold.PROJECT
        project = None
    envs = list(project.environments.values()) if project else []
    inputs = project.inputs() if project else scaffold.DEFAULT_INPUTS
    action = _action(args.action, root)
    files["schemas/template.schema.json"] = schema.schema_text()
    files["schemas/template.v2.schema.json"] = schema.schema_text("v2")
    files["schemas/project.schema.json"] = config.schema_text()
    for name, make in scaffold.WORKFLOWS.items():
        files[f".github/workflows/{name}"] = make(envs, action, inputs)
    kept = [] if args.force else [name for name in files if (root / name).exists()]
    for name, text in files.items():
        if name in kept:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_regular(path, text)
        print(f"wrote {path}")
    if kept:
        print(f"kept {', '.join(kept)} as they are (--force writes them anew, keeping the pin)")
    where = f" for {', '.join(e.name for e in envs)}" if envs else ""
    pinned = action != scaffold.PLACEHOLDER
    print(
        f"Initialized hmsync{where}. Next: set the secrets in GitHub environments (hmsync's "
        "docs/github.md)" + ("" if pinned else ", and replace OWNER and the commit") + "."
    )
    return Exit.OK


def _action(given: str | None, root: Path) -> str:
    """--action, pinned by commit; else the pin the workflows already use (so --force keeps a
    reviewed pin); else the placeholder."""
    if given:
        if not ACTION_REF.match(given):
            raise InputError(
                f"--action {given}: expected OWNER/hmsync@<40-hex commit>, pinned by commit"
            )
        return f"{given} # v{__version__}"
    for name in scaffold.WORKFLOWS:
        path = root / ".github" / "workflows" / name
        found = PINNED_USE.search(path.read_text(encoding="utf-8")) if path.is_file() else None
        if found and "@" + "0" * 40 not in found.group(1):
            return found.group(1)
    return scaffold.PLACEHOLDER
