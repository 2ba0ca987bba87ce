"""Drift told to a webhook: once per new drift, once when resolved, a failure said as one; every
environment reported whatever fails in another; the URL and secrets never printed or sent. A
local receiver on loopback stands for Slack, Teams or any JSON endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hmsync.emulator import Emulator
from hmsync.render import notify

from .conftest import Run, Write
from .test_rooms import ENV, ROOM, TEMPLATE, codes, dashboard, rooms


class Receiver:
    """A webhook on loopback: every body posted, answered with `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/T0SECRET/B0SECRET/xyz"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(api="v2") as emulator:
        yield emulator


def project(write: Write) -> None:
    write("hmsync.yaml", "api: v2\n")
    write("templates/town-hall.yaml", TEMPLATE)
    write("rooms/all-hands.yaml", ROOM)


def test_drift_is_told_once_and_its_end_once(
    emu: Emulator, hook: Receiver, run: Run, write: Write, tmp_path: Path
) -> None:
    project(write)
    env = {**emu.env(), **ENV, "GITHUB_SERVER_URL": "https://github.com",
           "GITHUB_REPOSITORY": "acme/templates", "GITHUB_RUN_ID": "77"}  # fmt: skip
    assert run("apply", "--auto-approve", env=env).code == 0
    state = tmp_path / "notify.json"
    args = ("drift", "--notify", hook.url, "--notify-format", "slack", "--notify-state", str(state),
            "--issue-url", "https://github.com/acme/templates/issues/9")  # fmt: skip
    quiet = run(*args, env=env)
    assert (quiet.code, hook.bodies) == (0, [])  # in sync, nothing ever sent: nothing to say

    [room] = rooms(emu)
    dashboard(emu, room["id"], {"size": 42, "description": "by hand"})
    first = run(*args, env=env)
    assert first.code == 2
    assert first.err == "hmsync: sent the drift summary to the notify webhook\n"
    [sent] = hook.bodies
    assert sent == {
        "text": "hmsync drift: 1 room drifted (2 fields)",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": (
            "*hmsync drift: 1 room drifted (2 fields)*\n• room all-hands: 2 fields\n"
            "<https://github.com/acme/templates/issues/9|issue>\n"
            "<https://github.com/acme/templates/actions/runs/77|run>"
        )}}],
    }  # fmt: skip
    again = run(*args, env=env)
    assert (again.code, again.err, len(hook.bodies)) == (2, "", 1)  # the same drift: not again

    dashboard(emu, room["id"], {"max_duration_seconds": 600})
    assert run(*args, env=env).code == 2
    assert hook.bodies[-1]["text"] == "hmsync drift: 1 room drifted (3 fields)"  # news: sent

    assert run("apply", "--auto-approve", env=env).code == 0
    resolved = run(*args, env=env)
    assert resolved.code == 0
    assert hook.bodies[-1]["text"] == "hmsync drift: resolved, live matches the files again"
    assert len(hook.bodies) == 3
    assert run(*args, env=env).code == 0 and len(hook.bodies) == 3  # said once
    every = json.dumps(hook.bodies) + state.read_text()
    assert hook.url not in every and "T0SECRET" not in first.out + first.err
    assert [c["code"] for c in codes(emu) if c["code"] in every] == []
    assert ENV["HMSYNC_HOOK_TOKEN"] not in every


def test_teams_and_json_payloads(emu: Emulator, hook: Receiver, run: Run, write: Write) -> None:
    project(write)
    env = {**emu.env(), **ENV}
    assert run("apply", "--auto-approve", env=env).code == 0
    dashboard(emu, rooms(emu)[0]["id"], {"size": 7})
    assert run("drift", "--notify", hook.url, "--notify-format", "teams", env=env).code == 2
    assert run("drift", "--notify", hook.url, env=env).code == 2  # a loopback host: json
    teams, plain = hook.bodies
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert [b["text"] for b in card["content"]["body"]] == [
        "hmsync drift: 1 room drifted \\(1 field\\)",
        "- room all\\-hands: 1 field",
    ]
    assert plain == {
        "format_version": 1,
        "event": "drift",
        "environment": None,
        "summary": "hmsync drift: 1 room drifted (1 field)",
        "objects": [{"kind": "room", "name": "all-hands", "fields": 1}],
        "links": {},
    }


def test_every_environment_is_reported_whatever_fails(
    hook: Receiver, run: Run, write: Write, tmp_path: Path
) -> None:
    with Emulator(api="v2") as staging, Emulator(api="v2") as production:
        write(
            "hmsync.yaml",
            "api: v2\nnotify: {url: '${HMSYNC_DRIFT_WEBHOOK}', format: json}\nenvironments:\n"
            f"  broken: {{api_base: '{staging.api_base}', access_key_env: BAD_KEY, "
            "secret_env: BAD_SECRET}\n"
            f"  production: {{api_base: '{production.api_base}', access_key_env: P_KEY, "
            "secret_env: P_SECRET}\n",
        )
        write("templates/town-hall.yaml", TEMPLATE)
        env = {
            "BAD_KEY": "wrong-key", "BAD_SECRET": "wrong-secret-value-of-enough-length-000",
            "P_KEY": production.access_key, "P_SECRET": production.secret,
            "HMSYNC_DRIFT_WEBHOOK": hook.url,
        }  # fmt: skip
        assert run("apply", "--env", "production", "--auto-approve", env=env).code == 0
        state = tmp_path / "state.json"
        result = run("drift", "--all-envs", "--notify-state", str(state), env=env)
        quiet = {k: v for k, v in env.items() if k != "HMSYNC_DRIFT_WEBHOOK"}  # unset: not sent
        as_json = run("drift", "--all-envs", "--format", "json", env=quiet)
    assert result.code == 1  # one failed: the run fails, and says which
    assert result.out == ("== broken\n== production\nIn sync: live templates match the files.\n")
    assert result.err.startswith("hmsync: sent the failed summary to the notify webhook\n")
    assert "hmsync: broken: " in result.err
    [failed] = hook.bodies  # production in sync and never drifted: nothing to say for it
    assert failed["event"] == "failed" and failed["environment"] == "broken"
    assert failed["summary"].startswith(
        "hmsync drift in broken: the check FAILED, so drift is unknown: "
    )
    assert (
        "wrong-secret-value-of-enough-length-000"
        not in json.dumps(hook.bodies) + result.out + result.err
    )
    assert hook.url not in result.out + result.err
    assert json.loads(state.read_text())["broken"]["event"] == "failed"
    every = json.loads(as_json.out)["environments"]  # one JSON document for all of them
    assert every["broken"] == {"error": "failed: see stderr"}
    assert every["production"]["in_sync"] is True


def test_a_webhook_that_refuses_fails_the_run_after_the_report(
    emu: Emulator, hook: Receiver, run: Run, write: Write
) -> None:
    project(write)
    env = {**emu.env(), **ENV}
    assert run("apply", "--auto-approve", env=env).code == 0
    dashboard(emu, rooms(emu)[0]["id"], {"size": 7})
    hook.status = 404
    result = run("drift", "--notify", hook.url, env=env)
    assert result.code == 1
    assert "room all-hands (rooms/all-hands.yaml)" in result.out  # the report stands
    assert result.err == (
        "hmsync: POST the notify webhook (127.0.0.1): answered 404; the drift summary was not "
        "delivered; check the webhook URL in the secret that holds it\n"
    )


def test_notify_url_is_a_variable_never_a_literal(run: Run, write: Write) -> None:
    write("hmsync.yaml", "api: v2\nnotify: {url: 'https://hooks.slack.com/services/T/B/x'}\n")
    result = run("validate")
    assert result.code == 1
    assert "notify.url" in result.err and "does not match" in result.err


def test_a_summary_escapes_what_it_shows() -> None:
    event = notify.Event("failed", "prod", error="GET <https://x|y> & more")
    slack = notify.payload(event, "slack")
    assert slack["text"] == (
        "hmsync drift in prod: the check FAILED, so drift is unknown: GET &lt;https://x|y&gt; "
        "&amp; more"
    )
    teams = notify.payload(event, "teams")["attachments"][0]["content"]["body"][0]["text"]
    assert "\\<https://x\\|y\\>" in teams
    hidden = notify.Event("drift", None, (("template", "zw\u200bsp", 1),))
    assert notify.payload(hidden, "json")["objects"][0]["name"] == "zw\\u200bsp"


@pytest.mark.parametrize(
    ("host", "fmt"),
    [
        ("hooks.slack.com", "slack"),
        ("prod-12.westeurope.logic.azure.com", "teams"),
        ("default1234.environment.api.powerplatform.com", "teams"),
        ("api.powerautomate.com", "teams"),
        ("flow.microsoft.com", "teams"),
        ("hooks.example.com", "json"),
    ],
)
def test_the_payload_follows_the_webhook_s_host(host: str, fmt: str) -> None:
    import argparse

    from hmsync.commands.context import Context
    from hmsync.commands.drift import _target

    args = argparse.Namespace(notify=f"https://{host}/x/y", notify_format=None)
    assert _target(args, Context(), {}) == (f"https://{host}/x/y", fmt)


def test_a_summary_lists_templates_first_and_counts_the_rest() -> None:
    objects = (*(("room", f"r{i}", 1) for i in range(10)), ("template", "t", 2))
    event = notify.Event("drift", "prod", objects, links={"run": "https://ci/run/1"})
    assert (
        notify.summary(event) == "hmsync drift in prod: 1 template and 10 rooms drifted (12 fields)"
    )
    shown = notify.payload(event, "teams")["attachments"][0]["content"]
    assert shown["body"][0] == {
        "type": "TextBlock", "text": "hmsync drift in prod: 1 template and 10 rooms drifted \\(12 fields\\)",
        "weight": "Bolder", "wrap": True,
    }  # fmt: skip
    assert shown["body"][1:3] == [
        {"type": "TextBlock", "text": "- room r0: 1 field", "wrap": True},
        {"type": "TextBlock", "text": "- room r1: 1 field", "wrap": True},
    ]
    assert shown["body"][-1]["text"] == "- and 1 more"  # ten names, then a count
    assert shown["actions"] == [
        {"type": "Action.OpenUrl", "title": "run", "url": "https://ci/run/1"}
    ]
    exactly = notify.Event("drift", None, objects[:10])
    assert [
        b["text"] for b in notify.payload(exactly, "teams")["attachments"][0]["content"]["body"]
    ][-1] == ("- room r9: 1 field")  # ten: all named, no "and 0 more"
