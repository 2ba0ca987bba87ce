"""The command-line options the commands share, and their checks. Light on purpose: the CLI
builds its parser from these before it imports any command's own work."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from ..backends import APIS


def add_only(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="only this template, or room (repeatable)",
    )


def add_paths(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths", nargs="*", metavar="PATHS", help="files or folders (default: templates/)"
    )


def add_cache_argument(p: argparse.ArgumentParser) -> None:
    cache = p.add_mutually_exclusive_group()
    cache.add_argument(
        "--no-cache",
        action="store_true",
        help="read and check every file afresh; the cache is neither read nor written",
    )
    cache.add_argument(
        "--cache",
        action="store_true",
        help="use the cache (in the user cache folder) even where CI is set",
    )


def number(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a finite number from low to high, or a clear usage error."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"expected {low:g} to {high:g}, got {text}")
        return value

    return parse


def non_empty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name, got nothing")
    return text


def global_default(value: Any, top: bool) -> Any:
    """A global option's default. Global options go before the command or after it: on hmsync
    itself (top) they hold the default; after the command, only a given value, which wins."""
    return value if top else argparse.SUPPRESS


def add_api_arguments(p: argparse.ArgumentParser, top: bool = False) -> None:
    """The options of talking to 100ms, global (see global_default)."""

    def default(value: Any) -> Any:
        return global_default(value, top)

    add_project_arguments(p, top)
    p.add_argument(
        "--api-base", metavar="URL", default=default(None), help="API base URL (env HMS_API_BASE)"
    )
    p.add_argument(
        "--timeout",
        type=number(float, 0.1, 3600),
        default=default(30.0),
        help="seconds for a whole request: connect, send, every byte of the answer (default 30)",
    )
    p.add_argument(
        "--parallelism",
        type=number(int, 1, 64),
        default=default(8),
        help="requests at once (default 8)",
    )
    p.add_argument(
        "--retries",
        type=number(int, 0, 20),
        default=default(5),
        help="retries of a failed call (default 5)",
    )


def add_project_arguments(p: argparse.ArgumentParser, top: bool = False) -> None:
    """--env, --config and --api, before the command (top) or after it."""
    default = global_default(None, top)
    p.add_argument("--env", metavar="NAME", default=default, help="the environment (hmsync.yaml)")
    p.add_argument(
        "--config", metavar="FILE", default=default, help="the project file (default hmsync.yaml)"
    )
    p.add_argument(
        "--api",
        choices=APIS,
        default=default,
        help="the 100ms API version: v1 (the policy API) or v2 (over hmsync.yaml's api; "
        "default v1)",
    )


def add_write_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the commands that plan writes: plan and apply."""
    p.add_argument(
        "--allow-out-of-range",
        action="store_true",
        help="write values outside the documented ranges (validate warns of them)",
    )
    p.add_argument(
        "--write-credentials",
        action="store_true",
        help="write recording credentials even where the API does not return them to "
        "compare (after a rotation)",
    )
