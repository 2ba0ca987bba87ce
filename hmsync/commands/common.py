"""What the commands that talk to 100ms share: loading valid files, the client, the plan."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from .. import config
from ..backends import Backend, client_from_env
from ..errors import InputError
from ..files.schema import Checked
from ..paths import Json
from ..plan.pipeline import load_valid, managed_parts, read_others
from ..render import safe
from .context import Context, cache_root, context
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
    args: argparse.Namespace,
    environ: Mapping[str, str],
    paths: Sequence[str],
    rules: bool = True,
    ctx: Context | None = None,
) -> tuple[Backend, Checked, list[Json], Context]:
    """The validated files and every live template, read at once: the listing waits on the
    network while validation works the CPU, so both take about as long as the longer one.

    Problems in the files are reported first, before credential or API errors; a listing
    begun for files that turn out invalid only read, never wrote. ctx: the command's context,
    where it made one already."""
    ctx = ctx or context(args)
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
        read_others(client, checked, live)  # the rooms the files name, and only those
        return client, checked, live, ctx
    except BaseException:
        client.close()
        raise


def app_secret(environ: Mapping[str, str], ctx: Context) -> str | None:
    """The app secret this command's credentials hold, if they hold one (not a token)."""
    return config.credentials(ctx.env, environ).get("HMS_SECRET")


def use_color(args: argparse.Namespace, environ: Mapping[str, str], stream: TextIO) -> bool:
    """--no-color, then NO_COLOR and FORCE_COLOR (each only when set and not empty, as
    no-color.org and force-color.org say), then a terminal that is not `dumb`."""
    env = {**os.environ, **environ}
    if getattr(args, "no_color", False) or env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return stream.isatty() and env.get("TERM") != "dumb"
