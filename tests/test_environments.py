"""One repository, several 100ms apps, as two emulators with their own credentials."""

from __future__ import annotations

from pathlib import Path

from hmsync.emulator import Emulator

from .conftest import PROD_SECRET, STAGING_SECRET, Run, Write
from .helpers import api

ROOM = """\
name: room
settings:
  region: ${vars.region}
roles:
  host:
    publishParams:
      video: {bitRate: "${vars.bitrate}"}
    permissions: {mute: true}
"""


def project(staging: Emulator, production: Emulator) -> str:
    return f"""\
templates: templates
ignore:
  - roles.*.permissions.mute
environments:
  staging:
    api_base: {staging.api_base}
    access_key_env: HMS_STAGING_ACCESS_KEY
    secret_env: HMS_STAGING_SECRET
    vars: {{region: in, bitrate: 400}}
  production:
    api_base: {production.api_base}
    access_key_env: HMS_PROD_ACCESS_KEY
    secret_env: HMS_PROD_SECRET
    vars: {{region: us, bitrate: 800}}
    ignore: [settings.recording]
"""


ENVIRON = {
    "HMS_STAGING_ACCESS_KEY": "staging-key",
    "HMS_STAGING_SECRET": STAGING_SECRET,
    "HMS_PROD_ACCESS_KEY": "prod-key",
    "HMS_PROD_SECRET": PROD_SECRET,
}


def stored(emu: Emulator) -> dict:
    [template] = emu.store.dump()
    return template


