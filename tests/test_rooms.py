"""Rooms and room codes as code, end to end against the emulator: validate, plan, apply, plan
again empty, a dashboard edit, drift, export, show, saved plans, under every reading of the
rooms pages; and no output ever holds a room code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hmsync.emulator import Emulator
from hmsync.emulator.readings import Readings
from hmsync.emulator.rooms import Rooms

from .conftest import Run, Write
from .helpers import auth
from .servers import Proxy, Seen

NO_CHANGES = "No changes. Live templates match the files."
HOOK = "hook-token-value-1234"
ENV = {"HMSYNC_HOOK_TOKEN": HOOK}
PROJECT = "api: v2\n"
TEMPLATE = """\
name: town-hall
roles:
  host:
    publishParams: {allowed: [audio, video]}
    subscribeParams: {subscribeToRoles: [host, guest]}
  guest:
    publishParams: {allowed: [audio]}
    subscribeParams: {subscribeToRoles: [host]}
"""
ROOM = """\
name: all-hands
template: town-hall
description: Monthly all-hands
region: us
size: 500
max_duration_seconds: 7200
webhook:
  url: https://hooks.example.com/100ms
  headers: {X-Token: "${HMSYNC_HOOK_TOKEN}"}
codes:
  host: enabled
  guest: enabled
"""
READINGS: list[dict[str, Any]] = [
    {},
    {"room_create": "applied"},
    {"room_name_filter": "exact"},
    {"room_region": "resolved"},
    {"credentials": "masked"},
    {"credentials": "omitted"},
    {"start": "inclusive"},
    {"omit_empty": "omitted"},
    {"last_page": "next-missing"},
    {"lost_answer_rate": 0.5},
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(api="v2") as emulator:
        yield emulator


def project(write: Write, room: str = ROOM, template: str = TEMPLATE) -> None:
    write("hmsync.yaml", PROJECT)
    write("templates/town-hall.yaml", template)
    write("rooms/all-hands.yaml", room)


def environ(emu: Emulator) -> dict[str, str]:
    return {**emu.env(), **ENV}


def rooms(emu: Emulator) -> list[dict[str, Any]]:
    return list(httpx.get(emu.url + "/_emulator/rooms", timeout=10).json()["rooms"])


def codes(emu: Emulator) -> list[dict[str, Any]]:
    return list(httpx.get(emu.url + "/_emulator/rooms", timeout=10).json()["codes"])


def applied(emu: Emulator, run: Run, write: Write, room: str = ROOM) -> dict[str, str]:
    """The project written and applied: the environment to run hmsync with next."""
    project(write, room=room)
    env = environ(emu)
    done = run("apply", "--auto-approve", env=env)
    assert done.code == 0, done.out + done.err
    return env


def dashboard(emu: Emulator, room_id: str, body: dict[str, Any]) -> None:
    """An edit made by hand: the API's own update, on the store (no fault, no lost answer)."""
    Rooms(emu.store).update_room(room_id, body)


