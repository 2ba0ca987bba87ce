"""`hmsync drift`: for schedules; exit 2 and a report when live differs from the files. With
--notify (or hmsync.yaml's `notify:`), a summary goes to a webhook once per new drift, and once
when it is resolved; with --all-envs, every environment is checked and reported, whatever
fails in another."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import render
from ..config import find
from ..errors import Exit, HmsyncError, InputError
from ..model import Plan
from ..plan.pipeline import plan_live, select, select_others
from ..redact import redact
from ..render import notify
from .common import load_and_read
from .context import Context, context
from .options import add_api_arguments, add_cache_argument, add_only, add_paths

RENDERERS = {
    "text": render.drift_text,
    "json": render.drift_json,
    "markdown": render.drift_markdown,
}
VARIABLE = re.compile(r"^\$\{(HMSYNC_[A-Z0-9_]+)\}$")


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
    p.add_argument(
        "--all-envs",
        action="store_true",
        help="check every environment of hmsync.yaml; one that fails (credentials, the API) is "
        "reported as failed and never stops the others",
    )
    p.add_argument(
        "--notify",
        metavar="URL",
        help="post a summary to this webhook (Slack, Teams, or any JSON receiver) once per new "
        "drift and once when resolved; the URL is never printed (default: hmsync.yaml's "
        "notify.url, an ${HMSYNC_*} variable)",
    )
    p.add_argument(
        "--notify-format",
        choices=notify.FORMATS,
        help="the payload: slack, teams or json (default: hmsync.yaml's notify.format, else by "
        "the URL's host: hooks.slack.com is slack, a Microsoft host teams, anything else json)",
    )
    p.add_argument(
        "--notify-state",
        metavar="FILE",
        help="where the last summary sent is remembered (its digest, per environment), so a "
        "daily run does not repeat itself; without it every drift is sent",
    )
    p.add_argument("--run-url", metavar="URL", help="a link to this run (default: GitHub's)")
    p.add_argument("--issue-url", metavar="URL", help="a link to the drift issue")
    p.add_argument("--pull-url", metavar="URL", help="a link to the accept-live pull request")
    add_api_arguments(p)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    if not args.all_envs:
        code, report = _one(args, environ, single=True)
        sys.stdout.write(report)
        return code
    project = find(getattr(args, "config", None))
    if project is None or not project.environments:
        raise InputError("--all-envs needs environments in hmsync.yaml (or --config FILE)")
    codes, reports = [], {}
    for name in project.environments:
        code, reports[name] = _one(replace_env(args, name), environ, single=False)
        codes.append(code)
    if args.format == "json":  # one document: each environment's report, or its error
        every = {
            n: json.loads(r) if r else {"error": "failed: see stderr"} for n, r in reports.items()
        }
        sys.stdout.write(json.dumps({"format_version": 1, "environments": every}, indent=2) + "\n")
    else:
        head = "## {}\n\n" if args.format == "markdown" else "== {}\n"
        sys.stdout.write("".join(head.format(n) + r for n, r in reports.items()))
    if Exit.ERROR in codes:
        return Exit.ERROR
    return Exit.CHANGES if Exit.CHANGES in codes else Exit.OK


def replace_env(args: argparse.Namespace, name: str) -> argparse.Namespace:
    copied = argparse.Namespace(**vars(args))
    copied.env = name
    return copied


def _one(args: argparse.Namespace, environ: Mapping[str, str], single: bool) -> tuple[int, str]:
    """One environment: its exit code and report, and its summary sent where it is news. An
    error is said, sent (as `failed`), and raised again when it is the only environment."""
    ctx = context(args)
    target = _target(args, ctx, environ)
    links = _links(args, environ)
    try:
        plan = _plan(args, environ, ctx)
    except HmsyncError as exc:
        if target is not None:
            error = redact(str(exc)).splitlines()[0]
            _told(target, notify.failed_event(ctx.name, error, links), args)
        if single:
            raise
        print(redact(f"hmsync: {ctx.name}: {exc}"), file=sys.stderr)
        return Exit.ERROR, ""
    report = RENDERERS[args.format](plan)
    told = True
    if target is not None:
        told = _told(target, notify.drift_event(plan, links), args)
    if not told:
        return Exit.ERROR, report  # the report stands; the team was not told, and it says so
    return (Exit.CHANGES if plan.actions else Exit.OK), report


def _told(target: tuple[str, str], event: notify.Event, args: argparse.Namespace) -> bool:
    """_send, its failure said on stderr (the report or the original error still stands)."""
    try:
        _send(target, event, args)
    except HmsyncError as exc:
        print(redact(f"hmsync: {exc}"), file=sys.stderr)
        return False
    return True


def _plan(args: argparse.Namespace, environ: Mapping[str, str], ctx: Context) -> Plan:
    # Drift reports live against the files; the team's rules are validate's and plan's.
    client, checked, live, ctx = load_and_read(args, environ, args.paths, rules=False, ctx=ctx)
    with client:
        documents = select(checked.documents, args.only, checked.others)
        return plan_live(
            documents,
            live,
            client.base_url,
            all_files=checked.documents,
            ctx=ctx,
            others=select_others(checked.others, args.only),
        )


def _target(
    args: argparse.Namespace, ctx: Context, environ: Mapping[str, str]
) -> tuple[str, str] | None:
    """The webhook URL and payload format, or None: --notify, else hmsync.yaml's notify."""
    url, fmt = args.notify, args.notify_format
    configured = ctx.project.notify if ctx.project else {}
    if not url and configured:
        given = str(configured.get("url", ""))
        variable = VARIABLE.match(given)
        if not variable:
            raise InputError(
                "hmsync.yaml notify.url: write the webhook URL as an ${HMSYNC_*} variable (a "
                "webhook URL is a credential and stays out of the repository)"
            )
        url = environ.get(variable.group(1)) or os.environ.get(variable.group(1))
        if not url:
            return None  # not set here (a laptop): nothing to send, as a step without a secret
        fmt = fmt or configured.get("format")
    if not url:
        return None
    from ..backends.webhook import check_url

    host = check_url(url).host
    if not fmt:
        # Teams' Workflows webhooks (the Office 365 connectors were retired in 2026).
        microsoft = (
            host.endswith(
                ("office.com", "logic.azure.com", "powerplatform.com", "powerautomate.com")
            )
            or host == "flow.microsoft.com"
        )
        fmt = "slack" if host == "hooks.slack.com" else "teams" if microsoft else "json"
    return url, str(fmt)


