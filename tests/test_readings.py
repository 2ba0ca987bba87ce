"""hmsync under every reading of the docs (README, DECISIONS): the whole cycle converges.

Each reading is one the emulator plays (`hmsync emulator --help`); the last one puts the
unkindest of them together.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from hmsync.emulator import Emulator

from .conftest import EXAMPLE_ENV, EXAMPLES, Run
from .helpers import ISSUE_22_READINGS, env

READINGS: list[dict[str, Any]] = [
    {},  # the seed's literal examples
    {"credentials": "masked"},
    {"credentials": "omitted"},
    {"writes": "replace"},
    {"writes": "as-sent"},
    {"start": "inclusive"},
    {"out_of_range": "refuse"},
    {"update_settings": "whole"},
    {"lost_answer_rate": 0.5},
    *ISSUE_22_READINGS,
    {
        "credentials": "masked",
        "writes": "replace",
        "start": "inclusive",
        "out_of_range": "refuse",
        "update_settings": "whole",
        "lost_answer_rate": 0.3,
    },
]
EXPORT_ENV = {
    "HMSYNC_TELEHEALTH_STORAGE_KEY": EXAMPLE_ENV["HMSYNC_S3_KEY"],
    "HMSYNC_TELEHEALTH_STORAGE_SECRET": EXAMPLE_ENV["HMSYNC_S3_SECRET"],
}
NO_CHANGES = "No changes. Live templates match the files.\n"


def _second_version(folder: Path) -> None:
    """Every kind of action: role update, rename, create, delete, settings, default flag."""
    tele = (folder / "telehealth.yaml").read_text()
    tele = tele.replace("prefix: visits/", "prefix: visits-2024/")
    tele = tele.replace("  region: eu\n", "  region: us\n")
    tele = tele.replace("  observer:\n", "  trainee:\n    renamedFrom: observer\n")
    tele = tele.replace("roles:\n", "default: true\nroles:\n  nurse: {priority: 4}\n", 1)
    tele = tele.replace(
        "audio: {bitRate: 48}\n      video: {bitRate: 600",
        "audio: {bitRate: 64}\n      video: {bitRate: 700",
        1,
    )
    (folder / "telehealth.yaml").write_text(tele)
    classroom = (folder / "classroom.yaml").read_text()
    (folder / "classroom.yaml").write_text(classroom.replace("default: true\n", ""))


@pytest.mark.parametrize(
    "readings", READINGS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()) or "seed"
)
def test_the_whole_cycle_converges_under_each_reading(
    emu: Emulator, run: Run, tmp_path: Path, readings: dict[str, Any]
) -> None:
    emu.set_readings(**readings)
    # 25 templates no file describes: the listing takes two pages, whatever `start` means.
    emu.store.load([{"name": f"other-{i:02}", "roles": {"r": {"name": "r"}}} for i in range(25)])
    environ = env(emu)
    files = tmp_path / "templates"
    shutil.copytree(EXAMPLES, files)
    assert run("validate", "templates", env=EXAMPLE_ENV).code == 0
    first = run("apply", "templates", "--auto-approve", "--retries", "10", env=environ)
    assert first.code == 0, first.out + first.err
    _second_version(files)
    planned = run("plan", "templates", "-o", "plan.json", env=environ)
    assert planned.code == 0, planned.err
    assert (
        "rename role observer -> trainee" in planned.out or "renamed from observer" in planned.out
    )
    applied = run("apply", "plan.json", "--allow-delete", "--retries", "10", env=environ)
    assert applied.code == 0, applied.out + applied.err
    assert "0 not converged." in applied.out
    again = run("plan", "templates", "--detailed-exitcode", env=environ)
    assert (again.code, again.out.splitlines()[-1]) == (0, NO_CHANGES.strip()), again.out
    assert run("drift", "templates", env=environ).code == 0
    exported = run("export", "--out", "exported", env=environ)
    assert exported.code == 0, exported.err
    assert run("validate", "exported", env=EXPORT_ENV).code == 0
    round_trip = run("plan", "exported", "--detailed-exitcode", env={**environ, **EXPORT_ENV})
    assert (round_trip.code, round_trip.out.splitlines()[-1]) == (0, NO_CHANGES.strip())
    for output in (planned.out, applied.out, again.out, exported.out, round_trip.out):
        assert "hmac" not in output and EXAMPLE_ENV["HMSYNC_S3_SECRET"] not in output
    stored = {t["name"]: t for t in emu.store.dump()}
    tele = stored["telehealth"]
    assert sorted(tele["roles"]) == ["doctor", "nurse", "patient", "trainee"]
    assert tele["settings"]["region"] == "us" and tele["default"] is True
    upload = tele["settings"]["recording"]["upload"]
    assert upload["prefix"] == "visits-2024/"
    # Written in clear to the API, however reads show them.
    assert upload["credentials"] == {
        "key": EXAMPLE_ENV["HMSYNC_S3_KEY"],
        "secret": EXAMPLE_ENV["HMSYNC_S3_SECRET"],
    }
    assert stored["classroom"].get("default") is not True
