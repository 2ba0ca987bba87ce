"""Role deletes through review, as GitHub runs it: the label counts only when someone who may
merge put it on before an approving review by someone who may merge; the apply comment names
them, and says why not where it does not count."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hmsync.cli import main
from hmsync.emulator import Emulator

from .conftest import PROD_SECRET, STAGING_SECRET
from .harness.github import GitHub, Repo
from .test_github_story import PIN, comment, secrets

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

ROOM = "name: room\nroles:\n  host:\n    priority: 1\n  guest:\n    priority: 2\n"


def _project(staging: Emulator, production: Emulator) -> str:
    return "".join(
        f"  {name}:\n    api_base: {emu.api_base}\n    access_key_env: {key}\n"
        f"    secret_env: {secret}\n"
        for name, emu, key, secret in (
            ("staging", staging, "HMS_STAGING_ACCESS_KEY", "HMS_STAGING_SECRET"),
            ("production", production, "HMS_PROD_ACCESS_KEY", "HMS_PROD_SECRET"),
        )
    )


def _deployed(
    apps: tuple[Emulator, Emulator], tmp_path: Path, room: str
) -> tuple[GitHub, Repo, str]:
    """A repository made by `init`, its first commit of templates/room.yaml applied to staging."""
    repo = Repo(tmp_path / "repo")
    (repo.path / "hmsync.yaml").write_text(
        "templates: templates\nenvironments:\n" + _project(*apps)
    )
    assert main(["init", "--dir", str(repo.path), "--action", PIN], {}) == 0
    first = repo.commit("templates", {"templates/room.yaml": room})
    hub = GitHub(repo, tmp_path, secrets(), set(), lambda environment, run: True)
    assert hub.push().result("apply-staging") == "success"
    return hub, repo, first


def _story(apps: tuple[Emulator, Emulator], tmp_path: Path) -> tuple[GitHub, Repo, str]:
    hub, repo, first = _deployed(apps, tmp_path, ROOM)
    repo.git("checkout", "-q", "-b", "no-guests")
    repo.commit(
        "no guests", {"templates/room.yaml": ROOM.replace("  guest:\n    priority: 2\n", "")}
    )
    hub.open_pull(1, "no-guests")
    assert hub.pull_request(1).result("plan", env="staging") == "success"
    assert "hmsync:deletes" in [label["name"] for label in hub.pull(1)["labels"]]
    hub.collaborators({"tom": "triage", "alice": "write", "bob": "maintain"})
    return hub, repo, first


@pytest.mark.parametrize(
    ("labeller", "said"),
    [
        (  # may label (triage), may not merge
            "tom",
            "Role deletes: not allowed: pull request #1: the label hmsync-allow-delete was added "
            "by @tom, who has triage permission, not write.",
        ),
        (  # may merge, but labelled after the last approval: never reviewed
            "alice",
            "Role deletes: not allowed: pull request #1: the label hmsync-allow-delete (added by "
            "@alice) came after the last approving review; approve the pull request again.",
        ),
    ],
)
def test_a_label_nobody_reviewed_deletes_nothing(
    apps: tuple[Emulator, Emulator], tmp_path: Path, labeller: str, said: str
) -> None:
    hub, _repo, first = _story(apps, tmp_path)
    hub.review(1, "bob", "2026-12-01T09:00:00Z")
    hub.label(1, "hmsync-allow-delete", labeller, "2026-12-01T10:00:00Z")
    hub.merge_pull(1)
    applied = hub.push(before=first)
    assert applied.result("apply-staging") == "failure"
    assert "guest" in apps[0].store.dump()[0]["roles"]
    body = comment(hub, 1, "<!-- hmsync-apply:staging -->")
    assert said in body
    # The refusal names its own fix (the label), not "the plan no longer holds".
    assert "the label `hmsync-allow-delete` did not approve them" in body
    assert "no longer holds" not in body


def test_a_label_from_a_writer_then_approved_deletes_and_says_who(
    apps: tuple[Emulator, Emulator], tmp_path: Path
) -> None:
    hub, _repo, first = _story(apps, tmp_path)
    hub.label(1, "hmsync-allow-delete", "alice", "2026-12-01T10:00:00Z")
    hub.review(1, "bob", "2026-12-01T11:00:00Z")
    hub.merge_pull(1)
    applied = hub.push(before=first)
    assert applied.result("apply-staging") == "success"
    assert "guest" not in apps[0].store.dump()[0]["roles"]
    said = comment(hub, 1, "<!-- hmsync-apply:staging -->")
    assert (
        "Role deletes: allowed: pull request #1: the label hmsync-allow-delete added by @alice "
        "and approved in review by @bob."
    ) in said
    everything = str(hub.state()) + applied.log + applied.summary
    assert STAGING_SECRET not in everything and PROD_SECRET not in everything


def test_a_secret_rotated_after_review_is_said_as_such_on_the_pull_request(
    emu: Emulator, tmp_path: Path
) -> None:
    """The reviewed plan recorded the recording credentials' keyed hashes; the GitHub
    environment's secret changes before the merge: apply writes nothing, and the pull request
    is told that reason and its fix (not "the plan no longer holds")."""
    room = (
        "name: room\nsettings:\n  recording:\n    enabled: true\n    upload:\n      type: s3\n"
        "      location: bucket\n      prefix: rec/\n      credentials:\n"
        "        key: ${HMSYNC_ROOM_KEY}\n        secret: ${HMSYNC_ROOM_SECRET}\n"
        "roles:\n  host:\n    priority: 1\n"
    )
    repo = Repo(tmp_path / "repo")
    (repo.path / "hmsync.yaml").write_text(
        "templates: templates\nenvironments:\n"
        f"  live: {{api_base: {emu.api_base}, access_key_env: HMS_LIVE_KEY, "
        "secret_env: HMS_LIVE_SECRET}\n"
    )
    (repo.path / "templates").mkdir()
    (repo.path / "templates" / "room.yaml").write_text(room)  # init reads its variables
    assert main(["init", "--dir", str(repo.path), "--action", PIN], {}) == 0
    first = repo.commit("templates", {"templates/room.yaml": room})
    creds = {
        "HMS_LIVE_KEY": emu.access_key,
        "HMS_LIVE_SECRET": emu.secret,
        "HMSYNC_ROOM_KEY": "AKIAROOM0001",
        "HMSYNC_ROOM_SECRET": "secret-one-1",
    }
    secrets = {f"hmsync-{kind}-live": dict(creds) for kind in ("plan", "apply", "drift")}
    hub = GitHub(repo, tmp_path, secrets, set(), lambda environment, run: True)
    assert hub.push().result("apply-live") == "success"
    repo.git("checkout", "-q", "-b", "host-2")
    repo.commit("host 2", {"templates/room.yaml": room.replace("priority: 1", "priority: 2")})
    hub.open_pull(1, "host-2")
    assert hub.pull_request(1).result("plan", env="live") == "success"
    for kind in ("plan", "apply", "drift"):  # the secret is rotated in GitHub meanwhile
        secrets[f"hmsync-{kind}-live"]["HMSYNC_ROOM_SECRET"] = "secret-two-2"
    hub.merge_pull(1)
    applied = hub.push(before=first)
    assert applied.result("apply-live") == "failure"
    said = comment(hub, 1, "<!-- hmsync-apply:live -->")
    assert "### hmsync applied nothing" in said
    assert "The recording credentials (the `HMSYNC_*` secrets) are not the ones the plan" in said
    assert "no longer holds" not in said
    assert "secret-one-1" not in str(hub.state()) and "secret-two-2" not in str(hub.state())


def test_more_deletes_than_the_workflow_allows_is_said_as_such(
    apps: tuple[Emulator, Emulator], tmp_path: Path
) -> None:
    """Approved deletes past the apply workflow's --max-deletes 10: nothing is written, and the
    pull request is told that reason and its fix."""
    staging = apps[0]
    many = "name: room\nroles:\n" + "".join(f"  r{i:02}:\n    priority: 1\n" for i in range(12))
    hub, repo, first = _deployed(apps, tmp_path, many)
    repo.git("checkout", "-q", "-b", "fewer")
    repo.commit("one role left", {"templates/room.yaml": "name: room\nroles:\n  r00:\n"
                                  "    priority: 1\n"})  # fmt: skip
    hub.open_pull(1, "fewer")
    assert hub.pull_request(1).result("plan", env="staging") == "success"
    hub.collaborators({"alice": "write", "bob": "maintain"})
    hub.label(1, "hmsync-allow-delete", "alice", "2026-12-01T10:00:00Z")
    hub.review(1, "bob", "2026-12-01T11:00:00Z")
    hub.merge_pull(1)
    applied = hub.push(before=first)
    assert applied.result("apply-staging") == "failure"
    assert len(staging.store.dump()[0]["roles"]) == 12
    said = comment(hub, 1, "<!-- hmsync-apply:staging -->")
    assert "This plan deletes more roles than the workflow allows (`--max-deletes`)" in said
    assert "no longer holds" not in said