@pytest.mark.parametrize(
    "reading", READINGS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()) or "docs"
)
def test_the_whole_cycle_under_each_reading(
    emu: Emulator, run: Run, write: Write, tmp_path: Path, reading: dict[str, Any]
) -> None:
    emu.store.readings = Readings.from_dict(reading)
    project(write)
    env = environ(emu)
    assert run("validate", env=env).out == "2 files checked: no problems.\n"
    planned = run("plan", env=env)
    assert planned.code == 0, planned.err
    assert "+ room all-hands will be created (rooms/all-hands.yaml)\n" in planned.out
    assert "    + webhook.headers.X-Token: (sensitive value)\n" in planned.out
    assert "    + size: 500\n" in planned.out
    assert planned.out.endswith(
        "Plan: 1 template to create, 1 room to create, room codes of 2 roles to enable.\n"
    )
    applied = run("apply", "--auto-approve", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert "ok      room all-hands: 3 action(s) done\n" in applied.out
    [room] = rooms(emu)
    assert room["size"] == 500 and room["webhook"]["headers"] == {"X-Token": HOOK}
    assert sorted((c["role"], c["enabled"]) for c in codes(emu)) == [
        ("guest", True),
        ("host", True),
    ]
    again = run("plan", "--detailed-exitcode", env=env)
    assert (again.code, again.out) == (0, NO_CHANGES + "\n"), again.out

    dashboard(emu, room["id"], {"size": 42, "description": "edited by hand"})
    drift = run("drift", env=env)
    assert drift.code == 2
    assert drift.out == (
        "Drift: live templates differ from the files.\n\n"
        "room all-hands (rooms/all-hands.yaml)\n"
        '  description: live "edited by hand", file "Monthly all-hands"\n'
        "  size: live 42, file 500\n\n"
        "Drift: 1 room drifted, 2 differences.\n"
    )
    assert run("apply", "--auto-approve", env=env).code == 0
    assert run("plan", "--detailed-exitcode", env=env).code == 0

    out = tmp_path / "exported"
    exported = run(
        "export",
        "--out",
        str(out),
        "--room",
        "ALL-HANDS",
        "--rooms-out",
        str(out / "rooms"),
        env=env,
    )
    assert exported.code == 0, exported.err
    data = yaml.safe_load((out / "rooms" / "all-hands.yaml").read_text())
    assert data["template"] == "town-hall" and data["size"] == 500
    assert data["codes"] == {"guest": "enabled", "host": "enabled"}
    # Header values become placeholders; where reads leave them out, export cannot tell them.
    placeholder = {"X-Token": "${HMSYNC_ROOM_ALL_HANDS_HEADER_X_TOKEN}"}
    assert data["webhook"].get("headers") == (
        None if reading.get("credentials") == "omitted" else placeholder
    )


def test_a_room_cannot_move_to_another_template(emu: Emulator, run: Run, write: Write) -> None:
    env = applied(emu, run, write)
    write("templates/other.yaml", "name: other\nroles:\n  host: {}\n  guest: {}\n")
    write("rooms/all-hands.yaml", ROOM.replace("template: town-hall", "template: other"))
    result = run("plan", env=env)
    assert result.code == 1
    assert result.err == (
        "hmsync: rooms/all-hands.yaml:2:11: room 'all-hands' is on template 'town-hall' live, "
        "not 'other'; 100ms cannot move a room to another template. Set `template: town-hall` "
        "back, or give the room a new name to make a new room on 'other' (and retire this one "
        "with `enabled: false`)\n"
    )


def test_codes_disabled_retired_and_a_disabled_room_left_alone(
    emu: Emulator, run: Run, write: Write
) -> None:
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM.replace("guest: enabled", "guest: disabled"))
    planned = run("plan", env=env)
    assert (
        "    - room all-hands: every room code of role guest will be DISABLED\n"
        '        ~ codes.guest: {"enabled": 1, "disabled": 0} -> "disabled"\n'
    ) in planned.out
    assert run("apply", "--auto-approve", env=env).code == 0
    assert sorted((c["role"], c["enabled"]) for c in codes(emu)) == [
        ("guest", False),
        ("host", True),
    ]
    write("rooms/all-hands.yaml", ROOM + "enabled: false\n")
    retired = run("plan", env=env)
    assert (
        "    - room all-hands will be DISABLED (retired: nobody can join it after its current session)\n"
        in retired.out
    )
    assert run("apply", "--auto-approve", env=env).code == 0
    assert rooms(emu)[0]["enabled"] is False
    # Hidden from the default list, still found: nothing more to do, and nothing unmanaged.
    assert run("plan", env=env).out == NO_CHANGES + "\n"
    write("rooms/all-hands.yaml", ROOM)
    back = run("apply", "--auto-approve", env=env)
    assert back.code == 0, back.out
    assert "done: enable room" in back.out


def test_no_output_holds_a_room_code(emu: Emulator, run: Run, write: Write, tmp_path: Path) -> None:
    project(write)
    env = environ(emu)
    outputs = [run("apply", "--auto-approve", "--format", "json", env=env)]
    made = [c["code"] for c in codes(emu)]
    assert len(made) == 2
    [room] = rooms(emu)
    dashboard(emu, room["id"], {"size": 7})
    plan_file = tmp_path / "plan.json"
    for args in (
        ("plan",),
        ("plan", "--format", "json"),
        ("plan", "--format", "markdown"),
        ("plan", "-o", str(plan_file)),
        ("drift",),
        ("drift", "--format", "json"),
        ("drift", "--format", "markdown"),
        ("show", str(plan_file)),
        (
            "export",
            "--out",
            str(tmp_path / "out"),
            "--room",
            "all-hands",
            "--rooms-out",
            str(tmp_path / "r"),
        ),
        ("apply", "-v", "--auto-approve", "--backup", str(tmp_path / "backup")),
    ):
        outputs.append(run(*args, env=env))
    written = [p.read_text() for p in tmp_path.rglob("*") if p.is_file()]
    every = "".join(r.out + r.err for r in outputs) + "".join(written)
    assert "all-hands" in every
    assert [c for c in made if c in every] == []
    assert HOOK not in every


