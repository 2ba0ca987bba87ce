from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.plan.diff import make_plan
from hmsync.plan.normalize import complete_role
from hmsync.render.export import env_stem, escaped, file_name

from .conftest import EXAMPLE_ENV, EXAMPLES, Run, Write
from .helpers import api, env, write_complete
from .strategies import templates

# -- drift -----------------------------------------------------------------------------------


def test_drift_in_sync_is_exit_0(emu: Emulator, run: Run) -> None:
    assert run("apply", str(EXAMPLES), "--auto-approve", env=env(emu)).code == 0
    emu.store.load([{"name": "legacy"}])
    result = run("drift", str(EXAMPLES), env=env(emu))
    assert result.code == 0
    assert result.out == (
        "Unmanaged (live, in no file; left alone): legacy\n"
        "In sync: live templates match the files.\n"
    )


def test_drift_reports_template_role_field_live_and_file_values(
    emu: Emulator, run: Run, write: Write
) -> None:
    write(
        "templates/room.yaml",
        "name: room\nsettings: {region: eu}\nroles:\n  host: {priority: 1}\n  guest: {}\n",
    )
    write("templates/new.yaml", "name: new\n")
    run("apply", "templates/room.yaml", "--auto-approve", env=env(emu))
    with api(emu) as client:  # changes made in the dashboard, out of band
        tid = client.list_templates()[0]["_id"]
        client.upsert_role(
            tid, "host", complete_role({"priority": 7, "permissions": {"mute": True}})
        )
        client.upsert_role(tid, "intruder", {})
        client.delete_role(tid, "guest")
        client.update_settings(tid, {"region": "in"})
    result = run("drift", env=env(emu))
    assert result.code == 2
    assert result.out == (
        "Drift: live templates differ from the files.\n"
        "\n"
        "new (templates/new.yaml)\n"
        "  template: live (missing), file (defined)\n"
        "\n"
        "room (templates/room.yaml)\n"
        "  role intruder: live (exists), file (missing)\n"
        "  role guest: live (missing), file (defined)\n"
        "  role host: permissions.mute: live true, file (not set in the file; the default is false)\n"
        "  role host: priority: live 7, file 1\n"
        '  settings.region: live "in", file "eu"\n'
        "\n"
        "Drift: 2 templates drifted, 6 differences.\n"
    )
    as_json = json.loads(run("drift", "--format", "json", env=env(emu)).out)
    assert as_json["in_sync"] is False
    assert {
        "template": "room",
        "role": "host",
        "field": "priority",
        "live": 7,
        "file": 1,
    } in as_json["differences"]
    markdown = run("drift", "--format", "markdown", env=env(emu)).out
    assert (
        "| <code>room</code> | <code>host</code> | <code>priority</code> | <code>7</code> "
        "| <code>1</code> |"
    ) in markdown


def test_drift_never_shows_secrets(emu: Emulator, run: Run) -> None:
    run("apply", str(EXAMPLES), "--auto-approve", env=env(emu))
    moved = {**env(emu), "HMSYNC_S3_SECRET": "rotated-secret-value"}
    result = run("drift", str(EXAMPLES), "--format", "json", env=moved)
    assert result.code == 2
    [difference] = json.loads(result.out)["differences"]
    assert difference == {
        "template": "telehealth",
        "role": None,
        "field": "settings.recording.upload.credentials.secret",
        "live": "(sensitive value)",
        "file": "(sensitive value)",
    }
    for fmt in ("text", "markdown"):
        out = run("drift", str(EXAMPLES), "--format", fmt, env=moved).out
        assert "rotated-secret-value" not in out and EXAMPLE_ENV["HMSYNC_S3_SECRET"] not in out


