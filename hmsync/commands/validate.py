"""`hmsync validate`: schema and semantic checks, offline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from .. import render
from ..config import find
from ..errors import Exit, InputError
from ..plan.pipeline import checked_files
from ..problems import Problem
from .context import Context, cache_root, context
from .options import add_cache_argument, add_paths, add_project_arguments

RENDERERS = {
    "text": render.validation_text,
    "json": render.validation_json,
    "github": render.validation_github,
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_paths(p)
    add_cache_argument(p)
    p.add_argument("--strict", action="store_true", help="turn warnings into errors")
    p.add_argument(
        "--all-envs",
        action="store_true",
        help="check the templates as every environment of hmsync.yaml sees them "
        "(the default without --env)",
    )
    add_project_arguments(p)
    p.add_argument(
        "--require-env",
        action="store_true",
        help="an unset ${HMSYNC_*} variable is an error (for CI), not a note",
    )
    p.add_argument(
        "--rules-only",
        action="store_true",
        help="report only the team's rules of hmsync.yaml (a fast check in a hook)",
    )
    p.add_argument(
        "--format",
        choices=tuple(RENDERERS),
        default="text",
        help="text (default), json, or github workflow annotations",
    )


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    project = find(getattr(args, "config", None))
    # Without --env, every environment: the pre-commit hook runs plain `hmsync validate`.
    every = args.all_envs or (getattr(args, "env", None) is None and project is not None)
    if every and project is not None and project.environments:
        given = getattr(args, "api", None)
        contexts = [Context(project, env, given) for env in project.environments.values()]
    elif args.all_envs:
        raise InputError("--all-envs needs environments in hmsync.yaml (or --config FILE)")
    else:
        contexts = [context(args)]
    problems: set[Problem] = set()
    files = 0
    for ctx in contexts:
        cache = cache_root(args, ctx, environ)
        checked = checked_files(
            ctx, args.paths, environ, cache, strict=args.strict, require_env=args.require_env
        )
        problems |= set(checked.problems)
        files = max(files, checked.files)
    found = sorted(p for p in problems if p.code == "rule" or not args.rules_only)
    sys.stdout.write(RENDERERS[args.format](found, files))
    return Exit.ERROR if any(p.severity == "error" for p in found) else Exit.OK