def test_validate_says_what_is_wrong_with_a_room_file(
    emu: Emulator, run: Run, write: Write
) -> None:
    project(
        write,
        room=ROOM.replace("size: 500", "sise: 500")
        .replace('"${HMSYNC_HOOK_TOKEN}"', "literal-secret")
        .replace("guest: enabled", "gust: enabled"),
    )
    write("rooms/twin.yaml", "name: ALL-hands\ntemplate: town-hall\n")
    result = run("validate", env=environ(emu))
    assert result.code == 1
    assert result.out.splitlines() == [
        "rooms/all-hands.yaml:5:1: sise: unknown key; did you mean 'size'?",
        "rooms/all-hands.yaml:9:22: webhook.headers.X-Token: a secret written literally; use "
        "${HMSYNC_...} so it stays out of the repository",
        "rooms/all-hands.yaml:12:3: codes.gust: template 'town-hall' has no role 'gust'; room "
        "codes are per role of the room's template; did you mean 'guest'?",
        "rooms/twin.yaml:1:7: name: room 'ALL-hands' is defined in rooms/all-hands.yaml:1:7 "
        "already (room names are case-insensitive); keep one file per room",
        "3 files checked: 4 errors, 0 warnings.",
    ]


def test_rooms_on_a_v1_project_are_an_error(emu: Emulator, run: Run, write: Write) -> None:
    project(write)
    write("hmsync.yaml", "api: v1\n")
    result = run("validate", env=environ(emu))
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "rooms/all-hands.yaml:1:1: rooms are managed on the v2 API only, and this project uses "
        "v1; set `api: v2` in hmsync.yaml, or move rooms away"
    )


def test_a_saved_plan_is_stale_when_the_room_changed(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM.replace("size: 500", "size: 600"))
    saved = tmp_path / "plan.json"
    assert run("plan", "-o", str(saved), env=env).code == 0
    body = json.loads(saved.read_text())
    assert [r["name"] for r in body["rooms"]] == ["all-hands"]
    assert body["summary"]["update_room"] == 1
    dashboard(emu, rooms(emu)[0]["id"], {"large_room": True})  # a field no file manages
    refused = run("apply", str(saved), env=env)
    assert refused.code == 4
    assert refused.err.startswith(
        f"hmsync: live object changed since {saved} was made: room:all-hands; run `hmsync plan"
    )
    assert rooms(emu)[0]["size"] == 500
    assert run("plan", "-o", str(saved), env=env).code == 0
    done = run("apply", str(saved), env=env)
    assert done.code == 0, done.err
    assert rooms(emu)[0]["size"] == 600 and rooms(emu)[0]["large_room"] is True


def test_only_names_the_rooms_it_reads(emu: Emulator, run: Run, write: Write) -> None:
    """Reads go by the name filter, enabled and disabled; never a listing of every room."""
    env = applied(emu, run, write)
    emu.reset_calls()
    assert run("plan", env=env).code == 0
    routes = emu.calls()["routes"]
    assert routes == {"v2_list_templates": 1, "v2_list_rooms": 2, "v2_list_room_codes": 1}


@pytest.mark.parametrize(
    ("route", "answer", "message"),
    [
        (
            "/v2/rooms",
            {"limit": 10},
            "the answer is not a page of rooms; expected "
            '{"limit": N, "data": [room, ...], "last": "..."}; check --api-base',
        ),
        (
            "/v2/rooms",
            {"data": [{"name": "all-hands"}], "last": ""},
            "the answer is not a room "
            '(no \'id\' string); expected {"id": "...", "name": "...", "enabled": true, '
            '"template_id": "...", ...}; check --api-base',
        ),
        (
            "/v2/rooms",
            {"data": [{"id": "r1", "name": "all-hands", "enabled": "yes"}]},
            'the answer is not a room (\'enabled\' is not a bool); expected {"id": "...", '
            '"name": "...", "enabled": true, "template_id": "...", ...}; check --api-base',
        ),
        (
            "/v2/room-codes/room/",
            {"data": [{"code": 7}]},
            "the answer is not a room code; "
            'expected {"code": "...", "role": "...", "enabled": true, ...}; check --api-base',
        ),
        ("/v2/room-codes/room/", [], "the answer is not a JSON object"),
    ],
)
def test_room_answers_of_the_wrong_shape_are_errors_never_empty(
    emu: Emulator, run: Run, write: Write, route: str, answer: Any, message: str
) -> None:
    env = applied(emu, run, write)

    def rule(seen: Seen, history: list[Seen]) -> Any:
        return (200, answer) if seen.path.startswith(route) else None

    with Proxy(emu.url, rule) as proxy:
        result = run("plan", "--retries", "0", env={**env, "HMS_API_BASE": proxy.url + "/v2"})
    assert (result.code, result.out) == (1, "")
    [asked] = {s.path.split("?")[0] for s in proxy.history if s.path.startswith(route)}
    assert result.err == f"hmsync: GET {proxy.url}{asked}: 200 {message}\n"


