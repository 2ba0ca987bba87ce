"""The emulator's v2 API: the v2 pages' own examples replayed, their rules, the readings where
they leave room, and v1 and v2 clients sharing one store."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hmsync.emulator import Emulator

from .golden_v2 import GOLDEN, SEEDS, extract
from .helpers import auth, emulator_process, mint

DATA = json.loads(GOLDEN.read_text(encoding="utf-8"))
EXAMPLES: dict[str, list[dict[str, Any]]] = DATA["examples"]
IDENTITY = ("id", "customerId", "_id", "customer", "createdAt", "updatedAt")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def v2(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base("v2"), headers=auth(), timeout=10) as client:
        yield client


@pytest.fixture
def v1(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base("v1"), headers=auth(), timeout=10) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def same_template(answer: dict[str, Any], example: dict[str, Any]) -> None:
    """answer is example, field for field; ids and times are the server's own, in form."""
    assert {k: v for k, v in answer.items() if k not in IDENTITY} == {
        k: v for k, v in example.items() if k not in IDENTITY
    }
    assert set(answer) == set(example)
    assert answer["id"] == answer["_id"] and OBJECT_ID.match(answer["id"])
    assert answer["customerId"] == answer["customer"] and OBJECT_ID.match(answer["customerId"])
    assert TIMESTAMP.match(answer["createdAt"]) and TIMESTAMP.match(answer["updatedAt"])


def body_of(template: dict[str, Any]) -> dict[str, Any]:
    """What a client writes back of a template it read."""
    keys = ("name", "roles", "settings", "destinations", "plugins")
    return {k: v for k, v in template.items() if k in keys}


def template_id(v2: httpx.Client, body: dict[str, Any]) -> str:
    created: str = ok(v2.post("/templates", json=body))["id"]
    return created


HOST = {"host": {"name": "host"}}


# -- the golden data is the pages ------------------------------------------------------------


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds-v2 is not beside this clone")
def test_the_golden_file_is_what_the_pages_give() -> None:
    assert extract() == DATA, "run `python -m tests.golden_v2` after the pages change"


def test_every_fix_is_listed_in_the_header() -> None:
    assert len(DATA["fixes"]) == 17
    assert DATA["fixes"][1] == "create-template-via-api (request): a missing comma before plugins"


# -- golden: each page's example, replayed ----------------------------------------------------


def test_golden_create_template(v2: httpx.Client) -> None:
    [example] = EXAMPLES["create-template-via-api"]
    answer = ok(v2.post("/templates", json=example["request"]))
    same_template(answer, example["answer"])
    # The three permissions that default to true are filled; the others are not.
    assert "endRoom" not in answer["roles"]["guest"]["permissions"]
    assert answer["roles"]["guest"]["permissions"]["rtmpStreaming"] is True
    # Create is an upsert by name: the same id, the template made anew.
    again = ok(v2.post("/templates", json={"name": example["request"]["name"]}))
    assert again["id"] == answer["id"] and again["roles"] == {}


def test_golden_retrieve_and_list_templates(v2: httpx.Client) -> None:
    [retrieve] = EXAMPLES["retrieve-a-template"]
    created = template_id(v2, body_of(retrieve["answer"]))
    same_template(ok(v2.get(f"/templates/{created}")), retrieve["answer"])

    [listing] = EXAMPLES["list-templates"]
    expected = listing["answer"]["data"]
    for template in reversed(expected):  # the list runs by decreasing id
        template_id(v2, body_of(template))
    page = ok(v2.get("/templates"))
    assert page["limit"] == 10
    assert [t["name"] for t in page["data"]] == [
        expected[0]["name"],
        expected[1]["name"],
        retrieve["answer"]["name"],
    ]
    for answer, example in zip(page["data"], expected, strict=False):
        same_template(answer, example)
    assert page["last"] == page["data"][-1]["id"]


