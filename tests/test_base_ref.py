"""plan --base-ref: this change, told apart from the changes it sets back."""

from __future__ import annotations

import json
from pathlib import Path

from hmsync.emulator import Emulator
from hmsync.model import Action, Change, Plan, TemplatePlan
from hmsync.plan import origin

from .conftest import Run, Write
from .helpers import api, env
from .situations import git

ROOM = """\
name: room
roles:
  host:
    priority: 1
    permissions: {endRoom: true, mute: true}
  guest:
    priority: 2
"""


def test_changes_made_outside_are_shown_first_and_apart(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write("templates/room.yaml", ROOM)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    with api(emu) as client:  # the dashboard: mute taken from the host
        tid = client.list_templates()[0]["_id"]
        host = client.get_role(tid, "host")
        host["permissions"]["mute"] = False
        client.upsert_role(tid, "host", {k: v for k, v in host.items() if k != "name"})
    git(tmp_path, "checkout", "-q", "-b", "change")
    write("templates/room.yaml", ROOM.replace("priority: 2", "priority: 3"))
    shown = run("plan", "--base-ref", "main", env=env(emu))
    assert shown.out == (
        "! Changed outside hmsync: the files at main already ask for these; live was changed "
        "elsewhere, and applying sets it back:\n"
        "    room: role host will be updated\n"
        "        ~ permissions.mute: false -> true\n"
        "\n"
        "This change (the files differ from main):\n"
        "~ template room (templates/room.yaml)\n"
        "    ~ role guest will be updated\n"
        "        ~ priority: 2 -> 3\n"
        "\n"
        "Plan: 2 roles to update.\n"
    )
    as_json = json.loads(run("plan", "--base-ref", "main", "--format", "json", env=env(emu)).out)
    assert as_json["base_ref"] == "main"
    assert as_json["reverts_outside"] == [
        {"template": "room", "kind": "update_role", "role": "host", "path": "permissions.mute"}
    ]
    markdown = run("plan", "--base-ref", "main", "--format", "markdown", env=env(emu)).out
    assert markdown.index("> [!WARNING]") < markdown.index("who may do what")
    # Without a base, as before: one listing.
    assert "Changed outside" not in run("plan", env=env(emu)).out
    # A saved plan with a base applies like any other.
    assert run("plan", "--base-ref", "main", "-o", "p.json", env=env(emu)).code == 0
    assert run("apply", "p.json", env=env(emu)).code == 0


def test_a_base_git_cannot_read_is_a_clear_error(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    outside_git = run("plan", "--base-ref", "main", env=env(emu))
    assert outside_git.code == 1
    assert outside_git.err.startswith("hmsync: --base-ref main: git cannot read it (fatal: ")
    assert outside_git.err.endswith(
        "; fetch it first (in GitHub: actions/checkout with fetch-depth: 0)\n"
    )
    # A "ref" git would take for an option is never passed to it.
    hostile = run("plan", "--base-ref=--output=/tmp/pwned.tar", env=env(emu))
    assert hostile.err == (
        "hmsync: --base-ref '--output=/tmp/pwned.tar': not a git ref; name a branch, tag or "
        "commit\n"
    )


def test_the_files_at_the_base_failing_to_load_leave_the_plan_untold(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write("templates/room.yaml", "name: room\nroles: {host: {priority: high}}\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "broken base")
    write("templates/room.yaml", ROOM)
    done = run("plan", "--base-ref", "main", env=env(emu))
    assert done.code == 0
    assert "hmsync: the files at main do not validate (" in done.err
    assert "Changed outside" not in done.out


def _plan(*actions: Action) -> Plan:
    return Plan((TemplatePlan("t", "t.yaml", "1", tuple(actions)),))


def test_a_change_is_outside_only_when_the_base_asks_for_exactly_it() -> None:
    mine = Action("update_role", "t", "host", changes=(Change("priority", 1, 2),))
    theirs = Action("update_role", "t", "host", changes=(Change("priority", 1, 3),))
    both = Action(
        "update_role", "t", "host",
        changes=(Change("priority", 1, 2), Change("permissions.mute", False, True)),
    )  # fmt: skip
    deleted = Action("delete_role", "t", "guest")
    # The base wants priority 3 and mute: only mute (same value) and the delete are outside.
    base = _plan(
        Action(
            "update_role",
            "t",
            "host",
            changes=(Change("priority", 1, 3), Change("permissions.mute", False, True)),
        ),
        deleted,
    )
    tagged = origin.tag(_plan(both, deleted), base, "main")
    outside, here = origin.apart(tagged)
    assert outside == [
        Action("update_role", "t", "host", changes=(Change("permissions.mute", False, True),)),
        deleted,
    ]
    assert here.actions == [Action("update_role", "t", "host", changes=(Change("priority", 1, 2),))]
    assert origin.apart(origin.tag(_plan(mine), _plan(theirs), "main"))[0] == []
    assert origin.apart(_plan(mine)) == ([], _plan(mine))  # no base: nothing outside
