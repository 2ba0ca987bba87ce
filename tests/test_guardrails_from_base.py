"""A pull request never judges itself: with --base-ref, hmsync.yaml's rules, protect and ignore
come from the base; what the pull request changes about them is said first in every format,
takes effect from the next pull request, and a saved plan is applied under the guardrails it
was checked with (or the project file's now, whichever is stricter)."""

from __future__ import annotations

import json
from pathlib import Path

from hmsync.emulator import Emulator
from hmsync.plan.guardrails import Guardrails, both, changes
from hmsync.plan.rules import Protect, Rule

from .conftest import Run, Write
from .helpers import env
from .test_base_ref import git

GUARDED = """\
protect: {roles: [host], max_changed_percent: 30}
rules:
  - id: only-hosts-end-the-room
    where: {roles: ["*", "!host"]}
    require: {permissions.endRoom: false}
    message: only hosts may end the room
  - id: hosts-end-the-room
    where: {roles: [host]}
    require: {permissions.endRoom: true}
"""

ROOM = """\
name: room
roles:
  host:
    permissions: {endRoom: true}
  guest:
    priority: 2
  viewer:
    priority: 3
  speaker:
    priority: 4
"""
# One commit: both guardrails gone, host deleted, guest may end the room, 3 of 4 roles changed.
WEAKENED_ROOM = """\
name: room
roles:
  guest:
    priority: 5
    permissions: {endRoom: true}
  viewer:
    priority: 6
  speaker:
    priority: 4
"""


def _repository(tmp_path: Path, write: Write, run: Run, emu: Emulator) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write("hmsync.yaml", GUARDED)
    write("templates/room.yaml", ROOM)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    git(tmp_path, "checkout", "-q", "-b", "weaken")
    write("hmsync.yaml", "{}\n")
    write("templates/room.yaml", WEAKENED_ROOM)
    git(tmp_path, "commit", "-qam", "weaken the guardrails and use the gap")


