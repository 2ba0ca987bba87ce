"""Plan with 100 room files, against an emulator with 20 ms of latency per request: the wall
time, the calls it makes (only the named rooms are read: two list calls a room, enabled and
disabled, and its codes), and the same plan against an account that also holds 5,000 rooms no
file names (a busy app's runtime rooms), which must cost nothing more.

Run with `python benchmarks/rooms.py` (`make bench` runs it after the main benchmarks). Prints
one line per measurement; talks only to the emulator it starts on loopback, and stops it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from workload import EmulatorProcess, hmsync, run_measured

LATENCY_MS = 20
ROOMS = 100
TEMPLATE = "name: town-hall\nroles:\n  host: {}\n  guest: {}\n"


def room_file(i: int) -> str:
    return (
        f"name: room-{i:03}\ntemplate: town-hall\ndescription: room {i}\nsize: {100 + i}\n"
        "codes: {host: enabled, guest: disabled}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    emulator = EmulatorProcess(LATENCY_MS)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "templates").mkdir()
            (root / "rooms").mkdir()
            (root / "hmsync.yaml").write_text("api: v2\n")
            (root / "templates" / "town-hall.yaml").write_text(TEMPLATE)
            for i in range(ROOMS):
                (root / "rooms" / f"room-{i:03}.yaml").write_text(room_file(i))
            env = {**emulator.env("v2"), "PATH": "/usr/bin:/bin"}
            made = run_measured(
                hmsync(["apply", "--auto-approve", "--parallelism", "8"]), env, root
            )
            assert made["exit"] == 0, made
            emulator.calls()
            for label, extra in (("", 0), (" (5,000 other rooms live)", 5000)):
                if extra:
                    _runtime_rooms(emulator, extra)
                walls = []
                for _ in range(args.runs):
                    result = run_measured(hmsync(["plan", "--detailed-exitcode"]), env, root)
                    assert result["exit"] == 0, result
                    walls.append(result["wall_s"])
                calls = emulator.calls()
                per_run = calls["total"] // args.runs
                print(
                    f"plan, {ROOMS} room files{label}: median {statistics.median(walls):.2f} s "
                    f"(runs {', '.join(f'{w:.2f}' for w in walls)}), {per_run} calls a plan "
                    f"({calls['routes'].get('v2_list_rooms', 0) // args.runs} room lists, "
                    f"{calls['routes'].get('v2_list_room_codes', 0) // args.runs} code lists), "
                    f"{LATENCY_MS} ms a request"
                )
    finally:
        emulator.stop()
    return 0


def _runtime_rooms(emulator: EmulatorProcess, count: int) -> None:
    """Rooms an app made at runtime, through the API (16 at a time)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from hmsync.backends.auth import make_token

    env = emulator.env("v2")
    token, _ = make_token(env["HMS_ACCESS_KEY"], env["HMS_SECRET"], time.time())
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=emulator.base("v2"), headers=headers, timeout=60) as api:
        template = api.get("/templates", params={"limit": 10}).json()["data"][0]["id"]

        def make(i: int) -> None:
            body = {"name": f"runtime-{i:05}", "template_id": template}
            api.post("/rooms", json=body).raise_for_status()

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(make, range(count)))
    emulator.calls()


if __name__ == "__main__":
    sys.exit(main())
