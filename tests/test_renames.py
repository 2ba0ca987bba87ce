"""Template renames: `renamedFrom: OLD` renames the live template in place (v1 Modify
Template, v2 Update Template); without it the plan says how."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmsync.emulator import Emulator

from .conftest import Run, Write

OLD = "name: old-room\nroles:\n  host:\n    priority: 1\n"
NEW = "name: room\nrenamedFrom: old-room\nroles:\n  host:\n    priority: 2\n"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_renamed_from_renames_the_live_template_in_place(
    version: str, run: Run, write: Write
) -> None:
    with Emulator(api=version) as emu:
        environ = emu.env()
        write("hmsync.yaml", f"api: {version}\n")
        write("templates/room.yaml", OLD)
        assert run("apply", "--auto-approve", env=environ).code == 0
        [before] = emu.store.dump()
        write("templates/room.yaml", NEW)
        shown = run("plan", env=environ)
        assert shown.out == (
            "~ template room (templates/room.yaml)\n"
            "    ~ template room will be renamed from old-room\n"
            '        ~ name: "old-room" -> "room"\n'
            "    ~ role host will be updated\n"
            "        ~ priority: 1 -> 2\n"
            "\n"
            "Plan: 1 template to rename, 1 role to update.\n"
        )
        # A saved plan holds it too, and the stale check reads the template by its old name.
        assert run("plan", "-o", "plan.json", env=environ).code == 0
        applied = run("apply", "plan.json", env=environ)
        assert applied.code == 0, applied.err
        [after] = emu.store.dump()
        key = "_id" if "_id" in after else "id"
        assert after[key] == before[key] and after["name"] == "room"
        assert after["roles"]["host"]["priority"] == 2
        again = run("plan", "--detailed-exitcode", env=environ)
        assert (again.code, again.out) == (0, "No changes. Live templates match the files.\n")


def test_without_renamed_from_the_plan_says_how(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", OLD)
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    write("templates/room.yaml", OLD.replace("old-room", "room"))
    shown = run("plan", env=emu.env()).out
    assert shown.endswith(
        "Unmanaged (live, in no file; left alone): old-room\n"
        "Renamed? If room is a live template under another name (old-room, say), add "
        "`renamedFrom: OLD-NAME` to its file: hmsync renames that template instead of creating "
        "a second one and leaving the old one unmanaged.\n"
        "Plan: 1 template to create.\n"
    )
    markdown = run("plan", "--format", "markdown", env=emu.env()).out
    assert "> [!TIP]\n> Renamed? If room is a live template" in markdown


def test_a_rename_in_the_summary_table_and_bad_renames_are_located(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/room.yaml", OLD)
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    write("templates/room.yaml", NEW)
    markdown = run("plan", "--format", "markdown", env=emu.env()).out
    assert "| <code>old&#45;room</code> → <code>room</code> |  | 1 |" in markdown
    write("templates/room.yaml", NEW.replace("renamedFrom: old-room", "renamedFrom: room"))
    write("templates/other.yaml", "name: other\nrenamedFrom: room\n")
    checked = run("validate")
    assert checked.code == 1
    assert checked.out == (
        "templates/other.yaml:2:14: renamedFrom: 'room' is the name of the template at "
        "templates/room.yaml:1:7; renamedFrom names the live template's old name, which no file "
        "describes any more\n"
        "templates/room.yaml:2:14: renamedFrom: a template cannot be renamed from itself\n"
        "2 files checked: 2 errors, 0 warnings.\n"
    )


def test_a_backup_taken_before_a_rename_renames_it_back(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    write("templates/room.yaml", OLD)
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    [before] = emu.store.dump()
    write("templates/room.yaml", NEW)
    assert run("apply", "--auto-approve", "--backup", "backup", env=emu.env()).code == 0
    saved = (tmp_path / "backup" / "old-room.yaml").read_text()
    assert "\nname: old-room\nrenamedFrom: room\nroles:\n" in saved
    restored = run("apply", "backup", "--auto-approve", "--allow-delete", env=emu.env())
    assert restored.code == 0, restored.err
    [after] = emu.store.dump()
    assert (after["_id"], after["name"]) == (before["_id"], "old-room")
    assert after["roles"]["host"]["priority"] == 1


def test_a_subscription_to_a_renamed_role_is_an_error_that_names_the_new_one(
    run: Run, write: Write
) -> None:
    """After `learner: {renamedFrom: student}` no role is called student: a subscription to it
    would hear no one, where the warning for an undefined role stays a warning."""
    write(
        "templates/classroom.yaml",
        "name: classroom\nroles:\n  teacher:\n    subscribeParams:\n"
        "      subscribeToRoles: [teacher, student, assistant, visitor]\n"
        "  learner:\n    renamedFrom: student\n  assistant: {}\n",
    )
    result = run("validate", env={})
    assert (result.code, result.out) == (
        1,
        "templates/classroom.yaml:5:35: roles.teacher.subscribeParams.subscribeToRoles[1]: "
        "role 'student' is renamed to 'learner' in this file (renamedFrom): did you mean "
        "'learner'?\n"
        "templates/classroom.yaml:5:55: warning: roles.teacher.subscribeParams."
        "subscribeToRoles[3]: role 'visitor' is not defined in this template\n"
        "1 file checked: 1 error, 1 warning.\n",
    )


def test_the_plan_says_which_subscriptions_follow_a_rename(
    emu: Emulator, run: Run, write: Write
) -> None:
    before = (
        "name: classroom\nroles:\n  teacher:\n    subscribeParams:\n"
        "      subscribeToRoles: [teacher, student]\n  student: {}\n"
    )
    write("templates/classroom.yaml", before)
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    write(
        "templates/classroom.yaml",
        before.replace("[teacher, student]", "[teacher, learner]").replace(
            "  student: {}\n", "  learner:\n    renamedFrom: student\n"
        ),
    )
    planned = run("plan", env=emu.env())
    assert planned.code == 0, planned.err
    assert (
        "    ~ role learner will be renamed from student\n"
        "        (subscriptions follow the rename: teacher)\n"
    ) in planned.out


def test_a_rule_naming_a_retired_role_is_an_error_that_names_the_new_one(
    run: Run, write: Write
) -> None:
    write(
        "hmsync.yaml",
        "rules:\n  - id: students-listen\n    where: {roles: [student]}\n"
        "    require: {permissions.endRoom: false}\n",
    )
    write(
        "templates/classroom.yaml",
        "name: classroom\nroles:\n  learner:\n    renamedFrom: student\n",
    )
    result = run("validate", env={})
    assert (result.code, result.out) == (
        1,
        "hmsync.yaml:2:9: rules: rule students-listen: role 'student' is renamed to 'learner' "
        "(renamedFrom): did you mean 'learner'?\n"
        "1 file checked: 1 error, 0 warnings.\n",
    )
