"""A test for each one-line bug `make mutate` planted that the suite
let through (docs/mutants.md lists the ones that cannot change behaviour, and why)."""

from __future__ import annotations

from hmsync.emulator import Emulator
from hmsync.model import Change
from hmsync.plan.diff import (
    diff_template,
    ignored_paths,
    make_plan,
    secret_hashes,
    settings_by_update_call,
    without_ignored,
)

UPLOAD = {"type": "s3", "location": "b", "prefix": "p"}


def test_region_alone_goes_by_update_settings_and_nothing_more_does() -> None:
    region = (Change("region", "in", "eu"),)
    assert settings_by_update_call(region, {"region": "in"}) is True
    assert settings_by_update_call(region, {}) is True
    assert settings_by_update_call(region, {"region": "in", "recording": {}}) is False
    both = (*region, Change("recording.enabled", False, True))
    assert settings_by_update_call(both, {"region": "in"}) is False


def test_ignored_paths_of_a_role_and_of_the_settings() -> None:
    patterns = ["roles.*.permissions.mute", "roles.host.priority", "settings.recording"]
    assert ignored_paths(patterns, "host") == [("permissions", "mute"), ("priority",)]
    assert ignored_paths(patterns, "guest") == [("permissions", "mute")]
    assert ignored_paths(patterns, None) == [("recording",)]
    assert ignored_paths(["settings.region"], "host") == []


def test_a_created_template_leaves_out_what_is_left_to_the_dashboard() -> None:
    desired = {
        "name": "t",
        "roles": {"host": {"priority": 1, "permissions": {"mute": True, "endRoom": True}}},
        "settings": {"region": "in", "recording": {"enabled": True}},
    }
    assert without_ignored(desired, ["roles.*.permissions.mute", "settings.recording"]) == {
        "name": "t",
        "roles": {"host": {"priority": 1, "permissions": {"endRoom": True}}},
        "settings": {"region": "in"},
    }
    assert without_ignored(desired, []) == desired


def test_write_only_credentials_go_with_a_whole_settings_write_on_v1() -> None:
    live = {
        "_id": "1",
        "name": "t",
        "roles": {},
        "settings": {"region": "in", "recording": {"enabled": False, "upload": {**UPLOAD}}},
    }
    creds = {"key": "K", "secret": "S"}
    desired = {
        "name": "t",
        "settings": {
            "region": "in",
            "recording": {"enabled": True, "upload": {**UPLOAD, "credentials": creds}},
        },
    }
    [action] = diff_template(desired, live, "salt")
    assert [c.path for c in action.changes] == ["recording.enabled", "recording.upload.credentials"]
    assert secret_hashes(desired, "key")[0][0] == "settings.recording.upload.credentials.key"
    assert secret_hashes(desired, None) == ()
    assert secret_hashes({"name": "t"}, "key") == ()


LIVE = {"_id": "1", "name": "old", "roles": {"host": {"name": "host", "priority": 1}}}


def test_renamed_from_only_a_live_template_no_file_describes() -> None:
    renamed = make_plan([("t.yaml", {"name": "new", "renamedFrom": "old"})], [LIVE], "salt")
    assert [a.kind for a in renamed.actions][:1] == ["rename_template"]
    assert renamed.templates[0].live_roles == LIVE["roles"]
    # Another file describes "old": no rename, a create (validate refuses such a pair anyway).
    both = make_plan(
        [("a.yaml", {"name": "new", "renamedFrom": "old"}), ("b.yaml", {"name": "old"})],
        [LIVE],
        "salt",
    )
    assert "rename_template" not in [a.kind for a in both.actions]
    # A renamedFrom no live template has (renamed already, say): a plain create, no crash.
    gone = make_plan([("t.yaml", {"name": "new", "renamedFrom": "gone"})], [], "salt")
    assert [a.kind for a in gone.actions] == ["create_template"]


