"""Every action kind, with literal data."""

from __future__ import annotations

from deepdiff import DeepDiff
from hypothesis import given, settings

from hmsync.model import ABSENT, Action, Change
from hmsync.plan.diff import changes_between, diff_template, make_plan
from hmsync.plan.normalize import complete_role

from .strategies import roles

SALT = "11" * 16


def live(**roles: dict) -> dict:
    return {"_id": "a" * 24, "name": "t", "roles": {n: {"name": n, **r} for n, r in roles.items()}}


def test_create_template_lists_what_the_file_sets() -> None:
    desired = {
        "name": "t",
        "default": True,
        "roles": {"host": {"priority": 1, "renamedFrom": "x"}, "guest": {}},
        "settings": {"region": "in"},
    }
    assert diff_template(desired, None, SALT) == [
        Action(
            "create_template",
            "t",
            changes=(
                Change("default", ABSENT, True),
                Change("roles.guest", ABSENT, {}),
                Change("roles.host.priority", ABSENT, 1),
                Change("settings.region", ABSENT, "in"),
            ),
        )
    ]


def test_create_update_delete_roles_deletes_first() -> None:
    desired = {"name": "t", "roles": {"host": {"priority": 2}, "new": {"priority": 5}}}
    assert diff_template(desired, live(host={"priority": 1}, gone={}), SALT) == [
        Action("delete_role", "t", "gone"),
        Action("create_role", "t", "new", changes=(Change("priority", ABSENT, 5),)),
        Action("update_role", "t", "host", changes=(Change("priority", 1, 2),)),
    ]


def test_update_role_names_each_changed_field_with_old_and_new() -> None:
    desired = {
        "name": "t",
        "roles": {
            "host": {
                "publishParams": {"video": {"bitRate": 400, "width": 640}},
                "permissions": {"mute": True},
            }
        },
    }
    [action] = diff_template(desired, live(host=complete_role({})), SALT)
    assert action.changes == (
        Change("permissions.mute", False, True),
        Change("publishParams.video.bitRate", 256, 400),
        Change("publishParams.video.width", 320, 640),
    )
    # A role stored sparse: what the file sets is new, what it leaves out is left alone.
    [action] = diff_template(desired, live(host={}), SALT)
    assert action.changes == (
        Change("permissions", ABSENT, {"mute": True}),
        Change("publishParams", ABSENT, {"video": {"bitRate": 400, "width": 640}}),
    )


def test_rename_role_from_renamed_from() -> None:
    desired = {"name": "t", "roles": {"student": {"renamedFrom": "pupil", "priority": 3}}}
    assert diff_template(desired, live(pupil={"priority": 2}), SALT) == [
        Action("rename_role", "t", "student", "pupil", (Change("priority", 2, 3),))
    ]
    # Already renamed (the live role has the new name): a plain comparison, no rename.
    assert diff_template(desired, live(student={"priority": 3}), SALT) == []
    # Neither name is live: the role is created.
    assert [a.kind for a in diff_template(desired, live(), SALT)] == ["create_role"]


def test_update_settings_and_set_default() -> None:
    desired = {"name": "t", "default": True, "settings": {"region": "eu"}}
    current = {**live(), "default": False, "settings": {"region": "in"}}
    assert diff_template(desired, current, SALT) == [
        Action("update_settings", "t", changes=(Change("region", "in", "eu"),)),
        Action("set_default", "t", changes=(Change("default", False, True),)),
    ]
    # default left out of the file: not managed.
    assert diff_template({"name": "t"}, {**live(), "default": True}, SALT) == []


def test_plan_lists_unmanaged_templates_and_fingerprints_only_read_ones() -> None:
    plan = make_plan(
        [("a.yaml", {"name": "a"}), ("b.yaml", {"name": "b"})],
        [
            {"_id": "1", "name": "a", "roles": {}},
            {"_id": "2", "name": "legacy", "roles": {}},
            {"_id": "3", "name": "other-file", "roles": {}},
        ],
        SALT,
        managed=["other-file"],
    )
    assert plan.unmanaged == ("legacy",)
    assert [t.name for t in plan.templates] == ["a", "b"]
    assert [t.template_id for t in plan.templates] == ["1", None]
    assert [n for n, _ in plan.fingerprints] == ["a"]
    assert [a.kind for a in plan.actions] == ["create_template"]


# -- hmsync's diff against an independent one ------------------------------------------------


def deepdiff_paths(old: dict, new: dict) -> set[str]:
    paths = set()
    for levels in DeepDiff(old, new, view="tree").values():
        for level in levels:
            path = level.path(output_format="list")
            cut = next((i for i, p in enumerate(path) if isinstance(p, int)), len(path))
            if cut == len(path) and _both_dicts(level):
                # DeepDiff calls two objects with no key in common one change; hmsync names
                # each field that differs.
                a, b = level.t1, level.t2  # type: ignore[attr-defined]
                keys = [k for k in a.keys() | b.keys() if a.get(k, a) != b.get(k, a)]
                paths |= {".".join(str(p) for p in [*path, key]) for key in keys}
                continue
            paths.add(".".join(str(p) for p in path[:cut]))
    return paths


def _both_dicts(level: object) -> bool:
    return isinstance(level.t1, dict) and isinstance(level.t2, dict)  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(old=roles, new=roles)
def test_changes_match_deepdiff_with_lists_as_whole_values(old: dict, new: dict) -> None:
    a, b = complete_role(old), complete_role(new)
    changes = changes_between(a, b)
    assert {c.path for c in changes} == deepdiff_paths(a, b)
    for change in changes:
        assert change.old != change.new
