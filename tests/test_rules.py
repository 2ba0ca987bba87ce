"""A team's own rules: state rules on the effective templates, change rules on the plan."""

from __future__ import annotations

from hmsync.emulator import Emulator

from .conftest import Run, Write

WEBINAR = """\
name: webinar
roles:
  host:
    priority: 1
    permissions:
      endRoom: true
    publishParams:
      video: {bitRate: 1200}
  guest:
    priority: 2
    publishParams:
      video: {bitRate: 2000}
    permissions:
      endRoom: true
  viewer:
    priority: 3
"""
CLASSROOM = "name: classroom\nroles:\n  teacher:\n    priority: 1\n"
SPEC = """\
rules:
  - id: hosts-only-end-room
    message: only hosts may end the room
    where: {roles: ["*", "!host"]}
    require:
      permissions.endRoom: false
  - id: video-cap
    where: {roles: ["*"]}
    require: {publishParams.video.bitRate: {max: 1500}}
    severity: warning
"""


def test_the_exact_message_at_the_value_that_breaks_the_rule(run: Run, write: Write) -> None:
    write("hmsync.yaml", SPEC)
    write("templates/webinar.yaml", WEBINAR)
    write("templates/classroom.yaml", CLASSROOM)
    result = run("validate")
    assert (result.code, result.out) == (
        1,
        "templates/webinar.yaml:12:24: warning: roles.guest.publishParams.video.bitRate: 2000 "
        "breaks rule video-cap: must be at most 1500\n"
        "templates/webinar.yaml:14:16: roles.guest.permissions.endRoom: true breaks rule "
        "hosts-only-end-room: only hosts may end the room\n"
        "2 files checked: 1 error, 1 warning.\n",
    )
    github = run("validate", "--format", "github").out
    assert "::error file=templates/webinar.yaml,line=14,col=16" in github
    only = run("validate", "--rules-only")
    assert only.out == result.out  # no other problems here: the same lines
    write("templates/classroom.yaml", CLASSROOM + "  bad: {priority: high}\n")
    assert "is not of type" not in run("validate", "--rules-only").out


def test_every_condition_kind_and_a_default_the_file_leaves_out(run: Run, write: Write) -> None:
    write(
        "hmsync.yaml",
        """\
rules:
  - id: eq
    where: {roles: [host]}
    require: {permissions.mute: true}
  - id: lo
    where: {roles: [host]}
    require: {priority: {min: 2}}
  - id: one-of
    where: {roles: [host]}
    require: {publishParams.allowed: {in: [[audio]]}}
  - id: none-of
    where: {roles: [host]}
    require: {priority: {not_in: [1]}}
  - id: set
    where: {roles: [host]}
    require: {subscribeParams.subscribeToRoles: {present: true}}
  - id: unset
    where: {templates: [room]}
    require: {default: {absent: true}}
""",
    )
    write(
        "templates/room.yaml",
        "name: room\ndefault: false\nroles:\n  host:\n    priority: 1\n"
        "    publishParams: {allowed: [audio, video]}\n",
    )
    out = run("validate").out.splitlines()
    assert out == [
        "templates/room.yaml:2:10: default: false breaks rule unset: must be left out",
        # Not in the file: located at the role.
        "templates/room.yaml:5:5: roles.host.permissions.mute: false (not set: the default) "
        "breaks rule eq: must be true",
        "templates/room.yaml:5:5: roles.host.subscribeParams.subscribeToRoles: not set breaks "
        "rule set: must be set",
        "templates/room.yaml:5:15: roles.host.priority: 1 breaks rule lo: must be at least 2",
        "templates/room.yaml:5:15: roles.host.priority: 1 breaks rule none-of: must not be one of "
        "[1]",
        'templates/room.yaml:6:30: roles.host.publishParams.allowed: ["audio", "video"] breaks '
        'rule one-of: must be one of [["audio"]]',
        "1 file checked: 6 errors, 0 warnings.",
    ]