def test_defaulted_marks_only_defaults_the_file_leaves_out() -> None:
    live = {
        "_id": "1",
        "name": "t",
        "roles": {"host": {"name": "host", "priority": 1, "permissions": {"mute": True}}},
        "settings": {"region": "in", "recording": {"enabled": True}},
    }
    file = {
        "name": "t",
        "roles": {"host": {"priority": 2}},
        "settings": {"region": "in"},
    }
    [t] = make_plan([("t.yaml", file)], [live], "salt").templates
    assert t.defaulted == frozenset({("host", "permissions.mute"), ("", "recording.enabled")})


# -- rules.py ----------------------------------------------------------------------------------

from hmsync.model import Action, Plan, TemplatePlan  # noqa: E402
from hmsync.plan import origin  # noqa: E402

from .conftest import Run, Write  # noqa: E402

ROOM = "name: room\nsettings: {region: in}\nroles:\n  host:\n    priority: 2\n"


def _rule(require: str, where: str = "{roles: [host]}", extra: str = "") -> str:
    return f"rules:\n  - id: r\n    where: {where}\n    require: {require}\n{extra}"


def test_bounds_are_inclusive_and_a_bound_on_text_is_broken(run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    write("hmsync.yaml", _rule("{priority: {min: 2, max: 2}}"))
    assert run("validate").code == 0  # 2 is within [2, 2]
    write("hmsync.yaml", _rule("{settings.region: {min: 1}}", where="{templates: [room]}"))
    assert run("validate").out == (
        'templates/room.yaml:2:20: settings.region: "in" breaks rule r: must be at least 1\n'
        "1 file checked: 1 error, 0 warnings.\n"
    )


def test_more_bad_definitions(run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    cases = {
        _rule("{priority: {max: true}}"): "rules[0].require.priority: max takes a number, not true",
        _rule("{prioriti: 1}"): "rules[0].require.prioriti: 'prioriti' is no field of a role; "
        "did you mean 'priority'?",
        _rule("{zzz: 1}", where="{templates: [room]}"): "rules[0].require.zzz: 'zzz' is no field "
        "of a template; a template has: default, name, renamedFrom, roles, settings",
        _rule("{publishParams.allowed.foo: 1}"): 'rules[0].require["publishParams.allowed.foo"]: '
        "'foo' is no field of publishParams.allowed; publishParams.allowed has: nothing",
        _rule("{priority: 1}", where="{roles: [']x[']}"): "rules[0].where.roles[0]: an unclosed "
        "[ in the pattern; close it, or write [[] for a literal [",
        _rule("{priority: 1}", where="{environments: [prod]}"): "rules[0].where.environments: "
        "matches none of the environments this file defines (none)",
        _rule('{"": 1}'): 'rules[0].require[""]: an empty path; name a field, such as priority '
        "or permissions.endRoom",
        _rule('{"roles[0]": 1}', where="{templates: [room]}"): 'rules[0].require["roles[0]"]: '
        "'0' is no field of roles; roles has: nothing",
        "protect:\n  roles: ['[host']\n": "protect.roles[0]: an unclosed [ in the pattern; "
        "close it, or write [[] for a literal [",
    }
    for project, message in cases.items():
        write("hmsync.yaml", project)
        err = run("validate").err
        assert err.splitlines()[1].split(": ", 1)[1] == message, (project, err)


def test_a_warning_rule_warns_in_plan_and_fails_validate_strict(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/room.yaml", ROOM)
    write("hmsync.yaml", _rule("{priority: 1}", extra="    severity: warning\n"))
    planned = run("plan", env=emu.env())
    assert planned.code == 0
    assert "warning: roles.host.priority: 2 breaks rule r: must be 1" in planned.err
    assert run("validate").code == 0 and run("validate", "--strict").code == 1


def test_protect_refuses_only_the_protected_and_only_past_the_limit(
    emu: Emulator, run: Run, write: Write
) -> None:
    four = ROOM + "".join(f"  r{i}:\n    priority: {i + 3}\n" for i in range(3))
    write("templates/room.yaml", four)
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    write("hmsync.yaml", "protect:\n  roles: [host]\n  max_changed_percent: 25\n")
    write("templates/room.yaml", four.replace("priority: 3", "priority: 9"))  # 1 of 4: 25%
    assert run("plan", env=emu.env()).code == 0  # at the limit is not over it
    write(
        "templates/room.yaml",
        four.split("  r0:")[0] + "  r1:\n    priority: 4\n  r2:\n    priority: 5\n",
    )
    deleted = run("apply", "--auto-approve", "--allow-delete", env=emu.env())
    assert deleted.code == 0, deleted.err  # r0 is not protected


def test_outside_changes_compare_objects_whatever_the_order_of_their_keys() -> None:
    def plan(new: dict[str, int]) -> Plan:
        action = Action("update_recordings", "t", changes=(Change("recordings[0]", {}, new),))
        return Plan((TemplatePlan("t", "t.yaml", "1", (action,)),))

    tagged = origin.tag(plan({"a": 1, "b": 2}), plan({"b": 2, "a": 1}), "main")
    assert origin.apart(tagged)[1].actions == []


# -- normalize.py ------------------------------------------------------------------------------

from hmsync.plan.normalize import (  # noqa: E402
    INTERNAL_RECORDER,
    LIST,
    MAP,
    _as_set,
    _items,
    file_form,
    fingerprint,
    server_owned,
)


def test_only_set_fields_are_read_as_sets() -> None:
    assert _as_set("allowed", ["video", "audio", "video"]) == ["audio", "video"]
    assert _as_set("allowed", "audio") == "audio"  # not a list: as it is
    assert _as_set("priority", [2, 1]) == [2, 1]


def test_items_of_a_map_and_of_a_list() -> None:
    assert _items({"a": 1}, MAP) == [("a", 1)]
    assert _items([5, 6], LIST) == [(0, 5), (1, 6)]
    assert _items([5], MAP) == [] and _items({"a": 1}, LIST) == []


def test_only_the_servers_own_hls_destination_is_server_owned() -> None:
    assert server_owned("hlsDestinations", {"role": INTERNAL_RECORDER})
    assert not server_owned("hlsDestinations", {"role": "host"})
    assert not server_owned("rtmpDestinations", {"role": INTERNAL_RECORDER})


def test_the_file_form_says_default_true_flags_and_leaves_out_defaults() -> None:
    assert file_form({"mute": True}, "v2.permissions") == {
        "mute": True,
        "browserRecording": False,
        "rtmpStreaming": False,
        "hlsStreaming": False,
    }
    role = {
        "priority": 1,
        "publishParams": {"allowed": ["video", "audio"], "video": {"bitRate": 256}},
        "permissions": {"mute": False},
    }
    # Defaults left out (bitRate 256, mute false), an object left empty by that left out too.
    assert file_form(role, "roleObject") == {
        "priority": 1,
        "publishParams": {"allowed": ["audio", "video"]},
    }
    assert file_form({"video": {"bitRate": 800}}, "publishParams") == {"video": {"bitRate": 800}}


def test_a_fingerprint_does_not_depend_on_the_order_of_keys() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_a_completed_template_holds_no_list_or_map_the_file_does_not_have() -> None:
    from hmsync.plan.normalize import complete

    assert sorted(complete({"name": "t", "roles": {}}, "v2.template")) == [
        "name",
        "roles",
        "settings",
    ]


def test_one_role_renamed_from_a_name_is_fine_and_two_are_not(run: Run, write: Write) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  b:\n    renamedFrom: a\n")
    assert run("validate").code == 0
    write(
        "templates/t.yaml", "name: t\nroles:\n  b:\n    renamedFrom: a\n  c:\n    renamedFrom: a\n"
    )
    assert run("validate").code == 1
