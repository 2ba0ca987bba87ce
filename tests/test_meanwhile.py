"""moved_meanwhile: what someone else changed between apply's fresh read and its read-back."""

from __future__ import annotations

from hmsync.model import Action, Change
from hmsync.write.meanwhile import moved_meanwhile


def test_only_what_the_plan_did_not_change_is_reported() -> None:
    before = {
        "name": "t",
        "roles": {
            "host": {"name": "host", "priority": 1, "publishParams": {"allowed": ["audio"]}},
            "pupil": {"name": "pupil", "priority": 3},
            "old": {"name": "old"},
            "watcher": {"name": "watcher"},
        },
        "settings": {"region": "in", "recording": {"upload": {"credentials": {"key": "K1"}}}},
    }
    after = {
        "name": "t",
        "roles": {
            # the plan's own change, and a field someone else changed beside it
            "host": {"name": "host", "priority": 2, "publishParams": {"allowed": ["video"]}},
            "student": {"name": "student", "priority": 3},  # renamed by the plan
            "new": {"name": "new"},  # created by the plan
            "intruder": {"name": "intruder"},  # created by someone else
        },  # "old" deleted by the plan, "watcher" by someone else
        "settings": {"region": "eu", "recording": {"upload": {"credentials": {"key": "K2"}}}},
    }
    actions = [
        Action("update_role", "t", "host", changes=(Change("priority", 1, 2),)),
        Action("rename_role", "t", "student", "pupil"),
        Action("create_role", "t", "new"),
        Action("delete_role", "t", "old"),
        Action("update_settings", "t", changes=(Change("region", "in", "eu"),)),
    ]
    assert moved_meanwhile(before, after, actions) == [
        'roles.host.publishParams.allowed: ["audio"] -> ["video"], changed by someone else '
        "meanwhile",
        "roles.intruder: created by someone else meanwhile",
        "roles.watcher: deleted by someone else meanwhile",
        "settings.recording.upload.credentials.key: (sensitive value) -> (sensitive value), "
        "changed by someone else meanwhile",
    ]


def test_a_list_item_the_plan_changed_leaves_the_list_to_the_convergence_check() -> None:
    layers = [{"rid": "f", "maxBitrate": 700}, {"rid": "h", "maxBitrate": 350}]
    changed = [{"rid": "f", "maxBitrate": 700}, {"rid": "h", "maxBitrate": 300}]
    before = {"roles": {"host": {"simulcast": {"layers": layers}}}}
    after = {"roles": {"host": {"simulcast": {"layers": changed}}}}
    change = Change("simulcast.layers[1].maxBitrate", 350, 300)
    assert (
        moved_meanwhile(before, after, [Action("update_role", "t", "host", changes=(change,))])
        == []
    )
    assert moved_meanwhile(before, after, []) == [
        'roles.host.simulcast.layers: [{"maxBitrate": 700, "rid": "f"}, {"maxBitrate": 350, '
        '"rid": "h"}] -> [{"maxBitrate": 700, "rid": "f"}, {"maxBitrate": 300, "rid": "h"}], '
        "changed by someone else meanwhile"
    ]


def test_a_secret_moved_meanwhile_is_shown_masked_whatever_its_names_case() -> None:
    """`rtmpUrls`, `streamKey`, `secretKey`: camel case in the answers, masked all the same."""
    before = {"name": "t", "destinations": {"rtmpDestinations": {"yt": {
        "rtmpUrls": ["rtmp://x/app/old-key-0001"], "streamKey": "old-0001"}}}}  # fmt: skip
    after = {"name": "t", "destinations": {"rtmpDestinations": {"yt": {
        "rtmpUrls": ["rtmp://x/app/new-key-0002"], "streamKey": "new-0002"}}}}  # fmt: skip
    said = moved_meanwhile(before, after, [])
    assert said == [
        "destinations.rtmpDestinations.yt.rtmpUrls: (sensitive value) -> (sensitive value), "
        "changed by someone else meanwhile",
        "destinations.rtmpDestinations.yt.streamKey: (sensitive value) -> (sensitive value), "
        "changed by someone else meanwhile",
    ]
