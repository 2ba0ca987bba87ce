"""The fault matrix: does *one* apply converge under a hostile network?

For each API and seed: an emulator holds the example templates; a change set is applied once
under 500s and other 5xx, 429s and lost answers; the run counts as converged when apply exits 0
and the emulator holds exactly what the same apply makes without faults, with no write the
plan did not show. Run `make faults` (20 seeds per API); the suite runs a few seeds.
Everything talks to emulators started here, on loopback, stopped at the end.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from hmsync.cli import main
from hmsync.emulator import Emulator
from hmsync.emulator.readings import Readings

FAULTS = {
    "error_rate": 0.2,
    "error_statuses": [500, 502, 503, 504],
    "throttle_rate": 0.1,
    "retry_after": 0,
}
LOST_ANSWERS = 0.1
ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "HMSYNC_S3_KEY": "AKIAEXAMPLEKEY",
    "HMSYNC_S3_SECRET": "example-secret-value",
    "HMSYNC_LIVE_EVENT_STORAGE_KEY": "GOOG1EXAMPLEKEY",
    "HMSYNC_LIVE_EVENT_STORAGE_SECRET": "gs-secret-value-123",
    "HMSYNC_YOUTUBE_STREAM_KEY": "yt-stream-key-0001",
    "HMSYNC_ALL_HANDS_WEBHOOK_TOKEN": "webhook-token-0001",
}
# v2 also a room (the example's), changed in the second apply: its size, and host's codes
# disabled (viewer is the role _changed renames, so the second file no longer names it).
ROOM = (ROOT / "examples" / "v2" / "rooms" / "all-hands.yaml").read_text()
ROOM_AFTER = (
    ROOM.replace("size: 2000", "size: 1500")
    .replace("host: enabled", "host: disabled")
    .replace("  viewer: enabled\n", "")
)


def _examples(api: str) -> list[Path]:
    folder = ROOT / "examples" / ("v2/templates" if api == "v2" else "templates")
    return sorted(folder.glob("*.yaml"))


def _changed(text: str) -> str:
    """Every role's priority moved by one, a role renamed, a role added: updates, a rename
    and a create in one apply."""
    data = yaml.safe_load(text)
    roles = data.get("roles") or {}
    for role in roles.values():
        if isinstance(role.get("priority"), int):
            role["priority"] = role["priority"] % 5 + 1
    first = sorted(roles)[-1]
    roles[first + "-renamed"] = {**roles.pop(first), "renamedFrom": first}
    for role in roles.values():  # the subscriptions follow the rename, as they must
        subscribe = role.get("subscribeParams") or {}
        targets = subscribe.get("subscribeToRoles")
        if isinstance(targets, list):
            subscribe["subscribeToRoles"] = [
                first + "-renamed" if t == first else t for t in targets
            ]
    roles["late-joiner"] = {"priority": 5}
    return yaml.safe_dump(data, sort_keys=False)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _apply(emu: Emulator, folder: Path, api: str, *extra: str) -> int:
    environ = {**emu.env(), **SECRETS, "HMS_API_BASE": emu.base(api)}
    project = folder.parent / f"{folder.name}.hmsync.yaml"  # v2: the rooms beside (_rooms)
    config = ["--config", str(project)] if project.exists() else []
    with _quiet():
        return main(
            ["apply", str(folder), "--api", api, "--auto-approve", *config, *extra], environ
        )


def _rooms(work: Path) -> None:
    """v2: a project file for each apply, naming its room folder."""
    for name, text in (("before", ROOM), ("after", ROOM_AFTER)):
        (work / f"rooms-{name}").mkdir(exist_ok=True)
        (work / f"rooms-{name}" / "all-hands.yaml").write_text(text)
        (work / f"{name}.hmsync.yaml").write_text(
            f"api: v2\ntemplates: {name}\nrooms: rooms-{name}\n"
        )


def _state(emu: Emulator) -> list[dict[str, Any]]:
    """The templates, then each room with its codes as role states: a code made twice by a
    retry whose answer was lost is one more key to the same room, not another state."""
    drop = ("_id", "customer", "id", "customerId", "createdAt", "updatedAt")
    templates = sorted(
        ({k: v for k, v in t.items() if k not in drop} for t in emu.store.dump()),
        key=lambda t: str(t.get("name")),
    )
    rooms = []
    for room in sorted(emu.store.rooms.values(), key=lambda r: str(r["name"])):
        codes: dict[str, bool] = {}
        for code in emu.store.codes.values():
            if code["room_id"] == room["id"]:
                codes[code["role"]] = codes.get(code["role"], False) or code["enabled"]
        kept = {
            k: v
            for k, v in room.items()
            if k not in ("id", "template_id", "created_at", "updated_at")
        }
        rooms.append({**kept, "codes": codes})
    return [*templates, *rooms]


def one_run(api: str, seed: int, work: Path) -> tuple[bool, str]:
    """(converged, why not) for one seeded apply under faults."""
    before, after = work / "before", work / "after"
    for folder in (before, after):
        folder.mkdir(parents=True, exist_ok=True)
    for path in _examples(api):
        (before / path.name).write_text(path.read_text())
        (after / path.name).write_text(_changed(path.read_text()))
    if api == "v2":
        _rooms(work)
    with Emulator(api=api) as calm:
        assert _apply(calm, before, api) == 0 and _apply(calm, after, api) == 0
        expected = _state(calm)
    readings = Readings(lost_answer_rate=LOST_ANSWERS)
    with Emulator(api=api, seed=seed, readings=readings) as emu:
        if _apply(emu, before, api) != 0:
            return False, "could not set up"
        emu.set_faults(**FAULTS)
        code = _apply(emu, after, api, "--retries", "8")
        emu.set_faults(error_rate=0.0, throttle_rate=0.0)
        emu.set_readings(lost_answer_rate=0.0)
        got = _state(emu)
    if code != 0:
        return False, f"exit {code}"
    if got != expected:
        return False, "converged to another state"
    if api == "v2" and not any(r.get("name") == "all-hands" for r in got):
        return False, "no room"
    return True, ""


def matrix(seeds: range) -> dict[str, list[tuple[int, bool, str]]]:
    out: dict[str, list[tuple[int, bool, str]]] = {}
    for api in ("v1", "v2"):
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                ok, why = one_run(api, seed, Path(tmp))
            out.setdefault(api, []).append((seed, ok, why))
    return out


def report(results: dict[str, list[tuple[int, bool, str]]]) -> str:
    lines = ["First-apply convergence under 20% 5xx (500 included), 10% 429 and 10% lost answers:"]
    for api, runs in results.items():
        good = sum(ok for _, ok, _ in runs)
        failed = ", ".join(f"seed {s}: {why}" for s, ok, why in runs if not ok)
        lines.append(f"  {api}: {good}/{len(runs)} converged" + (f" ({failed})" if failed else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    results = matrix(range(1, count + 1))
    print(report(results))
    sys.exit(0 if all(ok for runs in results.values() for _, ok, _ in runs) else 1)
