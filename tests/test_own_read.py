"""Every write on its own read: the object a write replaces (a role, the settings, the whole
template for Modify Template) is read right before that write, so an edit made meanwhile is
lost only inside that one round trip (which no read can see into, the API having no ETag,
version or lock), never for an object no write replaces; and a field the plan changes that
moved meanwhile is a conflict, secrets too, wherever the API returns them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmsync.emulator import Emulator
from hmsync.emulator.readings import Readings

from .conftest import Run, Write
from .helpers import env
from .sweep import CONFIGS, UNWRITTEN, Config, sweep


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_an_edit_is_lost_only_inside_the_round_trip_of_a_write_that_replaces_it(
    config: Config, tmp_path: Path
) -> None:
    """One edit after each request N of an apply, for every N and every edit (a written role's
    untouched field, an unwritten role, the settings, another template)."""
    swept = sweep(config, tmp_path / "sweep")
    assert swept.placements >= 6
    assert swept.outside() == {name: [] for name in swept.lost}, swept
    assert swept.lost["other template"] == []
    for name in UNWRITTEN:  # lost only where a whole-template write replaced it (v1 settings)
        assert all(n in swept.allowed[name] for n in swept.lost[name])
    for name, lost in swept.lost.items():  # one round trip per write that replaces it
        assert len(lost) <= 2 if config.api == "v1" else len(lost) <= 1, (name, lost)


RECORDING = """\
name: rec
settings:
  recording:
    enabled: true
    upload:
      type: s3
      location: bucket
      prefix: rec/
      credentials: {key: "${HMSYNC_REC_KEY}", secret: "${HMSYNC_REC_SECRET}"}
roles:
  host: {}
"""
ROTATED = "secret-C-rotated-in-the-dashboard"


def _rotated_meanwhile(
    run: Run, write: Write, emu: Emulator, saved: bool, *extra: str
) -> tuple[int, str, str]:
    """The file changes the storage secret A -> B; the dashboard rotates it to C after the
    plan read live and before apply's writes. (exit code, report, the secret now)."""
    write("templates/rec.yaml", RECORDING)
    environ = {**env(emu), "HMSYNC_REC_KEY": "AKIAKEY123456", "HMSYNC_REC_SECRET": "secret-A-0001"}
    api = ["--api", emu.api]
    assert run("apply", *api, "--auto-approve", env=environ).code == 0
    environ["HMSYNC_REC_SECRET"] = "secret-B-0002"
    target = ["p.json"] if saved else ["--auto-approve"]
    if saved:
        assert run("plan", *api, *extra, "-o", "p.json", env=environ).code == 0
    emu.server.interleavings.clear()
    secret = "settings.recording.upload.credentials.secret"
    emu.interleave(after_request=1, template="rec", set={secret: ROTATED})
    result = run("apply", *api, *target, *extra, env=environ)
    upload = emu.store.dump()[0]["settings"]["recording"]["upload"]
    return result.code, result.out, upload["credentials"]["secret"]


@pytest.mark.parametrize("saved", [False, True], ids=["paths", "saved-plan"])
@pytest.mark.parametrize("api_version", ["v1", "v2"])
def test_a_credential_rotated_meanwhile_is_a_conflict_where_reads_show_it(
    run: Run, write: Write, api_version: str, saved: bool
) -> None:
    with Emulator(api=api_version, readings=Readings(credentials="clear")) as emu:
        code, report, now = _rotated_meanwhile(run, write, emu, saved)
    assert (code, now) == (3, ROTATED)  # theirs stands
    assert (
        "rec: settings.recording.upload.credentials.secret: a secret this plan changes was "
        "changed since it was planned (a rotation?); it is not overwritten"
    ) in report
    assert ROTATED not in report and "secret-B" not in report


@pytest.mark.parametrize("reading", ["masked", "omitted"])
def test_where_reads_hide_the_credentials_the_plan_and_report_say_a_rotation_is_unseen(
    run: Run, write: Write, reading: str
) -> None:
    with Emulator(api="v2", readings=Readings(credentials=reading)) as emu:
        code, report, now = _rotated_meanwhile(run, write, emu, False, "--write-credentials")
        environ = {**env(emu), "HMSYNC_REC_KEY": "AKIAKEY123456", "HMSYNC_REC_SECRET": "s-A-01"}
        plan = run("plan", "--api", "v2", env=environ)
    assert "a rotation made in the dashboard cannot be seen (not by this plan, not by apply)" in (
        plan.out
    )
    assert (code, now) == (0, "secret-B-0002")  # written over: nothing could tell
    assert (
        "note: the API does not return the recording credentials, so they are written without "
        "a look at what is there now: a rotation made in the dashboard since the plan cannot "
        "be seen"
    ) in report