def test_a_pull_request_that_drops_its_guardrails_is_judged_by_the_bases(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    _repository(tmp_path, write, run, emu)
    plan = run("plan", "--base-ref", "main", "--format", "markdown", env=env(emu))
    # Judged by the base: the rule on guest is an error, so no plan at all.
    assert plan.code == 1, plan.err
    assert "only hosts may end the room" in plan.err
    # Without the rule's error, protect refuses the delete and the share of roles changed.
    write("templates/room.yaml", WEAKENED_ROOM.replace("endRoom: true", "endRoom: false"))
    git(tmp_path, "commit", "-qam", "keep to the rule")
    for fmt in ("text", "markdown", "json"):
        refused = run("plan", "--base-ref", "main", "--format", fmt, "-o", "p.json", env=env(emu))
        assert refused.code == 4, refused.err
        assert (
            "hmsync: refused by hmsync.yaml's protect (2 reasons): the plan deletes role "
            "room/host, which hmsync.yaml protects (protect.roles); and 1 more. Nothing was "
            "changed\n"
            "  the plan changes 3 of 4 managed roles (75%), over protect.max_changed_percent 30%; "
            "review it, then pass --force\n"
        ) in refused.err
        if fmt == "text":
            assert refused.out.startswith(
                "! Guardrails changed: this change edits hmsync.yaml's rules, protect or ignore. "
                "It was checked with those at main; its own apply from the next change:\n"
            )
        elif fmt == "markdown":
            assert refused.out.splitlines()[2] == "<!-- hmsync-guardrails -->"
        else:
            shown, _ = json.JSONDecoder().raw_decode(refused.out)  # then the error's document
            assert shown["guardrails_changed"] == [
                "rule hosts-end-the-room removed (loosened)",
                "rule only-hosts-end-the-room removed (loosened)",
                "protect.roles: host no longer protected (loosened)",
                "protect.max_changed_percent: 30 -> (none) (loosened)",
            ]
    assert not Path("p.json").exists()
    # Locally, without a base, the project file as it is judges (documented).
    local = run("plan", "-o", "p.json", env=env(emu))
    assert local.code == 0 and "role host will be DELETED" in local.out
    # The saved plan records what it was checked with: none, here; applied under main's
    # project file once merged, which is the pull request's: the plan is what was reviewed.
    assert json.loads(Path("p.json").read_text())["guardrails"] == {"ignore": []}


def test_the_text_plan_says_the_guardrail_changes_first(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write("hmsync.yaml", "protect: {roles: [host]}\nignore: [settings.region]\n")
    write("templates/room.yaml", ROOM)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-q", "-b", "tighten")
    write("hmsync.yaml", "protect: {roles: [host, guest], max_changed_percent: 50}\n")
    git(tmp_path, "commit", "-qam", "tighten")
    shown = run("plan", "--base-ref", "main", env=env(emu))
    assert shown.code == 0
    assert shown.out.startswith(
        "! Guardrails changed: this change edits hmsync.yaml's rules, protect or ignore. It was "
        "checked with those at main; its own apply from the next change:\n"
        "    protect.roles: guest now protected\n"
        "    protect.max_changed_percent: (none) -> 50\n"
        "    ignore: settings.region removed\n"
        "\n"
    )
    markdown = run("plan", "--base-ref", "main", "--format", "markdown", env=env(emu)).out
    assert markdown.startswith(
        "### hmsync plan\n\n<!-- hmsync-guardrails -->\n> [!WARNING]\n"
        "> **Guardrails changed**: this change edits hmsync.yaml's rules, protect or ignore. It "
        "was checked with those at <code>main</code>; its own apply from the next change:\n"
        "> - protect&#46;roles&#58; guest now protected\n"
    )
    # The base's ignore still holds: region is not compared in this plan.
    saved = run("plan", "--base-ref", "main", "-o", "p.json", env=env(emu))
    assert saved.code == 0
    recorded = json.loads(Path("p.json").read_text())["guardrails"]
    assert recorded == {"protect": {"roles": ["host"]}, "ignore": ["settings.region"]}


def test_a_saved_plan_is_applied_under_the_stricter_of_recorded_and_current(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    """Checked at the base with host protected; main's project file then drops protect: the
    apply still refuses a plan whose delete the recorded guardrails refuse (a tampered or
    hand-edited plan file is the only way to get one)."""
    git(tmp_path, "init", "-q", "-b", "main")
    write("hmsync.yaml", "protect: {roles: [host]}\n")
    write("templates/room.yaml", ROOM)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    write("hmsync.yaml", "{}\n")
    write("templates/room.yaml", ROOM.replace("  host:\n    permissions: {endRoom: true}\n", ""))
    assert run("plan", "-o", "p.json", env=env(emu)).code == 0  # no guardrails now
    plan = json.loads(Path("p.json").read_text())
    plan["guardrails"] = {"protect": {"roles": ["host"]}, "ignore": []}  # as the base had
    Path("p.json").write_text(json.dumps(plan))
    refused = run("apply", "p.json", "--allow-delete", env=env(emu))
    assert (refused.code, refused.err) == (
        4,
        "hmsync: refused by hmsync.yaml's protect (1 reason): the plan deletes role room/host, "
        "which hmsync.yaml protects (protect.roles). Nothing was changed\n",
    )
    plan["guardrails"] = {"protect": "all of them"}
    Path("p.json").write_text(json.dumps(plan))
    broken = run("apply", "p.json", "--allow-delete", env=env(emu))
    assert (broken.code, broken.err) == (
        1,
        "hmsync: p.json: the guardrails it records do not read as hmsync.yaml's; make the plan "
        "again with hmsync plan -o\n",
    )


def test_the_same_rule_read_from_two_files_is_no_change() -> None:
    """The base's rules are read from `main:hmsync.yaml`, the change's from `hmsync.yaml`:
    where a rule stands is not what it says."""
    from hmsync.problems import Location

    at_base = Rule("r", (("priority", (("max", 3),)),), location=Location("main:hmsync.yaml", 4, 5))
    here = Rule("r", at_base.require, location=Location("hmsync.yaml", 9, 5))
    assert changes(Guardrails((at_base,)), Guardrails((here,))) == []
    assert both(Guardrails((at_base,)), Guardrails((here,))).rules == (at_base,)


def test_changes_name_each_rule_added_removed_or_loosened() -> None:
    rule = Rule("r", (("priority", (("max", 3),)),), roles=("*",))
    warning = Rule("r", rule.require, roles=("*",), severity="warning")
    base = Guardrails((rule,), Protect(("host",), 30), ("settings.region",))
    assert changes(base, base) == []
    assert changes(base, Guardrails((warning,), Protect(("host",), 40), ())) == [
        "rule r changed (loosened: no longer an error)",
        "protect.max_changed_percent: 30 -> 40 (loosened)",
        "ignore: settings.region removed",
    ]
    assert changes(Guardrails(), base) == [
        "rule r added",
        "protect.roles: host now protected",
        "protect.max_changed_percent: (none) -> 30",
        "ignore: settings.region added (loosened: no longer compared)",
    ]
    stricter = both(base, Guardrails((warning,), Protect(("guest",), 20), ()))
    assert stricter.rules == (rule, warning)
    assert stricter.protect == Protect(("host", "guest"), 20)
    assert stricter.ignore == ("settings.region",)  # the plan was made with the recorded