def test_a_room_code_read_from_a_server_is_never_echoed(
    emu: Emulator, run: Run, write: Write
) -> None:
    """A server that puts a code in an error body (or anywhere): hidden like any secret."""
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM.replace("guest: enabled", "guest: disabled"))
    [guest] = [c["code"] for c in codes(emu) if c["role"] == "guest"]

    def rule(seen: Seen, history: list[Seen]) -> Any:
        if seen.method == "POST" and seen.path == "/v2/room-codes/code":
            return (400, {"code": 400, "message": f"code {guest} cannot change", "details": []})
        return None

    with Proxy(emu.url, rule) as proxy:
        result = run(
            "apply",
            "--auto-approve",
            "--retries",
            "0",
            env={**env, "HMS_API_BASE": proxy.url + "/v2"},
        )
    assert result.code == 3
    assert "code (sensitive value) cannot change" in result.out
    assert guest not in result.out + result.err


def test_the_emulator_is_strict_where_the_rooms_pages_are(emu: Emulator) -> None:
    v2 = httpx.Client(base_url=emu.api_base, headers=auth(), timeout=10)
    template = v2.post("/templates", json={"name": "t", "roles": {"host": {}}}).json()["id"]
    room = v2.post("/rooms", json={"name": "R-1", "template_id": template}).json()
    assert room["recording_source_template"] is True and room["enabled"] is True
    # A taken name, in any case, returns that room; an update never moves a template.
    assert (
        v2.post("/rooms", json={"name": "r-1", "template_id": template}).json()["id"] == room["id"]
    )
    moved = v2.post(f"/rooms/{room['id']}", json={"template_id": template})
    assert (moved.status_code, moved.json()["details"]) == (
        400,
        ["Invalid body param: template_id"],
    )
    short = v2.post(
        "/rooms", json={"name": "x", "template_id": template, "max_duration_seconds": 60}
    )
    assert short.json()["details"] == [
        "Invalid body param: max_duration_seconds less than 120 seconds"
    ]
    assert v2.post("/rooms", json={"name": "bad name!"}).status_code == 400
    assert v2.get("/rooms", params={"limit": 5}).status_code == 400
    # Codes: 100 a room, only `enabled` changes, none for a disabled room.
    for _ in range(100):
        assert v2.post(f"/room-codes/room/{room['id']}/role/host").status_code == 200
    assert v2.post(f"/room-codes/room/{room['id']}/role/host").status_code == 400
    code = v2.get(f"/room-codes/room/{room['id']}", params={"limit": 10}).json()["data"][0]["code"]
    assert (
        v2.post("/room-codes/code", json={"code": code, "enabled": False, "role": "x"}).status_code
        == 400
    )
    assert v2.post(f"/rooms/{room['id']}", json={"enabled": False}).json()["enabled"] is False
    assert v2.get(f"/room-codes/room/{room['id']}").status_code == 403
    assert v2.get("/rooms").json()["data"] == []  # enabled defaults to true
    assert [r["id"] for r in v2.get("/rooms", params={"enabled": "false"}).json()["data"]] == [
        room["id"]
    ]


