"""`hmsync validate`: schema and semantic checks, offline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from .. import render
from ..errors import Exit
from ..schema import check_paths
from .common import DEFAULT_PATHS, add_paths

RENDERERS = {
    "text": render.validation_text,
    "json": render.validation_json,
    "github": render.validation_github,
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_paths(p)
    p.add_argument("--strict", action="store_true", help="turn warnings into errors")
    p.add_argument(
        "--require-env",
        action="store_true",
        help="an unset ${HMSYNC_*} variable is an error (for CI), not a note",
    )
    p.add_argument(
        "--format",
        choices=tuple(RENDERERS),
        default="text",
        help="text (default), json, or github workflow annotations",
    )


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    checked = check_paths(
        args.paths or DEFAULT_PATHS, environ, strict=args.strict, require_env=args.require_env
    )
    sys.stdout.write(RENDERERS[args.format](checked.problems, checked.files))
    return Exit.ERROR if checked.errors else Exit.OK
