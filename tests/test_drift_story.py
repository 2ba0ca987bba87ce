"""Drift that reaches people and offers the fix, as one story through the workflow harness: the
drift workflow `hmsync init --accept-live` writes, run as GitHub runs it, against emulators and a
local webhook receiver.

A dashboard edit -> the webhook once (not twice on the next run), the drift issue, and the
accept-live pull request -> the next run updates the pull request -> its merge (nothing to apply:
the files took live's values) -> drift resolved, said once, the issue closed. Then another edit,
set back by apply instead: the pull request is closed and its branch deleted. And two
environments, one whose credentials fail: reported as failed, never hiding the other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hmsync.cli import main
from hmsync.emulator import Emulator

from .conftest import PROD_SECRET, STAGING_SECRET
from .harness.github import GitHub, Repo
from .test_notify import Receiver
from .test_rooms import Rooms

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

PIN = "acme/hmsync@" + "1" * 40
TEMPLATE = """\
name: town-hall
roles:
  host:
    priority: 1
    publishParams: {allowed: [audio, video]}
  guest:
    priority: 2
"""
ROOM = """\
# the monthly all-hands
name: all-hands
template: town-hall
size: 500
codes: {host: enabled}
"""


def project(*apps: tuple[str, Emulator, str]) -> str:
    lines = ["api: v2", "templates: templates", "rooms: rooms", "environments:"]
    for name, emu, prefix in apps:
        lines += [
            f"  {name}:",
            f"    api_base: {emu.api_base}",
            f"    access_key_env: {prefix}_KEY",
            f"    secret_env: {prefix}_SECRET",
        ]
    return "\n".join(lines) + "\n"


def secrets(env: str, key: str, secret: str, prefix: str, hook: str) -> dict[str, dict[str, str]]:
    creds = {f"{prefix}_KEY": key, f"{prefix}_SECRET": secret}
    out = {f"hmsync-{kind}-{env}": dict(creds) for kind in ("plan", "apply", "drift")}
    out[f"hmsync-drift-{env}"]["HMSYNC_DRIFT_WEBHOOK"] = hook
    return out


def open_pulls(hub: GitHub) -> list[dict[str, object]]:
    return [
        p for p in hub.state()["pulls"] if p.get("state", "open") == "open" and not p["merged_at"]
    ]


def open_issues(hub: GitHub) -> list[dict[str, object]]:
    return [i for i in hub.state()["issues"] if i["state"] == "open"]


def test_drift_told_once_offered_as_a_pull_request_merged_and_resolved(tmp_path: Path) -> None:
    hook = Receiver()
    with Emulator(api="v2", access_key="staging-key", secret=STAGING_SECRET) as staging:
        repo = Repo(tmp_path / "repo")
        (repo.path / "hmsync.yaml").write_text(project(("staging", staging, "STAGING")))
        assert main(["init", "--dir", str(repo.path), "--action", PIN, "--accept-live"], {}) == 0
        repo.commit("as code", {"templates/town-hall.yaml": TEMPLATE, "rooms/all-hands.yaml": ROOM})
        hub = GitHub(
            repo, tmp_path, secrets("staging", "staging-key", STAGING_SECRET, "STAGING", hook.url),
            set(), lambda env, run: True,
        )  # fmt: skip
        assert hub.push().result("apply-staging") == "success"
        quiet = hub.schedule("hmsync-drift.yml")
        assert quiet.result("drift") == "success"
        assert (hook.bodies, open_issues(hub), open_pulls(hub)) == ([], [], [])

        # 1. Someone changes the room and a role in the dashboard.
        [room] = staging.store.rooms.values()
        Rooms(staging.store).update_room(room["id"], {"size": 42})
        [template] = staging.store.templates.values()
        template["roles"]["guest"]["priority"] = 5
        drifted = hub.schedule("hmsync-drift.yml")
        assert drifted.result("drift", env="staging") == "success"
        [told] = hook.bodies
        assert told["event"] == "drift" and told["environment"] == "staging"
        assert (
            told["summary"] == "hmsync drift in staging: 1 template and 1 room drifted (2 fields)"
        )
        assert (
            told["links"]["run"] == f"https://github.com/acme/templates/actions/runs/{drifted.id}"
        )
        [pull] = open_pulls(hub)
        assert pull["head"]["ref"] == "hmsync/accept-live-staging"
        assert pull["title"] == "hmsync: accept live into the files (staging)"
        files = hub.api_files(str(pull["head"]["sha"]))
        assert files == {
            "templates/town-hall.yaml": TEMPLATE.replace("priority: 2", "priority: 5"),
            "rooms/all-hands.yaml": ROOM.replace("size: 500", "size: 42"),
        }
        [issue] = open_issues(hub)
        assert f"review and merge {pull['html_url']}" in str(issue["body"])
        assert '<!-- hmsync-notify-state {"staging":{"digest":"' in str(issue["body"])

        # 2. The next run: the same drift, not told again; the pull request kept up to date.
        again = hub.schedule("hmsync-drift.yml")
        assert again.result("drift", env="staging") == "success"
        assert len(hook.bodies) == 1
        assert [p["number"] for p in open_pulls(hub)] == [pull["number"]]
        assert len(open_issues(hub)) == 1

        # 3. Merged: the files take live's values; apply has nothing to do, and says why.
        before = repo.git("rev-parse", repo.default)
        hub.merge_pull(int(str(pull["number"])))
        merged = hub.push(before)
        assert merged.result("apply-staging") == "success"
        assert "accepted live into the files, so nothing was applied" in merged.summary
        assert (repo.path / "rooms" / "all-hands.yaml").read_text() == ROOM.replace("500", "42")

        # 4. Drift resolved: said once, the issue closed.
        resolved = hub.schedule("hmsync-drift.yml")
        assert resolved.result("drift", env="staging") == "success"
        assert [b["event"] for b in hook.bodies] == ["drift", "resolved"]
        assert open_issues(hub) == []
        hub.schedule("hmsync-drift.yml")
        assert len(hook.bodies) == 2

        # 5. Another edit, this time set back by apply: the offer is withdrawn.
        Rooms(staging.store).update_room(room["id"], {"size": 7})
        assert hub.schedule("hmsync-drift.yml").result("drift", env="staging") == "success"
        [offer] = open_pulls(hub)
        assert hub.dispatch("hmsync-apply.yml").result("apply-staging") == "success"
        assert staging.store.rooms[room["id"]]["size"] == 42
        hub.schedule("hmsync-drift.yml")
        assert open_pulls(hub) == []
        closed = next(p for p in hub.state()["pulls"] if p["number"] == offer["number"])
        assert closed["state"] == "closed"
        assert "heads/hmsync/accept-live-staging" not in hub.state()["git"]["refs"]
        assert [b["event"] for b in hook.bodies] == ["drift", "resolved", "drift", "resolved"]
        everything = json.dumps(hub.state()) + json.dumps(hook.bodies)
        assert STAGING_SECRET not in everything and hook.url not in everything
        codes = [c["code"] for c in staging.store.codes.values()]
        assert codes and not [c for c in codes if c in everything]
    hook.close()


def test_one_environment_failing_never_hides_another(tmp_path: Path) -> None:
    hook = Receiver()
    with (
        Emulator(api="v2", access_key="staging-key", secret=STAGING_SECRET) as staging,
        Emulator(api="v2", access_key="prod-key", secret=PROD_SECRET) as production,
    ):
        repo = Repo(tmp_path / "repo")
        text = project(("production", production, "PROD"), ("staging", staging, "STAGING"))
        (repo.path / "hmsync.yaml").write_text(text)
        assert main(["init", "--dir", str(repo.path), "--action", PIN], {}) == 0
        repo.commit("as code", {"templates/town-hall.yaml": TEMPLATE, "rooms/all-hands.yaml": ROOM})
        given = {
            **secrets("staging", "staging-key", STAGING_SECRET, "STAGING", hook.url),
            **secrets("production", "prod-key", PROD_SECRET, "PROD", hook.url),
        }
        hub = GitHub(repo, tmp_path, given, set(), lambda env, run: True)
        assert hub.push().result("apply-production") == "success"
        [room] = staging.store.rooms.values()
        Rooms(staging.store).update_room(room["id"], {"size": 42})
        given["hmsync-drift-production"]["PROD_SECRET"] = "rotated-and-now-wrong-" + "x" * 20
        run = hub.schedule("hmsync-drift.yml")
        # Production (first in the matrix) fails; staging still runs, and says its drift.
        assert run.result("drift", env="production") == "failure"
        assert run.result("drift", env="staging") == "success"
        issues = {str(i["title"]): str(i["body"]) for i in open_issues(hub)}
        assert set(issues) == {
            "hmsync: live templates differ from the files (production)",
            "hmsync: live templates differ from the files (staging)",
        }
        failed = issues["hmsync: live templates differ from the files (production)"]
        assert "### hmsync drift: the check FAILED" in failed
        assert "Token validation error" in failed or "401" in failed
        assert sorted((b["environment"], b["event"]) for b in hook.bodies) == [
            ("production", "failed"),
            ("staging", "drift"),
        ]
        assert "rotated-and-now-wrong" not in json.dumps(hub.state()) + json.dumps(hook.bodies)
    hook.close()
