from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from hmsync.emulator import Emulator
from hmsync.model import Action, Change, Plan, TemplatePlan
from hmsync.plan.diff import make_plan
from hmsync.render import plan_markdown, plan_text

from .conftest import EXAMPLE_ENV, EXAMPLES, Run, Write
from .helpers import api, env, example_data, write_complete
from .strategies import templates

# -- end to end ------------------------------------------------------------------------------


def test_every_example_written_completely_plans_as_no_changes(emu: Emulator, run: Run) -> None:
    with api(emu) as client:
        for name in ("classroom", "webinar", "telehealth"):
            write_complete(client, example_data(name))
    emu.reset_calls()
    result = run("plan", str(EXAMPLES), "--detailed-exitcode", env=env(emu))
    assert result.out == "No changes. Live templates match the files.\n"
    assert result.code == 0
    assert emu.calls() == {"total": 1, "writes": 0, "routes": {"get_templates": 1}}


def test_partial_bodies_filled_by_the_server_plan_as_the_expected_actions(
    emu: Emulator, run: Run, write: Write
) -> None:
    with api(emu) as client:
        # Partial bodies: the emulator fills the rest with its own (seed example) defaults.
        client.create_template(
            {
                "name": "room",
                "roles": {"host": {"priority": 1}, "legacy": {}},
                "settings": {"region": "in"},
            }
        )
        client.create_template({"name": "dashboard-only", "roles": {}})
    write(
        "templates/room.yaml",
        """\
name: room
settings: {region: eu}
roles:
  host:
    priority: 1
    publishParams: {allowed: [audio, video, screen]}
  guest:
    subscribeParams: {subscribeToRoles: [host]}
""",
    )
    result = run("plan", "--detailed-exitcode", env=env(emu))
    assert result.code == 2
    assert (
        result.out
        == """\
~ template room (templates/room.yaml)
    - role legacy will be DELETED
    + role guest will be created
        + subscribeParams.subscribeToRoles: ["host"]
    ~ role host will be updated
        ~ publishParams.screen.height: 1080 -> 720 (not set in the file: the default)
        ~ publishParams.screen.width: 1920 -> 1280 (not set in the file: the default)
        ~ publishParams.video.bitRate: 250 -> 256 (not set in the file: the default)
        ~ publishParams.video.frameRate: 30 -> 25 (not set in the file: the default)
        ~ publishParams.video.height: 270 -> 180 (not set in the file: the default)
        ~ publishParams.video.width: 480 -> 320 (not set in the file: the default)
    ~ settings will be updated
        ~ region: "in" -> "eu"

Unmanaged (live, in no file; left alone): dashboard-only
Plan: 1 role to create, 1 role to update, settings of 1 template to update, 1 role to delete.
"""
    )


def test_plan_json_and_saved_plan(emu: Emulator, run: Run, write: Write, tmp_path: Path) -> None:
    write("templates/a.yaml", "name: a\nroles:\n  host: {priority: 2}\n")
    result = run("plan", "--format", "json", "-o", "plan.json", env=env(emu))
    assert result.code == 0
    printed = json.loads(result.out)
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert printed == saved
    assert list(saved) == [
        "format_version",
        "hmsync_version",
        "api_base",
        "environment",
        "files",
        "files_digest",
        "secret_salt",
        "write_credentials",
        "allow_out_of_range",
        "summary",
        "templates",
        "unmanaged",
        "live_fingerprints",
        "guardrails",
        "guardrails_changed",
    ]
    assert saved["format_version"] == 1
    assert saved["files"] == ["templates/a.yaml"]
    assert saved["templates"] == [
        {
            "name": "a",
            "file": "templates/a.yaml",
            "id": None,
            "actions": [
                {"kind": "create_template", "changes": [{"path": "roles.host.priority", "new": 2}]}
            ],
            "secret_hashes": {},
            "write_only": False,
        }
    ]
    assert saved["summary"]["create_template"] == 1
    assert result.err == "Saved the plan to plan.json; apply it with: hmsync apply plan.json\n"


def test_secrets_never_reach_the_plan_output_or_file(
    emu: Emulator, run: Run, tmp_path: Path
) -> None:
    with api(emu) as client:
        data = example_data("telehealth")
        data["settings"]["recording"]["upload"]["credentials"]["secret"] = "the-old-live-secret"
        write_complete(client, data)
    for fmt in ("text", "json", "markdown"):
        result = run("plan", str(EXAMPLES), "--format", fmt, "-o", "p.json", env=env(emu))
        seen = result.out + result.err + (tmp_path / "p.json").read_text()
        assert "(sensitive value)" in seen
        for secret in ("the-old-live-secret", EXAMPLE_ENV["HMSYNC_S3_SECRET"], emu.secret):
            assert secret not in seen


def test_only_restricts_the_plan(emu: Emulator, run: Run) -> None:
    result = run("plan", str(EXAMPLES), "--only", "webinar", env=env(emu))
    assert result.out.startswith("+ template webinar will be created")
    assert result.out.endswith("Plan: 1 template to create.\n")
    unknown = run("plan", str(EXAMPLES), "--only", "nope", env=env(emu))
    assert unknown.code == 1
    assert unknown.err == "hmsync: --only nope: no template file defines a template of that name\n"


