"""Each comparison rule and the write rule, with literal data."""

from __future__ import annotations

from typing import Any

from hmsync.model import ABSENT, Action, Change
from hmsync.plan.diff import diff_template, make_plan
from hmsync.plan.normalize import (
    SENSITIVE,
    WRITE_ONLY,
    complete_role,
    complete_settings,
    credentials_readable,
    patched,
)
from hmsync.write.template_run import role_body as _role_body

SALT = "00" * 16


def role_changes(live_role: dict, file_role: dict) -> list[Change]:
    actions = diff_template(
        {"name": "t", "roles": {"r": file_role}}, {"name": "t", "roles": {"r": live_role}}, SALT
    )
    return [c for a in actions for c in a.changes]


def test_a_created_role_is_complete_with_documented_defaults() -> None:
    assert complete_role({}) == {
        "publishParams": {
            "audio": {"bitRate": 32, "codec": "opus"},
            "video": {"bitRate": 256, "codec": "vp8", "frameRate": 25, "height": 180, "width": 320},
            "screen": {
                "bitRate": 1024,
                "codec": "vp8",
                "frameRate": 10,
                "height": 720,
                "width": 1280,
            },
        },
        "subscribeParams": {},  # subscribeDegradation only where the file has it
        "permissions": {
            "endRoom": False,
            "removeOthers": False,
            "mute": False,
            "unmute": False,
            "changeRole": False,
        },
    }
    assert complete_role({"renamedFrom": "x", "subscribeParams": {"subscribeDegradation": {}}})[
        "subscribeParams"
    ] == {
        "subscribeDegradation": {
            "packetLossThreshold": 50,
            "degradeGracePeriodSeconds": 1,
            "recoverGracePeriodSeconds": 4,
        }
    }


def test_a_field_left_out_is_managed_at_its_documented_default_where_live_has_it() -> None:
    # The seed's server default (250 kbps) is not the documented default (256): a change.
    live = {"publishParams": {"video": {"bitRate": 250}}}
    assert role_changes(live, {}) == [Change("publishParams.video.bitRate", 250, 256)]


def test_a_field_neither_side_has_is_left_alone() -> None:
    # The seed's own answers hold `permissions: {}` and a screen without bitRate.
    live = {"permissions": {}, "publishParams": {"screen": {"frameRate": 10}}}
    assert role_changes(live, {}) == []
    assert role_changes({}, {}) == []


def test_a_field_the_file_sets_and_live_lacks_is_a_change_from_not_set() -> None:
    # A flag is the exception: answers may leave out false values (Go's omitempty).
    assert role_changes({"permissions": {}}, {"permissions": {"mute": True}}) == [
        Change("permissions.mute", False, True)
    ]
    assert role_changes({"permissions": {}}, {"permissions": {"mute": False}}) == []
    assert role_changes({"publishParams": {"video": {}}}, {"priority": 2}) == [
        Change("priority", ABSENT, 2)
    ]


def test_fields_without_a_default_are_compared_only_when_the_file_sets_them() -> None:
    live = {
        "priority": 3,
        "publishParams": {"allowed": ["audio"]},
        "subscribeParams": {"subscribeToRoles": ["guest"], "maxSubsBitRate": 3200},
    }
    assert role_changes(live, {}) == []
    assert role_changes(live, {"priority": 2, "subscribeParams": {"maxSubsBitRate": 3200}}) == [
        Change("priority", 3, 2)
    ]


def test_sets_compare_regardless_of_order_and_change_as_a_whole() -> None:
    live = {
        "publishParams": {"allowed": ["video", "screen", "audio"]},
        "subscribeParams": {"subscribeToRoles": ["b", "a"]},
    }
    same = {
        "publishParams": {"allowed": ["audio", "video", "screen"]},
        "subscribeParams": {"subscribeToRoles": ["a", "b"]},
    }
    assert role_changes(live, same) == []
    assert role_changes(live, {"publishParams": {"allowed": ["audio"]}}) == [
        Change("publishParams.allowed", ["audio", "screen", "video"], ["audio"])
    ]


