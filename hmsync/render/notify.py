"""Drift told where a team looks: a short summary per environment as a payload Slack and Teams
incoming webhooks accept, or a plain JSON one; and the digest that says whether it is news.
Pure: a plan (or an error) in, a payload out.

A summary holds counts, names and links, never a value: a payload goes to a third party, and a
drifted secret must not travel there even masked. Names are escaped for each format (Slack's
`&<>`, Teams' Markdown), as every output escapes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Plan
from ..plan.drift import differences
from .escape import safe

FORMATS = ("slack", "teams", "json")
MOST = 10  # names listed in a message; the rest are counted


@dataclass(frozen=True)
class Event:
    """What happened in one environment: `drift`, `resolved` or `failed`."""

    kind: str
    environment: str | None
    objects: tuple[tuple[str, str, int], ...] = ()  # (kind, name, fields) of each drifted object
    error: str = ""  # `failed`: the one-line error, as hmsync printed it
    links: Mapping[str, str] = field(default_factory=dict)  # run, issue, pull request

    @property
    def digest(self) -> str:
        """What makes this event news: the same drift (objects and fields) or the same error
        is not sent twice. Kept in the state, never shown."""
        text = json.dumps([self.kind, self.environment, self.objects, self.error])
        return hashlib.sha256(text.encode()).hexdigest()


def drift_event(plan: Plan, links: Mapping[str, str]) -> Event:
    """The plan as drift: each drifted template and room, with its count of fields; resolved
    when there is none."""
    counts: dict[tuple[str, str], int] = {}
    for d in differences(plan):
        counts[(d.kind, d.template)] = counts.get((d.kind, d.template), 0) + 1
    objects = tuple((kind, name, n) for (kind, name), n in sorted(counts.items()))
    return Event("drift" if objects else "resolved", plan.environment, objects, links=links)


def failed_event(environment: str | None, error: str, links: Mapping[str, str]) -> Event:
    return Event("failed", environment, error=error, links=links)


def summary(event: Event) -> str:
    """One line: `hmsync drift in production: 2 templates and 1 room drifted (5 fields)`."""
    where = f" in {event.environment}" if event.environment else ""
    if event.kind == "resolved":
        return f"hmsync drift{where}: resolved, live matches the files again"
    if event.kind == "failed":
        return f"hmsync drift{where}: the check FAILED, so drift is unknown: {event.error}"
    parts = []
    for kind in sorted({k for k, _, _ in event.objects}, key=lambda k: (k != "template", k)):
        n = sum(1 for k, _, _ in event.objects if k == kind)
        parts.append(f"{n} {kind}{'s' if n != 1 else ''}")
    fields = sum(n for _, _, n in event.objects)
    return (
        f"hmsync drift{where}: {' and '.join(parts)} drifted "
        f"({fields} field{'s' if fields != 1 else ''})"
    )


def _names(event: Event) -> list[str]:
    shown = [f"{kind} {name}: {n} field{'s' if n != 1 else ''}" for kind, name, n in event.objects]
    extra = len(shown) - MOST
    return shown[:MOST] + ([f"and {extra} more"] if extra > 0 else [])


def _slack(text: str) -> str:
    """Slack's mrkdwn: &, < and > are its only control characters."""
    return safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _teams(text: str) -> str:
    """Teams renders Markdown in a TextBlock: every markup character escaped."""
    out = safe(text)
    for ch in "\\`*_{}[]()#+-.!<>|~":
        out = out.replace(ch, "\\" + ch)
    return out


def payload(event: Event, fmt: str) -> dict[str, Any]:
    """The body to post: Slack's {text, blocks}, a Teams message with an Adaptive Card, or
    hmsync's own JSON (format_version 1)."""
    head, names = summary(event), _names(event)
    links = [(label, url) for label, url in sorted(event.links.items()) if url]
    if fmt == "json":
        return {
            "format_version": 1,
            "event": event.kind,
            "environment": event.environment,
            "summary": safe(head),
            "objects": [
                {"kind": kind, "name": safe(name), "fields": n} for kind, name, n in event.objects
            ],
            **({"error": safe(event.error)} if event.error else {}),
            "links": dict(links),
        }
    if fmt == "slack":
        lines = [f"*{_slack(head)}*", *(f"• {_slack(n)}" for n in names)]
        lines += [f"<{url}|{label}>" for label, url in links]
        text = "\n".join(lines)
        return {
            "text": _slack(head),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _teams(head), "weight": "Bolder", "wrap": True}
    ]
    body += [{"type": "TextBlock", "text": f"- {_teams(n)}", "wrap": True} for n in names]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if links:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": label, "url": url} for label, url in links
        ]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def is_news(event: Event, state: Mapping[str, Any]) -> bool:
    """Whether to send: a drift or failure not sent before (its digest), or resolved after
    one was. state: what the last sent event left ({"digest", "event"}), {} if none."""
    if event.kind == "resolved":
        return state.get("event") in ("drift", "failed")
    return state.get("digest") != event.digest


def after(event: Event, state: Mapping[str, Any]) -> dict[str, Any]:
    """The state to keep after event (sent or not)."""
    if event.kind == "resolved":
        return {}
    return {"event": event.kind, "digest": event.digest}