def test_invalid_files_are_reported_first_and_nothing_is_written(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/a.yaml", "name: a\nroles:\n  host: {priority: high}\n")
    expected = (
        "hmsync: 1 error in the template files; fix them first (hmsync validate lists the same)\n"
        "  templates/a.yaml:3:20: roles.host.priority: 'high' is not of type 'integer'\n"
    )
    result = run("plan", env=env(emu))
    assert (result.code, result.err) == (1, expected)
    assert emu.calls()["writes"] == 0  # the live listing, read meanwhile, is all that was asked
    # Without credentials, the files' own errors still come first.
    assert run("plan", env={"HMS_API_BASE": emu.api_base}).err == expected
    assert run("apply", "--auto-approve", env={}).err == expected


def test_api_errors_are_one_line_with_details(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/a.yaml", "name: a\n")
    bad = {**env(emu), "HMS_SECRET": "a-secret-that-this-emulator-does-not-know"}
    result = run("plan", env=bad)
    assert result.code == 1
    assert result.err == (
        f"hmsync: GET {emu.api_base}/templates: 401 Token validation error; check HMS_ACCESS_KEY "
        "and HMS_SECRET (the app's access key and secret), or HMS_MANAGEMENT_TOKEN\n"
        "  signature verification failed\n"
    )
    assert "a-secret-that" not in result.out + result.err


def test_no_credentials(run: Run, write: Write) -> None:
    write("templates/a.yaml", "name: a\n")
    result = run("plan", env={"HMS_API_BASE": "http://127.0.0.1:9/policy/v1"})
    assert result.err == (
        "hmsync: no 100ms credentials: set HMS_ACCESS_KEY and HMS_SECRET (the app's access key "
        "and secret), or HMS_MANAGEMENT_TOKEN\n"
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=templates())
def test_any_valid_template_written_completely_plans_as_no_changes(
    emu: Emulator, data: dict[str, Any]
) -> None:
    emu.store.reset()
    with api(emu) as client:
        write_complete(client, data)
        plan = make_plan([("t.yaml", data)], client.list_templates(), "22" * 16)
    assert plan.actions == []


# -- rendering -------------------------------------------------------------------------------


def test_text_colors_and_the_no_change_line() -> None:
    plan = Plan(
        (
            TemplatePlan(
                "t",
                "t.yaml",
                "1",
                (
                    Action("delete_role", "t", "x"),
                    Action("update_role", "t", "y", changes=(Change("priority", 1, 2),)),
                ),
            ),
        )
    )
    assert plan_text(plan, color=True).splitlines()[:3] == [
        "\x1b[33m~ template t (t.yaml)\x1b[0m",
        "\x1b[1;31m    - role x will be DELETED\x1b[0m",
        "\x1b[33m    ~ role y will be updated\x1b[0m",
    ]
    assert plan_text(Plan(())) == "No changes. Live templates match the files.\n"


def test_no_color_is_honoured(emu: Emulator, run: Run) -> None:
    # Output is captured (not a terminal), so no color either way; NO_COLOR must not break it.
    result = run("plan", str(EXAMPLES), "--no-color", env={**env(emu), "NO_COLOR": "1"})
    assert "\x1b[" not in result.out and result.code == 0


def big_plan(roles: int, per_template: int = 10) -> Plan:
    fields = ("bitRate", "frameRate", "height", "width", "codec")
    templates = []
    for t in range(roles // per_template):
        actions = [
            Action(
                "update_role",
                f"t{t}",
                f"role-{r}",
                changes=(
                    *(Change(f"publishParams.video.{f}", 100 + r, 200 + r) for f in fields),
                    Change("permissions.mute", False, True),
                ),
            )
            for r in range(per_template)
        ]
        actions.append(Action("delete_role", f"t{t}", "old"))
        templates.append(TemplatePlan(f"t{t}", f"templates/t{t}.yaml", f"{t:024x}", tuple(actions)))
    return Plan(tuple(templates), unmanaged=("legacy",))


def test_markdown_of_300_changed_roles_stays_under_the_limit_with_a_note() -> None:
    plan = big_plan(300)
    full = plan_text(plan)
    assert len(full) > 65_000  # so the cut is needed
    text = plan_markdown(plan)
    assert len(text) < 65_000
    assert text.startswith("### hmsync plan\n\n**Plan: 300 roles to update, 30 roles to delete.**")
    assert (
        "> [!CAUTION]\n> **30 role(s) will be deleted:** <code>t0/old</code>, <code>t1/old</code>"
    ) in text
    assert "> **Cut to stay under GitHub's comment limit:** " in text
    shown = text.count("<details><summary><code>t")  # a template's block (not the unmanaged)
    assert 0 < shown < 30
    assert f"{30 - shown} template(s) not shown: <code>t{shown}</code>" in text


def test_markdown_shows_an_oversized_single_template_in_part() -> None:
    plan = big_plan(1000, per_template=1000)
    text = plan_markdown(plan)
    assert len(text) < 65_000
    assert "more lines not shown" in text
    assert "<code>t0</code> is shown in part" in text


def test_markdown_small_plan_is_whole() -> None:
    plan = big_plan(20)
    text = plan_markdown(plan)
    assert text.count("<details><summary><code>t") == 2 and "Cut to stay" not in text
    assert "| <code>t0</code> |  | 10 |  | **1** |  |  |" in text
