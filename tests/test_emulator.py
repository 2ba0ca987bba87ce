from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator, Faults, StateFileError

from .helpers import GOLDEN, auth, emulator_process, mint

GENERATED = ("_id", "customer")


@pytest.fixture
def http(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.api_base, headers=auth(), timeout=10) as client:
        yield client


def strip(template: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template.items() if k not in GENERATED}


def create(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/templates", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# -- golden: the seed's own examples ---------------------------------------------------------


def test_golden_create_template_fills_empty_roles_as_the_seed_shows(http: httpx.Client) -> None:
    body = create(http, GOLDEN["requests"]["create_template"])
    assert strip(body) == strip(GOLDEN["responses"]["create_template"])
    assert len(body["_id"]) == 24 and int(body["_id"], 16) > 0
    assert len(body["customer"]) == 24


def test_golden_create_modify_role(http: httpx.Client) -> None:
    template = create(http, {"name": "t"})
    response = http.post(
        f"/templates/{template['_id']}/roles/listener3", json=GOLDEN["requests"]["upsert_role"]
    )
    assert response.status_code == 200
    assert response.json() == GOLDEN["responses"]["upsert_role"]


def test_golden_get_templates_role_and_settings(emu: Emulator, http: httpx.Client) -> None:
    seeded = GOLDEN["responses"]["get_templates"]["data"][0]
    emu.store.load([seeded])
    listed = http.get("/templates", params={"id": seeded["_id"]})
    assert listed.status_code == 200
    assert listed.json() == GOLDEN["responses"]["get_templates"]
    role = http.get(f"/templates/{seeded['_id']}/roles/student")
    assert role.json() == GOLDEN["responses"]["get_role"]
    settings = http.get(f"/templates/{seeded['_id']}/settings")
    assert settings.json() == GOLDEN["responses"]["get_settings"]


def test_golden_update_settings(http: httpx.Client) -> None:
    template = create(http, {"name": "t"})
    response = http.post(
        f"/templates/{template['_id']}/settings", json=GOLDEN["requests"]["update_settings"]
    )
    assert response.json() == GOLDEN["responses"]["update_settings"] == {"region": "us"}


def test_golden_modify_template_replays_verbatim(emu: Emulator, http: httpx.Client) -> None:
    # The seed's Modify Template example sends screen height 1086, outside its own documented
    # 270-1080, and answers with it stored: the default reading stores such values as sent.
    seeded = GOLDEN["responses"]["get_templates"]["data"][0]
    emu.store.load([seeded])
    request = GOLDEN["requests"]["modify_template"]
    response = http.post("/templates", params={"id": seeded["_id"]}, json=request)
    assert response.status_code == 200
    assert response.json() == GOLDEN["responses"]["modify_template"]


def test_out_of_range_values_are_refused_in_the_refusing_reading(
    emu: Emulator, http: httpx.Client
) -> None:
    seeded = GOLDEN["responses"]["get_templates"]["data"][0]
    emu.store.load([seeded])
    emu.set_readings(out_of_range="refuse")
    refused = http.post(
        "/templates", params={"id": seeded["_id"]}, json=GOLDEN["requests"]["modify_template"]
    )
    assert refused.status_code == 400
    assert refused.json()["details"] == [
        "Invalid body param: roles.student.publishParams.screen.height: must be between 270 "
        "and 1080, got 1086"
    ]


# -- create and modify template --------------------------------------------------------------


def test_create_with_existing_name_overwrites_and_keeps_id(http: httpx.Client) -> None:
    first = create(http, {"name": "same", "roles": {"a": {}}, "settings": {"region": "in"}})
    second = create(http, {"name": "same", "roles": {"b": {}}})
    assert second["_id"] == first["_id"]
    assert list(second["roles"]) == ["b"]
    assert "settings" not in second
    assert len(http.get("/templates").json()["data"]) == 1


def test_create_generates_missing_names_and_increasing_ids(http: httpx.Client) -> None:
    ids = [create(http, {})["_id"] for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert all(len(i) == 24 and all(c in "0123456789abcdef" for c in i) for i in ids)
    names = [t["name"] for t in http.get("/templates").json()["data"]]
    assert len(set(names)) == 3 and all(n.startswith("template-") for n in names)


def test_template_name_charset(http: httpx.Client) -> None:
    ok = http.post("/templates", json={"name": "Az09 -._:"})
    assert ok.status_code == 200
    refused = http.post("/templates", json={"name": "a/b"})
    assert refused.status_code == 400
    assert refused.json() == {
        "code": 400,
        "message": "Invalid body param",
        "details": [
            "Invalid body param: name: accepted characters are a-z, A-Z, 0-9, space, hyphen -, "
            "dot ., underscore _ and colon :"
        ],
    }


def test_every_documented_range_and_type_is_enforced_with_paths(
    emu: Emulator, http: httpx.Client
) -> None:
    emu.set_readings(out_of_range="refuse")
    role = {
        "priority": 11,
        "publishParams": {
            "allowed": ["audio", "hologram"],
            "audio": {"bitRate": 8, "codec": "aac"},
            "video": {"bitRate": 5000, "frameRate": 0, "width": 10, "height": 2000, "codec": "vp8"},
            "screen": {"bitRate": 100, "width": 100, "height": 100, "frameRate": 31},
        },
        "subscribeParams": {
            "subscribeToRoles": "all",
            "maxSubsBitRate": "high",
            "subscribeDegradation": {"packetLossThreshold": 0, "degradeGracePeriodSeconds": 11},
        },
        "permissions": {"mute": "yes"},
    }
    body = {
        "name": "t",
        "default": "yes",
        "roles": {"r": role},
        "settings": {"region": "mars", "recording": {"enabled": 1, "upload": {"type": "gcs"}}},
    }
    response = http.post("/templates", json=body)
    assert response.status_code == 400
    details = [d.removeprefix("Invalid body param: ") for d in response.json()["details"]]
    assert details == [
        "default: must be a boolean",
        "roles.r.priority: must be between 1 and 10, got 11",
        "roles.r.publishParams.allowed: must be a subarray of [audio, video, screen]",
        "roles.r.publishParams.audio.bitRate: must be between 16 and 128, got 8",
        "roles.r.publishParams.audio.codec: must be one of opus",
        "roles.r.publishParams.video.bitRate: must be between 30 and 2000, got 5000",
        "roles.r.publishParams.video.frameRate: must be between 1 and 30, got 0",
        "roles.r.publishParams.video.height: must be between 50 and 1080, got 2000",
        "roles.r.publishParams.video.width: must be between 50 and 1920, got 10",
        "roles.r.publishParams.screen.bitRate: must be at least 500, got 100",
        "roles.r.publishParams.screen.frameRate: must be between 1 and 30, got 31",
        "roles.r.publishParams.screen.height: must be between 270 and 1080, got 100",
        "roles.r.publishParams.screen.width: must be between 480 and 1920, got 100",
        "roles.r.subscribeParams.maxSubsBitRate: must be an integer",
        "roles.r.subscribeParams.subscribeToRoles: must be an array of role names",
        "roles.r.subscribeParams.subscribeDegradation.packetLossThreshold: must be between 1 "
        "and 100, got 0",
        "roles.r.subscribeParams.subscribeDegradation.degradeGracePeriodSeconds: must be between "
        "1 and 10, got 11",
        "roles.r.permissions.mute: must be a boolean",
        "settings.region: must be one of in, us, eu, auto",
        "settings.recording.enabled: must be a boolean",
        "settings.recording.upload.type: must be one of s3",
        "settings.recording.upload.location: is required",
        "settings.recording.upload.prefix: is required",
    ]
    assert http.get("/templates").json()["data"] == []


def test_modify_replaces_roles_and_settings_whole(http: httpx.Client) -> None:
    template = create(
        http, {"name": "t", "roles": {"a": {}, "b": {}}, "settings": {"region": "in"}}
    )
    body = {"roles": {"c": {"priority": 2}}, "settings": {"recording": {"enabled": True}}}
    response = http.post("/templates", params={"id": template["_id"]}, json=body)
    assert response.status_code == 200
    modified = response.json()
    assert list(modified["roles"]) == ["c"] and modified["roles"]["c"]["priority"] == 2
    assert modified["settings"] == {"recording": {"enabled": True}}
    assert modified["name"] == "t" and modified["_id"] == template["_id"]


def test_modify_requires_roles_and_settings_and_refuses_taken_names(http: httpx.Client) -> None:
    a = create(http, {"name": "a"})
    create(http, {"name": "b"})
    missing = http.post("/templates", params={"id": a["_id"]}, json={"name": "a"})
    assert missing.status_code == 400
    assert missing.json()["details"] == [
        "Invalid body param: roles: is required",
        "Invalid body param: settings: is required",
    ]
    taken = http.post(
        "/templates", params={"id": a["_id"]}, json={"name": "b", "roles": {}, "settings": {}}
    )
    assert taken.status_code == 400
    assert taken.json() == {
        "code": 400,
        "message": "overwrite error",
        "details": ["template b already exists"],
    }
    renamed = http.post(
        "/templates", params={"id": a["_id"]}, json={"name": "c", "roles": {}, "settings": {}}
    )
    assert renamed.json()["name"] == "c"
    unknown = http.post("/templates", params={"id": "f" * 24}, json={"roles": {}, "settings": {}})
    assert unknown.status_code == 404


def test_default_is_exclusive(http: httpx.Client) -> None:
    a = create(http, {"name": "a", "default": True})
    b = create(http, {"name": "b", "default": True})
    defaults = http.get("/templates", params={"default": "true"}).json()["data"]
    assert [t["name"] for t in defaults] == ["b"]
    http.post(
        "/templates", params={"id": a["_id"]}, json={"default": True, "roles": {}, "settings": {}}
    )
    assert [
        t["name"] for t in http.get("/templates", params={"default": "true"}).json()["data"]
    ] == ["a"]
    others = http.get("/templates", params={"default": "false"}).json()["data"]
    assert [t["_id"] for t in others] == [b["_id"]]


# -- roles and settings ----------------------------------------------------------------------


def test_role_create_rename_delete_and_not_found(http: httpx.Client) -> None:
    tid = create(http, {"name": "t", "roles": {"a": {}, "b": {}}})["_id"]
    created = http.post(f"/templates/{tid}/roles/c", json={"priority": 3})
    assert created.status_code == 200 and created.json()["name"] == "c"
    renamed = http.post(f"/templates/{tid}/roles/c", json={"name": "d", "priority": 4})
    assert renamed.json()["name"] == "d"
    roles = http.get("/templates", params={"id": tid}).json()["data"][0]["roles"]
    assert sorted(roles) == ["a", "b", "d"] and roles["d"]["priority"] == 4
    clash = http.post(f"/templates/{tid}/roles/a", json={"name": "b"})
    assert clash.status_code == 400
    assert clash.json() == {
        "code": 400,
        "message": "overwrite error",
        "details": ["role b already exists"],
    }
    assert http.delete(f"/templates/{tid}/roles/d").status_code == 204
    gone = http.delete(f"/templates/{tid}/roles/d")
    assert gone.status_code == 404
    assert gone.json() == {
        "code": 404,
        "message": "role not found",
        "details": [f"no role d in template {tid}"],
    }
    assert http.get(f"/templates/{tid}/roles/d").status_code == 404


def test_role_names_with_spaces_travel_url_encoded(http: httpx.Client) -> None:
    tid = create(http, {"name": "t"})["_id"]
    assert http.post(f"/templates/{tid}/roles/stage%20host", json={}).json()["name"] == "stage host"
    assert http.get(f"/templates/{tid}/roles/stage%20host").status_code == 200


def test_unknown_template_is_404_everywhere(http: httpx.Client) -> None:
    tid = "a" * 24
    expected = {
        "code": 404,
        "message": "template not found",
        "details": [f"no template with id {tid}"],
    }
    for response in (
        http.get(f"/templates/{tid}/settings"),
        http.post(f"/templates/{tid}/settings", json={"region": "in"}),
        http.get(f"/templates/{tid}/roles/a"),
        http.post(f"/templates/{tid}/roles/a", json={}),
        http.delete(f"/templates/{tid}/roles/a"),
    ):
        assert response.status_code == 404 and response.json() == expected


def test_the_storing_reading_refuses_only_wrong_types(http: httpx.Client) -> None:
    body = {
        "name": "t",
        "roles": {"r": {"priority": 11, "publishParams": {"audio": {"bitRate": "x"}}}},
    }
    refused = http.post("/templates", json=body)
    assert refused.json()["details"] == [
        "Invalid body param: roles.r.publishParams.audio.bitRate: must be an integer"
    ]
    del body["roles"]["r"]["publishParams"]
    assert create(http, body)["roles"]["r"]["priority"] == 11


def test_update_settings_takes_region_only_by_default(emu: Emulator, http: httpx.Client) -> None:
    recording = {"enabled": True}
    tid = create(http, {"name": "t", "settings": {"region": "in", "recording": recording}})["_id"]
    emu.set_readings(out_of_range="refuse")
    bad = http.post(f"/templates/{tid}/settings", json={"region": "mars"})
    assert bad.status_code == 400
    answer = http.post(f"/templates/{tid}/settings", json={"region": "eu", "recording": {}})
    assert answer.json() == {"region": "eu", "recording": recording}
    assert http.get(f"/templates/{tid}/settings").json() == {"region": "eu", "recording": recording}


def test_update_settings_replaces_the_whole_settings_in_that_reading(
    emu: Emulator, http: httpx.Client
) -> None:
    emu.set_readings(update_settings="whole", writes="replace")
    tid = create(http, {"name": "t", "settings": {"region": "in", "recording": {"enabled": True}}})[
        "_id"
    ]
    assert http.post(f"/templates/{tid}/settings", json={"region": "eu"}).json() == {"region": "eu"}
    assert http.get(f"/templates/{tid}/settings").json() == {"region": "eu"}


def test_unknown_role_fields_are_kept(http: httpx.Client) -> None:
    tid = create(http, {"name": "t"})["_id"]
    http.post(f"/templates/{tid}/roles/a", json={"maxPeerCount": 5})
    assert http.get(f"/templates/{tid}/roles/a").json()["maxPeerCount"] == 5


# -- listing ---------------------------------------------------------------------------------


def test_list_filters_order_limit_and_cursor(emu: Emulator, http: httpx.Client) -> None:
    emu.store.load([{"name": f"t{i:02}"} for i in range(45)])
    first = http.get("/templates").json()
    assert first["limit"] == 10 and len(first["data"]) == 10
    assert first["data"][0]["name"] == "t44"  # decreasing _id: newest first
    names: list[str] = []
    start = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 20}
        if start:
            params["start"] = start
        page = http.get("/templates", params=params).json()
        pages += 1
        names += [t["name"] for t in page["data"]]
        if len(page["data"]) < page["limit"] or not page["last"]:
            break
        start = page["last"]
    assert pages == 3
    assert names == [f"t{i:02}" for i in range(44, -1, -1)]
    assert http.get("/templates", params={"name": "t07"}).json()["data"][0]["name"] == "t07"
    assert http.get("/templates", params={"name": "nope"}).json() == {
        "limit": 10,
        "data": [],
        "last": "",
    }


def test_a_full_last_page_says_so_with_an_empty_last(emu: Emulator, http: httpx.Client) -> None:
    emu.store.load([{"name": f"t{i}"} for i in range(20)])
    page = http.get("/templates", params={"limit": 20}).json()
    assert len(page["data"]) == 20 and page["last"] == ""
    emu.store.load([{"name": "t20"}])
    page = http.get("/templates", params={"limit": 20}).json()
    assert page["last"] == page["data"][-1]["_id"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"limit": 21}, "limit: must be between 1 and 20"),
        ({"limit": 0}, "limit: must be between 1 and 20"),
        ({"limit": "ten"}, "limit: must be an integer"),
        ({"default": "maybe"}, "default: must be true or false"),
    ],
)
def test_list_query_errors(http: httpx.Client, params: dict[str, Any], detail: str) -> None:
    response = http.get("/templates", params=params)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Invalid query param", "details": [detail]}