def test_golden_update_template(v2: httpx.Client) -> None:
    [example] = EXAMPLES["update-a-template"]
    created = template_id(v2, {"name": "before", "roles": {"old": {}}})
    answer = ok(v2.post(f"/templates/{created}", json=example["request"]))
    assert answer["id"] == created
    same_template(answer, example["answer"])
    assert answer["createdAt"] == answer["updatedAt"] == "0001-01-01T00:00:00Z"
    assert "old" not in ok(v2.get(f"/templates/{created}"))["roles"]


def test_golden_roles(v2: httpx.Client) -> None:
    created = template_id(v2, {"name": "t"})
    [upsert] = EXAMPLES["create-update-role"]
    answer = ok(v2.post(f"/templates/{created}/roles/testurlpath", json=upsert["request"]))
    assert answer == upsert["answer"]
    [retrieve] = EXAMPLES["retrieve-a-role"]
    name = retrieve["answer"]["name"]
    ok(v2.post(f"/templates/{created}/roles/{name}", json=retrieve["answer"]))
    assert ok(v2.get(f"/templates/{created}/roles/{name}")) == retrieve["answer"]
    [delete] = EXAMPLES["delete-a-role"]
    assert v2.delete(f"/templates/{created}/roles/{name}").status_code == delete["status"]
    # "Subsequent requests for deleting role which does not exist gives 404."
    gone = v2.delete(f"/templates/{created}/roles/{name}")
    assert (gone.status_code, gone.json()["code"]) == (404, 404)


def test_golden_settings(v2: httpx.Client) -> None:
    created = template_id(v2, {"name": "t"})
    [retrieve] = EXAMPLES["retrieve-settings"]
    assert ok(v2.get(f"/templates/{created}/settings")) == retrieve["answer"]
    [update] = EXAMPLES["update-settings"]
    answer = ok(v2.post(f"/templates/{created}/settings", json=update["request"]))
    assert answer == update["answer"]
    # The same credentials, in a template answer, say secretKey (the create example).
    upload = ok(v2.get(f"/templates/{created}"))["settings"]["recording"]["upload"]
    assert upload["credentials"] == update["request"]["recording"]["upload"]["credentials"]


def test_golden_destinations(v2: httpx.Client) -> None:
    created = template_id(v2, {"name": "t", "roles": HOST})
    [update] = EXAMPLES["update-destinations"]
    assert (
        ok(v2.post(f"/templates/{created}/destinations", json=update["request"]))
        == (update["answer"])
    )
    assert ok(v2.get(f"/templates/{created}/destinations")) == update["answer"]


def test_golden_recordings(v2: httpx.Client) -> None:
    created = template_id(v2, {"name": "t", "roles": HOST})
    configure, retrieve = EXAMPLES["configure-recordings"]
    # The answer leaves out every `false`, as the page shows.
    assert (
        ok(v2.post(f"/templates/{created}/recordings", json=configure["request"]))
        == (configure["answer"])
    )
    assert ok(v2.get(f"/templates/{created}/recordings")) == configure["answer"]
    ok(v2.post(f"/templates/{created}/recordings", json=retrieve["answer"]))
    assert ok(v2.get(f"/templates/{created}/recordings")) == retrieve["answer"]


def test_golden_error_shape(emu: Emulator) -> None:
    # make-api-calls: {"code": 401, "message": "Token validation error", "details": ["not found"]}
    token = mint(access_key="an-app-this-account-does-not-have")
    answer = httpx.get(emu.base("v2") + "/templates", headers=auth(token), timeout=10)
    assert answer.status_code == 401
    assert answer.json() == {
        "code": 401,
        "message": "Token validation error",
        "details": ["not found"],
    }


# -- the documented rules ---------------------------------------------------------------------

LAYERS = [
    {"rid": "f", "scaleResolutionDownBy": 1, "maxBitrate": 700, "maxFramerate": 25},
    {"rid": "h", "scaleResolutionDownBy": 2, "maxBitrate": 350, "maxFramerate": 25},
]