def test_noise_cancellation_is_managed_on_v2_templates(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    emu.store.readings = Readings.from_dict({"noise_cancellation": "present"})
    write("hmsync.yaml", PROJECT)
    write(
        "templates/town-hall.yaml", TEMPLATE + "plugins:\n  noiseCancellation: {enabled: false}\n"
    )
    env = environ(emu)
    assert run("validate", env=env).code == 0
    assert run("apply", "--auto-approve", env=env).code == 0
    [stored] = emu.store.templates.values()
    assert stored["plugins"]["noiseCancellation"] == {"enabled": False}
    assert run("plan", env=env).out == NO_CHANGES + "\n"
    exported = run("export", "--out", str(tmp_path / "x"), env=env)
    assert exported.code == 0, exported.err
    data = yaml.safe_load((tmp_path / "x" / "town-hall.yaml").read_text())
    assert data["plugins"]["noiseCancellation"] == {"enabled": False}
    assert run("plan", str(tmp_path / "x"), env=env).out == NO_CHANGES + "\n"  # export, then plan


def test_rules_select_rooms_and_protect_protects_them(
    emu: Emulator, run: Run, write: Write
) -> None:
    project(write)
    write(
        "hmsync.yaml",
        PROJECT
        + "rules:\n"
        + "  - id: rooms-are-capped\n"
        + "    where: {rooms: ['all-*']}\n"
        + "    require: {max_duration_seconds: {max: 3600}, size: {present: true}}\n"
        + "protect:\n  rooms: [ALL-HANDS]\n",
    )
    env = environ(emu)
    checked = run("validate", env=env)
    assert checked.code == 1
    assert checked.out.splitlines()[0] == (
        "rooms/all-hands.yaml:6:23: max_duration_seconds: 7200 breaks rule rooms-are-capped: "
        "must be at most 3600"
    )
    explained = run("rules", env=env)
    assert explained.out.splitlines()[:4] == [
        "  rooms-are-capped (error)",
        "    where: rooms all-*",
        "    requires: max_duration_seconds max 3600; size present true",
        "    matched 1 room: all-hands",
    ]
    assert "protect: roles none; max_changed_percent none; rooms ALL-HANDS" in explained.out
    write("rooms/all-hands.yaml", ROOM.replace("7200", "3600"))
    refused = run("apply", "--auto-approve", env=env)
    assert refused.code == 4
    assert refused.err.startswith(
        "hmsync: refused by hmsync.yaml's protect (1 reason): the plan changes room all-hands "
        "(create_room, enable_codes, enable_codes), which hmsync.yaml protects (protect.rooms)."
    )
    assert rooms(emu) == []


def test_a_rule_on_rooms_names_a_room_field(run: Run, write: Write) -> None:
    write(
        "hmsync.yaml",
        "api: v2\nrules:\n  - id: r\n    where: {rooms: ['*'], roles: [host]}\n"
        "    require: {sise: 1}\n",
    )
    result = run("validate")
    assert result.code == 1
    assert result.err.splitlines()[1:] == [
        "  hmsync.yaml:4:12: rules[0].where: a rule is on rooms or on templates and roles, not "
        "both; make two rules",
        "  hmsync.yaml:5:15: rules[0].require.sise: 'sise' is no field of a room; did you mean 'size'?",
    ]


def test_show_pictures_the_room_files_offline(run: Run, write: Write) -> None:
    project(write)
    shown = run("show")  # no credentials, no ${HMSYNC_HOOK_TOKEN}: offline
    assert shown.code == 0, shown.err
    assert shown.out.endswith(
        "rooms:\n  all-hands: template town-hall, region us, size 500, enabled yes, codes guest: "
        "enabled; host: enabled\n"
    )
    data = json.loads(run("show", "--format", "json").out)
    assert [t["name"] for t in data["templates"]] == ["town-hall"]
    assert data["rooms"] == [
        {
            "name": "all-hands",
            "template": "town-hall",
            "region": "us",
            "size": "500",
            "enabled": "yes",
            "codes": "guest: enabled; host: enabled",
        }
    ]


def test_the_review_has_a_rooms_table(emu: Emulator, run: Run, write: Write) -> None:
    env = applied(emu, run, write)
    write(
        "rooms/all-hands.yaml",
        ROOM.replace("size: 500", "size: 800").replace("guest: enabled", "guest: disabled"),
    )
    review = run("plan", "--format", "markdown", env=env).out
    assert "**Plan: 1 room to update, room codes of 1 role to disable.**" in review
    assert (
        "#### Rooms\n\n| room | template | region | size | enabled | codes |\n"
        "|---|---|---|---|---|---|\n"
        "| all&#45;hands | town&#45;hall | us | 500 → 800 | yes | guest&#58; 1 enabled, 0 "
        "disabled; host&#58; 1 enabled, 0 disabled → guest&#58; 0 enabled, 1 disabled; "
        "host&#58; 1 enabled, 0 disabled |\n"
    ) in review
    assert "<details><summary>room <code>all&#45;hands</code>: 2 action(s)" in review
    assert "@@ room all-hands will be updated @@\n-     size: 500\n+     size: 800\n" in review
    assert "\n- room all-hands: every room code of role guest will be DISABLED\n" in review


RECORDED = (
    ROOM
    + """\
recording_info:
  enabled: true
  upload_info:
    type: s3
    location: all-hands-recordings
    prefix: monthly
    credentials: {key: "${HMSYNC_REC_KEY}", secret: "${HMSYNC_REC_SECRET}"}
"""
)
RECORDING_ENV = {"HMSYNC_REC_KEY": "AKIAROOMKEY0001", "HMSYNC_REC_SECRET": "room-rec-secret-01"}


@pytest.mark.parametrize("credentials", ["clear", "masked", "omitted"])
def test_a_room_of_its_own_recording(
    emu: Emulator, run: Run, write: Write, credentials: str
) -> None:
    emu.store.readings = Readings.from_dict({"credentials": credentials})
    project(write, room=RECORDED)
    env = {**environ(emu), **RECORDING_ENV}
    planned = run("plan", env=env).out
    assert "    + recording_info.upload_info.credentials.secret: (sensitive value)\n" in planned
    applied = run("apply", "--auto-approve", "--format", "json", env=env)
    assert applied.code == 0, applied.out
    body = json.loads(applied.out)
    assert [r["name"] for r in body["rooms"]] == ["all-hands"] and body["templates"][0][
        "name"
    ] == "town-hall"
    [room] = rooms(emu)
    assert room["recording_source_template"] is False
    assert room["recording_info"]["upload_info"]["credentials"] == {
        "key": "AKIAROOMKEY0001",
        "secret": "room-rec-secret-01",
    }
    assert run("plan", "--detailed-exitcode", env=env).out == NO_CHANGES + "\n"
    write("rooms/all-hands.yaml", RECORDED.replace("prefix: monthly", "prefix: quarterly"))
    again = run("plan", env=env).out
    assert '    ~ recording_info.upload_info.prefix: "monthly" -> "quarterly"\n' in again
    readable = credentials == "clear"
    assert ("recording_info.upload_info.credentials: (sensitive value)" in again) is not readable
    done = run("apply", "--auto-approve", env=env)
    assert done.code == 0, done.out
    assert rooms(emu)[0]["recording_info"]["upload_info"]["prefix"] == "quarterly"
    note = (
        "note: the API does not return this room's storage credentials or webhook header "
        "values, so they are written without a look at what is there now"
    )
    assert (note in done.out) == (not readable), done.out
    assert "room-rec-secret-01" not in planned + again + done.out + done.err


def test_only_selects_rooms_by_name_too(emu: Emulator, run: Run, write: Write) -> None:
    project(write)
    write("rooms/desk.yaml", "name: desk\ntemplate: town-hall\nsize: 5\n")
    env = environ(emu)
    only = run("plan", "--only", "DESK", env=env)
    assert only.code == 0, only.err
    assert "+ room desk will be created" in only.out and "all-hands" not in only.out
    assert "town-hall" not in only.out.split("Rooms")[0]
    unknown = run("plan", "--only", "nowhere", env=env)
    assert unknown.err.startswith("hmsync: --only nowhere: no template file defines")


def test_export_refresh_accepts_a_live_room_into_its_file(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    project(write, room="# the monthly all-hands\n" + ROOM)
    env = environ(emu)
    assert run("apply", "--auto-approve", env=env).code == 0
    [room] = rooms(emu)
    dashboard(emu, room["id"], {"size": 42})
    [guest] = [c["code"] for c in codes(emu) if c["role"] == "guest"]
    Rooms(emu.store).update_room_code({"code": guest, "enabled": False})
    refreshed = run("export", "--refresh", env=env)
    assert refreshed.code == 0, refreshed.err
    text = (tmp_path / "rooms" / "all-hands.yaml").read_text()
    assert text == "# the monthly all-hands\n" + ROOM.replace("size: 500", "size: 42").replace(
        "guest: enabled", "guest: disabled"
    )
    assert run("plan", "--detailed-exitcode", env=env).out == NO_CHANGES + "\n"


@pytest.mark.parametrize("first", ["500 before", "lost, then 500"])
def test_a_room_write_answered_500_is_read_again_and_finished(
    emu: Emulator, run: Run, write: Write, first: str
) -> None:
    """A write's 500 is not retried by the transport (it may have landed): the room reads
    again, finds what is left, and writes only that (as template_run does)."""
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM.replace("guest: enabled", "guest: disabled"))

    def rule(seen: Seen, history: list[Seen]) -> Any:
        writes = [s for s in history if s.method == "POST" and s.path == "/v2/room-codes/code"]
        if seen.method != "POST" or seen.path != "/v2/room-codes/code":
            return None
        if first == "500 before" and not writes:
            return (500, {"code": 500, "message": "Internal error", "details": []})
        if first == "lost, then 500":  # carried out, its answer lost; the retry told 500
            return (
                "forward-then-drop"
                if not writes
                else (500, {"message": "x"})
                if len(writes) == 1
                else None
            )
        return None

    with Proxy(emu.url, rule) as proxy:
        done = run("apply", "--auto-approve", env={**env, "HMS_API_BASE": proxy.url + "/v2"})
    assert done.code == 0, done.out + done.err
    assert [c["enabled"] for c in codes(emu) if c["role"] == "guest"] == [False]
    assert run("plan", "--detailed-exitcode", env=env).code == 0


def test_a_room_stays_on_its_template_through_the_template_s_rename(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    env = applied(emu, run, write)
    write(
        "templates/town-hall.yaml",
        TEMPLATE.replace("name: town-hall", "name: big-hall\nrenamedFrom: town-hall"),
    )
    write("rooms/all-hands.yaml", ROOM.replace("template: town-hall", "template: big-hall"))
    planned = run("plan", "-o", str(tmp_path / "plan.json"), env=env)
    assert planned.code == 0, planned.err
    assert "room all-hands" not in planned.out  # the same template: nothing to do for the room
    assert run("apply", str(tmp_path / "plan.json"), env=env).code == 0
    assert run("plan", "--detailed-exitcode", env=env).out == NO_CHANGES + "\n"
    shown = run("show", str(tmp_path / "plan.json"), env=env)
    assert shown.code == 0 and "Rooms (before -> after)" not in shown.out


def test_a_saved_plan_shows_its_room_changes_without_a_live_table(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM.replace("size: 500", "size: 900"))
    assert run("plan", "-o", str(tmp_path / "plan.json"), env=env).code == 0
    shown = run("show", str(tmp_path / "plan.json"))
    assert shown.code == 0, shown.err
    assert (
        "~ room all-hands (rooms/all-hands.yaml)\n    ~ room all-hands will be updated\n        ~ size: 500 -> 900\n"
        in shown.out
    )
    assert "Rooms (before -> after)" not in shown.out  # no live read in a plan file
    assert shown.out.endswith("Plan: 1 room to update.\n")


def test_removing_a_room_file_leaves_the_room_alone(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    env = applied(emu, run, write)
    (tmp_path / "rooms" / "all-hands.yaml").unlink()
    write("rooms/desk.yaml", "name: desk\ntemplate: town-hall\n")
    planned = run("plan", env=env)
    assert "all-hands" not in planned.out  # not read, not listed: hmsync never lists rooms
    assert run("apply", "--auto-approve", env=env).code == 0
    [kept] = [r for r in rooms(emu) if r["name"] == "all-hands"]
    assert kept["enabled"] is True and kept["size"] == 500
    assert [c["enabled"] for c in codes(emu) if c["room_id"] == kept["id"]] == [True, True]


def test_retire_and_enable_again_say_the_flag(emu: Emulator, run: Run, write: Write) -> None:
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM + "enabled: false\n")
    assert "        ~ enabled: true -> false\n" in run("plan", env=env).out
    assert run("apply", "--auto-approve", env=env).code == 0
    write("rooms/all-hands.yaml", ROOM)
    again = run("plan", env=env).out
    assert "    ~ room all-hands will be enabled\n        ~ enabled: false -> true\n" in again


def test_polls_are_a_set_and_a_role_s_codes_come_back(
    emu: Emulator, run: Run, write: Write
) -> None:
    env = applied(emu, run, write, room=ROOM + "polls: [p1, p2]\n")
    write("rooms/all-hands.yaml", ROOM + "polls: [p2, p1]\n")
    assert run("plan", "--detailed-exitcode", env=env).code == 0  # another order: no change
    write("rooms/all-hands.yaml", ROOM.replace("guest: enabled", "guest: disabled"))
    assert run("apply", "--auto-approve", env=env).code == 0
    write("rooms/all-hands.yaml", ROOM)  # enabled again: a new code (the old one stays off)
    back = run("apply", "--auto-approve", env=env)
    assert back.code == 0, back.out
    assert '~ codes.guest: {"enabled": 0, "disabled": 1} -> "enabled"' in back.out
    assert sorted(c["enabled"] for c in codes(emu) if c["role"] == "guest") == [False, True]


def test_giving_a_room_its_own_recording_detaches_it(emu: Emulator, run: Run, write: Write) -> None:
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM + "recording_info: {enabled: true}\n")
    planned = run("plan", env=env).out
    assert "        ~ recording_source_template: true -> false\n" in planned
    assert run("apply", "--auto-approve", env=env).code == 0
    assert rooms(emu)[0]["recording_source_template"] is False
    assert run("plan", "--detailed-exitcode", env=env).code == 0


def test_an_update_sends_only_the_fields_it_changes() -> None:
    from hmsync.kinds.rooms.diff import desired_body
    from hmsync.model import Change

    data = {"name": "r", "size": 9, "recording_info": {"enabled": True}, "webhook": {"url": "u"}}
    assert desired_body(data, (Change("size", 1, 9),)) == {"size": 9}
    detach = (Change("recording_source_template", True, False),)
    assert desired_body(data, detach) == {"recording_info": {"enabled": True}}


def test_a_refused_room_write_stops_that_room_and_says_what_was_not_attempted(
    emu: Emulator, run: Run, write: Write
) -> None:
    env = applied(emu, run, write)
    write(
        "rooms/all-hands.yaml",
        ROOM.replace("size: 500", "size: 600")
        .replace("guest: enabled", "guest: disabled")
        .replace("host: enabled", "host: disabled"),
    )

    def rule(seen: Seen, history: list[Seen]) -> Any:
        if seen.method == "POST" and seen.path.startswith("/v2/rooms/"):
            return (400, {"code": 400, "message": "Invalid body", "details": ["no"]})
        return None

    with Proxy(emu.url, rule) as proxy:
        result = run("apply", "--auto-approve", env={**env, "HMS_API_BASE": proxy.url + "/v2"})
    assert result.code == 3
    assert "FAILED  room all-hands: 0 done, then update room failed:" in result.out
    assert (
        "          not attempted: disable codes guest\n          not attempted: disable codes host\n"
        in result.out
    )
    assert len([s for s in proxy.history if s.method == "POST"]) == 1  # a 400 is not tried again


def test_a_variable_s_value_inside_a_new_object_is_concealed_leaf_by_leaf(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    url = "https://hooks.example.com/secret-path-0001"
    project(
        write,
        room=ROOM.replace("url: https://hooks.example.com/100ms", 'url: "${HMSYNC_HOOK_URL}"'),
    )
    env = {**environ(emu), "HMSYNC_HOOK_URL": url}
    planned = run("plan", "-o", str(tmp_path / "plan.json"), env=env)
    assert "    + webhook.url: (sensitive value)\n" in planned.out
    [create] = json.loads((tmp_path / "plan.json").read_text())["rooms"][0]["actions"][:1]
    [leaf] = [c for c in create["changes"] if c["path"] == "webhook.url"]
    assert leaf == {"path": "webhook.url", "new": "(sensitive value)", "sensitive": True}
    assert url not in planned.out + planned.err + (tmp_path / "plan.json").read_text()


@pytest.mark.parametrize("omit", ["kept", "omitted"])
def test_a_retired_room_reads_as_retired_when_answers_leave_false_out(
    emu: Emulator, run: Run, write: Write, omit: str
) -> None:
    emu.store.readings = Readings.from_dict({"omit_empty": omit})
    env = applied(emu, run, write, room=ROOM + "large_room: false\n")
    assert run("plan", "--detailed-exitcode", env=env).code == 0  # large_room false: read so
    write("rooms/all-hands.yaml", ROOM + "large_room: false\nenabled: false\n")
    assert run("apply", "--auto-approve", env=env).code == 0
    if omit == "omitted":
        assert "enabled" not in Rooms(emu.store).get_room(rooms(emu)[0]["id"])  # as Go leaves it
    again = run("plan", "--detailed-exitcode", env=env)
    assert (again.code, again.out) == (0, NO_CHANGES + "\n")


def test_a_room_made_retired(emu: Emulator, run: Run, write: Write) -> None:
    project(write, room=ROOM + "enabled: false\n")
    env = environ(emu)
    planned = run("plan", env=env).out
    assert (
        "    - room all-hands will be DISABLED (retired: nobody can join it after its current session)\n        ~ enabled: true -> false\n"
        in planned
    )
    assert "codes" not in planned.split("Rooms")[0]  # a retired room's codes are not managed
    assert run("apply", "--auto-approve", env=env).code == 0
    assert rooms(emu)[0]["enabled"] is False and codes(emu) == []
    assert run("plan", "--detailed-exitcode", env=env).code == 0


def test_what_someone_else_changes_during_the_apply_is_said_and_kept(
    emu: Emulator, run: Run, write: Write
) -> None:
    env = applied(emu, run, write)
    write("rooms/all-hands.yaml", ROOM.replace("size: 500", "size: 600"))
    # After the update's own read and write: the dashboard sets a field the plan leaves alone.
    emu.server.interleavings.clear()
    emu.interleave(before_write="room:all-hands", room="all-hands", set={"large_room": True})
    result = run("apply", "--auto-approve", env=env)
    assert result.code == 3, result.out
    assert (
        "MOVED   room all-hands: someone else changed it while apply wrote; kept as they left "
        "it (check it is wanted, or plan again):\n          large_room: False -> True\n"
    ) in result.out
    assert rooms(emu)[0]["large_room"] is True and rooms(emu)[0]["size"] == 600
