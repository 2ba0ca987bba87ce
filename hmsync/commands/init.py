"""`hmsync init`: a starting hmsync.yaml, the schemas and the workflows, in a repository."""

from __future__ import annotations

import argparse
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import config, release, scaffold
from ..errors import Exit, InputError, RefusedError
from ..files import schema
from ..files.yamlfile import ENV_PREFIX, variable_names
from .export import write_regular

ACTION_REF = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
# The hmsync action in a workflow init wrote: any pinned `uses:` that is not GitHub's own.
PINNED_USE = re.compile(
    r"^\s*(?:- )?uses: ((?!actions/)[\w.-]+/[\w.-]+@[0-9a-f]{40}(?: #[^\n]*)?)\s*$", re.M
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", default=".", help="the template repository (default: here)")
    p.add_argument(
        "--action",
        metavar="OWNER/hmsync@COMMIT",
        help="the hmsync action the workflows use, pinned by its 40-hex commit "
        "(default: a placeholder to replace)",
    )
    p.add_argument(
        "--branch",
        metavar="NAME",
        help="the default branch, which apply runs on (default: the remote's HEAD, else the "
        "current branch)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="write the schemas and workflows anew (refused, with the lines, where that would "
        "drop lines a team added; --discard-edits drops them)",
    )
    p.add_argument(
        "--discard-edits", action="store_true", help="with --force: drop the lines a team added"
    )
    p.add_argument(
        "--accept-live",
        action="store_true",
        help="the drift workflow also keeps a pull request per environment that writes live's "
        "values into the files (merge: accept live; close and apply: set it back); its job "
        "gets contents and pull-requests write",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 where the workflows' branch, environments, path filters or "
        "secrets no longer match hmsync.yaml and the templates",
    )


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
    branch, why = _branch(args.branch, root)
    variables = template_variables(root, project)
    files["schemas/template.schema.json"] = schema.schema_text()
    files["schemas/template.v2.schema.json"] = schema.schema_text("v2")
    files["schemas/room.schema.json"] = schema.schema_text("room")
    files["schemas/project.schema.json"] = config.schema_text()
    workflows = {
        f".github/workflows/{name}": stamped(make(envs, action, inputs, branch, variables))
        for name, make in scaffold.WORKFLOWS.items()
    }
    if args.accept_live:
        drift = scaffold.drift(envs, action, inputs, branch, variables, accept_live=True)
        workflows[".github/workflows/hmsync-drift.yml"] = stamped(drift)
    files.update(workflows)
    if args.check:
        return _check(root, workflows, branch)
    kept = [] if args.force else [name for name in files if (root / name).exists()]
    if args.force and not args.discard_edits:
        _refuse_to_drop(root, workflows)
    for name, text in files.items():
        if name in kept:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_regular(path, text)
        print(f"wrote {path}")
    if kept:
        print(f"kept {', '.join(kept)} as they are (--force writes them anew, keeping the pin)")
    print(f"apply runs on pushes to {branch} ({why})")
    where = f" for {', '.join(e.name for e in envs)}" if envs else ""
    pinned = action != scaffold.PLACEHOLDER
    print(
        f"Initialized hmsync{where}. Next: set the secrets in GitHub environments (hmsync's "
        "docs/github.md)" + ("" if pinned else ", and replace OWNER and the commit") + "."
    )
    return Exit.OK


def _stamp(commit: str) -> str:
    """What a pinned commit is, said only where this hmsync knows: its own checkout's commit
    is its version (`v0.4.0`, or `v0.4.0+g<commit>` between releases); another commit's
    version is whatever its tag says, so it is not claimed."""
    if commit == release.commit():
        return f"v{release.version()}"
    return f"pinned by commit; written by hmsync {release.version()}"


def _branch(given: str | None, root: Path) -> tuple[str, str]:
    """The default branch and how it was found: --branch, the remote's HEAD, the current
    branch, else main."""
    if given:
        if not re.fullmatch(r"[\w./-]+", given) or given.startswith(("-", "/")):
            raise InputError(f"--branch {given!r}: not a branch name")
        return given, "--branch"
    for ref, prefix, why in (
        ("refs/remotes/origin/HEAD", "origin/", "the remote's default branch"),
        ("HEAD", "", "the current branch; --branch to name another"),
    ):
        found = release.git_output(root, "symbolic-ref", "--short", "-q", ref)
        if found and found.startswith(prefix):
            return found[len(prefix) :], why
    return "main", "no git branch found; --branch to name yours"


def template_variables(root: Path, project: config.Project | None) -> list[str]:
    """Every ${HMSYNC_*} variable the templates, overlays and room files read: the secrets a
    job needs. (A project's paths are relative to where hmsync runs, as its messages show.)"""
    if project:
        folders = [*project.templates, *(e.overlays for e in project.environments.values())]
        folders += [*project.folder("rooms")[0]]
        paths = [Path(f) for f in folders if f]
    else:
        paths = [root / "templates", root / "rooms"]
    found: set[str] = set()
    for path in paths:
        files = [path] if path.is_file() else sorted(path.rglob("*.y*ml")) if path.is_dir() else []
        for file in files:
            names = variable_names(file.read_text(encoding="utf-8", errors="replace"))
            found |= {name for name in names if name.startswith(ENV_PREFIX)}
    return sorted(found)


STAMP = re.compile(r"^# Written by hmsync init \(digest ([0-9a-f]{16})\)[^\n]*\n\Z", re.M)


def stamped(text: str) -> str:
    """A workflow with a last line that says it is init's, as init wrote it: --force knows
    then whether anyone edited it since."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return text + f"# Written by hmsync init (digest {digest}); init --force keeps your edits.\n"


def _edited(text: str) -> bool:
    """Whether a workflow differs from what init last wrote (no stamp: written by hand or by
    an older init, so it may hold edits)."""
    found = STAMP.search(text)
    if found is None:
        return True
    body = text[: found.start()]
    return hashlib.sha256(body.encode()).hexdigest()[:16] != found.group(1)


def _added_lines(old: str, new: str) -> list[str]:
    """The lines of old (a workflow as it is) that new (as init would write it) lacks: what a
    team added. The action's pin line differs by design and is not one of them."""
    ours = {line.strip() for line in new.splitlines()}
    return [
        line
        for line in old.splitlines()
        if line.strip()
        and line.strip() not in ours
        and not PINNED_USE.match(line)
        and not STAMP.match(line + "\n")
    ]


def _refuse_to_drop(root: Path, workflows: Mapping[str, str]) -> None:
    lost = {}
    for name, text in workflows.items():
        path = root / name
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        if old and _edited(old):
            added = _added_lines(old, text)
            if added:
                lost[name] = added
    if lost:
        details = tuple(
            f"{name}: - {line.strip()}" for name, lines in lost.items() for line in lines
        )
        raise RefusedError(
            f"--force would drop {len(details)} line(s) the workflows have and init does not "
            "write (below); nothing was written. Move them into hmsync.yaml or the templates "
            "where they belong, or pass --discard-edits to drop them",
            details,
        )


def _check(root: Path, workflows: Mapping[str, str], branch: str) -> int:
    """--check: what of the workflows no longer matches hmsync.yaml and the templates."""
    import yaml

    problems: list[str] = []
    for name, text in workflows.items():
        path = root / name
        if not path.is_file():
            problems.append(f"{name}: missing; run hmsync init")
            continue
        have, want = (
            _shape(yaml.safe_load(path.read_text(encoding="utf-8"))),
            _shape(yaml.safe_load(text)),
        )
        for key in sorted(set(have) | set(want)):
            if have.get(key) != want.get(key) and not (key == "secrets" and want[key] <= have[key]):
                problems.append(
                    f"{name}: {key} is {_listed(have.get(key))}, but hmsync.yaml and the templates "
                    f"ask for {_listed(want.get(key))}"
                )
    if problems:
        for line in problems:
            print(line)
        print(f"The workflows no longer match (apply runs on {branch}); run hmsync init --force")
        return Exit.ERROR
    print("The workflows match hmsync.yaml and the templates.")
    return Exit.OK


def _shape(workflow: Any) -> dict[str, Any]:
    """What --check compares: push branches, path filters, GitHub environments, secrets."""
    if not isinstance(workflow, dict):
        return {}
    on = workflow.get("on", workflow.get(True)) or {}
    out: dict[str, Any] = {}
    for event in ("push", "pull_request"):
        trigger = on.get(event) if isinstance(on, dict) else None
        if isinstance(trigger, dict):
            if "branches" in trigger:
                out[f"on.{event}.branches"] = list(trigger["branches"])
            if "paths" in trigger:
                out[f"on.{event}.paths"] = sorted(trigger["paths"])
    environments, secrets = set(), set()
    for job in (workflow.get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        matrix = ((job.get("strategy") or {}).get("matrix") or {}).get("env")
        if job.get("environment"):
            environments.add(f"{job['environment']} {matrix or ''}".strip())
        secrets |= set(re.findall(r"secrets\.(\w+)", str(job.get("env") or {})))
    out["environments"] = sorted(environments)
    out["secrets"] = secrets
    return out


def _listed(value: Any) -> str:
    if isinstance(value, set | list):
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    return "(none)" if value is None else str(value)


def _action(given: str | None, root: Path) -> str:
    """--action, pinned by commit; else the pin the workflows already use (so --force keeps a
    reviewed pin); else the placeholder."""
    if given:
        if not ACTION_REF.match(given):
            raise InputError(
                f"--action {given}: expected OWNER/hmsync@<40-hex commit>, pinned by commit"
            )
        return f"{given} # {_stamp(given.rsplit('@', 1)[1])}"
    for name in scaffold.WORKFLOWS:
        path = root / ".github" / "workflows" / name
        found = PINNED_USE.search(path.read_text(encoding="utf-8")) if path.is_file() else None
        if found and "@" + "0" * 40 not in found.group(1):
            return found.group(1)
    return scaffold.PLACEHOLDER
