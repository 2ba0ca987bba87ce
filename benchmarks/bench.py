"""hmsync against an emulator with 20 ms of latency per request, beside the hand-written way.

Run with `make bench`. Prints a table and writes benchmarks/results.json. Everything talks to an
emulator this script starts on a loopback port and stops at the end.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from hmsync.auth import make_token
from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET

LATENCY_MS = 20
ROLES = 10
HERE = Path(__file__).resolve().parent


class EmulatorProcess:
    """`hmsync emulator` in its own process, so client and server do not share a GIL."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hmsync",
                "emulator",
                "--port",
                "0",
                "--latency-ms",
                str(LATENCY_MS),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        self.url = first.rsplit(" ", 1)[1].strip().removesuffix("/policy/v1")
        self.api = self.url + "/policy/v1"
        self.control = httpx.Client(base_url=self.url + "/_emulator", timeout=120)

    def env(self, api: str = "v1") -> dict[str, str]:
        return {
            "HMS_API_BASE": self.api if api == "v1" else self.url + "/v2",
            "HMS_ACCESS_KEY": DEFAULT_ACCESS_KEY,
            "HMS_SECRET": DEFAULT_SECRET,
        }

    def load(self, templates: list[dict[str, Any]]) -> None:
        self.control.post("/reset")
        for i in range(0, len(templates), 200):
            self.control.post("/templates", json={"templates": templates[i : i + 200]})
        self.control.delete("/calls")

    def calls(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control.get("/calls").json()
        return result

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def role(r: int, priority: int) -> dict[str, Any]:
    return {
        "priority": priority,
        "publishParams": {"allowed": ["audio", "video"], "video": {"bitRate": 300 + r}},
        "subscribeParams": {"subscribeToRoles": ["r0"], "maxSubsBitRate": 1000},
    }


def live_role(name: str, r: int, priority: int) -> dict[str, Any]:
    from hmsync.normalize import complete_role

    return {"name": name, **complete_role(role(r, priority))}


def write_files(folder: Path, count: int, changed: int, priority: int) -> None:
    """count template files; the first `changed` have every role at `priority`."""
    for f in folder.glob("*.yaml"):
        f.unlink()
    for t in range(count):
        p = priority if t < changed else 1
        data = {"name": f"t{t:04}", "roles": {f"r{r}": role(r, p) for r in range(ROLES)}}
        (folder / f"t{t:04}.yaml").write_text(json.dumps(data))


def live_templates(count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"t{t:04}",
            "roles": {f"r{r}": live_role(f"r{r}", r, 1) for r in range(ROLES)},
            "settings": {"recording": {"enabled": False}},
        }
        for t in range(count)
    ]


def run_measured(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """One hmsync command in a child process: exit code, wall, CPU and peak RSS of that child."""
    print(f"  hmsync {' '.join(args[:1])} ...", file=sys.stderr, flush=True)
    # Output to a file, not a pipe: a large plan would fill the pipe while we wait for the child.
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "hmsync", *args],
            cwd=cwd,
            env={**os.environ, **env},
            stdout=output,
            stderr=output,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        output.seek(0)
        tail = output.read().strip().splitlines()[-1:]
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "last_line": tail[0] if tail else "",
    }


def startup_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hmsync", "--version"], capture_output=True, check=True)
    return time.perf_counter() - started


