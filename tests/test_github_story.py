"""The GitHub path as one story: the three workflows `hmsync init` writes, run as
GitHub runs them (tests/harness), against two emulators, staging and production.

A pull request changes a var and an overlay -> a plan comment for each environment -> someone
changes production in the dashboard -> merge -> staging applies the reviewed plan, production's
stale plan is refused and the pull request says so -> a person runs apply by hand: a fresh plan
in the summary, applied after the environment's approval -> drift on the cron finds nothing,
then finds a dashboard change and keeps one issue."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from hmsync.cli import main
from hmsync.emulator import Emulator

from .conftest import PROD_SECRET, STAGING_SECRET
from .harness.github import GitHub, Repo, Run
from .helpers import api

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

PIN = "acme/hmsync@" + "1" * 40

ROOM = """\
name: room
settings:
  region: ${vars.region}
roles:
  host:
    priority: 1
    publishParams:
      video: {bitRate: "${vars.bitrate}"}
    permissions: {endRoom: true}
  guest:
    priority: 2
"""
OVERLAY = """\
name: room
roles:
  guest:
    priority: 3
"""


def project(staging: Emulator, production: Emulator, staging_bitrate: int = 400) -> str:
    return f"""\
templates: templates
environments:
  staging:
    api_base: {staging.api_base}
    access_key_env: HMS_STAGING_ACCESS_KEY
    secret_env: HMS_STAGING_SECRET
    vars: {{region: in, bitrate: {staging_bitrate}}}
  production:
    api_base: {production.api_base}
    access_key_env: HMS_PROD_ACCESS_KEY
    secret_env: HMS_PROD_SECRET
    vars: {{region: us, bitrate: 800}}
    overlays: overlays/production
