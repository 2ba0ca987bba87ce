"""hmsync on the v2 API: the whole cycle with a template that uses every v2 object, under
every reading of the v1 and v2 docs the emulator plays; v1 and v2 projects side by side."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from hmsync.emulator import Emulator

from .conftest import Run, Write
from .helpers import ISSUE_22_READINGS, auth
from .servers import Proxy, Seen

V2_EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "v2" / "templates"
SECRETS = {
    "HMSYNC_LIVE_EVENT_STORAGE_KEY": "GOOG1EXAMPLEKEY",
    "HMSYNC_LIVE_EVENT_STORAGE_SECRET": "gs-secret-value-123",
    "HMSYNC_YOUTUBE_STREAM_KEY": "yt-stream-key-0001",
}
PROJECT = """\
api: v2
environments:
  prod:
    access_key_env: HMS_ACCESS_KEY
    secret_env: HMS_SECRET
"""
NO_CHANGES = "No changes. Live templates match the files."
READINGS: list[dict[str, Any]] = [
    {},  # the v2 pages' literal examples
    {"credentials": "masked"},
    {"credentials": "omitted"},
    {"secret_name": "secretKey"},
    {"secret_name": "secret"},
    {"legacy_ids": "omitted"},
    {"drop_false": "recordings-and-destinations"},
    {"drop_false": "nowhere"},
    {"hls_role": "internal-recorder"},
    {"update_omitted": "clear"},
    {"writes": "replace"},
    {"writes": "as-sent"},
    {"start": "inclusive"},
    {"out_of_range": "refuse"},
    {"lost_answer_rate": 0.5},
    *ISSUE_22_READINGS,
    {"v2_region": "absent"},
    {
        "credentials": "masked",
        "writes": "replace",
        "start": "inclusive",
        "out_of_range": "refuse",
        "drop_false": "recordings-and-destinations",
        "hls_role": "internal-recorder",
        "update_omitted": "clear",
        "legacy_ids": "omitted",
        "lost_answer_rate": 0.3,
    },
]


def v2_env(emu: Emulator) -> dict[str, str]:
    return {**emu.env(), "HMS_API_BASE": emu.base("v2"), **SECRETS}


def _second_version(path: Path) -> None:
    """A change in every v2 part: a simulcast layer, a destination's URL and layers, a
    transcription removed, recordings, plugins, room state; a role renamed and one deleted."""
    text = path.read_text()
    for old, new in [
        ("maxBitrate: 350, maxFramerate: 30", "maxBitrate: 300, maxFramerate: 30"),
        ("live2/${HMSYNC_YOUTUBE_STREAM_KEY}", "live2/${HMSYNC_YOUTUBE_STREAM_KEY}-b"),
        (
            "        - {width: 854, height: 480, videoBitrate: 800, audioBitrate: 64}\n",
            "        - {width: 854, height: 480, videoBitrate: 800, audioBitrate: 64}\n"
            "        - {width: 640, height: 360, videoBitrate: 400, audioBitrate: 64}\n",
        ),
        (
            "roomState: {messageInterval: 10, sendPeerList: true}",
            "roomState: {messageInterval: 30}",
        ),
        ("thumbnails: {enabled: false, width: 1280", "thumbnails: {enabled: true, width: 1280"),
        ("writer: [host, speaker]", "writer: [host]"),
        ("  speaker:\n    priority: 2", "  panelist:\n    renamedFrom: speaker\n    priority: 2"),
        ("subscribeToRoles: [host, speaker]", "subscribeToRoles: [host, panelist]"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    start = text.index("  transcriptions:\n    captions:")
    text = text[:start] + text[text.index("recordings:\n") :]
    text = text.replace("  viewer:\n", "  audience:\n", 1).replace("[viewer]", "[audience]")
    path.write_text(text)


@pytest.mark.parametrize(
    "readings", READINGS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()) or "pages"
)
def test_the_whole_v2_cycle_converges_under_each_reading(
    emu: Emulator, run: Run, write: Write, tmp_path: Path, readings: dict[str, Any]
) -> None:
    emu.set_readings(**readings)
    # 105 templates no file describes: the listing takes two pages of 100.
    emu.store.load([{"name": f"other-{i:03}", "roles": {}} for i in range(105)])
    environ = v2_env(emu)
    write("hmsync.yaml", PROJECT)
    shutil.copytree(V2_EXAMPLES, tmp_path / "templates")
    assert run("validate", "--env", "prod", env=environ).code == 0
    first = run("apply", "--env", "prod", "--auto-approve", "--retries", "10", env=environ)
    assert first.code == 0, first.out + first.err
    assert "0 not converged." in first.out
    _second_version(tmp_path / "templates" / "live-event.yaml")
    planned = run("plan", "--env", "prod", "-o", "plan.json", env=environ)
    assert planned.code == 0, planned.out + planned.err
    assert "role panelist will be renamed from speaker" in planned.out
    assert "~ publishParams.simulcast.video.layers[1].maxBitrate: 350 -> 300" in planned.out
    assert "- transcriptions.captions:" in planned.out
    applied = run(
        "apply", "plan.json", "--env", "prod", "--allow-delete", "--retries", "10", env=environ
    )
    assert applied.code == 0, applied.out + applied.err
    assert "0 not converged." in applied.out
    again = run("plan", "--env", "prod", "--detailed-exitcode", env=environ)
    assert (again.code, again.out.splitlines()[-1]) == (0, NO_CHANGES), again.out
    assert run("drift", "--env", "prod", env=environ).code == 0
    exported = run("export", "--env", "prod", "--out", "exported", env=environ)
    assert exported.code == 0, exported.err
    exported_text = (tmp_path / "exported" / "live-event.yaml").read_text()
    assert SECRETS["HMSYNC_YOUTUBE_STREAM_KEY"] not in exported_text  # a stream key
    assert "rtmpUrls: ['${HMSYNC_LIVE_EVENT_RTMP_YOUTUBE_URL_1}']" in exported_text
    url = "rtmp://a.rtmp.youtube.com/live2/" + SECRETS["HMSYNC_YOUTUBE_STREAM_KEY"] + "-b"
    environ["HMSYNC_LIVE_EVENT_RTMP_YOUTUBE_URL_1"] = url
    round_trip = run("plan", "--env", "prod", "exported", "--detailed-exitcode", env=environ)
    assert (round_trip.code, round_trip.out.splitlines()[-1]) == (0, NO_CHANGES), round_trip.out
    assert "~ rtmpDestinations.youtube.rtmpUrls[0]: (sensitive value) -> (sensitive value)" in (
        planned.out
    )
    for output in (first, planned, applied, again, exported, round_trip):
        for secret in SECRETS.values():
            assert secret not in output.out + output.err
        assert "hmac" not in output.out
    [stored] = [t for t in emu.store.dump() if t["name"] == "live-event"]
    mine = sorted(r for r in stored["roles"] if not r.startswith("__internal"))
    assert mine == ["audience", "host", "panelist"]
    # The role the server made for its HLS recorder survives every apply.
    assert ("__internal_recorder" in stored["roles"]) == (readings.get("hls_role") is not None)
    assert stored["settings"]["recording"]["upload"]["credentials"] == {
        "key": SECRETS["HMSYNC_LIVE_EVENT_STORAGE_KEY"],
        "secret": SECRETS["HMSYNC_LIVE_EVENT_STORAGE_SECRET"],
    }
    assert list(stored["destinations"]["transcriptions"]) == []
    assert stored["recordings"][0]["thumbnails"]["enabled"] is True


# -- v1 and v2 side by side --------------------------------------------------------------------

SHARED = """\
name: webinar
settings:
  region: eu
