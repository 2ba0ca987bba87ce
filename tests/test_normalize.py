"""Each normalization rule, with literal data."""

from __future__ import annotations

from hmsync.diff import diff_template
from hmsync.model import Change
from hmsync.normalize import complete_role, complete_settings, role_body, settings_body

SALT = "00" * 16


def role_changes(live_role: dict, file_role: dict) -> list[Change]:
    actions = diff_template(
        {"name": "t", "roles": {"r": file_role}}, {"name": "t", "roles": {"r": live_role}}, SALT
    )
    return [c for a in actions for c in a.changes]


def test_documented_defaults_fill_what_the_file_leaves_out() -> None:
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
        "subscribeParams": {"subscribeDegradation": {}},
        "permissions": {
            "endRoom": False,
            "removeOthers": False,
            "mute": False,
            "unmute": False,
            "changeRole": False,
        },
    }


def test_a_field_left_out_is_managed_at_its_documented_default() -> None:
    # The seed's server default (250 kbps) is not the documented default (256): a change.
    live = {"publishParams": {"video": {"bitRate": 250}}}
    assert role_changes(live, {}) == [Change("publishParams.video.bitRate", 250, 256)]


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


def test_subscribe_degradation_absent_and_empty_are_the_same() -> None:
    assert role_changes({"subscribeParams": {"subscribeDegradation": {}}}, {}) == []
    assert (
        role_changes({"subscribeParams": {}}, {"subscribeParams": {"subscribeDegradation": {}}})
        == []
    )
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
    assert role_changes(
        {}, {"subscribeParams": {"subscribeDegradation": {"recoverGracePeriodSeconds": 9}}}
    ) == [
        Change(
            "subscribeParams.subscribeDegradation",
            {},
            {
                "packetLossThreshold": 50,
                "degradeGracePeriodSeconds": 1,
                "recoverGracePeriodSeconds": 9,
            },
        ),
    ]


def test_permissions_default_to_false() -> None:
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


def test_secrets_compare_by_keyed_hash_and_are_marked_sensitive() -> None:
    def template(secret: str) -> dict:
        upload = {
            "type": "s3",
            "location": "b",
            "prefix": "p",
            "credentials": {"key": "AKIA", "secret": secret},
        }
        return {
            "name": "t",
            "roles": {},
            "settings": {"recording": {"enabled": True, "upload": upload}},
        }

    assert diff_template(template("same"), template("same"), SALT) == []
    [action] = diff_template(template("new-value"), template("old-value"), SALT)
    [change] = action.changes
    assert change.path == "recording.upload.credentials.secret" and change.sensitive
    assert "old-value" not in repr(change) and "new-value" not in repr(change)
    assert change.old.startswith("hmac-sha256:") and change.old != change.new


def test_role_body_is_complete_and_carries_live_only_fields_over() -> None:
    live = {
        "name": "r",
        "priority": 4,
        "maxPeerCount": 9,
        "publishParams": {"allowed": ["audio"], "video": {"simulcast": {"layers": 3}}},
        "subscribeParams": {"maxSubsBitRate": 100},
    }
    body = role_body({"publishParams": {"video": {"bitRate": 500}}}, live)
    assert body["priority"] == 4  # not in the file: the live value is kept, not reset
    assert body["maxPeerCount"] == 9  # unknown to the schema: carried over
    assert body["publishParams"]["video"] == {
        "bitRate": 500,
        "codec": "vp8",
        "frameRate": 25,
        "height": 180,
        "width": 320,
        "simulcast": {"layers": 3},
    }
    assert body["publishParams"]["allowed"] == ["audio"]
    assert body["subscribeParams"] == {"maxSubsBitRate": 100, "subscribeDegradation": {}}
    assert "name" not in body


def test_settings_body_sends_secrets_in_clear_to_the_api_only() -> None:
    desired = {
        "recording": {
            "enabled": True,
            "upload": {
                "type": "s3",
                "location": "b",
                "prefix": "p",
                "credentials": {"key": "K", "secret": "S"},
            },
        }
    }
    body = settings_body(desired, {"region": "in", "future": 1})
    assert body == {
        "region": "in",
        "future": 1,
        "recording": {
            "enabled": True,
            "upload": {
                "type": "s3",
                "location": "b",
                "prefix": "p",
                "options": {"region": "ap-south-1"},
                "credentials": {"key": "K", "secret": "S"},
            },
        },
    }
