"""`plan --base-ref REF`: the files as they are at a git ref, read with the same loader,
overlays and vars, so the plan can tell this change from outside changes (origin.py).

I/O at the edge: one `git archive`, unpacked into a temporary folder that is gone after."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from . import config
from .errors import InputError
from .files.loader import Document
from .files.schema import check_paths


def _git(*args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], capture_output=True, check=False, timeout=120)
    except OSError as exc:
        raise InputError(f"--base-ref needs git, which cannot run here: {exc.strerror}") from None
    if done.returncode != 0:
        words = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(words[-1] if words else f"git {args[0]} failed")
    return done.stdout


def _unpack(archive: bytes, into: Path) -> None:
    """Regular files and folders only, each inside `into`."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            target = (into / member.name).resolve()
            if not str(target).startswith(str(into.resolve())) or not (
                member.isfile() or member.isdir()
            ):
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                target.write_bytes(source.read())


def project_at(ref: str, config_file: str | None) -> tuple[bool, config.Project | None]:
    """The project file as it is at ref: (True, it), (True, None) where ref has none, or
    (False, None), said on stderr, where it does not load there."""
    _check_ref(ref)
    top = Path(_git_at(ref, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    _git_at(ref, "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
    here = Path(config_file or config.PROJECT_FILE).resolve()
    if not here.is_relative_to(top):
        return True, None  # a project file outside the repository: nothing at the ref
    inside = here.relative_to(top).as_posix()
    try:
        text = _git("show", f"{ref}:{inside}")
    except InputError:
        return True, None  # no project file at the base
    with tempfile.TemporaryDirectory(prefix="hmsync-base-") as tmp:
        path = Path(tmp) / config.PROJECT_FILE
        path.write_bytes(text)
        try:
            return True, config.load(path, at=ref)
        except InputError as exc:
            print(
                f"hmsync: warning: {config.PROJECT_FILE} at {ref} does not load "
                f"({exc.message}); this change is judged by its own guardrails",
                file=sys.stderr,
            )
            return False, None


def _git_at(ref: str, *args: str) -> bytes:
    """_git for reading --base-ref: a failure says which ref, and to fetch it."""
    try:
        return _git(*args)
    except InputError as exc:
        raise InputError(
            f"--base-ref {ref}: git cannot read it ({exc.message}); fetch it first "
            "(in GitHub: actions/checkout with fetch-depth: 0)"
        ) from None


def _check_ref(ref: str) -> None:
    if ref.startswith("-") or not ref.strip():
        # git would read it as an option (`--output=FILE` writes a file): never passed on.
        raise InputError(f"--base-ref {ref!r}: not a git ref; name a branch, tag or commit")


def documents_at(
    ref: str,
    paths: Sequence[str],
    config_file: str | None,
    environment: str | None,
    environ: Mapping[str, str],
    api: str,
) -> list[Document] | None:
    """The valid documents at ref, as `environment` sees them there; None (said on stderr)
    when they do not load, so the plan goes on without telling changes apart."""
    _check_ref(ref)
    top = Path(_git_at(ref, "rev-parse", "--show-toplevel").decode().strip())
    # From the top: run in a subfolder, git archive would hold that subfolder alone.
    archive = _git_at(ref, "-C", str(top), "archive", "--format=tar", ref)
    where = os.path.relpath(Path.cwd(), top)
    with tempfile.TemporaryDirectory(prefix="hmsync-base-") as tmp:
        _unpack(archive, Path(tmp))
        here = Path(tmp) / where
        project_file = here / (config_file or config.PROJECT_FILE)
        project = config.load(project_file) if project_file.is_file() else None
        env = project.environments.get(environment) if project and environment else None
        if project is not None and environment and env is None:
            print(f"hmsync: {ref} has no environment {environment}: every change is this "
                  "change's own", file=sys.stderr)  # fmt: skip
            return []
        if paths:
            chosen = [str(here / p) for p in paths]
        else:
            chosen = list(project.templates) if project else [str(here / "templates")]
        checked = check_paths(
            chosen,
            environ,
            variables=env.vars if env else None,
            overlays=env.overlays if env else None,
            api=api
            or (env.api if env and env.api else None)
            or (project.api if project else None)
            or "v1",
        )
        if checked.errors:
            print(
                f"hmsync: the files at {ref} do not validate ({checked.errors[0]}); the plan "
                "cannot tell this change from outside changes",
                file=sys.stderr,
            )
            return None
        return list(checked.documents)
