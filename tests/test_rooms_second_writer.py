"""As a property: a second writer edits a room at any point of apply's run (after request N,
for every N), under the rooms readings. What the plan does not write is never set back: a field
the file leaves out, a field the file sets that this plan does not change, another role's codes,
a code made for the role being disabled. A field the plan writes is lost only inside its own
write's round trip (the read right before it, then the write), which no read can see into."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.emulator.readings import Readings

from .conftest import Run, Write
from .test_rooms import ENV, ROOM, TEMPLATE, codes, rooms

AFTER = ROOM.replace("Monthly all-hands", "Quarterly all-hands").replace(
    "guest: enabled", "guest: disabled"
)
# (name, the edit as the interleave control takes it, what must hold after, whether the
# plan writes the field: then it may be lost, inside the write's own round trip only)
EDITS: dict[str, tuple[dict[str, Any], str]] = {
    "unmanaged field": ({"set": {"large_room": True}}, "large_room"),
    "managed, unchanged field": ({"set": {"max_duration_seconds": 999}}, "max_duration_seconds"),
    "another role's codes": ({"codes": {"host": False}}, "host codes"),
    "a new code of the role disabled": ({"codes": {"guest": True}}, "new guest code"),
    "the field the plan writes": ({"set": {"description": "by hand"}}, "description"),
}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(api="v2") as emulator:
        yield emulator


def _holds(what: str, emu: Emulator, before: list[dict[str, Any]]) -> bool:
    [room] = rooms(emu)
    now = codes(emu)
    if what == "large_room":
        return room.get("large_room") is True
    if what == "max_duration_seconds":
        return room.get("max_duration_seconds") == 999
    if what == "description":
        return room.get("description") == "by hand"
    if what == "host codes":
        return not any(c["enabled"] for c in now if c["role"] == "host")
    known = {c["code"] for c in before}
    return any(c["enabled"] for c in now if c["role"] == "guest" and c["code"] not in known)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edit=st.sampled_from(sorted(EDITS)),
    when=st.integers(0, 9),
    reading=st.sampled_from(
        [{}, {"room_create": "applied"}, {"room_name_filter": "exact"}, {"credentials": "masked"}]
    ),
)
def test_a_second_writer_in_a_rooms_apply_is_never_set_back(
    emu: Emulator,
    run: Run,
    write: Write,
    tmp_path: Path,
    edit: str,
    when: int,
    reading: dict[str, Any],
) -> None:
    emu.store.reset()
    emu.server.interleavings.clear()
    emu.store.readings = Readings.from_dict(reading)
    write("hmsync.yaml", "api: v2\n")
    write("templates/town-hall.yaml", TEMPLATE)
    write("rooms/all-hands.yaml", ROOM)
    env = {**emu.env(), **ENV}
    assert run("apply", "--auto-approve", env=env).code == 0
    write("rooms/all-hands.yaml", AFTER)
    saved = tmp_path / "plan.json"
    assert run("plan", "-o", str(saved), env=env).code == 0
    before = codes(emu)
    change, what = EDITS[edit]
    emu.reset_calls()
    emu.server.interleavings.clear()
    emu.interleave(after_request=when, room="all-hands", **change)
    result = run("apply", str(saved), env=env)
    sequence = emu.sequence()
    placed = when < len(sequence)  # an edit after the last request never happened in the run
    if not placed:
        return
    assert result.code in (0, 3, 4), result.out + result.err
    if what == "description":
        lost = not _holds(what, emu, before)
        # Lost only where request N is the update and request N-1 its own read of the room.
        window = sequence[when] == "v2_update_room" and sequence[when - 1] == "v2_get_room"
        assert not lost or window, (when, sequence, result.out)
        return
    assert _holds(what, emu, before), (edit, when, sequence, result.out, result.err)


def sweep(
    emu: Emulator, work: Path, reading: dict[str, Any]
) -> tuple[dict[str, list[int]], list[str]]:
    """Every edit at every placement of one rooms apply: the placements where it was lost,
    and the apply's requests in order."""
    import contextlib
    import io
    import os

    from hmsync.cli import main

    def hmsync(*argv: str) -> int:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return main(list(argv), {**emu.env(), **ENV})

    lost: dict[str, list[int]] = {}
    sequence: list[str] = []
    here = os.getcwd()
    os.chdir(work)
    try:
        for edit, (change, what) in sorted(EDITS.items()):
            lost[edit] = []
            for when in range(0, 20):
                emu.store.reset()
                emu.server.interleavings.clear()
                emu.store.readings = Readings.from_dict(reading)
                (work / "rooms" / "all-hands.yaml").write_text(ROOM)
                assert hmsync("apply", "--auto-approve") == 0
                (work / "rooms" / "all-hands.yaml").write_text(AFTER)
                assert hmsync("plan", "-o", "plan.json") == 0
                before = codes(emu)
                emu.reset_calls()
                emu.server.interleavings.clear()  # counts the requests of this apply alone
                emu.interleave(after_request=when, room="all-hands", **change)
                hmsync("apply", "plan.json")
                sequence = emu.sequence()
                if when >= len(sequence):
                    break
                if not _holds(what, emu, before):
                    lost[edit].append(when)
    finally:
        os.chdir(here)
    return lost, sequence


def test_the_sweep_loses_only_inside_the_update_round_trip(emu: Emulator, tmp_path: Path) -> None:
    """Exhaustive, not sampled: each edit after each request of the apply."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "rooms").mkdir()
    (tmp_path / "hmsync.yaml").write_text("api: v2\n")
    (tmp_path / "templates" / "town-hall.yaml").write_text(TEMPLATE)
    for reading in ({}, {"room_create": "applied", "credentials": "masked"}):
        lost, sequence = sweep(emu, tmp_path, reading)
        # Only the written field, only right before the update, after its own read of the room.
        [(edit, [where])] = [(e, n) for e, n in lost.items() if n]
        assert edit == "the field the plan writes"
        assert sequence[where - 1 : where + 1] == ["v2_get_room", "v2_update_room"], sequence