def role_with_layers(layers: list[Any]) -> dict[str, Any]:
    return {"publishParams": {"simulcast": {"video": {"layers": layers}, "screen": {}}}}


@pytest.mark.parametrize(
    ("layers", "detail"),
    [
        (
            [LAYERS[1], LAYERS[0]],
            "body.publishParams.simulcast.video.layers[0]: the first layer must be rid f with "
            "scaleResolutionDownBy 1",
        ),
        (
            [LAYERS[0], {**LAYERS[1], "rid": "f"}],
            "body.publishParams.simulcast.video.layers[1].rid: must come after f in the order f, h, q",
        ),
        (
            [LAYERS[0], {**LAYERS[1], "scaleResolutionDownBy": 1}],
            "body.publishParams.simulcast.video.layers[1].scaleResolutionDownBy: must be greater "
            "than the previous layer's",
        ),
        (
            [*LAYERS, LAYERS[1], LAYERS[1]],
            "body.publishParams.simulcast.video.layers: at most 3 layers",
        ),
        (
            [{"rid": "f", "scaleResolutionDownBy": 1}],
            "body.publishParams.simulcast.video.layers[0].maxFramerate: is required",
        ),
        (
            [{**LAYERS[0], "rid": "x"}],
            "body.publishParams.simulcast.video.layers[0].rid: must be f, h or q",
        ),
    ],
)
def test_simulcast_layer_rules(v2: httpx.Client, layers: list[Any], detail: str) -> None:
    created = template_id(v2, {"name": "t"})
    answer = v2.post(f"/templates/{created}/roles/r", json=role_with_layers(layers))
    assert answer.status_code == 400
    assert detail in " | ".join(answer.json()["details"]).replace("Invalid body param: ", "")


def test_good_simulcast_layers_and_an_empty_screen_object_are_taken(v2: httpx.Client) -> None:
    created = template_id(v2, {"name": "t"})
    ok(v2.post(f"/templates/{created}/roles/r", json=role_with_layers(LAYERS)))