def _links(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str]:
    """Links a summary carries: the run (GitHub's own variables), the issue, the pull request."""
    env = {**os.environ, **environ}
    run_url = args.run_url
    if not run_url and env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    links = {"run": run_url, "issue": args.issue_url, "pull request": args.pull_url}
    return {k: _link(v) for k, v in links.items() if v}


def _link(url: str) -> str:
    """A link as a payload carries it: http(s) only, and no character a format reads as markup."""
    if not re.match(r"^https?://[^\s|<>\"]+$", url):
        raise InputError(f"a link must be an http(s) URL without spaces, |, < or >: {url!r}")
    return url


def _send(target: tuple[str, str], event: notify.Event, args: argparse.Namespace) -> None:
    from ..backends.webhook import post

    url, fmt = target
    path = Path(args.notify_state) if args.notify_state else None
    states = _read_state(path)
    key = event.environment or ""
    state = states.get(key, {})
    if path is not None and not notify.is_news(event, state):
        return
    if path is None and event.kind == "resolved":
        return  # without a state, nothing was known to be sent before
    post(url, notify.payload(event, fmt))
    print(f"hmsync: sent the {event.kind} summary to the notify webhook", file=sys.stderr)
    if path is not None:
        states[key] = notify.after(event, state)
        path.write_text(json.dumps(states, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _read_state(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists() or not path.read_text(encoding="utf-8").strip():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise InputError(f"--notify-state {path}: not JSON; delete it to start afresh") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"--notify-state {path}: not a notify state; delete it to start afresh")
    return data
