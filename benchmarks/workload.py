"""What the benchmarks run against: an emulator process, template files in block YAML as a
person writes them, the live templates they match, and one measured child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET
from hmsync.plan.normalize import complete_role

ROLES = 10
TICKS = os.sysconf("SC_CLK_TCK")


class EmulatorProcess:
    """`hmsync emulator` in its own process, so client and server do not share a GIL; its CPU
    is read from /proc, so the report can keep it apart from the client's."""

    def __init__(self, latency_ms: int) -> None:
        self.proc = subprocess.Popen(
            [*hmsync(["emulator", "--port", "0"]), "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        self.url = first.rsplit(" ", 1)[1].strip().removesuffix("/policy/v1")
        self.control = httpx.Client(base_url=self.url + "/_emulator", timeout=300)

    def base(self, api: str) -> str:
        return self.url + ("/policy/v1" if api == "v1" else "/v2")

    def env(self, api: str) -> dict[str, str]:
        return {
            "HMS_API_BASE": self.base(api),
            "HMS_ACCESS_KEY": DEFAULT_ACCESS_KEY,
            "HMS_SECRET": DEFAULT_SECRET,
        }

    def load(self, templates: list[dict[str, Any]]) -> None:
        self.control.post("/reset").raise_for_status()
        for i in range(0, len(templates), 500):
            batch = {"templates": templates[i : i + 500]}
            self.control.post("/templates", json=batch).raise_for_status()
        self.control.delete("/calls").raise_for_status()

    def calls(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control.get("/calls").json()
        self.control.delete("/calls").raise_for_status()
        return result

    def cpu(self) -> float:
        """The emulator's CPU seconds so far (user and system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        self.control.close()
        self.proc.terminate()
        self.proc.wait()


def role(r: int, priority: int) -> dict[str, Any]:
    """A role as a person writes one: publishing, subscribing, a few permissions."""
    return {
        "priority": priority,
        "publishParams": {
            "allowed": ["audio", "video", "screen"] if r == 0 else ["audio", "video"],
            "video": {"bitRate": 300 + r, "width": 640, "height": 360, "frameRate": 30},
        },
        "subscribeParams": {
            "subscribeToRoles": [f"r{s}" for s in range(min(r + 2, ROLES))],
            "maxSubsBitRate": 3200,
        },
        "permissions": {"mute": r == 0, "unmute": r == 0, "endRoom": r == 0},
    }


def template_file(t: int, priorities: dict[int, int]) -> str:
    """One template in block YAML; roles named in priorities get that priority."""
    data = {
        "name": f"t{t:04}",
        "roles": {f"r{r}": role(r, priorities.get(r, 1)) for r in range(ROLES)},
    }
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def write_files(folder: Path, count: int, priorities: dict[int, int] | None = None) -> None:
    for f in folder.glob("*.yaml"):
        f.unlink()
    for t in range(count):
        (folder / f"t{t:04}.yaml").write_text(template_file(t, priorities or {}))


def live_templates(count: int, api: str = "v1") -> list[dict[str, Any]]:
    """What the files are live, as the API's defaults fill them (v2 has more permissions)."""
    return [
        {
            "name": f"t{t:04}",
            "roles": {
                f"r{r}": {"name": f"r{r}", **complete_role(role(r, 1), api)} for r in range(ROLES)
            },
            "settings": {"recording": {"enabled": False}},
        }
        for t in range(count)
    ]


# A small process that starts every measured command. A child's peak RSS (ru_maxrss) counts
# the memory of the process it was forked from, up to its exec: from the benchmark itself,
# which holds thousands of templates, it would measure the benchmark.
_LAUNCHER = """
import json, os, subprocess, sys, tempfile, time
for line in sys.stdin:
    job = json.loads(line)
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        proc = subprocess.Popen(job["command"], cwd=job["cwd"], env=job["env"],
                                stdout=output, stderr=output)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        output.seek(0)
        lines = output.read().strip().splitlines()
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "wall_s": wall,
                      "cpu_s": usage.ru_utime + usage.ru_stime,
                      "peak_mb": usage.ru_maxrss / 1024, "output": lines[-3:]}), flush=True)
"""


class _Launcher:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, command: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"command": command, "env": env, "cwd": str(cwd)}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        result: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return result


_launcher: _Launcher | None = None


def run_measured(
    command: list[str], env: dict[str, str], cwd: Path, emulator: EmulatorProcess | None = None
) -> dict[str, Any]:
    """One child process, started by the launcher: exit code, wall, CPU and peak RSS of that
    child, the emulator's CPU meanwhile, and its last lines of output (a failed plan can
    print megabytes)."""
    global _launcher
    if _launcher is None:
        _launcher = _Launcher()
    server_cpu = emulator.cpu() if emulator else 0.0
    result = _launcher.run(command, {**os.environ, **env}, cwd)
    result["server_cpu_s"] = (emulator.cpu() - server_cpu) if emulator else 0.0
    return result


def hmsync(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "hmsync", *args]