# -- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "an Authorization: Bearer <management token> header is required"),
        (
            auth(mint(secret="a-wrong-secret-that-is-long-enough-for-hs256")),
            "signature verification failed",
        ),
        (auth(mint(exp=int(time.time()) - 5)), "token has expired"),
        (auth(mint(nbf=int(time.time()) + 600)), "token is not valid yet (nbf/iat in the future)"),
        (auth(mint(type="app")), "type must be management"),
        (auth(mint(version=1)), "version must be 2"),
        (auth(mint(access_key="someone-else")), "unknown access key"),
        (auth(mint(jti=None)), "missing claim jti"),
        ({"Authorization": "Bearer not-a-jwt"}, "malformed token: Not enough segments"),
    ],
)
def test_token_validation(emu: Emulator, headers: dict[str, str], detail: str) -> None:
    response = httpx.get(emu.api_base + "/templates", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "message": "Token validation error",
        "details": [detail],
    }


# -- plumbing errors -------------------------------------------------------------------------


def test_unknown_routes_methods_and_bodies(emu: Emulator, http: httpx.Client) -> None:
    assert httpx.get(emu.url + "/nowhere").json() == {
        "code": 404,
        "message": "Not Found",
        "details": ["no route for GET /nowhere"],
    }
    assert http.put("/templates").status_code == 405
    bad = http.post(
        "/templates", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["message"] == "Invalid body"
    not_object = http.post("/templates", json=[1, 2])
    assert not_object.json()["details"] == ["Invalid body param: body: must be a JSON object"]


# -- persistence -----------------------------------------------------------------------------


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Emulator(state_file=state) as first:
        tid = create(httpx.Client(base_url=first.api_base, headers=auth()), {"name": "kept"})["_id"]
        first.store.load([{"name": "loaded"}])
    assert sorted(os.listdir(tmp_path)) == ["state.json"]  # no temporary file left behind
    with Emulator(state_file=state) as second:
        client = httpx.Client(base_url=second.api_base, headers=auth())
        names = [t["name"] for t in client.get("/templates").json()["data"]]
        assert names == ["loaded", "kept"]
        newer = create(client, {"name": "newer"})["_id"]
        assert newer > tid  # ids keep increasing across restarts


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{",
            "state.json:1:2: the state file is not valid JSON (Expecting property name enclosed "
            "in double quotes); fix it, or delete it to start empty",
        ),
        (
            '{"templates": 3}',
            "state.json: not an hmsync emulator state file (version 1); delete it to start empty",
        ),
    ],
)
def test_corrupt_state_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(StateFileError) as caught:
        Emulator(state_file=state)
    assert str(caught.value) == f"{tmp_path}/{message}"