class Script:
    """The way hand-written scripts do it: read each template by name, then read-modify-write
    the whole template with Modify Template, one at a time."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        token, _ = make_token(DEFAULT_ACCESS_KEY, DEFAULT_SECRET, time.time())
        self.http = httpx.Client(
            base_url=emulator.api, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    def read(self, names: list[str]) -> list[dict[str, Any]]:
        return [self.http.get("/templates", params={"name": n}).json()["data"][0] for n in names]

    def apply(self, names: list[str], priority: int) -> None:
        for template in self.read(names):
            roles = {n: {**r, "priority": priority} for n, r in template["roles"].items()}
            body = {"roles": roles, "settings": template.get("settings", {})}
            self.http.post(
                "/templates", params={"id": template["_id"]}, json=body
            ).raise_for_status()


def bench_plan(
    emulator: EmulatorProcess, folder: Path, count: int, api: str = "v1"
) -> dict[str, Any]:
    emulator.load(live_templates(count))
    write_files(folder, count, 0, 1)
    result = run_measured(
        ["plan", str(folder), "--detailed-exitcode", "--api", api],
        emulator.env(api),
        folder.parent,
    )
    result["calls"] = emulator.calls()["total"]
    assert result["exit"] == 0, result
    if api == "v2":  # the v2 list takes 100 a page; no script baseline
        calls_target = math.ceil(count / 100)
        return {
            "api": api,
            "templates": count,
            "roles": count * ROLES,
            **result,
            "calls_target": calls_target,
            "wall_target_s": round(1.5 * calls_target * LATENCY_MS / 1000 + 1, 3),
        }
    emulator.control.delete("/calls")
    started = time.perf_counter()
    Script(emulator).read([f"t{t:04}" for t in range(count)])
    baseline = {
        "wall_s": round(time.perf_counter() - started, 3),
        "calls": emulator.calls()["total"],
    }
    calls_target = math.ceil(count / 20)
    wall_target = 1.5 * calls_target * LATENCY_MS / 1000 + 1
    return {
        "api": api,
        "templates": count,
        "roles": count * ROLES,
        **result,
        "calls_target": calls_target,
        "wall_target_s": round(wall_target, 3),
        "baseline": baseline,
        "speedup": round(baseline["wall_s"] / result["wall_s"], 1),
    }


def bench_apply(
    emulator: EmulatorProcess, folder: Path, parallelism: int, api: str = "v1"
) -> dict[str, Any]:
    templates, per_template = 250, 4  # 1,000 role changes
    emulator.load(live_templates(templates))
    for f in folder.glob("*.yaml"):
        f.unlink()
    for t in range(templates):
        roles = {f"r{r}": role(r, 2 if r < per_template else 1) for r in range(ROLES)}
        (folder / f"t{t:04}.yaml").write_text(json.dumps({"name": f"t{t:04}", "roles": roles}))
    result = run_measured(
        ["apply", str(folder), "--auto-approve", "--parallelism", str(parallelism), "--api", api],
        emulator.env(api),
        folder.parent,
    )
    calls = emulator.calls()
    changes = templates * per_template
    assert result["exit"] == 0, result
    target = 1.5 * math.ceil(changes / parallelism) * LATENCY_MS / 1000
    return {
        "api": api,
        "changes": changes,
        "templates": templates,
        "parallelism": parallelism,
        **result,
        "calls": calls["total"],
        "writes": calls["writes"],
        "wall_target_s": round(target, 3),
    }


def bench_apply_baseline(emulator: EmulatorProcess) -> dict[str, Any]:
    emulator.load(live_templates(250))
    started = time.perf_counter()
    Script(emulator).apply([f"t{t:04}" for t in range(250)], 2)
    return {"wall_s": round(time.perf_counter() - started, 3), "calls": emulator.calls()["total"]}


def main() -> int:
    emulator = EmulatorProcess()
    results: dict[str, Any] = {"latency_ms": LATENCY_MS, "python": sys.version.split()[0]}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "templates"
            folder.mkdir()
            results["startup_s"] = round(startup_seconds(), 3)
            results["plan"] = [
                bench_plan(emulator, folder, n, api) for api in ("v1", "v2") for n in (100, 1000)
            ]
            results["apply"] = [
                bench_apply(emulator, folder, p, api) for api in ("v1", "v2") for p in (1, 8, 16)
            ]
            results["apply_baseline"] = bench_apply_baseline(emulator)
    finally:
        emulator.stop()
    diff = subprocess.run(
        [sys.executable, str(HERE / "diff_cpu.py")], capture_output=True, text=True, check=True
    ).stdout
    results["diff_cpu_s"] = float(re.findall(r"worst ([0-9.]+) s", diff)[0])
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    return 0


def _ok(good: bool) -> str:
    return "met" if good else "MISSED"


def report(r: dict[str, Any]) -> str:
    lines = [
        f"hmsync benchmarks: emulator latency {r['latency_ms']} ms per request, Python "
        f"{r['python']}; wall times include process start-up ({r['startup_s']} s)",
        "",
        "plan (no changes)          calls (target)     wall s (target)     CPU s  peak MB (<150)",
    ]
    for p in r["plan"]:
        lines.append(
            f"  {p['api']} {p['templates']:>5} x {ROLES} roles "
            f"{p['calls']:>4} ({p['calls_target']:>3}) "
            f"{_ok(p['calls'] == p['calls_target']):<6}  {p['wall_s']:>6.2f} "
            f"({p['wall_target_s']:.2f}) {_ok(p['wall_s'] <= p['wall_target_s']):<6}  "
            f"{p['cpu_s']:>6.2f}  {p['peak_mb']:>6.1f} {_ok(p['peak_mb'] < 150)}"
        )
    lines += ["", "plan vs a script reading each template by name (v1)  calls   wall s   ratio"]
    for p in (p for p in r["plan"] if "baseline" in p):
        base = p["baseline"]
        lines.append(
            f"  {p['templates']:>5} templates: hmsync {p['calls']:>4} calls {p['wall_s']:>6.2f} s"
            f" | script {base['calls']:>5} calls {base['wall_s']:>6.2f} s   {p['speedup']:>5}x"
        )
    lines += ["", "apply 1,000 role changes in 250 templates   calls  writes   wall s (target)"]
    for a in r["apply"]:
        lines.append(
            f"  hmsync {a['api']}, parallelism {a['parallelism']:>2}             {a['calls']:>5}  "
            f"{a['writes']:>6}   {a['wall_s']:>6.2f} ({a['wall_target_s']:>5.2f}) "
            f"{_ok(a['wall_s'] <= a['wall_target_s'])}   CPU {a['cpu_s']:.2f} s, "
            f"peak {a['peak_mb']:.1f} MB"
        )
    b = r["apply_baseline"]
    best = min(a["wall_s"] for a in r["apply"] if a["api"] == "v1")
    lines.append(
        f"  script: read by name, modify whole  {b['calls']:>5}  {b['calls'] // 2:>6}   "
        f"{b['wall_s']:>6.2f}          {b['wall_s'] / best:.1f}x slower than hmsync at best"
    )
    lines += [
        "",
        f"diff CPU, 1,000 x 10 roles: {r['diff_cpu_s']:.3f} s (target < 1 s) "
        f"{_ok(r['diff_cpu_s'] < 1)}",
        "results: benchmarks/results.json",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
