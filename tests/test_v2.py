"""hmsync on the v2 API: the whole cycle with a template that uses every v2 object, under
every reading of the v1 and v2 docs the emulator plays; v1 and v2 projects side by side."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from hmsync.emulator import Emulator

from .conftest import Run, Write

V2_EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "v2" / "templates"
SECRETS = {
    "HMSYNC_LIVE_EVENT_STORAGE_KEY": "GOOG1EXAMPLEKEY",
    "HMSYNC_LIVE_EVENT_STORAGE_SECRET": "gs-secret-value-123",
}
PROJECT = """\
api: v2
environments:
  prod:
    access_key_env: HMS_ACCESS_KEY
    secret_env: HMS_SECRET
    vars: {YOUTUBE_STREAM: live-key-1}
"""
NO_CHANGES = "No changes. Live templates match the files."
READINGS: list[dict[str, Any]] = [
    {},  # the v2 pages' literal examples
    {"credentials": "masked"},
    {"credentials": "omitted"},
    {"secret_name": "secretKey"},
    {"secret_name": "secret"},
    {"legacy_ids": "omitted"},
    {"drop_false": "recordings-and-destinations"},
    {"drop_false": "nowhere"},
    {"hls_role": "internal-recorder"},
    {"update_omitted": "clear"},
    {"writes": "replace"},
    {"writes": "as-sent"},
    {"start": "inclusive"},
    {"out_of_range": "refuse"},
    {"lost_answer_rate": 0.5},
    {
        "credentials": "masked",
        "writes": "replace",
        "start": "inclusive",
        "out_of_range": "refuse",
        "drop_false": "recordings-and-destinations",
        "hls_role": "internal-recorder",
        "update_omitted": "clear",
        "legacy_ids": "omitted",
        "lost_answer_rate": 0.3,
    },
]


def v2_env(emu: Emulator) -> dict[str, str]:
    return {**emu.env(), "HMS_API_BASE": emu.base("v2"), **SECRETS}


def _second_version(path: Path) -> None:
    """A change in every v2 part: a simulcast layer, a destination's URL and layers, a
    transcription removed, recordings, plugins, room state; a role renamed and one deleted."""
    text = path.read_text()
    for old, new in [
        ("maxBitrate: 350, maxFramerate: 30", "maxBitrate: 300, maxFramerate: 30"),
        ("live2/${vars.YOUTUBE_STREAM}", "live2/${vars.YOUTUBE_STREAM}-b"),
        (
            "        - {width: 854, height: 480, videoBitrate: 800, audioBitrate: 64}\n",
            "        - {width: 854, height: 480, videoBitrate: 800, audioBitrate: 64}\n"
            "        - {width: 640, height: 360, videoBitrate: 400, audioBitrate: 64}\n",
        ),
        ("roomState: {messageInterval: 10, sendPeerList: true}", "roomState: {messageInterval: 30}"),
        ("thumbnails: {enabled: false, width: 1280", "thumbnails: {enabled: true, width: 1280"),
        ("writer: [host, speaker]", "writer: [host]"),
        ("  speaker:\n    priority: 2", "  panelist:\n    renamedFrom: speaker\n    priority: 2"),
        ("subscribeToRoles: [host, speaker]", "subscribeToRoles: [host, panelist]"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    start = text.index("  transcriptions:\n    captions:")
    text = text[:start] + text[text.index("recordings:\n") :]
    text = text.replace("  viewer:\n", "  audience:\n", 1).replace("[viewer]", "[audience]")
    path.write_text(text)


@pytest.mark.parametrize(
    "readings", READINGS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()) or "pages"
)
def test_the_whole_v2_cycle_converges_under_each_reading(
    emu: Emulator, run: Run, write: Write, tmp_path: Path, readings: dict[str, Any]
) -> None:
    emu.set_readings(**readings)
    # 105 templates no file describes: the listing takes two pages of 100.
    emu.store.load([{"name": f"other-{i:03}", "roles": {}} for i in range(105)])
    environ = v2_env(emu)
    write("hmsync.yaml", PROJECT)
    shutil.copytree(V2_EXAMPLES, tmp_path / "templates")
    assert run("validate", "--env", "prod", env=environ).code == 0
    first = run("apply", "--env", "prod", "--auto-approve", "--retries", "10", env=environ)
    assert first.code == 0, first.out + first.err
    assert "0 not converged." in first.out
    _second_version(tmp_path / "templates" / "live-event.yaml")
    planned = run("plan", "--env", "prod", "-o", "plan.json", env=environ)
    assert planned.code == 0, planned.out + planned.err
    assert "role panelist will be renamed from speaker" in planned.out
    assert "~ publishParams.simulcast.video.layers[1].maxBitrate: 350 -> 300" in planned.out
    assert "- transcriptions.captions:" in planned.out
    applied = run(
        "apply", "plan.json", "--env", "prod", "--allow-delete", "--retries", "10", env=environ
    )
    assert applied.code == 0, applied.out + applied.err
    assert "0 not converged." in applied.out
    again = run("plan", "--env", "prod", "--detailed-exitcode", env=environ)
    assert (again.code, again.out.splitlines()[-1]) == (0, NO_CHANGES), again.out
    assert run("drift", "--env", "prod", env=environ).code == 0
    exported = run("export", "--env", "prod", "--out", "exported", env=environ)
    assert exported.code == 0, exported.err
    round_trip = run("plan", "--env", "prod", "exported", "--detailed-exitcode", env=environ)
    assert (round_trip.code, round_trip.out.splitlines()[-1]) == (0, NO_CHANGES), round_trip.out
    for output in (first, planned, applied, again, exported, round_trip):
        for secret in SECRETS.values():
            assert secret not in output.out + output.err
        assert "hmac" not in output.out
    [stored] = [t for t in emu.store.dump() if t["name"] == "live-event"]
    assert sorted(stored["roles"]) == ["audience", "host", "panelist"]
    assert stored["settings"]["recording"]["upload"]["credentials"] == {
        "key": SECRETS["HMSYNC_LIVE_EVENT_STORAGE_KEY"],
        "secret": SECRETS["HMSYNC_LIVE_EVENT_STORAGE_SECRET"],
    }
    assert list(stored["destinations"]["transcriptions"]) == []
    assert stored["recordings"][0]["thumbnails"]["enabled"] is True