def problems(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 400, answer.text
    return [d.removeprefix("Invalid body param: ") for d in answer.json()["details"]]


def test_settings_rules(v2: httpx.Client, emu: Emulator) -> None:
    emu.set_readings(out_of_range="refuse")
    created = template_id(v2, {"name": "t"})
    bad = {
        "region": "in",
        "recording": {"upload": {"type": "ftp", "location": "b", "prefix": "p"}},
        "roomState": {"messageInterval": 7},
    }
    assert problems(v2.post(f"/templates/{created}/settings", json=bad)) == [
        "settings.recording.upload.type: must be one of s3, gs, oss, azure",
        "settings.roomState.messageInterval: must be a multiple of 5",
    ]
    for kind in ("s3", "gs", "oss", "azure"):
        good = {"recording": {"upload": {"type": kind, "location": "b", "prefix": "p"}}}
        ok(v2.post(f"/templates/{created}/settings", json=good))


def test_destination_rules(v2: httpx.Client, emu: Emulator) -> None:
    emu.set_readings(out_of_range="refuse")
    created = template_id(v2, {"name": "t", "roles": HOST})
    hls = {
        "name": "h",
        "layers": [{"width": 1281, "height": 720}, {"width": 100, "height": 2000}],
        "numPlaylistSegments": 2,
        "recording": {"enableZipUpload": True},
    }
    transcription = {
        "name": "t",
        "role": "host",
        "modes": ["recorded"],
        "summary": {"context": "x" * 301, "temperature": 2, "sections": [{"title": "A"}] * 7},
        "translation": {"enabled": True, "roleLanguages": {"host": "es"}},
    }
    body = {
        "rtmpDestinations": {"r": {"name": "r", "rtmpUrls": ["a", "b", "c", "d"]}},
        "hlsDestinations": {"h": hls},
        "transcriptions": {"t": transcription},
    }
    assert problems(v2.post(f"/templates/{created}/destinations", json=body)) == [
        "body.rtmpDestinations.r.rtmpUrls: at most 3 URLs",
        "body.hlsDestinations.h.numPlaylistSegments: must be between 3 and 150, got 2",
        "body.hlsDestinations.h.layers[0].width: must be an even number",
        "body.hlsDestinations.h.layers[1]: the smaller of width and height must be between 144 "
        "and 1080, got 100",
        "body.hlsDestinations.h.layers[1]: the larger of width and height must be between 192 "
        "and 1920, got 2000",
        "body.hlsDestinations.h.recording.enableZipUpload: needs your own storage "
        "(settings.recording.upload)",
        "body.transcriptions.t.summary.context: must be at most 300 characters, got 301",
        "body.transcriptions.t.summary.temperature: must be between 0.1 and 1.0, got 2",
        "body.transcriptions.t.summary.sections: at most 6 sections, got 7",
        *[f"body.transcriptions.t.summary.sections[{i}].format: is required" for i in range(7)],
        "body.transcriptions.t.translation: is supported only in caption mode",
    ]


def test_recording_and_plugin_rules(v2: httpx.Client, emu: Emulator) -> None:
    emu.set_readings(out_of_range="refuse")
    created = template_id(v2, {"name": "t", "roles": HOST})
    two = [{"name": "a", "role": "host"}, {"name": "b", "role": "host"}]
    assert problems(v2.post(f"/templates/{created}/recordings", json=two)) == [
        "body: only one recording configuration is allowed for now"
    ]
    assert problems(
        v2.post(f"/templates/{created}/recordings", json=[{"name": "a", "role": "x"}])
    ) == ["[0].role: x is not a role of this template"]
    plugins = {"whiteboard": {"permissions": {"admin": "host"}}, "transcriptions": {"mode": "live"}}
    assert problems(v2.post("/templates", json={"name": "p", "plugins": plugins})) == [
        "plugins.whiteboard.permissions.admin: must be an array of strings",
        "plugins.transcriptions.mode: must be one of caption",
    ]


def test_role_rules_of_v2(v2: httpx.Client, emu: Emulator) -> None:
    emu.set_readings(out_of_range="refuse")
    created = template_id(v2, {"name": "t"})
    role = {"priority": 6, "maxPeerCount": -2, "permissions": {"pollRead": "yes"}}
    assert problems(v2.post(f"/templates/{created}/roles/r", json=role)) == [
        "body.priority: must be between 1 and 5, got 6",
        "body.permissions.pollRead: must be a boolean",
        "body.maxPeerCount: must be at least -1, got -2",
    ]


def test_update_template_needs_roles_and_settings_and_a_free_name(v2: httpx.Client) -> None:
    first = template_id(v2, {"name": "first"})
    template_id(v2, {"name": "second"})
    assert problems(v2.post(f"/templates/{first}", json={"name": "x"})) == [
        "roles: is required",
        "settings: is required",
    ]
    taken = v2.post(f"/templates/{first}", json={"name": "second", "roles": {}, "settings": {}})
    assert taken.status_code == 400
    assert taken.json()["message"] == "overwrite error"


def test_listing_pages_and_limits(v2: httpx.Client, emu: Emulator) -> None:
    for i in range(25):
        template_id(v2, {"name": f"t{i:02}"})
    for limit in (9, 101, "x"):
        answer = v2.get("/templates", params={"limit": limit})
        assert answer.status_code == 400
    names: list[str] = []
    start: str | None = None
    while True:
        page = ok(v2.get("/templates", params={"limit": 10, **({"start": start} if start else {})}))
        names += [t["name"] for t in page["data"]]
        if len(page["data"]) < 10 or not page["last"]:
            break
        start = page["last"]
    assert names == [f"t{i:02}" for i in reversed(range(25))]
    # No list filters in v2: a v1 filter is ignored, not obeyed.
    assert len(ok(v2.get("/templates", params={"name": "t03", "limit": 100}))["data"]) == 25


# -- readings ---------------------------------------------------------------------------------


def test_readings_of_the_v2_answers(v2: httpx.Client, emu: Emulator) -> None:
    [example] = EXAMPLES["create-template-via-api"]
    created = ok(v2.post("/templates", json=example["request"]))["id"]
    emu.set_readings(
        secret_name="secret", legacy_ids="omitted", drop_false="recordings-and-destinations"
    )
    answer = ok(v2.get(f"/templates/{created}"))
    assert {"_id", "customer"} & set(answer) == set()
    assert set(answer["settings"]["recording"]["upload"]["credentials"]) == {"key", "secret"}
    hls = answer["destinations"]["hlsDestinations"]["<destination name>"]
    assert "enableZipUpload" not in hls["recording"]
    assert answer["roles"]["host"]["permissions"]["sendRoomState"] is False  # roles keep false
    emu.set_readings(secret_name="secretKey", credentials="masked", drop_false="nowhere")
    settings = ok(v2.get(f"/templates/{created}/settings"))
    assert settings["recording"]["upload"]["credentials"] == {"key": "****", "secretKey": "****"}
    ok(
        v2.post(
            f"/templates/{created}/recordings",
            json=[{"name": "r", "role": "host", "trackRecording": {"enabled": False}}],
        )
    )
    assert ok(v2.get(f"/templates/{created}/recordings"))[0]["trackRecording"] == {"enabled": False}


def test_readings_of_hls_role_and_update_omitted(v2: httpx.Client, emu: Emulator) -> None:
    emu.set_readings(hls_role="internal-recorder")
    destinations = {"hlsDestinations": {"h": {"name": "h"}}}
    created = template_id(v2, {"name": "t", "destinations": destinations, "plugins": {}})
    stored = ok(v2.get(f"/templates/{created}/destinations"))
    assert stored["hlsDestinations"]["h"]["role"] == "__internal_recorder"
    recorder = ok(v2.get(f"/templates/{created}/roles/__internal_recorder"))
    assert recorder["permissions"]["hlsStreaming"] is True
    ok(v2.post(f"/templates/{created}", json={"roles": {}, "settings": {}}))
    kept = ok(v2.get(f"/templates/{created}"))
    assert (kept["destinations"] == stored, kept["plugins"]) == (True, {})
    emu.set_readings(update_omitted="clear")
    ok(v2.post(f"/templates/{created}", json={"roles": {}, "settings": {}}))
    cleared = ok(v2.get(f"/templates/{created}"))
    assert (cleared["destinations"], "plugins" in cleared) == ({}, False)


# -- one store, two APIs ----------------------------------------------------------------------


def test_a_v2_write_as_v1_reads_it(v1: httpx.Client, v2: httpx.Client) -> None:
    [example] = EXAMPLES["create-template-via-api"]
    created = ok(v2.post("/templates", json=example["request"]))
    [listed] = ok(v1.get("/templates", params={"id": created["id"]}))["data"]
    assert (listed["_id"], listed["customer"]) == (created["id"], created["customerId"])
    # v1 knows nothing of destinations, recordings, plugins or the times.
    assert set(listed) == {"_id", "name", "customer", "roles", "settings"}
    # The secret is v1's `secret`; the role's v2 fields are there as stored.
    upload = listed["settings"]["recording"]["upload"]
    assert upload["credentials"] == {
        "key": "<access key ID for accessing the storage bucket>",
        "secret": "<secret access key for accessing the storage bucket>",
    }
    assert listed["roles"]["host"]["maxPeerCount"] == 0


def test_a_v1_write_as_v2_reads_it(v1: httpx.Client, v2: httpx.Client) -> None:
    created = ok(
        v1.post("/templates", json={"name": "from-v1", "default": True, "roles": {"a": {}}})
    )
    answer = ok(v2.get(f"/templates/{created['_id']}"))
    assert answer["id"] == created["_id"]
    assert "default" not in answer  # gone from v2's documentation
    # What v2's server fills in a settings answer, for a template v1 gave none.
    assert answer["settings"] == {
        "recording": None,
        "roomState": {
            "messageInterval": 5,
            "sendPeerList": False,
            "stopRoomStateOnJoin": True,
            "enabled": False,
        },
        "retry": {},
    }
    assert answer["destinations"] == {}


def test_v1_writes_keep_what_only_v2_holds(v1: httpx.Client, v2: httpx.Client) -> None:
    destinations = {"rtmpDestinations": {"yt": {"name": "yt", "rtmpUrls": ["rtmp://a"]}}}
    plugins = {"whiteboard": {"permissions": {"admin": ["host"]}}}
    created = template_id(
        v2, {"name": "t", "roles": HOST, "destinations": destinations, "plugins": plugins}
    )
    ok(v2.post(f"/templates/{created}/recordings", json=[{"name": "r", "role": "host"}]))
    ok(
        v1.post(
            "/templates",
            params={"id": created},
            json={"roles": {"host": {}}, "settings": {"region": "eu"}},
        )
    )
    ok(
        v1.post("/templates", json={"name": "t", "roles": {"host": {}}})
    )  # create: overwrite by name
    ok(v1.post(f"/templates/{created}/roles/guest", json={}))
    answer = ok(v2.get(f"/templates/{created}"))
    assert (answer["destinations"], answer["plugins"]) == (destinations, plugins)
    assert ok(v2.get(f"/templates/{created}/recordings")) == [{"name": "r", "role": "host"}]
    # A role v2 deletes is gone for v1, and the other way round.
    assert v2.delete(f"/templates/{created}/roles/guest").status_code == 204
    assert v1.get(f"/templates/{created}/roles/guest").status_code == 404
    assert v1.delete(f"/templates/{created}/roles/host").status_code == 204
    assert v2.get(f"/templates/{created}/roles/host").status_code == 404


def test_the_v2_routes_refuse_what_they_do_not_have(v2: httpx.Client) -> None:
    created = template_id(v2, {"name": "t"})
    assert v2.delete(f"/templates/{created}").status_code == 405  # no delete-template call
    assert v2.get(f"/templates/{created}/plugins").status_code == 404
    assert v2.get("/templates/ffffffffffffffffffffffff").status_code == 404


def test_v2_state_survives_a_restart(tmp_path: Any) -> None:
    state = tmp_path / "state.json"
    [example] = EXAMPLES["create-template-via-api"]
    with Emulator(state_file=state) as first:
        client = httpx.Client(base_url=first.base("v2"), headers=auth(), timeout=10)
        created = ok(client.post("/templates", json=example["request"]))
        ok(
            client.post(
                f"/templates/{created['id']}/recordings", json=[{"name": "r", "role": "host"}]
            )
        )
        before = ok(client.get(f"/templates/{created['id']}"))
    with Emulator(state_file=state) as second:
        client = httpx.Client(base_url=second.base("v2"), headers=auth(), timeout=10)
        assert ok(client.get(f"/templates/{created['id']}")) == before
        assert ok(client.get(f"/templates/{created['id']}/recordings")) == [
            {"name": "r", "role": "host"}
        ]


def test_the_command_serves_v2_and_says_where(tmp_path: Any) -> None:
    with emulator_process("--api", "v2", "--state", str(tmp_path / "s.json")) as proc:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
        base = lines[0].rsplit(" ", 1)[1].strip()
        url = base.removesuffix("/v2")
        assert lines[0] == f"hmsync emulator: 100ms v2 API on {url}/v2\n"
        assert lines[1] == f"  export HMS_API_BASE={url}/v2\n"
        assert lines[5] == f"  the v1 API too, over the same templates: {url}/policy/v1\n"
        answer = httpx.post(base + "/templates", json={"name": "cli"}, headers=auth(), timeout=10)
        assert answer.status_code == 200
    saved = json.loads((tmp_path / "s.json").read_text())
    [times] = saved["times"].values()  # the times v2 answers show survive a restart
    assert set(times) == {"createdAt", "updatedAt"}