def test_drift_errors_are_exit_1(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", "name: room\n")
    result = run("drift", env={**env(emu), "HMS_API_BASE": "http://example.com/policy/v1"})
    assert result.code == 1


# -- export ----------------------------------------------------------------------------------


def test_export_then_validate_then_plan_shows_no_changes(
    emu: Emulator, run: Run, tmp_path: Path
) -> None:
    assert run("apply", str(EXAMPLES), "--auto-approve", env=env(emu)).code == 0
    exported = run("export", "--out", "exported", env=env(emu))
    assert exported.code == 0
    assert exported.out.splitlines() == [
        "wrote exported/classroom.yaml (3 role(s))",
        "wrote exported/telehealth.yaml (3 role(s))",
        "wrote exported/webinar.yaml (3 role(s))",
        "Exported 3 template(s) to exported/.",
        "Recording credentials are written as placeholders; set these variables (to the values "
        "you use today) before plan or apply: HMSYNC_TELEHEALTH_STORAGE_KEY, HMSYNC_TELEHEALTH_STORAGE_SECRET",
        "For editor completion: mkdir -p schemas && hmsync schema > schemas/template.schema.json",
    ]
    text = (tmp_path / "exported" / "telehealth.yaml").read_text()
    assert text.startswith(
        "# yaml-language-server: $schema=../schemas/template.schema.json\nname: telehealth\n"
    )
    assert "key: ${HMSYNC_TELEHEALTH_STORAGE_KEY}" in text
    for secret in EXAMPLE_ENV.values():
        assert secret not in text
    webinar = yaml.safe_load((tmp_path / "exported" / "webinar.yaml").read_text())
    assert webinar["roles"]["viewer"] == {  # defaults left out, what differs kept
        "priority": 5,
        "publishParams": {"allowed": []},
        "subscribeParams": {
            "subscribeToRoles": ["host", "speaker"],
            "maxSubsBitRate": 2000,
            # The emulator filled it on creation, as the seed's example does; it is a setting
            # (screen simulcast on), so it is kept.
            "subscribeDegradation": {},
        },
    }
    secrets = {
        "HMSYNC_TELEHEALTH_STORAGE_KEY": EXAMPLE_ENV["HMSYNC_S3_KEY"],
        "HMSYNC_TELEHEALTH_STORAGE_SECRET": EXAMPLE_ENV["HMSYNC_S3_SECRET"],
    }
    assert run("validate", "exported", env=secrets).code == 0
    planned = run("plan", "exported", "--detailed-exitcode", env={**env(emu), **secrets})
    assert (planned.code, planned.out) == (0, "No changes. Live templates match the files.\n")


def test_export_writes_a_live_value_outside_an_enum_and_says_so(
    emu: Emulator, run: Run, tmp_path: Path
) -> None:
    # The server stored it (one reading); the file says what live has, and validate then
    # asks for the fix instead of plan silently writing a guess.
    emu.store.load([{"name": "room", "settings": {"region": "mars"}, "roles": {}}])
    exported = run("export", env=env(emu))
    assert exported.code == 0
    assert exported.err == (
        "warning: templates/room.yaml: settings.region: 'mars' is not a documented value "
        "(in, us, eu, auto); use one of them (live has it; validate refuses it until corrected)\n"
    )
    assert "region: mars" in (tmp_path / "templates" / "room.yaml").read_text()
    assert run("validate").code == 1
    refused = run("plan", env=env(emu))
    assert refused.code == 1
    assert refused.err.endswith(
        "  templates/room.yaml:4:11: settings.region: 'mars' is not a documented value "
        "(in, us, eu, auto); use one of them\n"
    )
    # Let through on purpose, it is what live has: nothing to write.
    allowed = run("plan", "--allow-out-of-range", env=env(emu))
    assert (allowed.code, allowed.out) == (0, "No changes. Live templates match the files.\n")


def test_export_refuses_to_overwrite_without_force(emu: Emulator, run: Run, write: Write) -> None:
    emu.store.load([{"name": "room", "roles": {}}])
    write("templates/room.yaml", "name: mine\n")
    refused = run("export", env=env(emu))
    assert refused.code == 4
    assert refused.err == (
        "hmsync: refusing to overwrite 1 existing file(s): templates/room.yaml; pass --force to "
        "overwrite, or --out another folder\n"
    )
    assert Path("templates/room.yaml").read_text() == "name: mine\n"
    assert run("export", "--force", env=env(emu)).code == 0
    assert "name: room" in Path("templates/room.yaml").read_text()


def test_export_only_and_unknown_names(emu: Emulator, run: Run) -> None:
    emu.store.load([{"name": "a", "roles": {}}, {"name": "b", "roles": {}}])
    assert (
        run("export", "--only", "b", env=env(emu)).out.splitlines()[0]
        == "wrote templates/b.yaml (0 role(s))"
    )
    assert not Path("templates/a.yaml").exists()
    missing = run("export", "--only", "zzz", env=env(emu))
    assert (
        missing.code == 1 and missing.err == "hmsync: --only zzz: no live template has that name\n"
    )


def test_file_and_variable_names_are_safe() -> None:
    taken: set[str] = set()
    assert file_name("Legacy Room: v2", taken) == "Legacy-Room-v2.yaml"
    assert file_name("legacy room: v2", taken) == "legacy-room-v2-2.yaml"  # no clash on any disk
    assert file_name("../../etc/passwd", taken) == "etc-passwd.yaml"
    assert file_name("...", taken) == "template.yaml"
    assert file_name("x" * 300, taken) == "x" * 100 + ".yaml"
    stems: set[str] = set()
    assert env_stem("tele health:2", stems) == "HMSYNC_TELE_HEALTH_2"
    # `rec-a` and `rec.a` must not share credentials.
    assert [env_stem("rec-a", stems), env_stem("rec.a", stems)] == [
        "HMSYNC_REC_A",
        "HMSYNC_REC_A_2",
    ]
    assert escaped({"prefix": "${HMSYNC_S3_SECRET}", "n": [1, "$$"]}) == {
        "prefix": "$${HMSYNC_S3_SECRET}",
        "n": [1, "$$$$"],
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.lists(templates(), min_size=1, max_size=3, unique_by=lambda t: t["name"].lower()))
def test_export_round_trip_of_random_live_templates(
    emu: Emulator, tmp_path_factory: pytest.TempPathFactory, data: list[dict[str, Any]]
) -> None:
    from hmsync.cli import main
    from hmsync.files.schema import check_paths

    emu.store.reset()
    for t in data:
        t.pop("default", None)  # one default at most: exclusivity is tested elsewhere
    with api(emu) as client:
        for t in data:
            write_complete(client, t)
        live = client.list_templates()
    out = tmp_path_factory.mktemp("export")
    environ = dict(emu.env())
    assert main(["export", "--out", str(out), "--force"], environ) == 0
    stems: set[str] = set()
    for t in sorted(data, key=lambda t: t["name"]):  # the placeholders' variables, as exported
        stem = env_stem(t["name"], stems)
        creds = t.get("settings", {}).get("recording", {}).get("upload", {}).get("credentials")
        if creds:
            environ[f"{stem}_STORAGE_KEY"] = creds["key"]
            environ[f"{stem}_STORAGE_SECRET"] = creds["secret"]
            assert creds["secret"] not in "".join(p.read_text() for p in out.glob("*.yaml"))
    checked = check_paths([str(out)], environ)
    assert checked.errors == []
    plan = make_plan([(d.file, d.data) for d in checked.documents], live, "44" * 16)
    assert plan.actions == []