# -- concurrency -----------------------------------------------------------------------------


def test_fifty_concurrent_clients_lose_no_write(emu: Emulator, http: httpx.Client) -> None:
    tid = create(http, {"name": "busy"})["_id"]
    errors: list[str] = []

    def client(n: int) -> None:
        with httpx.Client(base_url=emu.api_base, headers=auth(), timeout=30) as own:
            for k in range(4):
                response = own.post(f"/templates/{tid}/roles/r{n}-{k}", json={"priority": 1 + k})
                if response.status_code != 200:
                    errors.append(response.text)
            if own.post("/templates", json={"name": f"t{n}"}).status_code != 200:
                errors.append("create")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    roles = http.get(f"/templates/{tid}/roles/r49-3").json()
    assert roles["priority"] == 4
    template = http.get("/templates", params={"id": tid}).json()["data"][0]
    assert len(template["roles"]) == 200
    assert len(emu.store.dump()) == 51
    assert emu.calls()["routes"]["upsert_role"] == 200


# -- faults ----------------------------------------------------------------------------------


def test_latency(emu: Emulator, http: httpx.Client) -> None:
    emu.set_faults(latency_ms=150)
    started = time.monotonic()
    assert http.get("/templates").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_error_rate_answers_5xx_and_changes_nothing(emu: Emulator, http: httpx.Client) -> None:
    emu.set_faults(error_rate=1.0)
    statuses = {http.post("/templates", json={"name": f"t{i}"}).status_code for i in range(30)}
    assert statuses == {500, 502, 503}
    assert emu.store.dump() == []


