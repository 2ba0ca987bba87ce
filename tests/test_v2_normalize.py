"""The v2 canonical form, from the v2 pages' own examples: what the server fills or drops, the
two names of the secret, write-only credentials and the server's own HLS destination are never
a difference; and differences people can read."""

from __future__ import annotations

import copy
import json
from typing import Any

from hmsync.backends.v2 import V2Client
from hmsync.model import Change
from hmsync.plan.diff import diff_template, make_plan
from hmsync.plan.normalize import file_form
from hmsync.render import plan_text
from hmsync.render.export import template_file
from hmsync.render.plan import change_line

from .golden_v2 import GOLDEN

EXAMPLES = json.loads(GOLDEN.read_text(encoding="utf-8"))["examples"]
SALT = "77" * 16
internal = V2Client.internal  # a pure mapping: it needs no connection


def as_file(request: dict[str, Any]) -> dict[str, Any]:
    """A request body as an hmsync file says it: the secret is `secret` in every file."""
    data = copy.deepcopy(request)
    upload = data.get("settings", {}).get("recording", {}).get("upload", {})
    if "credentials" in upload:
        upload["credentials"]["secret"] = upload["credentials"].pop("secretKey")
    return data


def test_the_create_example_answer_matches_its_request() -> None:
    # The answer adds rtmpStreaming/hlsStreaming/browserRecording (true by default),
    # `retry: {}`, `createdAt`/`updatedAt`, the deprecated ids; its secret is `secretKey`.
    [example] = EXAMPLES["create-template-via-api"]
    live = internal(None, example["answer"])  # type: ignore[arg-type]
    assert diff_template(as_file(example["request"]), live, SALT, api="v2") == []


def test_the_update_settings_answer_says_secret_and_still_matches() -> None:
    [example] = EXAMPLES["update-settings"]
    live = internal(None, {"id": "x", "name": "t", "settings": example["answer"]})  # type: ignore[arg-type]
    desired = {"name": "t", **as_file({"settings": example["request"]})}
    assert diff_template(desired, live, SALT, api="v2") == []


def test_recordings_answers_that_drop_false_match_the_request() -> None:
    configure, _ = EXAMPLES["configure-recordings"]
    desired = {"name": "t", "recordings": configure["request"]}
    live = {"_id": "x", "name": "t", "recordings": configure["answer"]}
    assert diff_template(desired, live, SALT, api="v2") == []
    # A true the answer would keep is a difference, item by item.
    desired["recordings"] = copy.deepcopy(configure["request"])
    desired["recordings"][0]["trackRecording"]["enabled"] = True
    [action] = diff_template(desired, live, SALT, api="v2")
    assert action.kind == "update_recordings"
    assert action.changes == (Change("recordings[0].trackRecording.enabled", False, True),)


def test_the_server_made_hls_destination_is_left_alone() -> None:
    [example] = EXAMPLES["retrieve-a-template"]
    live = internal(None, example["answer"])  # type: ignore[arg-type]
    desired = {"name": live["name"], "destinations": {}}
    actions = diff_template(desired, live, SALT, api="v2")
    assert [a for a in actions if a.kind == "update_destinations"] == []
    # ... and export leaves it out.
    assert file_form(live, "v2.template")["destinations"] == {"hlsDestinations": {}}


def test_masked_credentials_are_write_only_on_v2() -> None:
    [example] = EXAMPLES["update-settings"]
    answer = copy.deepcopy(example["answer"])
    answer["recording"]["upload"]["credentials"] = {"key": "****", "secretKey": "****"}
    live = internal(None, {"id": "x", "name": "t", "settings": answer})  # type: ignore[arg-type]
    desired = {"name": "t", **as_file({"settings": example["request"]})}
    plan = make_plan([("t.yaml", desired)], [live], SALT, api="v2")
    assert plan.actions == [] and plan.templates[0].write_only