def test_each_environment_gets_its_own_typed_values(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    staging, production = apps
    write("hmsync.yaml", project(staging, production))
    write("templates/room.yaml", ROOM)
    unchosen = run("plan", env=ENVIRON)
    assert (unchosen.code, unchosen.err) == (
        1,
        "hmsync: hmsync.yaml defines environments (staging, production); pick one with --env "
        "NAME\n",
    )
    assert run("plan", "--env", "qa", env=ENVIRON).err == (
        "hmsync: --env qa: unknown environment; hmsync.yaml defines: staging, production\n"
    )
    applied = run("apply", "--env", "staging", "--auto-approve", env=ENVIRON)
    assert applied.code == 0, applied.err
    assert production.calls()["total"] == 0  # one app's command never reaches the other
    room = stored(staging)
    assert room["settings"]["region"] == "in"
    assert room["roles"]["host"]["publishParams"]["video"]["bitRate"] == 400  # a number
    assert run("--env", "production", "apply", "--auto-approve", env=ENVIRON).code == 0
    assert stored(production)["roles"]["host"]["publishParams"]["video"]["bitRate"] == 800
    assert stored(production)["settings"]["region"] == "us"
    for result in (applied,):
        assert STAGING_SECRET not in result.out + result.err
        assert PROD_SECRET not in result.out + result.err


def test_ignored_fields_drift_per_environment_and_credentials_never_cross(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    staging, production = apps
    write("hmsync.yaml", project(staging, production))
    write("templates/room.yaml", ROOM)
    for name in ("staging", "production"):
        assert run("apply", "--env", name, "--auto-approve", env=ENVIRON).code == 0
    with api(production) as client:  # the dashboard: an ignored field, and recording
        tid = client.list_templates()[0]["_id"]
        role = client.get_role(tid, "host")
        role["permissions"]["mute"] = False
        client.upsert_role(tid, "host", {k: v for k, v in role.items() if k != "name"})
        client.update_settings(tid, {"region": "us", "recording": {"enabled": True}})
    quiet = run("plan", "--env", "production", "--detailed-exitcode", env=ENVIRON)
    assert (quiet.code, quiet.out) == (
        0,
        "Ignored (left to the dashboard by hmsync.yaml): roles.*.permissions.mute, "
        "settings.recording.\nNo changes. Live templates match the files.\n",
    )
    with api(staging) as client:
        tid = client.list_templates()[0]["_id"]
        client.update_settings(tid, {"region": "eu"})
    assert run("drift", "--env", "staging", env=ENVIRON).code == 2
    assert run("drift", "--env", "production", env=ENVIRON).code == 0
    # Only the chosen environment's variables are read: no fallback to another's, nor to the
    # generic HMS_* ones.
    only_staging = {
        **{k: v for k, v in ENVIRON.items() if "PROD" not in k},
        "HMS_ACCESS_KEY": "prod-key",
        "HMS_SECRET": PROD_SECRET,
    }
    refused = run("plan", "--env", "production", env=only_staging)
    assert refused.err == (
        "hmsync: HMS_PROD_ACCESS_KEY is not set; environment production reads its "
        "HMS_ACCESS_KEY from it\n"
    )
    production.reset_calls()
    assert run("plan", "--env", "staging", env=only_staging).code == 0
    assert production.calls()["total"] == 0


def test_a_saved_plan_is_applied_to_its_own_environment_only(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    staging, production = apps
    write("hmsync.yaml", project(staging, production))
    write("templates/room.yaml", ROOM)
    saved = run("plan", "--env", "staging", "-o", "plan.json", env=ENVIRON)
    assert saved.err.endswith(
        "Saved the plan to plan.json; apply it with: hmsync apply --env staging plan.json\n"
    )
    refused = run("apply", "plan.json", "--env", "production", env=ENVIRON)
    assert (refused.code, refused.err) == (
        4,
        "hmsync: plan.json was made for environment staging, not production; apply it with "
        "--env staging (or no --env), or run `hmsync plan --env production -o plan.json` and "
        "review the new plan\n",
    )
    # Named as the wrong environment even where the other environment uses the other API.
    write(
        "hmsync.yaml",
        project(staging, production).replace("  production:", "  production:\n    api: v2"),
    )
    again = run("apply", "plan.json", "--env", "production", env=ENVIRON)
    assert again.err.startswith(
        "hmsync: plan.json was made for environment staging, not production;"
    )
    write("hmsync.yaml", project(staging, production))
    assert production.calls()["writes"] == 0
    # The plan names its environment: applied without --env, to staging only.
    applied = run("apply", "plan.json", env=ENVIRON)
    assert applied.code == 0, applied.err
    assert staging.calls()["writes"] > 0 and production.calls()["writes"] == 0
    # The project file is part of what was reviewed: a changed var makes the plan stale.
    assert run("plan", "--env", "staging", "-o", "plan.json", env=ENVIRON).code == 0
    write("hmsync.yaml", project(staging, production) + "# a comment is a change too\n")
    stale = run("apply", "plan.json", env=ENVIRON)
    assert (stale.code, stale.err) == (
        4,
        "hmsync: the template files or the project file changed since plan.json was made; run "
        "`hmsync plan --env staging -o plan.json` again and review the new plan\n",
    )


def test_validate_all_envs_and_located_project_errors(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    staging, production = apps
    write("hmsync.yaml", project(staging, production))
    write("templates/room.yaml", ROOM.replace("${vars.bitrate}", "${vars.bitrat}"))
    result = run("validate", "--all-envs")
    assert result.code == 1
    assert result.out == (
        "templates/room.yaml:7:24: roles.host.publishParams.video.bitRate: ${vars.bitrat}: the "
        "environment defines no variable 'bitrat' (it defines: bitrate, region)\n"
        "1 file checked: 1 error, 0 warnings.\n"
    )
    write("templates/room.yaml", ROOM)
    assert run("validate", "--all-envs").code == 0
    write("hmsync.yaml", project(staging, production).replace("secret_env", "secret_var", 1))
    broken = run("plan", "--env", "staging", env=ENVIRON)
    assert broken.code == 1
    assert broken.err.startswith(
        "hmsync: 1 error in the project file hmsync.yaml; fix them first\n"
    )
    assert broken.err.endswith(
        "  hmsync.yaml:8:5: environments.staging.secret_var: unknown key; did you mean "
        "'secret_env'?\n"
    )
    # A misspelt top-level key and a value outside the allowed ones, located like a template's.
    write("hmsync.yaml", "templates: templates\nenviroments:\n  prod: {}\napi: v3\n")
    assert run("validate").err == (
        "hmsync: 2 errors in the project file hmsync.yaml; fix them first\n"
        "  hmsync.yaml:2:1: enviroments: unknown key; did you mean 'environments'?\n"
        "  hmsync.yaml:4:6: api: 'v3' is not allowed here; use one of: v1, v2\n"
    )


def test_the_project_schema_ships_and_export_leaves_ignored_fields_out(
    apps: tuple[Emulator, Emulator], run: Run, write: Write, tmp_path: Path
) -> None:
    staging, production = apps
    assert '"title": "hmsync project file (hmsync.yaml)"' in run("schema", "--config").out
    write("hmsync.yaml", project(staging, production))
    write("templates/room.yaml", ROOM)
    assert run("apply", "--env", "staging", "--auto-approve", env=ENVIRON).code == 0
    assert run("export", "--env", "staging", "--out", "out", env=ENVIRON).code == 0
    text = (tmp_path / "out" / "room.yaml").read_text()
    assert "mute" not in text and "bitRate: 400" in text


def test_an_overlay_adds_a_role_in_its_environment_only(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    staging, production = apps
    write(
        "hmsync.yaml",
        project(staging, production).replace(
            "    ignore: [settings.recording]\n",
            "    ignore: [settings.recording]\n    overlays: overlays/production\n",
        ),
    )
    write("templates/room.yaml", ROOM)
    write(
        "overlays/production/room.yaml",
        "name: room\nroles:\n  recorder: {priority: 5}\n  host:\n    permissions: null\n",
    )
    for name in ("staging", "production"):
        assert run("apply", "--env", name, "--auto-approve", env=ENVIRON).code == 0, name
    assert sorted(stored(staging)["roles"]) == ["host"]
    assert sorted(stored(production)["roles"]) == ["host", "recorder"]
    assert stored(production)["roles"]["recorder"]["priority"] == 5
    assert run("plan", "--env", "production", "--detailed-exitcode", env=ENVIRON).code == 0
    # A problem in the overlay is located in the overlay.
    write("overlays/production/room.yaml", "name: room\nroles:\n  recorder: {priority: high}\n")
    bad = run("validate", "--env", "production")
    assert bad.out == (
        "overlays/production/room.yaml:3:24: roles.recorder.priority: 'high' is not of type "
        "'integer'\n1 file checked: 1 error, 0 warnings.\n"
    )
    write("overlays/production/other.yaml", "name: nothing-like-it\n")
    assert (
        "overlays/production/other.yaml:1:7: name: no template named 'nothing-like-it' to "
        "overlay; an overlay is matched to a template by its name"
    ) in run("validate", "--all-envs").out


def test_an_ignored_field_that_differs_does_not_fail_the_convergence_check(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("hmsync.yaml", "ignore: [roles.*.permissions.mute]\n")
    emu.store.load(
        [
            {
                "name": "t",
                "roles": {"r": {"name": "r", "priority": 1, "permissions": {"mute": False}}},
            }
        ]
    )
    write("templates/t.yaml", "name: t\nroles:\n  r: {priority: 2, permissions: {mute: true}}\n")
    result = run("apply", "--auto-approve", env=emu.env())
    assert result.code == 0, result.out
    assert result.out.endswith(
        "Apply: 1 action(s) done, 0 failed, 0 not attempted, 0 not converged.\n"
    )
    [template] = emu.store.dump()
    assert template["roles"]["r"]["permissions"] == {"mute": False}  # left as the dashboard has it


def test_an_environments_ignore_holds_for_a_template_it_creates(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    # Ignored fields are the dashboard's from the first write on: a create neither shows nor
    # sends them (production ignores settings.recording and roles.*.permissions.mute).
    staging, production = apps
    write("hmsync.yaml", project(staging, production))
    write(
        "templates/room.yaml",
        "name: room\nsettings:\n  region: ${vars.region}\n  recording:\n    enabled: true\n"
        "roles:\n  host:\n    permissions: {mute: true, endRoom: true}\n",
    )
    plan = run("plan", "--env", "production", env=ENVIRON)
    assert plan.code == 0, plan.err
    assert plan.out == (
        "+ template room will be created (templates/room.yaml)\n"
        "    + roles.host.permissions.endRoom: true\n"
        '    + settings.region: "us"\n'
        "\n"
        "Ignored (left to the dashboard by hmsync.yaml): roles.*.permissions.mute, "
        "settings.recording.\n"
        "Plan: 1 template to create.\n"
    )
    assert run("apply", "--env", "production", "--auto-approve", env=ENVIRON).code == 0
    created = stored(production)
    assert created["settings"].get("recording", {}).get("enabled") is not True
    assert created["roles"]["host"]["permissions"].get("mute") is not True
    assert created["roles"]["host"]["permissions"]["endRoom"] is True
    again = run("plan", "--env", "production", env=ENVIRON)
    assert "No changes." in again.out
    # Staging ignores only the mute flag: the recording is written there.
    assert run("apply", "--env", "staging", "--auto-approve", env=ENVIRON).code == 0
    assert stored(staging)["settings"]["recording"]["enabled"] is True