def test_where_selects_templates_roles_and_environments(run: Run, write: Write) -> None:
    write(
        "hmsync.yaml",
        """\
environments:
  staging: {access_key_env: A, secret_env: B}
  production: {access_key_env: C, secret_env: D}
rules:
  - id: production-priority
    where: {environments: [production], templates: ["web*", "!classroom"], roles: ["!viewer"]}
    require: {priority: {max: 1}}
""",
    )
    write("templates/webinar.yaml", WEBINAR)
    write("templates/classroom.yaml", CLASSROOM.replace("priority: 1", "priority: 9"))
    result = run("validate")
    assert result.out == (
        "templates/webinar.yaml:10:15: roles.guest.priority: 2 breaks rule production-priority: "
        "must be at most 1\n"
        "1 file checked: 1 error, 0 warnings.\n".replace("1 file", "2 files")
    )
    # Only where the environment is: staging passes.
    assert run("validate", "--env", "staging").code == 0
    listed = run("rules", "--env", "production").out
    assert listed == (
        "  production-priority (error)\n"
        "    where: templates web*, !classroom; roles !viewer; environments production\n"
        "    requires: priority max 1\n"
        "    matched 2 roles: webinar/host, webinar/guest\n"
        "    templates/webinar.yaml:10:15: roles.guest.priority: 2 breaks rule "
        "production-priority: must be at most 1\n\n"
    )


def test_a_rule_on_v2_fields(run: Run, write: Write) -> None:
    write(
        "hmsync.yaml",
        "api: v2\nrules:\n  - id: small-rooms\n    where: {roles: ['*']}\n"
        "    require: {maxPeerCount: {max: 100}}\n",
    )
    write("templates/live.yaml", "name: live\nroles:\n  viewer:\n    maxPeerCount: 5000\n")
    assert run("validate").out == (
        "templates/live.yaml:4:19: roles.viewer.maxPeerCount: 5000 breaks rule small-rooms: "
        "must be at most 100\n1 file checked: 1 error, 0 warnings.\n"
    )


def test_a_rule_that_matches_nothing_is_a_warning(run: Run, write: Write) -> None:
    write(
        "hmsync.yaml",
        "rules:\n  - id: typo\n    where: {roles: [hots]}\n    require: {priority: 1}\n",
    )
    write("templates/webinar.yaml", WEBINAR)
    result = run("validate")
    assert (result.code, result.out) == (
        0,
        "hmsync.yaml:2:9: warning: rules: rule typo matches no role in any template; check its "
        "where\n1 file checked: 0 errors, 1 warning.\n",
    )


def test_bad_rule_definitions_are_located_with_a_did_you_mean(run: Run, write: Write) -> None:
    write("templates/webinar.yaml", WEBINAR)
    write(
        "hmsync.yaml",
        "rules:\n  - id: a\n    wher: {roles: [host]}\n    require: {priority: 1}\n",
    )
    assert run("validate").err == (
        "hmsync: 1 error in the project file hmsync.yaml; fix them first\n"
        "  hmsync.yaml:3:5: rules[0].wher: unknown key; did you mean 'where'?\n"
    )
    write(
        "hmsync.yaml",
        "rules:\n  - id: a\n    where: {roles: ['[host']}\n"
        "    require: {permissions.endRom: false, publishParams.video.bitrate: 1}\n"
        "  - id: a\n    require: {name: {mni: 1}}\n",
    )
    assert run("validate").err == (
        "hmsync: 5 errors in the project file hmsync.yaml; fix them first\n"
        "  hmsync.yaml:3:21: rules[0].where.roles[0]: an unclosed [ in the pattern; close it, "
        "or write [[] for a literal [\n"
        "  hmsync.yaml:4:15: rules[0].require[\"permissions.endRom\"]: 'endRom' is no field of "
        "permissions; did you mean 'endRoom'?\n"
        "  hmsync.yaml:4:42: rules[0].require[\"publishParams.video.bitrate\"]: 'bitrate' is no "
        "field of publishParams.video; did you mean 'bitRate'?\n"
        "  hmsync.yaml:5:9: rules[1].id: rule id 'a' is used at hmsync.yaml:2:9 already; ids "
        "are unique\n"
        "  hmsync.yaml:6:21: rules[1].require.name: 'mni' is no condition; did you mean 'min'?\n"
    )
    write("hmsync.yaml", "rules:\n  - id: b\n    require: {name: {mni: 1}}\n")
    assert run("validate").err == (
        "hmsync: 1 error in the project file hmsync.yaml; fix them first\n"
        "  hmsync.yaml:3:21: rules[0].require.name: 'mni' is no condition; did you mean 'min'?\n"
    )