def test_server_generated_and_unknown_fields_take_no_part() -> None:
    live = {"name": "r", "maxPeerCount": 5, "publishParams": {"video": {"simulcast": True}}}
    assert role_changes(live, {}) == []
    actions = diff_template(
        {"name": "t"},
        {
            "_id": "a" * 24,
            "customer": "c",
            "id": "x",
            "createdAt": "now",
            "appId": "y",
            "name": "t",
            "roles": {},
            "settings": {},
        },
        SALT,
    )
    assert actions == []


def test_subscribe_degradation_is_compared_only_when_the_file_has_it() -> None:
    # Present (even {}) it enables screen simulcast: its presence is itself a setting.
    assert role_changes({"subscribeParams": {"subscribeDegradation": {}}}, {}) == []
    assert role_changes({"subscribeParams": {}}, {}) == []
    assert role_changes(
        {"subscribeParams": {}}, {"subscribeParams": {"subscribeDegradation": {}}}
    ) == [Change("subscribeParams.subscribeDegradation", ABSENT, {})]
    full = {
        "subscribeParams": {
            "subscribeDegradation": {
                "packetLossThreshold": 50,
                "degradeGracePeriodSeconds": 1,
                "recoverGracePeriodSeconds": 4,
            }
        }
    }
    assert (
        role_changes(
            full, {"subscribeParams": {"subscribeDegradation": {"packetLossThreshold": 50}}}
        )
        == []
    )
    assert role_changes(full, {"subscribeParams": {"subscribeDegradation": {}}}) == []
    assert role_changes(
        {"subscribeParams": {"subscribeDegradation": {}}},
        {"subscribeParams": {"subscribeDegradation": {"recoverGracePeriodSeconds": 9}}},
    ) == [Change("subscribeParams.subscribeDegradation.recoverGracePeriodSeconds", ABSENT, 9)]


def test_a_priority_change_writes_no_subscribe_degradation_the_plan_does_not_show() -> None:
    # Screen simulcast off live, the file silent on it, priority changed.
    live = {"name": "r", "priority": 1, "subscribeParams": {"subscribeToRoles": ["r"]}}
    [action] = diff_template(
        {"name": "t", "roles": {"r": {"priority": 2}}}, {"name": "t", "roles": {"r": live}}, SALT
    )
    assert action.changes == (Change("priority", 1, 2),)
    assert _role_body(live, action) == {
        "priority": 2,
        "subscribeParams": {"subscribeToRoles": ["r"]},
    }


def test_permissions_default_to_false() -> None:
    # Absent reads as false (answers may leave false values out): nothing to write.
    assert role_changes({"permissions": {}}, {"permissions": {"mute": False}}) == []
    assert role_changes({"permissions": {"mute": True}}, {}) == [
        Change("permissions.mute", True, False)
    ]


def test_settings_defaults_and_optional_region() -> None:
    assert complete_settings({}) == {"recording": {"enabled": False}}
    upload = {"type": "s3", "location": "b", "prefix": "p/"}
    assert complete_settings({"region": "in", "recording": {"upload": upload}}) == {
        "region": "in",
        "recording": {"enabled": False, "upload": {**upload, "options": {"region": "ap-south-1"}}},
    }
    live = {"name": "t", "roles": {}, "settings": {"region": "eu", "recording": {"enabled": False}}}
    assert diff_template({"name": "t"}, live, SALT) == []


def test_an_upload_the_file_leaves_out_is_removed() -> None:
    upload = {"type": "s3", "location": "b", "prefix": "p/"}
    live = {
        "name": "t",
        "roles": {},
        "settings": {"recording": {"enabled": True, "upload": upload}},
    }
    [action] = diff_template(
        {"name": "t", "settings": {"recording": {"enabled": True}}}, live, SALT
    )
    assert action.changes == (Change("recording.upload", upload, ABSENT),)


def _with_credentials(credentials: Any, **recording: Any) -> dict:
    upload: dict[str, Any] = {"type": "s3", "location": "b", "prefix": "p"}
    if credentials is not ABSENT:
        upload["credentials"] = credentials
    return {
        "name": "t",
        "roles": {},
        "settings": {"recording": {"enabled": True, "upload": upload, **recording}},
    }