def test_throttle_rate_answers_429_with_retry_after(emu: Emulator, http: httpx.Client) -> None:
    emu.set_faults(throttle_rate=1.0, retry_after=7)
    response = http.get("/templates")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json()["code"] == 429


def test_rate_limit_answers_429_above_the_rate(emu: Emulator, http: httpx.Client) -> None:
    emu.set_faults(rate_limit=5)
    statuses = [http.get("/templates").status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]


def test_dropped_connections(emu: Emulator, http: httpx.Client) -> None:
    emu.set_faults(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/templates")


def test_faults_are_deterministic_with_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with (
            Emulator(
                faults=Faults(error_rate=0.3, throttle_rate=0.2, retry_after=0), seed=seed
            ) as e,
            httpx.Client(base_url=e.api_base, headers=auth()) as c,
        ):
            return [c.get("/templates").status_code for _ in range(40)]

    first = statuses(7)
    assert first == statuses(7)
    assert first != statuses(8)
    assert {200, 429} <= set(first) and set(first) & {500, 502, 503}


def test_invalid_fault_options_are_refused() -> None:
    with pytest.raises(ValueError, match="error_rate: must be between 0 and 1"):
        Faults.from_dict({"error_rate": 2})
    with pytest.raises(ValueError, match="unknown fault option"):
        Faults.from_dict({"explode": 1})


# -- control endpoint over HTTP --------------------------------------------------------------


def test_control_endpoint(emu: Emulator, http: httpx.Client) -> None:
    control = httpx.Client(base_url=emu.url + "/_emulator")
    loaded = control.post("/templates", json={"templates": [{"name": "x", "roles": {}}]}).json()
    assert loaded["templates"][0]["name"] == "x" and len(loaded["templates"][0]["_id"]) == 24
    assert [t["name"] for t in control.get("/templates").json()["templates"]] == ["x"]
    http.get("/templates")
    http.get("/templates")
    http.delete(f"/templates/{loaded['templates'][0]['_id']}/roles/none")
    assert control.get("/calls").json() == {
        "total": 3,
        "writes": 1,
        "routes": {"delete_role": 1, "get_templates": 2},
    }
    assert control.delete("/calls").status_code == 204
    assert control.get("/calls").json()["total"] == 0
    assert control.post("/faults", json={"latency_ms": 5}).json()["latency_ms"] == 5
    assert control.get("/faults").json()["latency_ms"] == 5
    refused = control.post("/faults", json={"drop_rate": -1})
    assert refused.status_code == 400 and refused.json()["details"] == [
        "drop_rate: must be a number >= 0"
    ]
    assert control.post("/reset").json() == {"reset": True}
    assert control.get("/templates").json() == {"templates": []}
    assert control.get("/faults").json()["latency_ms"] == 0
    assert control.get("/nope").status_code == 404
    bad = control.post("/templates", json={"templates": "x"})
    assert bad.status_code == 400


# -- the command -----------------------------------------------------------------------------


def test_cli_serves_until_terminated(tmp_path: Path) -> None:
    with emulator_process("--state", str(tmp_path / "s.json")) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        base = first.rsplit(" ", 1)[1].strip()
        assert first == f"hmsync emulator: 100ms policy API on {base}\n"
        assert base.startswith("http://127.0.0.1:") and base.endswith("/policy/v1")
        assert proc.stdout.readline() == f"  export HMS_API_BASE={base}\n"
        assert proc.stdout.readline() == "  export HMS_ACCESS_KEY=emulator-access-key\n"
        assert proc.stdout.readline() == "  export HMS_SECRET=emulator-secret-for-local-use-only\n"
        response = httpx.post(base + "/templates", json={"name": "cli"}, headers=auth())
        assert response.status_code == 200
    assert proc.returncode == 0
    saved = json.loads((tmp_path / "s.json").read_text())
    assert [t["name"] for t in saved["templates"]] == ["cli"]


def test_cli_hides_a_secret_given_on_the_command_line(tmp_path: Path) -> None:
    with emulator_process("--secret", "s3cr3t-value") as proc:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
    assert "  export HMS_SECRET=(as given with --secret)\n" in lines
    assert "s3cr3t" not in "".join(lines)


def test_cli_refuses_bad_options(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text("[")
    proc = subprocess.run(
        [sys.executable, "-m", "hmsync", "emulator", "--state", str(tmp_path / "s.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        f"hmsync: {tmp_path}/s.json:1:2: the state file is not valid JSON (Expecting value); "
        "fix it, or delete it to start empty\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "hmsync", "emulator", "--error-rate", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == "hmsync: fault options: error_rate: must be between 0 and 1\n"


def test_error_statuses_choose_what_error_rate_answers(emu: Emulator, http: httpx.Client) -> None:
    emu.set_faults(error_rate=1.0, error_statuses=[504])
    assert {http.get("/templates").status_code for _ in range(5)} == {504}
    with pytest.raises(ValueError, match="error_statuses: must be a non-empty list of 5xx"):
        Faults.from_dict({"error_statuses": [200]})


def test_a_client_gone_mid_request_is_not_reported_as_a_crash(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    for error in (BrokenPipeError(), ConnectionResetError()):
        try:
            raise error
        except ConnectionError:
            emu.server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""
    try:
        raise ValueError("a real bug")
    except ValueError:
        emu.server.handle_error(None, ("127.0.0.1", 1))
    assert "ValueError: a real bug" in capsys.readouterr().err


def test_bodies_over_10_mb_are_refused(http: httpx.Client) -> None:
    response = http.post(
        "/templates",
        content=b" " * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": 413,
        "message": "Request entity too large",
        "details": ["at most 10485760 bytes"],
    }


def test_a_refused_body_closes_the_connection(emu: Emulator) -> None:
    # The unread body must not be parsed as the next request on a kept-alive connection.
    host, port = emu.server.server_address[:2]
    with socket.create_connection((str(host), port), timeout=3) as conn:
        conn.sendall(
            b"POST /policy/v1/templates HTTP/1.1\r\nHost: x\r\nContent-Length: 10485761\r\n\r\n"
            b"GET /policy/v1/templates HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        received = b""
        while chunk := conn.recv(65536):  # until the server closes
            received += chunk
    assert received.startswith(b"HTTP/1.1 413 ")
    assert received.count(b"HTTP/1.") == 1


def test_readings_through_the_control_endpoint_and_the_command_line(emu: Emulator) -> None:
    control = httpx.Client(base_url=emu.url + "/_emulator", timeout=10)
    assert control.get("/readings").json() == {
        "credentials": "clear",
        "writes": "merge",
        "start": "exclusive",
        "out_of_range": "store",
        "update_settings": "region",
        "secret_name": "documented",
        "legacy_ids": "shown",
        "drop_false": "recordings",
        "hls_role": "none",
        "update_omitted": "keep",
        "omit_empty": "kept",
        "last_page": "empty-last",
        "fill": "per-api",
        "v2_region": "filled",
        "enum": "store",
        "names": "strict",
        "room_create": "unchanged",
        "room_name_filter": "insensitive",
        "room_region": "kept",
        "noise_cancellation": "absent",
        "lost_answer_rate": 0.0,
    }
    changed = control.post("/readings", json={"credentials": "masked"})
    assert changed.json()["credentials"] == "masked"
    bad = control.post("/readings", json={"start": "sideways"})
    assert (bad.status_code, bad.json()["details"]) == (
        400,
        ["start: must be one of exclusive, inclusive"],
    )
    upload = {
        "type": "s3",
        "location": "b",
        "prefix": "p",
        "credentials": {"key": "K", "secret": "S"},
    }
    emu.store.load([{"name": "t", "settings": {"recording": {"upload": upload}}}])
    with httpx.Client(base_url=emu.api_base, headers=auth(), timeout=10) as http:
        [shown] = http.get("/templates").json()["data"]
    assert shown["settings"]["recording"]["upload"]["credentials"] == {
        "key": "****",
        "secret": "****",
    }
    assert emu.store.dump()[0]["settings"]["recording"]["upload"]["credentials"]["secret"] == "S"
    control.close()
    proc = subprocess.run(
        [sys.executable, "-m", "hmsync", "emulator", "--lost-answer-rate", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (
        1,
        "hmsync: --lost-answer-rate: lost_answer_rate: must be a number from 0 to 1\n",
    )


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.integers(min_value=0, max_value=60), max_size=8, unique=True), max_size=5
    ),
    start=st.none() | st.integers(min_value=0, max_value=61),
    inclusive=st.booleans(),
)
def test_the_list_index_is_the_sorted_ids_after_any_loads(
    batches: list[list[int]], start: int | None, inclusive: bool
) -> None:
    """The listing reads a sorted index kept across loads (given ids in any order, and new
    ones), never a stale one: it is always what sorting every id would give."""
    from hmsync.emulator.store import Store

    store = Store("key")
    for batch in batches:
        store.load([{"_id": f"{i:024x}", "name": f"t{i}"} for i in batch])
        store.load([{"name": "made"}])  # a new id from the store itself
        cursor = None if start is None else f"{start:024x}"
        every = sorted(store.templates, reverse=True)
        want = [i for i in every if cursor is None or i < cursor or (inclusive and i == cursor)]
        assert list(store.before(cursor, inclusive)) == want
