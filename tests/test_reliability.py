"""Faults survived, restarts recovered from, bad input refused, secrets never shown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.backends.auth import make_token
from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET, Emulator
from hmsync.files.loader import load_bytes
from hmsync.files.schema import schema_problems
from hmsync.files.semantic import semantic_problems

from .conftest import EXAMPLES, Run, Write
from .helpers import env, hmsync
from .strategies import fuzz_values

FAULTS: dict[str, dict[str, Any]] = {
    "latency": {"latency_ms": 40},
    "5xx": {"error_rate": 0.3, "error_statuses": [502, 503]},
    "429 storm": {"throttle_rate": 0.5, "retry_after": 0},
    "dropped connections": {"drop_rate": 0.3},
}
PATIENT = ("--retries", "15")


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(seed=1) as emulator:
        yield emulator


def state(emu: Emulator) -> dict[str, Any]:
    return {
        t["name"]: {k: v for k, v in t.items() if k not in ("_id", "customer")}
        for t in emu.store.dump()
    }


# -- the fault matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_plan_under_faults(emu: Emulator, run: Run, fault: str) -> None:
    emu.set_faults(**FAULTS[fault])
    result = run("plan", str(EXAMPLES), *PATIENT, env=env(emu))
    assert (result.code, result.out.splitlines()[-1]) == (0, "Plan: 3 templates to create.")


@pytest.mark.parametrize("fault", FAULTS)
def test_apply_under_faults_ends_in_the_right_state(emu: Emulator, run: Run, fault: str) -> None:
    with Emulator() as calm:  # the same apply without faults: the state to reach
        assert run("apply", str(EXAMPLES), "--auto-approve", env=env(calm)).code == 0
        expected = state(calm)
    emu.set_faults(**FAULTS[fault])
    result = run("apply", str(EXAMPLES), "--auto-approve", *PATIENT, env=env(emu))
    assert result.code == 0, result.out + result.err
    assert state(emu) == expected


@pytest.mark.parametrize("fault", FAULTS)
def test_drift_under_faults(emu: Emulator, run: Run, fault: str) -> None:
    run("apply", str(EXAMPLES), "--auto-approve", env=env(emu))
    emu.store.load([{"name": "legacy"}])
    emu.set_faults(**FAULTS[fault])
    result = run("drift", str(EXAMPLES), *PATIENT, env=env(emu))
    assert (result.code, result.out.splitlines()[-1]) == (
        0,
        "In sync: live templates match the files.",
    )


@pytest.mark.parametrize("fault", FAULTS)
def test_export_under_faults_writes_the_same_files(
    emu: Emulator, run: Run, fault: str, tmp_path: Path
) -> None:
    run("apply", str(EXAMPLES), "--auto-approve", env=env(emu))
    assert run("export", "--out", "calm", env=env(emu)).code == 0
    emu.set_faults(**FAULTS[fault])
    assert run("export", "--out", "faulty", *PATIENT, env=env(emu)).code == 0
    for calm in sorted((tmp_path / "calm").glob("*.yaml")):
        assert (tmp_path / "faulty" / calm.name).read_text() == calm.read_text()


@pytest.mark.parametrize("command", ["plan", "apply", "drift", "export"])
def test_faults_beyond_the_retries_are_one_clear_error(
    emu: Emulator, run: Run, command: str
) -> None:
    emu.set_faults(error_rate=1.0, error_statuses=[503])
    args = [command, "--retries", "1"]
    if command in ("plan", "apply", "drift"):
        args.insert(1, str(EXAMPLES))
    if command == "apply":
        args.append("--auto-approve")
    result = run(*args, env=env(emu))
    assert result.code == 1
    assert (
        result.err == f"hmsync: GET {emu.api_base}/templates: 503 Internal error after 2 attempts\n"
        "  injected fault\n"
    )
    assert emu.calls()["writes"] == 0 and emu.store.dump() == []


def test_an_apply_whose_writes_keep_failing_says_what_was_not_done(emu: Emulator, run: Run) -> None:
    emu.store.load([{"name": "classroom", "roles": {}}])
    original = emu.store.upsert_role

    def broken(*args: Any) -> Any:
        raise __import__("hmsync.emulator.store", fromlist=["ApiError"]).ApiError(
            503, "Service Unavailable", ["down for maintenance"]
        )

    emu.store.upsert_role = broken  # type: ignore[method-assign]
    result = run("apply", str(EXAMPLES), "--auto-approve", "--retries", "1", env=env(emu))
    emu.store.upsert_role = original  # type: ignore[method-assign]
    assert result.code == 3
    report = result.out.split("\n\n")[-1]
    assert "FAILED  classroom: 0 done, then create role assistant failed:" in report
    assert (
        "not attempted: create role student" in report
        and "not attempted: update settings" in report
    )
    assert [line.strip() for line in report.splitlines() if "not attempted:" in line] == [
        "not attempted: create role student",
        "not attempted: create role teacher",
        "not attempted: update settings",
        "not attempted: set default",
    ]
    assert report.endswith("Apply: 2 action(s) done, 1 failed, 4 not attempted, 0 not converged.\n")


# -- the emulator restarted mid-apply --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_emulator(port: int, state_file: Path, latency: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hmsync",
            "emulator",
            "--port",
            str(port),
            "--state",
            str(state_file),
            "--latency-ms",
            str(latency),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("hmsync emulator:")
    return proc


def test_emulator_restarted_mid_apply_with_state_then_apply_converges(
    tmp_path: Path, write: Write
) -> None:
    port, state_file = free_port(), tmp_path / "state.json"
    base = f"http://127.0.0.1:{port}"
    environ = {
        **os.environ,
        "HMS_API_BASE": base + "/policy/v1",
        "HMS_ACCESS_KEY": DEFAULT_ACCESS_KEY,
        "HMS_SECRET": DEFAULT_SECRET,
    }

    def roles(priority: int) -> dict[str, Any]:
        return {
            f"r{r}": {
                "priority": priority,
                "publishParams": {"allowed": ["audio"]},
                "subscribeParams": {"subscribeToRoles": ["r0"], "maxSubsBitRate": 500},
            }
            for r in range(6)
        }

    for t in range(8):
        write(f"templates/t{t}.yaml", json.dumps({"name": f"t{t}", "roles": roles(3)}))
    server = start_emulator(port, state_file, latency=40)
    try:
        live = [
            {"name": f"t{t}", "roles": {n: {"name": n, **r} for n, r in roles(1).items()}}
            for t in range(8)
        ]
        httpx.post(base + "/_emulator/templates", json={"templates": live})
        apply = subprocess.Popen(  # 48 role updates, two at a time, 40 ms each: ~1 s of writes
            [
                sys.executable,
                "-m",
                "hmsync",
                "apply",
                "--auto-approve",
                "--parallelism",
                "2",
                "--retries",
                "2",
            ],
            cwd=tmp_path,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Kill once a dozen updates have landed: waiting on progress, not on the clock.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            calls = httpx.get(base + "/_emulator/calls").json()
            if calls["routes"].get("upsert_role", 0) >= 12:
                break
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)  # mid-apply: no clean shutdown
        server.wait()
        saved = json.loads(state_file.read_text())["templates"]
        updated = sum(r.get("priority") == 3 for t in saved for r in t["roles"].values())
        first = apply.communicate(timeout=120)
        assert 0 < updated < 48, updated  # the kill did land mid-apply
        assert apply.returncode in (1, 3), first  # the interrupted apply said it did not finish
        server = start_emulator(port, state_file, latency=0)
        kept = httpx.get(base + "/_emulator/templates").json()["templates"]
        assert sum(r.get("priority") == 3 for t in kept for r in t["roles"].values()) == updated
        again = hmsync("apply", "--auto-approve", cwd=tmp_path, env=environ)
        assert again.returncode == 0, again.stdout + again.stderr
        plan = hmsync("plan", "--detailed-exitcode", cwd=tmp_path, env=environ)
        assert (plan.returncode, plan.stdout) == (
            0,
            "No changes. Live templates match the files.\n",
        )
        final = httpx.get(base + "/_emulator/templates").json()["templates"]
        assert sorted(t["name"] for t in final) == [f"t{t}" for t in range(8)]  # nothing extra
        assert all(sorted(t["roles"]) == sorted(roles(3)) for t in final)
    finally:
        server.terminate()
        server.wait()


# -- 10,000 cases of bad input ---------------------------------------------------------------

inputs = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    fuzz_values.map(lambda v: yaml.safe_dump(v).encode()),
    fuzz_values.map(lambda v: yaml.safe_dump({"name": "t", "roles": {"host": v}}).encode()),
    st.lists(
        st.sampled_from(
            [
                "name: a\n",
                "roles:\n",
                "  host: &a {}\n",
                "  x: *a\n",
                "  <<: *a\n",
                "---\n",
                "\t",
                "${HMSYNC_X}",
                "${HOME}",
                "- \n",
                "{",
                "]",
                "\xff",
                "  host:\n",
                "    priority: 99\n",
                "key: !!binary aGk=\n",
                # Tags with values they cannot hold.
                "    priority: !!int abc\n",
                "    priority: !!bool 1\n",
                '    priority: !!float ""\n',
                "    priority: !!timestamp abc\n",
                "    priority: !!int 0x\n",
                "x: !!set {a}\n",
                "x: !!python/name:os.system\n",
            ]
        ),
        max_size=12,
    ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    # Depth and size.
    st.integers(1, 3000).map(lambda n: ("name: t\nroles: " + "[" * n + "]" * n).encode()),
    st.integers(1, 3000).map(lambda n: ("name: t\nroles: " + "{a: " * n + "1" + "}" * n).encode()),
    st.integers(1, 200_000).map(lambda n: b"name: '" + b"x" * n + b"'\n"),
)


@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=inputs)
def test_validate_fuzz_never_crashes(raw: bytes) -> None:
    doc, problems = load_bytes("f.yaml", raw, {"HMSYNC_X": "x"})
    if doc is not None:
        problems += list(schema_problems(doc))
        problems += semantic_problems([doc, doc])
    for problem in problems:
        assert problem.location.line >= 1 and problem.location.col >= 1
        assert "\n" not in problem.message
        assert len(problem.message) < 400  # long values are shortened


# -- secrets: a scan of everything printed, logged and written -------------------------------


def test_no_secret_or_token_anywhere(tmp_path: Path, write: Write) -> None:
    s3_key, s3_secret, app_secret = (
        "AKIASCANKEY12345",
        "s3-secret-scan-value",
        "app-secret-scan-value-xyz-123456",
    )
    with Emulator(secret=app_secret) as emu:
        token, _ = make_token(emu.access_key, app_secret, time.time())
        values = [s3_key, s3_secret, app_secret, token]
        base = {
            **os.environ,
            "HMS_API_BASE": emu.api_base,
            "HMS_ACCESS_KEY": emu.access_key,
            "HMSYNC_S3_KEY": s3_key,
            "HMSYNC_S3_SECRET": s3_secret,
        }
        with_secret = {**base, "HMS_SECRET": app_secret}
        with_token = {**base, "HMS_MANAGEMENT_TOKEN": token}
        with_token.pop("HMS_ACCESS_KEY")
        wrong = {**base, "HMS_SECRET": app_secret[::-1]}
        (tmp_path / "templates").mkdir()
        for f in EXAMPLES.glob("*.yaml"):
            (tmp_path / "templates" / f.name).write_text(f.read_text())
        steps: list[tuple[list[str], dict[str, str]]] = [
            (["validate", "--format", "json"], with_secret),
            (["plan", "-v", "-o", "plan.json"], with_secret),
            (["plan", "-v", "--format", "json"], with_token),
            (["plan", "-v", "--format", "markdown"], with_secret),
            (["apply", "-v", "plan.json"], with_secret),
            (["apply", "-v", "--auto-approve", "--format", "json"], with_token),
            (["drift", "-v", "--format", "json"], with_secret),
            (
                ["drift", "-v", "--format", "markdown"],
                {**with_secret, "HMSYNC_S3_SECRET": "rotated-value"},
            ),
            (["export", "-v", "--out", "exported"], with_secret),
            (["plan", "-v"], wrong),
            (["validate"], {**with_secret, "HMSYNC_S3_KEY": ""}),
        ]
        seen = []
        for args, environ in steps:
            proc = hmsync(*args, cwd=tmp_path, env=environ)
            seen += [proc.stdout, proc.stderr]
        assert "GET " in "".join(seen)  # -v did log requests
        emulator = subprocess.Popen(
            [sys.executable, "-m", "hmsync", "emulator", "--port", "0", "--secret", app_secret],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert emulator.stdout is not None
        seen += [emulator.stdout.readline() for _ in range(6)]
        emulator.send_signal(signal.SIGTERM)
        out, err = emulator.communicate(timeout=10)
        seen += [out, err]
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    everything = "\n".join(seen + written)
    assert "(sensitive value)" in everything
    for value in values:
        assert value not in everything