def test_a_role_read_without_its_flags_reads_them_false() -> None:
    # Answers may leave out false values (Go's omitempty: no v2 example shows a false
    # permission), so an absent flag is false, whatever its default; an absent list is empty.
    role = {"name": "r", "permissions": {"mute": True}, "publishParams": {}}
    live = {"_id": "x", "name": "t", "roles": {"r": role}}
    desired = {
        "name": "t",
        "roles": {
            "r": {
                "maxPeerCount": 0,
                "permissions": {
                    "mute": True,
                    "endRoom": False,
                    "rtmpStreaming": False,
                    "hlsStreaming": False,
                    "browserRecording": False,
                },
                "publishParams": {"allowed": []},
            }
        },
    }
    assert diff_template(desired, live, SALT, api="v2") == []
    # A default-true flag the file leaves out is written once, explicitly (a v1-written
    # role read through v2 has none of the three).
    [update] = diff_template(
        {"name": "t", "roles": {"r": {"permissions": {"mute": True}}}}, live, SALT, api="v2"
    )
    assert update.changes == (
        Change("permissions.browserRecording", False, True),
        Change("permissions.hlsStreaming", False, True),
        Change("permissions.rtmpStreaming", False, True),
    )


def test_set_like_lists_show_what_is_added_and_removed() -> None:
    change = Change("subscribeParams.subscribeToRoles", ["host", "speaker"], ["host", "panelist"])
    assert change_line(change) == '~ subscribeParams.subscribeToRoles: +"panelist" -"speaker"'
    modes = Change("transcriptions.captions.modes", ["live"], ["caption", "live"])
    assert change_line(modes) == '~ transcriptions.captions.modes: +"caption"'


def test_ordered_lists_show_the_item_that_changed() -> None:
    layer = {"width": 640, "height": 360}
    grown = Change("hlsDestinations.audience.layers", [layer], [layer, {"width": 320}])
    assert change_line(grown) == '~ hlsDestinations.audience.layers: +[1] {"width": 320}'
    shrunk = Change("rtmpDestinations.yt.rtmpUrls", ["rtmp://a", "rtmp://b"], ["rtmp://b"])
    assert change_line(shrunk) == '~ rtmpDestinations.yt.rtmpUrls: -[0] "rtmp://a"'


def test_same_length_ordered_lists_change_item_by_item_and_names_with_dots_are_quoted() -> None:
    live = {
        "_id": "x",
        "name": "t",
        "destinations": {
            "rtmpDestinations": {"live.eu": {"name": "live.eu", "rtmpUrls": ["a", "b"]}}
        },
    }
    desired = {
        "name": "t",
        "destinations": {
            "rtmpDestinations": {"live.eu": {"name": "live.eu", "rtmpUrls": ["a", "c"]}}
        },
    }
    plan = make_plan([("t.yaml", desired)], [live], SALT, api="v2")
    # An RTMP URL carries its stream key: shown as sensitive, whether or not from a variable.
    assert (
        '~ rtmpDestinations["live.eu"].rtmpUrls[1]: (sensitive value) -> (sensitive value)'
    ) in plan_text(plan)


def test_a_role_the_server_made_for_itself_is_left_alone() -> None:
    # The Retrieve Template example's HLS destination names `__internal_recorder` as its role;
    # a server may keep that role among the template's roles too.
    live = {
        "_id": "x",
        "name": "t",
        "roles": {"host": {"name": "host"}, "__internal_recorder": {"name": "__internal_recorder"}},
    }
    desired = {"name": "t", "roles": {"host": {}}}
    for api in ("v1", "v2"):
        assert diff_template(desired, live, SALT, api=api) == []
    assert list(template_file(live, api="v2")[0]["roles"]) == ["host"]
    # A file that names it manages it like any other.
    [action] = diff_template(
        {"name": "t", "roles": {"host": {}, "__internal_recorder": {"priority": 2}}},
        live,
        SALT,
        api="v2",
    )
    assert (action.kind, action.role) == ("update_role", "__internal_recorder")