"""


def role(emu: Emulator, name: str) -> dict[str, Any]:
    [template] = emu.store.dump()
    return dict(template["roles"][name])


def dashboard(emu: Emulator, role_name: str, **permissions: bool) -> None:
    """A change made in the 100ms dashboard: outside the repository."""
    with api(emu) as client:
        tid = client.list_templates()[0]["_id"]
        body = client.get_role(tid, role_name)
        body["permissions"].update(permissions)
        client.upsert_role(tid, role_name, {k: v for k, v in body.items() if k != "name"})


def secrets() -> dict[str, dict[str, str]]:
    staging = {"HMS_STAGING_ACCESS_KEY": "staging-key", "HMS_STAGING_SECRET": STAGING_SECRET}
    production = {"HMS_PROD_ACCESS_KEY": "prod-key", "HMS_PROD_SECRET": PROD_SECRET}
    return {
        f"hmsync-{kind}-{env}": creds
        for env, creds in (("staging", staging), ("production", production))
        for kind in ("plan", "apply", "drift")
    }


def comment(hub: GitHub, number: int, marker: str) -> str:
    [body] = [c["body"] for c in hub.comments(number) if c["body"].startswith(marker + "\n")]
    return str(body)


def test_the_github_path_from_pull_request_to_drift(
    apps: tuple[Emulator, Emulator], tmp_path: Path
) -> None:
    staging, production = apps
    repo = Repo(tmp_path / "repo")
    (repo.path / "hmsync.yaml").write_text(project(staging, production))
    assert main(["init", "--dir", str(repo.path), "--action", PIN], {}) == 0
    first = repo.commit(
        "templates as code",
        {"templates/room.yaml": ROOM, "overlays/production/room.yaml": OVERLAY},
    )
    seen: list[tuple[str, str]] = []

    def approve(environment: str, run: Run) -> bool:
        seen.append((environment, run.summary))  # what the reviewer sees when approving
        return True

    hub = GitHub(repo, tmp_path, secrets(), {"hmsync-apply-production"}, approve)

    # 0. A direct push (no pull request): planned and applied afresh, and said so.
    pushed = hub.push()
    assert pushed.triggered
    assert [pushed.result("apply-staging"), pushed.result("apply-production")] == ["success"] * 2
    assert pushed.result("plan") == "skipped"
    assert "_no pull request brought this commit: planned and applied afresh, unreviewed_" in (
        pushed.summary
    )
    assert role(production, "guest")["priority"] == 3 and role(staging, "guest")["priority"] == 2

    # 1. A pull request changing a var (hmsync.yaml) and an overlay: a plan for each environment.
    repo.git("checkout", "-q", "-b", "faster")
    repo.commit(
        "staging bitrate, production guest",
        {
            "hmsync.yaml": project(staging, production, staging_bitrate=500),
            "overlays/production/room.yaml": OVERLAY.replace("priority: 3", "priority: 4"),
        },
    )
    hub.open_pull(1, "faster")
    planned = hub.pull_request(1)
    assert planned.triggered
    assert (
        planned.result("plan", env="staging")
        == planned.result("plan", env="production")
        == ("success")
    )
    staging_plan = comment(hub, 1, "<!-- hmsync-plan:staging -->")
    production_plan = comment(hub, 1, "<!-- hmsync-plan:production -->")
    assert "### hmsync plan: <code>staging</code>" in staging_plan
    assert "-     publishParams.video.bitRate: 400\n+     publishParams.video.bitRate: 500" in (
        staging_plan
    )
    assert "### hmsync plan: <code>production</code>" in production_plan
    assert "| <code>guest</code> | ✓ | ✓ | ✓ |  | **3 → 4** |" in production_plan  # the matrix
    assert "Every change is this pull request's own (compared with <code>origin/main</code>)" in (
        production_plan
    )
    assert [label["name"] for label in hub.pull(1)["labels"]] == ["hmsync:changes"]
    first_head = hub.pull(1)["head"]["sha"]
    assert sorted(a["name"] for a in hub.state()["artifacts"] if "plan" in a["name"]) == [
        f"hmsync-plan-production-{first_head}",
        f"hmsync-plan-staging-{first_head}",
    ]

    # 2. Someone changes production in the dashboard; the next push's plan tells it apart.
    dashboard(production, "host", endRoom=False)
    repo.commit(
        "a note",
        {
            "NOTES.md": "why\n",
            "overlays/production/room.yaml": OVERLAY.replace("priority: 3", "priority: 4")
            + "# faster\n",
        },
    )
    hub._edit(lambda s: s["pulls"][0]["head"].update(sha=repo.git("rev-parse", "HEAD")))
    again = hub.pull_request(1)
    assert again.result("plan", env="production") == "success"
    production_plan = comment(hub, 1, "<!-- hmsync-plan:production -->")
    assert "> **Changed outside hmsync: this plan sets it back.**" in production_plan
    assert (
        "@@ room: role host will be updated @@\n-     permissions.endRoom: false\n+     permissions.endRoom: true"
        in production_plan
    )
    # ... and changes it once more before the merge: the reviewed plan no longer holds.
    dashboard(production, "host", endRoom=False, mute=True)

    head = hub.pull(1)["head"]["sha"]

    # 3. Merge: staging applies exactly its reviewed plan; production's plan no longer holds.
    production.reset_calls()
    merged = hub.merge_pull(1)
    applied = hub.push(before=first)
    assert applied.triggered
    assert applied.result("apply-staging") == "success"
    assert applied.result("apply-production") == "failure"
    assert role(staging, "host")["publishParams"]["video"]["bitRate"] == 500
    assert production.calls()["writes"] == 0
    assert role(production, "guest")["priority"] == 3  # nothing written
    assert f"(commit {head[:7]})" in applied.summary
    said = comment(hub, 1, "<!-- hmsync-apply:staging -->")
    assert said.startswith(
        "<!-- hmsync-apply:staging -->\n### hmsync applied to `staging`\n\nApplying the plan for "
        f"staging reviewed on pull request #1 (commit {head[:7]}). [The run]"
        f"(https://github.com/acme/templates/actions/runs/{applied.id}).\n"
    )
    refused = comment(hub, 1, "<!-- hmsync-apply:production -->")
    assert "### hmsync applied nothing to `production`" in refused
    assert "live template changed since" in refused and "room" in refused
    assert "run the **hmsync apply** workflow by hand" in refused
    assert merged != head  # a merge commit: the files are checked, not the commit

    # 4. By hand: a fresh plan in the summary, applied after production's approval.
    seen.clear()
    by_hand = hub.dispatch("hmsync-apply.yml")
    assert by_hand.result("plan", env="production") == "success"
    assert [e for e, _ in seen] == ["hmsync-apply-production"]
    shown = seen[0][1]
    assert "### hmsync plan (production) (exit 2)" in shown
    assert "| <code>guest</code> | ✓ | ✓ | ✓ |  |  | **3 → 4** |" in shown
    assert "| <code>host</code> | ✓ | ✓ | ✓ | **· → ✓** | **✓ → ·** | 1 |" in shown
    assert by_hand.result("apply-production") == "success"
    assert role(production, "guest")["priority"] == 4
    assert role(production, "host")["permissions"]["endRoom"] is True  # the dashboard's, undone

    # 5. Drift on the cron: nothing, then a dashboard change on staging: one issue, kept.
    quiet = hub.schedule("hmsync-drift.yml")
    assert quiet.triggered and quiet.result("drift") == "success"
    assert not [i for i in hub.state()["issues"] if i["state"] == "open"]
    assert not [a for a in hub.approvals if a[0] == quiet.id]  # the cron waits for no one
    dashboard(staging, "guest", endRoom=True)
    for _ in range(2):
        drifted = hub.schedule("hmsync-drift.yml")
        assert drifted.result("drift", env="staging") == "success"  # exit 2 passes the step
    [issue] = [i for i in hub.state()["issues"] if i["state"] == "open"]
    assert issue["title"] == "hmsync: live templates differ from the files (staging)"
    assert "endRoom" in issue["body"]
    # Secrets never reach a comment, an issue, a summary or a log.
    everything = str(hub.state()) + by_hand.log + by_hand.summary + applied.log + planned.log
    assert STAGING_SECRET not in everything and PROD_SECRET not in everything
