"""Posting a drift summary to a webhook (Slack, Teams, anything that takes JSON): one POST, a
deadline, no redirects, one retry on a network error or a 5xx. The URL is a secret (a Slack or
Teams webhook URL is its own credential): no message, log or error ever holds it; errors name it
"the notify webhook" and the host only."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from ..errors import ApiError, InputError
from ..redact import remember
from .transport import _is_loopback

WHERE = "the notify webhook"


def check_url(url: str) -> httpx.URL:
    """https only (plain http for loopback hosts, as the emulator's base), and remembered as a
    secret from now on, so nothing can print it."""
    remember([url])
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise InputError(f"{WHERE}: not a URL; give the webhook's https:// URL") from None
    if parsed.scheme == "https" and parsed.host:
        return parsed
    if parsed.scheme == "http" and _is_loopback(parsed.host):
        return parsed
    raise InputError(f"{WHERE}: only https:// URLs (plain http:// for loopback hosts only)")


def post(url: str, body: dict[str, Any], timeout: float = 10.0, attempts: int = 2) -> None:
    """POST body as JSON; an error for anything but a 2xx answer, the URL never in it."""
    parsed = check_url(url)
    where = f"{WHERE} ({parsed.host})"
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "hmsync"}
    reason = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(1.0)
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as http:
                answer = http.post(str(parsed), content=data, headers=headers)
        except httpx.HTTPError as exc:
            reason = f"no answer ({type(exc).__name__})"
            continue
        if 200 <= answer.status_code < 300:
            return
        reason = f"answered {answer.status_code}"
        if answer.status_code < 500:
            break  # refused: asking again would not change it
    raise ApiError("POST", where, None, f"{reason}; the drift summary was not delivered",
                   hint="check the webhook URL in the secret that holds it")  # fmt: skip