PROTECT = """\
protect:
  roles: [host]
  max_changed_percent: 30
"""


def _live_webinar(emu: Emulator, run: Run, write: Write) -> None:
    """The webinar applied, then hmsync.yaml's protect in force."""
    write("templates/webinar.yaml", WEBINAR)
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    write("hmsync.yaml", PROTECT)


def test_protected_roles_are_never_deleted_or_renamed(
    emu: Emulator, run: Run, write: Write
) -> None:
    _live_webinar(emu, run, write)
    write(
        "templates/webinar.yaml",
        WEBINAR.replace("  host:\n", "  presenter:\n    renamedFrom: host\n"),
    )
    emu.reset_calls()
    refused = run("apply", "--auto-approve", "--force", env=emu.env())
    assert refused.code == 4
    assert refused.err.endswith(
        "hmsync: refused by hmsync.yaml's protect (1 reason): the plan renames (to presenter) "
        "role webinar/host, which hmsync.yaml protects (protect.roles). Nothing was changed\n"
    )
    assert emu.calls()["writes"] == 0
    write("templates/webinar.yaml", WEBINAR.split("  guest:")[0].replace("  host:", "  other:"))
    plan = run("plan", "--force", env=emu.env())
    assert plan.code == 4 and "- role host will be DELETED" in plan.out
    assert "the plan deletes role webinar/host, which hmsync.yaml protects" in plan.err


def test_too_large_a_share_of_changed_roles_needs_force(
    emu: Emulator, run: Run, write: Write
) -> None:
    _live_webinar(emu, run, write)
    write("templates/webinar.yaml", WEBINAR.replace("priority: 2", "priority: 5"))  # 1 of 3
    write("hmsync.yaml", PROTECT.replace("30", "34"))  # 33% is under 34%
    assert run("plan", "--detailed-exitcode", env=emu.env()).code == 2
    write("hmsync.yaml", PROTECT)
    refused = run("plan", env=emu.env())
    assert refused.code == 4
    assert refused.err == (
        "hmsync: refused by hmsync.yaml's protect (1 reason): the plan changes 1 of 3 managed "
        "roles (33%), over protect.max_changed_percent 30%; review it, then pass --force. "
        "Nothing was changed\n"
    )
    assert run("plan", "--force", env=emu.env()).code == 0
    assert run("apply", "--auto-approve", env=emu.env()).code == 4
    assert run("apply", "--auto-approve", "--force", env=emu.env()).code == 0


def test_the_share_is_of_the_whole_environment_whatever_only_selects(
    emu: Emulator, run: Run, write: Write
) -> None:
    """1 role of 9 changed is 11%, with or without --only (it was 1 of 3 with --only)."""
    for name in ("webinar", "clinic", "class"):
        write(f"templates/{name}.yaml", WEBINAR.replace("name: webinar", f"name: {name}"))
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    write("hmsync.yaml", PROTECT)
    write("templates/clinic.yaml", WEBINAR.replace("name: webinar", "name: clinic")
          .replace("priority: 2", "priority: 5"))  # fmt: skip
    assert run("plan", "--detailed-exitcode", env=emu.env()).code == 2
    assert run("plan", "--only", "clinic", "--detailed-exitcode", env=emu.env()).code == 2
    write("hmsync.yaml", PROTECT.replace("30", "10"))
    refused = run("plan", "--only", "clinic", env=emu.env())
    assert refused.err == (
        "hmsync: refused by hmsync.yaml's protect (1 reason): the plan changes 1 of 9 managed "
        "roles (11%), over protect.max_changed_percent 10%; review it, then pass --force. "
        "Nothing was changed\n"
    )


def test_rules_without_any_rules_says_how(run: Run, write: Write) -> None:
    write("templates/webinar.yaml", WEBINAR)
    assert run("rules").err == (
        "hmsync: no rules: hmsync.yaml has no rules or protect (the README's 'Your own rules' "
        "shows how)\n"
    )
