"""`hmsync drift`: for schedules; exit 2 and a report when live differs from the files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from .. import render
from ..errors import Exit
from ..plan.pipeline import plan_live, select, select_others
from .common import load_and_read
from .options import add_api_arguments, add_cache_argument, add_only, add_paths

RENDERERS = {
    "text": render.drift_text,
    "json": render.drift_json,
    "markdown": render.drift_markdown,
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_paths(p)
    add_cache_argument(p)
    p.add_argument(
        "--format",
        choices=tuple(RENDERERS),
        default="text",
        help="text (default), json, or markdown (for an issue)",
    )
    add_only(p)
    add_api_arguments(p)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    # Drift reports live against the files; the team's rules are validate's and plan's.
    client, checked, live, ctx = load_and_read(args, environ, args.paths, rules=False)
    with client:
        documents = select(checked.documents, args.only, checked.others)
        plan = plan_live(
            documents,
            live,
            client.base_url,
            all_files=checked.documents,
            ctx=ctx,
            others=select_others(checked.others, args.only),
        )
    sys.stdout.write(RENDERERS[args.format](plan))
    return Exit.CHANGES if plan.actions else Exit.OK