def test_secrets_compare_by_keyed_hash_and_no_change_holds_one() -> None:
    def template(secret: str) -> dict:
        return _with_credentials({"key": "AKIA", "secret": secret})

    assert diff_template(template("same"), template("same"), SALT) == []
    [action] = diff_template(template("new-value"), template("old-value"), SALT)
    [change] = action.changes
    assert change == Change("recording.upload.credentials.secret", SENSITIVE, SENSITIVE, True)
    assert "hmac" not in repr(action)


def test_a_new_upload_shows_its_fields_and_hides_only_the_credentials() -> None:
    desired = _with_credentials({"key": "AKIA-CLEAR", "secret": "s3cr3t"})
    [action] = diff_template(desired, {"name": "t", "roles": {}, "settings": {}}, SALT)
    assert action.changes == (
        Change(
            "recording",
            ABSENT,
            {
                "enabled": True,
                "upload": {
                    "type": "s3",
                    "location": "b",
                    "prefix": "p",
                    "credentials": {"key": SENSITIVE, "secret": SENSITIVE},
                },
            },
            True,
        ),
    )
    assert "AKIA-CLEAR" not in repr(action) and "hmac" not in repr(action)


def test_credentials_are_readable_only_in_clear() -> None:
    assert credentials_readable({"key": "AKIA1", "secret": "abc"})
    for masked in ("****", "AKIA****1234", "", None, 5):
        assert not credentials_readable({"key": "AKIA1", "secret": masked})
    assert not credentials_readable(None)
    assert not credentials_readable({"key": "AKIA1"})


def test_credentials_reads_do_not_tell_are_write_only() -> None:
    desired = _with_credentials({"key": "K", "secret": "S"})
    for live_credentials in ({"key": "****", "secret": "****"}, ABSENT):
        live = _with_credentials(live_credentials)
        plan = make_plan([("t.yaml", desired)], [{**live, "_id": "1"}], SALT)
        assert plan.actions == [] and plan.templates[0].write_only
        rotated = make_plan(
            [("t.yaml", desired)], [{**live, "_id": "1"}], SALT, write_credentials=True
        )
        [action] = rotated.actions
        assert action.changes == (
            Change("recording.upload.credentials.key", WRITE_ONLY, SENSITIVE, True),
            Change("recording.upload.credentials.secret", WRITE_ONLY, SENSITIVE, True),
        )
        assert not rotated.templates[0].write_only


def test_a_whole_template_write_shows_that_it_writes_write_only_credentials() -> None:
    desired = {**_with_credentials({"key": "K", "secret": "S"}), "default": True}
    live = _with_credentials({"key": "****", "secret": "****"})
    [action] = diff_template(desired, live, SALT)
    assert action == Action(
        "set_default",
        "t",
        changes=(
            Change("default", False, True),
            Change("settings.recording.upload.credentials", WRITE_ONLY, SENSITIVE, True),
        ),
    )


def test_patched_changes_only_what_the_changes_name() -> None:
    live = {
        "name": "r",
        "priority": 4,
        "maxPeerCount": 9,
        "publishParams": {"allowed": ["audio"], "video": {"simulcast": {"layers": 3}}},
        "subscribeParams": {"maxSubsBitRate": 100},
    }
    changes = (
        Change("publishParams.video", {}, {"bitRate": 500}),
        Change("priority", 4, ABSENT),
        Change("permissions", ABSENT, {"mute": True}),
    )
    assert patched(live, changes) == {
        "name": "r",
        "maxPeerCount": 9,
        "publishParams": {
            "allowed": ["audio"],
            "video": {"simulcast": {"layers": 3}, "bitRate": 500},
        },
        "subscribeParams": {"maxSubsBitRate": 100},
        "permissions": {"mute": True},
    }
    assert live["priority"] == 4  # the live object is not edited
    assert patched(
        {"region": "in", "x": 1}, (Change("settings.region", "in", "us"),), "settings."
    ) == {
        "region": "us",
        "x": 1,
    }
