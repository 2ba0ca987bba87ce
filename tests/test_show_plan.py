"""`hmsync show PLAN.json`: a saved plan rendered from the file alone, in every format, as
`terraform show PLAN` does: no network, no credentials, no secret; `plan` given one says what
it is and what to run instead."""

from __future__ import annotations

import json
from pathlib import Path

from hmsync.emulator import Emulator

from .conftest import Run, Write
from .helpers import env

ROOM = "name: room\nroles:\n  host:\n    priority: 1\n  guest:\n    priority: 2\n"


def _saved(emu: Emulator, run: Run, write: Write) -> str:
    write("templates/room.yaml", ROOM)
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    write("templates/room.yaml", ROOM.replace("priority: 2", "priority: 3"))
    planned = run("plan", "-o", "p.json", env=env(emu))
    assert planned.code == 0
    return planned.out


def test_show_renders_a_saved_plan_offline_in_every_format(
    emu: Emulator, run: Run, write: Write
) -> None:
    planned = _saved(emu, run, write)
    emu.reset_calls()
    text = run("show", "p.json", env={})  # no credentials, no API base
    assert text.code == 0, text.err
    assert text.out == "A saved plan (v1 API, " + emu.api_base + "):\n" + planned
    markdown = run("show", "p.json", "--format", "markdown", env={})
    assert markdown.out.startswith("### hmsync plan\n\n**Plan: 1 role to update.**")
    shown = json.loads(run("show", "p.json", "--format", "json", env={}).out)
    saved = json.loads(Path("p.json").read_text())
    assert shown["templates"] == saved["templates"]
    assert emu.calls()["total"] == 0  # offline
    mermaid = run("show", "p.json", "--format", "mermaid", env={})
    assert (mermaid.code, mermaid.err) == (
        1,
        "hmsync: p.json: a saved plan shows as text, markdown or json (its roles' pictures need "
        "the live templates: run hmsync plan --format markdown)\n",
    )


def test_plan_given_a_saved_plan_says_what_it_is(emu: Emulator, run: Run, write: Write) -> None:
    _saved(emu, run, write)
    result = run("plan", "p.json", env=env(emu))
    assert (result.code, result.err) == (
        1,
        "hmsync: p.json is a saved plan, not a template file: show it with `hmsync show "
        "p.json`, apply it with `hmsync apply p.json`, or plan afresh with `hmsync plan -o "
        "p.json`\n",
    )


def test_a_tampered_saved_plan_is_one_line(run: Run, write: Write) -> None:
    write("p.json", json.dumps({"format_version": 1, "templates": [{"name": 1}]}))
    result = run("show", "p.json", env={})
    assert result.code == 1
    assert result.err.startswith("hmsync: p.json: the plan file has no valid")