roles:
  host:
    priority: 1
    permissions: {endRoom: true}
  viewer:
    priority: 3
"""
V2_OVERLAY = """\
name: webinar
roles:
  host:
    maxPeerCount: 2
    permissions: {pollWrite: true}
destinations:
  hlsDestinations:
    stream: {name: stream, playlistType: live, numPlaylistSegments: 10}
"""


def test_a_v1_app_and_a_v2_app_in_one_project(run: Run, write: Write) -> None:
    with Emulator() as staging, Emulator() as production:
        write(
            "hmsync.yaml",
            f"""\
environments:
  staging:
    api_base: {staging.base("v1")}
    access_key_env: HMS_ACCESS_KEY
    secret_env: HMS_SECRET
  production:
    api: v2
    api_base: {production.base("v2")}
    access_key_env: HMS_ACCESS_KEY
    secret_env: HMS_SECRET
    overlays: overlays/production
""",
        )
        write("templates/webinar.yaml", SHARED)
        write("overlays/production/webinar.yaml", V2_OVERLAY)
        environ = {k: v for k, v in staging.env().items() if k != "HMS_API_BASE"}
        assert run("validate", "--all-envs", env=environ).code == 0
        for name in ("staging", "production"):
            applied = run("apply", "--env", name, "--auto-approve", env=environ)
            assert applied.code == 0, applied.out + applied.err
            again = run("plan", "--env", name, "--detailed-exitcode", env=environ)
            assert (again.code, again.out.strip()) == (0, NO_CHANGES)
        [v1_template] = staging.store.dump()
        [v2_template] = production.store.dump()
        assert (
            "destinations" not in v1_template and "maxPeerCount" not in v1_template["roles"]["host"]
        )
        assert v2_template["roles"]["host"]["maxPeerCount"] == 2
        assert list(v2_template["destinations"]["hlsDestinations"]) == ["stream"]
        # A v2-only field in the v1 environment is a located error that says so.
        write("overlays/staging/webinar.yaml", V2_OVERLAY)
        checked = run("validate", "--env", "production", "overlays/staging", env=environ)
        assert checked.code == 0
        v1_checked = run("validate", "--env", "staging", "overlays/staging", env=environ)
        assert v1_checked.code == 1
        assert (
            "overlays/staging/webinar.yaml:6:1: destinations: 'destinations' is v2 only: this "
            "project uses the v1 API; set `api: v2` in hmsync.yaml (or --api v2) to manage it, "
            "or remove it" in v1_checked.out
        )
        assert (
            "overlays/staging/webinar.yaml:4:5: roles.host.maxPeerCount: 'maxPeerCount' is v2 "
            "only" in v1_checked.out
        )


def test_the_default_flag_in_a_v2_project_is_v1_only(run: Run, write: Write) -> None:
    write("templates/t.yaml", "name: t\ndefault: true\n")
    result = run("validate", "--api", "v2")
    assert (result.code, result.out.splitlines()[0]) == (
        1,
        "templates/t.yaml:2:1: default: 'default' is v1 only: this project uses the v2 API; set "
        "`api: v1` in hmsync.yaml (or --api v1) to manage it, or remove it",
    )


def test_a_saved_plan_is_applied_with_the_api_it_was_made_for(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  host: {maxPeerCount: 3}\n")
    environ = {**emu.env(), "HMS_API_BASE": emu.base("v2")}
    assert run("plan", "--api", "v2", "-o", "plan.json", env=environ).code == 0
    refused = run("apply", "plan.json", env=environ)
    assert (refused.code, refused.err) == (
        4,
        "hmsync: plan.json was made for the v2 API, not v1; apply it with --api v2, or run "
        "`hmsync plan -o plan.json` again and review the new plan\n",
    )
    saved = json.loads(Path("plan.json").read_text())
    assert (saved["api"], list(saved)[2]) == ("v2", "api")
    assert saved["summary"] == {
        "create_template": 1,
        "rename_template": 0,
        "create_role": 0,
        "update_role": 0,
        "rename_role": 0,
        "update_settings": 0,
        "update_destinations": 0,
        "update_recordings": 0,
        "update_plugins": 0,
        "delete_role": 0,
    }
    Path("tampered.json").write_text(json.dumps({**saved, "api": "v3"}))
    tampered = run("apply", "tampered.json", "--api", "v2", env=environ)
    assert (tampered.code, tampered.err) == (
        1,
        "hmsync: tampered.json: the plan file has no valid 'api'; make it anew with hmsync "
        "plan -o\n",
    )
    assert run("apply", "plan.json", "--api", "v2", env=environ).code == 0
    [template] = emu.store.dump()
    assert template["roles"]["host"]["maxPeerCount"] == 3


# -- the docs' own templates, exported and planned back ----------------------------------------


def test_export_of_the_docs_example_templates_round_trips(
    emu: Emulator, run: Run, write: Write
) -> None:
    from .golden_v2 import GOLDEN

    examples = json.loads(GOLDEN.read_text(encoding="utf-8"))["examples"]
    bodies = [examples["create-template-via-api"][0]["request"]]
    bodies.append(examples["retrieve-a-template"][0]["answer"])
    bodies += examples["list-templates"][0]["answer"]["data"]
    v2 = httpx.Client(base_url=emu.base("v2"), headers=auth(), timeout=10)
    for body in bodies:
        keys = ("name", "roles", "settings", "destinations", "plugins")
        assert (
            v2.post("/templates", json={k: body[k] for k in keys if k in body}).status_code == 200
        )
    environ = {**emu.env(), "HMS_API_BASE": emu.base("v2")}
    exported = run("export", "--api", "v2", env=environ)
    assert exported.code == 0, exported.err
    assert "Exported 4 template(s) to templates/." in exported.out
    credentials = examples["create-template-via-api"][0]["request"]["settings"]["recording"][
        "upload"
    ]["credentials"]
    stem = "HMSYNC_NEW_TEMPLATE_1663329820"
    environ |= {
        f"{stem}_STORAGE_KEY": credentials["key"],
        f"{stem}_STORAGE_SECRET": credentials["secretKey"],
        f"{stem}_RTMP_DESTINATION_NAME_URL_1": "url",
        f"{stem}_RTMP_DESTINATION_NAME_URL_2": "ashdas",
        f"{stem}_RTMP_DESTINATION_NAME_URL_3": "ddsfsdf",
    }
    assert run("validate", "--api", "v2", env=environ).code == 0
    again = run("plan", "--api", "v2", "--detailed-exitcode", env=environ)
    assert (again.code, again.out.strip()) == (0, NO_CHANGES), again.out


# -- a v2 server that answers wrongly -----------------------------------------------------------


PAGE = '; expected {"limit": N, "data": [template, ...], "last": "<id>"}; check --api-base'


@pytest.mark.parametrize(
    ("path", "answer", "message"),
    [
        (
            "/v2/templates?limit=100",
            {"limit": 100, "data": [{"_id": "x", "name": "t"}], "last": ""},
            "the answer is not a page of templates (data[0] has no 'id' string)" + PAGE,
        ),
        ("/v2/templates?limit=100", [], "the answer is not a JSON object"),
        ("/v2/templates/ID/recordings", {"recordings": []}, "the answer is not a JSON array"),
        (
            "/v2/templates/ID/recordings",
            ["default"],
            "the answer is not a list of recording configurations (objects); check --api-base",
        ),
    ],
)
def test_answers_of_the_wrong_shape_are_errors_never_empty(
    emu: Emulator, run: Run, write: Write, path: str, answer: Any, message: str
) -> None:
    v2 = httpx.Client(base_url=emu.base("v2"), headers=auth(), timeout=10)
    created = v2.post("/templates", json={"name": "t", "roles": {"host": {}}}).json()["id"]
    path = path.replace("ID", created)
    write("templates/t.yaml", "name: t\nroles:\n  host: {}\nrecordings: []\n")

    def rule(seen: Seen, history: list[Seen]) -> Any:
        return (200, answer) if seen.path == path else None

    with Proxy(emu.url, rule) as proxy:
        environ = {**emu.env(), "HMS_API_BASE": proxy.url + "/v2"}
        result = run("plan", "--api", "v2", "--retries", "0", env=environ)
    shown = path.split("?")[0]
    assert (result.code, result.out) == (1, "")
    assert result.err == f"hmsync: GET {proxy.url}{shown}: 200 {message}\n"


def test_init_and_schema_give_the_v2_schema(run: Run, tmp_path: Path) -> None:
    assert run("init").code == 0
    written = json.loads((tmp_path / "schemas" / "template.v2.schema.json").read_text())
    assert written["title"] == "hmsync template (v2 API)"
    printed = run("schema", "--api", "v2")
    assert json.loads(printed.out) == written
    (tmp_path / "hmsync.yaml").write_text("api: v2\n")  # a v2 project's schema by default
    assert json.loads(run("schema").out) == written


def test_the_action_plans_a_v2_project(emu: Emulator, tmp_path: Path) -> None:
    """The action's own script, as GitHub runs it, on a v2 project: hmsync.yaml says v2."""
    import subprocess

    from .test_workflows import ACTION, BIN, load

    [step] = [s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "run"]
    shutil.copytree(V2_EXAMPLES, tmp_path / "templates")
    (tmp_path / "hmsync.yaml").write_text("api: v2\n")
    outputs = tmp_path / "out"
    environ = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "COMMAND": "plan",
        "PATHS": "",
        "ARGS": "--detailed-exitcode",
        "ALLOW_DELETE": "",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        **v2_env(emu),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "exit-code=2" in outputs.read_text(), done.stderr
    report = (tmp_path / "hmsync-report.txt").read_text()
    assert report.rstrip().endswith("Plan: 1 template to create.")
    assert "+ destinations.rtmpDestinations.youtube.rtmpUrls: (sensitive value)" in report


