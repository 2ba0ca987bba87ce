"""hmsync against an emulator with 20 ms of latency per request, beside its floors and a script.

Run with `make bench` (three runs; `--runs N` for another count). Prints every target with
met or missed, writes benchmarks/results.json, and `--update-docs` rewrites the table in
README.md from that file. Everything talks to emulators this script starts on loopback ports
and stops at the end; every command runs as its own process, timed from spawn to exit.

What is measured, and against what:
- start-up: `--version`, `validate` and `plan` of 10 templates (against an emulator without
  added latency), each as a ratio to `python -c pass` in the same run, medians of 7; validate
  and plan as a user runs them again and again (the cache filled by the first run), and with
  --no-cache;
- plan of 1,000 (and 5,000) templates of 10 roles in block YAML, against the listing alone:
  a plain script that walks the same pages and nothing else, timed the same way just before;
- apply of 1,000 role changes in 250 templates, against its floor: that listing twice (the
  plan's, and the convergence read after) plus the per-template rounds of writes, each write
  as long as one measured round trip; and against a competent script at the same parallelism;
- the emulator's own CPU apart from the client's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from report import markdown, text, update_docs
from workload import (
    ROLES,
    EmulatorProcess,
    hmsync,
    live_templates,
    run_measured,
    write_files,
)

LATENCY_MS = 20
HERE = Path(__file__).resolve().parent
BASELINE = [sys.executable, str(HERE / "baseline.py")]
APPLY_TEMPLATES, APPLY_ROLES = 250, 4  # 1,000 role changes


def median_wall(command: list[str], env: dict[str, str], cwd: Path, times: int = 7) -> float:
    walls = []
    for _ in range(times):
        result = run_measured(command, env, cwd)
        assert result["exit"] == 0, result
        walls.append(result["wall_s"])
    return statistics.median(walls)


def bench_startup(root: Path) -> dict[str, Any]:
    """--version, validate and plan of 10 templates, as ratios to `python -c pass`."""
    emulator = EmulatorProcess(0)
    try:
        folder = root / "startup" / "templates"
        folder.mkdir(parents=True)
        write_files(folder, 10)
        emulator.load(live_templates(10))
        env = emulator.env("v1")
        cwd = folder.parent
        # As a user runs them (the cache filled by the first of the runs), and without it.
        cold = ["--no-cache"]
        return {
            "pass_s": median_wall([sys.executable, "-c", "pass"], {}, cwd),
            "version_s": median_wall(hmsync(["--version"]), {}, cwd),
            "validate_s": median_wall(hmsync(["validate", "templates"]), {}, cwd),
            "plan_s": median_wall(hmsync(["plan", "templates"]), env, cwd),
            "validate_cold_s": median_wall(hmsync(["validate", *cold, "templates"]), {}, cwd),
            "plan_cold_s": median_wall(hmsync(["plan", *cold, "templates"]), env, cwd),
        }
    finally:
        emulator.stop()


def listing_alone(emulator: EmulatorProcess, api: str, cwd: Path) -> dict[str, Any]:
    result = run_measured([*BASELINE, "list", api, emulator.base(api)], {}, cwd, emulator)
    assert result["exit"] == 0, result
    inside = json.loads(result["output"][-1])
    return {
        "wall_s": result["wall_s"],
        "inside_s": inside["inside_s"],
        "pages": inside["pages"],
        "cpu_s": result["cpu_s"],
        "server_cpu_s": result["server_cpu_s"],
    }


def bench_plan(
    emulator: EmulatorProcess, root: Path, api: str, count: int, cache: str
) -> dict[str, Any]:
    """One plan with no changes; cache "cold" (none) or "warm" (filled by a plan before)."""
    emulator.load(live_templates(count, api))
    alone = listing_alone(emulator, api, root)
    emulator.calls()
    args = ["plan", "templates", "--detailed-exitcode", "--api", api]
    if cache == "cold":
        shutil.rmtree(Path(os.environ["XDG_CACHE_HOME"]), ignore_errors=True)
    if cache == "warm":  # the run before fills the cache
        run_measured(hmsync(args), emulator.env(api), root)
        emulator.calls()
    result = run_measured(hmsync(args), emulator.env(api), root, emulator)
    assert result["exit"] == 0, result
    calls = emulator.calls()["total"]
    return {
        "api": api,
        "templates": count,
        "cache": cache,
        **_numbers(result),
        "calls": calls,
        "alone": alone,
    }


def bench_apply(
    emulator: EmulatorProcess, root: Path, api: str, parallelism: int
) -> dict[str, Any]:
    folder = root / "templates"
    write_files(folder, APPLY_TEMPLATES, dict.fromkeys(range(APPLY_ROLES), 2))
    emulator.load(live_templates(APPLY_TEMPLATES, api))
    alone = listing_alone(emulator, api, root)
    one = run_measured([*BASELINE, "times", api, emulator.base(api), "20"], {}, root)
    times = json.loads(one["output"][-1])
    emulator.calls()
    args = ["apply", "templates", "--auto-approve", "--api", api]
    args += ["--parallelism", str(parallelism)]
    result = run_measured(hmsync(args), emulator.env(api), root, emulator)
    assert result["exit"] == 0, result
    calls = emulator.calls()
    # Each template's calls one after another (its fresh read, then its writes), templates
    # `parallelism` at once; before them the plan's listing (with start-up), after them the
    # convergence read, another listing.
    reads = (calls["total"] - calls["writes"] - 2 * alone["pages"]) / APPLY_TEMPLATES
    per_template = reads * times["read_s"] + APPLY_ROLES * times["write_s"]
    rounds = math.ceil(APPLY_TEMPLATES / parallelism)
    floor = alone["wall_s"] + alone["inside_s"] + rounds * per_template
    emulator.load(live_templates(APPLY_TEMPLATES, api))
    script_args = ["apply", api, emulator.base(api), str(parallelism), str(folder)]
    script = run_measured(BASELINE + script_args, {}, root, emulator)
    assert script["exit"] == 0, script
    script_calls = emulator.calls()
    return {
        "api": api,
        "parallelism": parallelism,
        "changes": APPLY_TEMPLATES * APPLY_ROLES,
        "templates": APPLY_TEMPLATES,
        **_numbers(result),
        "calls": calls["total"],
        "writes": calls["writes"],
        "write_s": times["write_s"],
        "read_s": times["read_s"],
        "reads_per_template": reads,
        "floor_s": floor,
        "alone": alone,
        "script": {**_numbers(script), "calls": script_calls["total"]},
    }


def _numbers(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("wall_s", "cpu_s", "peak_mb", "server_cpu_s")
    return {k: result[k] for k in keys}


def one_run(root: Path) -> dict[str, Any]:
    run: dict[str, Any] = {"startup": bench_startup(root)}
    emulator = EmulatorProcess(LATENCY_MS)
    try:
        (root / "templates").mkdir()
        plans = []
        write_files(root / "templates", 1000)
        for api in ("v1", "v2"):
            for cache in ("cold", "warm"):
                plans.append(bench_plan(emulator, root, api, 1000, cache))
        write_files(root / "templates", 5000)
        plans.append(bench_plan(emulator, root, "v2", 5000, "cold"))
        run["plan"] = plans
        run["apply"] = [bench_apply(emulator, root, a, p) for a in ("v1", "v2") for p in (8, 16)]
    finally:
        emulator.stop()
    diff = subprocess.run(
        [sys.executable, str(HERE / "diff_cpu.py")], capture_output=True, text=True, check=True
    ).stdout
    run["diff_cpu_s"] = float(diff.split("worst ")[1].split(" s")[0])
    return run


def as_installed() -> None:
    """Every child runs as an installed hmsync does: from compiled bytecode (pip compiles it;
    a shell with PYTHONDONTWRITEBYTECODE=1 would make each start-up compile hmsync again)."""
    import compileall

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(str(HERE.parent / "hmsync"), quiet=1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--update-docs", action="store_true", help="rewrite README's table only")
    args = parser.parse_args(argv)
    results_file = HERE / "results.json"
    if not args.update_docs:
        as_installed()
        runs = []
        for n in range(args.runs):
            print(f"run {n + 1} of {args.runs} ...", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory() as tmp:
                # Each run's cache is its own (in the user cache folder, as a user's), and on
                # even where CI is set, so cold and warm mean the same everywhere.
                os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "user-cache")
                os.environ.pop("CI", None)
                runs.append(one_run(Path(tmp)))
        results = {
            "latency_ms": LATENCY_MS,
            "roles": ROLES,
            "python": sys.version.split()[0],
            "runs": runs,
        }
        results_file.write_text(json.dumps(results, indent=1) + "\n")
        print(text(results))
    else:
        results = json.loads(results_file.read_text())
    update_docs(HERE.parent / "README.md", markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