def test_a_create_answer_without_an_id_stops_before_the_recordings(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  host: {}\nrecordings: [{name: r, role: host}]\n")

    def rule(seen: Seen, history: list[Seen]) -> Any:
        if (seen.method, seen.path) == ("POST", "/v2/templates"):
            return 200, {"name": "t", "roles": {}}
        return None

    with Proxy(emu.url, rule) as proxy:
        environ = {**emu.env(), "HMS_API_BASE": proxy.url + "/v2"}
        result = run("apply", "--api", "v2", "--auto-approve", "--retries", "0", env=environ)
        recordings = [s for s in proxy.history if s.path.endswith("/recordings")]
    assert result.code == 3, result.out + result.err
    assert (
        f"POST {proxy.url}/v2/templates: 200 the answer is not a template (it has no 'id' string)"
        in result.out
    )
    assert recordings == []


def test_a_base_url_of_the_other_api_is_refused_before_any_call(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/t.yaml", "name: t\n")
    v1_base = {**emu.env(), "HMS_API_BASE": emu.base("v1")}
    result = run("plan", "--api", "v2", env=v1_base)
    assert (result.code, result.err) == (
        1,
        f"hmsync: the API base {emu.base('v1')} is the v1 API's, but this project uses the v2 "
        "API; use the v2 base (--api-base, an environment's api_base, or HMS_API_BASE) or "
        "--api v1\n",
    )
    assert emu.calls()["total"] == 0
    v2_base = {**emu.env(), "HMS_API_BASE": emu.base("v2")}
    assert run("plan", env=v2_base).code == 1  # v1 (the default) on the v2 base: refused too


def test_creates_on_v2_check_names_right_before_each_create(
    emu: Emulator, run: Run, write: Write
) -> None:
    # v2's list has no name filter: a listing right before each create (one per
    # apply left a template created during the apply to be overwritten).
    for i in range(3):
        write(f"templates/t{i}.yaml", f"name: t{i}\nroles:\n  host: {{}}\n")
    environ = {**emu.env(), "HMS_API_BASE": emu.base("v2")}
    emu.reset_calls()
    result = run("apply", "--api", "v2", "--auto-approve", "--parallelism", "3", env=environ)
    assert result.code == 0, result.out + result.err
    # The plan's read, the check before each of 3 creates, the convergence read.
    assert emu.calls()["routes"]["v2_list_templates"] == 5
    assert emu.calls()["routes"]["v2_create_template"] == 3
    # A template made by someone else since the plan is still not overwritten.
    write("templates/late.yaml", "name: late\nroles:\n  host: {}\n")
    planned = run("plan", "--api", "v2", "-o", "plan.json", env=environ)
    assert planned.code == 0
    httpx.post(emu.base("v2") + "/templates", json={"name": "late"}, headers=auth(), timeout=10)
    refused = run("apply", "plan.json", "--api", "v2", env=environ)
    assert refused.code == 4, refused.out + refused.err


def test_recordings_are_read_only_for_the_templates_whose_files_manage_them(
    emu: Emulator, run: Run, write: Write
) -> None:
    """V2's recordings are a call of their own; the fresh read before a template's
    writes makes it only when the file has `recordings` (nothing else compares them)."""
    environ = {**emu.env(), "HMS_API_BASE": emu.base("v2")}
    write("templates/a.yaml", "name: a\nroles:\n  host: {priority: 1}\n")
    write("templates/b.yaml", "name: b\nroles:\n  host: {priority: 1}\nrecordings: []\n")
    assert run("apply", "--api", "v2", "--auto-approve", env=environ).code == 0
    write("templates/a.yaml", "name: a\nroles:\n  host: {priority: 2}\n")
    write("templates/b.yaml", "name: b\nroles:\n  host: {priority: 2}\nrecordings: []\n")
    emu.reset_calls()
    assert run("apply", "--api", "v2", "--auto-approve", env=environ).code == 0
    routes = emu.calls()["routes"]
    # A fresh read of each before its write; b's recordings in the plan's read, the fresh
    # read and the convergence read after; a's never.
    assert (routes["v2_get_template"], routes["v2_get_recordings"]) == (2, 3)
    assert routes["v2_upsert_role"] == 2
