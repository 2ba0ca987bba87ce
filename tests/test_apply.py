from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from hmsync.commands import apply as apply_cmd
from hmsync.emulator import Emulator
from hmsync.plan.diff import make_plan
from hmsync.plan.normalize import complete_role
from hmsync.write.apply import apply_templates

from .conftest import EXAMPLES, Run, Write
from .helpers import api, env, hmsync, write_complete
from .strategies import templates

ROOM = """\
name: room
settings: {region: eu}
roles:
  host: {priority: 1, permissions: {mute: true}}
  guest: {priority: 2}
"""


def writes(emu: Emulator) -> int:
    return int(emu.calls()["writes"])


def live_roles(emu: Emulator, name: str) -> dict[str, Any]:
    [template] = [t for t in emu.store.dump() if t["name"] == name]
    roles: dict[str, Any] = template["roles"]
    return roles


# -- apply, then plan: no changes ------------------------------------------------------------


def test_examples_apply_then_plan_shows_no_changes(emu: Emulator, run: Run) -> None:
    applied = run("apply", str(EXAMPLES), "--auto-approve", env=env(emu))
    assert applied.code == 0, applied.err
    assert applied.out.endswith(
        "\nok      classroom: 1 action(s) done\n"
        "          done: create template\n"
        "ok      telehealth: 1 action(s) done\n"
        "          done: create template\n"
        "ok      webinar: 1 action(s) done\n"
        "          done: create template\n"
        "Apply: 3 action(s) done, 0 failed, 0 not attempted, 0 not converged.\n"
    )
    planned = run("plan", str(EXAMPLES), "--detailed-exitcode", env=env(emu))
    assert (planned.code, planned.out) == (0, "No changes. Live templates match the files.\n")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=templates(name="t"), after=templates(name="t"))
def test_any_change_between_valid_templates_converges(
    emu: Emulator, before: dict[str, Any], after: dict[str, Any]
) -> None:
    emu.store.reset()
    with api(emu) as client:
        write_complete(client, before)
        plan = make_plan([("t.yaml", after)], client.list_templates(), "33" * 16)
        live = {t["name"]: t for t in client.list_templates()}
        outcomes = apply_templates(client, plan, {"t": after}, live)
        assert all(o.failed is None for o in outcomes)
        again = make_plan([("t.yaml", after)], client.list_templates(), "33" * 16)
    assert again.actions == []


# -- refusals: nothing written ---------------------------------------------------------------


def test_refuses_a_plan_whose_live_template_changed(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    run("apply", "--auto-approve", env=env(emu))
    write("templates/room.yaml", ROOM.replace("priority: 2", "priority: 3"))
    assert run("plan", "-o", "plan.json", env=env(emu)).code == 0
    with api(emu) as client:  # someone changes the template in the dashboard meanwhile
        tid = client.list_templates()[0]["_id"]
        client.upsert_role(tid, "host", complete_role({"priority": 4}))
    emu.reset_calls()
    result = run("apply", "plan.json", env=env(emu))
    assert result.code == 4
    assert result.err == (
        "hmsync: live template changed since plan.json was made: room; run "
        "`hmsync plan -o plan.json` again and review the new plan\n"
    )
    assert writes(emu) == 0


def test_a_change_to_a_template_the_plan_does_not_touch_is_a_note(
    emu: Emulator, run: Run, write: Write
) -> None:
    """A busy account: someone edits another template between review and merge. The saved
    plan, which acts on `room` only, still holds; the edit is said and left alone."""
    write("templates/room.yaml", ROOM)
    write("templates/other.yaml", ROOM.replace("name: room", "name: other"))
    run("apply", "--auto-approve", env=env(emu))
    write("templates/room.yaml", ROOM.replace("priority: 2", "priority: 3"))
    assert run("plan", "-o", "plan.json", env=env(emu)).code == 0
    with api(emu) as client:
        other = next(t for t in client.list_templates() if t["name"] == "other")
        client.upsert_role(other["_id"], "host", complete_role({"priority": 4}))
    applied = run("apply", "plan.json", env=env(emu))
    assert applied.code == 0, applied.err
    assert (
        "note: live template(s) changed since plan.json was made, which it does not act on: "
        "other; left as they are\n"
    ) in applied.err
    [other_now] = [t for t in emu.store.dump() if t["name"] == "other"]
    assert other_now["roles"]["host"]["priority"] == 4  # theirs, untouched


def test_a_plan_that_sets_a_default_is_stale_for_any_template(
    emu: Emulator, run: Run, write: Write
) -> None:
    """Setting a default clears it on the others: there, another template's change matters."""
    write("templates/room.yaml", ROOM)
    write("templates/other.yaml", ROOM.replace("name: room", "name: other"))
    run("apply", "--auto-approve", env=env(emu))
    write("templates/room.yaml", "default: true\n" + ROOM)
    assert run("plan", "-o", "plan.json", env=env(emu)).code == 0
    with api(emu) as client:
        other = next(t for t in client.list_templates() if t["name"] == "other")
        client.upsert_role(other["_id"], "host", complete_role({"priority": 4}))
    refused = run("apply", "plan.json", env=env(emu))
    assert refused.code == 4
    assert "live template changed since plan.json was made: other;" in refused.err


def test_refuses_a_plan_whose_template_appeared_since(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/room.yaml", ROOM)
    run("plan", "-o", "plan.json", env=env(emu))
    with api(emu) as client:
        client.create_template({"name": "room"})
    emu.reset_calls()
    result = run("apply", "plan.json", env=env(emu))
    assert (
        result.code == 4 and "live template changed since plan.json was made: room;" in result.err
    )
    assert writes(emu) == 0


def test_refuses_a_plan_whose_files_changed(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    run("plan", "-o", "plan.json", env=env(emu))
    write("templates/room.yaml", ROOM + "  extra: {}\n")
    result = run("apply", "plan.json", env=env(emu))
    assert result.code == 4
    assert result.err == (
        "hmsync: the template files or the project file changed since plan.json was made; run "
        "`hmsync plan -o plan.json` again and review the new plan\n"
    )
    assert writes(emu) == 0


def test_refuses_a_plan_whose_secrets_changed(emu: Emulator, run: Run) -> None:
    run("plan", str(EXAMPLES), "-o", "plan.json", env=env(emu))
    moved = {**env(emu), "HMSYNC_S3_SECRET": "a-different-secret"}
    result = run("apply", "plan.json", env=moved)
    assert result.code == 4
    assert result.err == (
        "hmsync: the recording credentials (HMSYNC_* variables) of telehealth are not the ones "
        "plan.json was made with; set them as they were, or run `hmsync plan -o plan.json` "
        "again and review the new plan\n"
    )
    assert "a-different-secret" not in result.out + result.err
    assert writes(emu) == 0
    assert run("apply", "plan.json", env=env(emu)).code == 0  # unchanged, it applies


def test_refuses_a_plan_made_against_another_api(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    run("plan", "-o", "plan.json", env=env(emu))
    with Emulator() as other:
        result = run("apply", "plan.json", env={**env(emu), "HMS_API_BASE": other.api_base})
        assert writes(other) == 0
    assert result.code == 4
    assert result.err.startswith(f"hmsync: plan.json was made against {emu.api_base}, not ")


def test_refuses_deletes_without_allow_delete(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    run("apply", "--auto-approve", env=env(emu))
    write(
        "templates/room.yaml",
        ROOM.replace("  guest: {priority: 2}\n", "").replace("host:", "boss:"),
    )
    emu.reset_calls()
    result = run("apply", "--auto-approve", env=env(emu))
    assert result.code == 4
    assert result.err == (
        "hmsync: refusing to delete 2 roles without --allow-delete: room/guest, room/host. "
        "Nothing was changed; review the deletes, then run again with --allow-delete\n"
    )
    assert writes(emu) == 0
    capped = run("apply", "--auto-approve", "--allow-delete", "--max-deletes", "1", env=env(emu))
    assert capped.code == 4
    assert capped.err == (
        "hmsync: 2 role deletes exceed --max-deletes 1: room/guest, room/host. Nothing was changed\n"
    )
    assert writes(emu) == 0
    done = run("apply", "--auto-approve", "--allow-delete", env=env(emu))
    assert done.code == 0 and sorted(live_roles(emu, "room")) == ["boss"]


def test_refuses_without_a_terminal_or_auto_approve(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    result = run("apply", env=env(emu))
    assert result.code == 4
    assert result.out.endswith("Plan: 1 template to create.\n")  # the plan is shown first
    assert result.err == (
        "hmsync: no terminal to confirm on; review the plan, then run again with --auto-approve "
        "(or apply a reviewed plan file: hmsync plan -o plan.json, hmsync apply plan.json)\n"
    )
    assert writes(emu) == 0


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def apply_args(*targets: str, **overrides: Any) -> argparse.Namespace:
    """apply's arguments as the CLI parses them, with its defaults."""
    from hmsync.cli import _parser

    args = _parser().parse_args(["apply", *targets, "--timeout", "10", "--no-color"])
    for name, value in overrides.items():
        setattr(args, name, value)
    return args


def test_asks_on_a_terminal(
    emu: Emulator, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    write("templates/room.yaml", ROOM)
    from hmsync.errors import RefusedError

    with pytest.raises(RefusedError, match="not confirmed; nothing was changed"):
        apply_cmd.run(apply_args(), env(emu), stdin=Terminal("n\n"))
    assert writes(emu) == 0
    assert apply_cmd.run(apply_args(), env(emu), stdin=Terminal("y\n")) == 0
    assert "Apply 1 change? [y/N] " in capsys.readouterr().out
    assert writes(emu) == 1


# -- what apply sends ------------------------------------------------------------------------


def test_order_of_calls_within_a_template(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    run("apply", "--auto-approve", env=env(emu))
    write(
        "templates/room.yaml",
        """\
name: room
default: true
settings: {region: us}
roles:
  host: {priority: 5}
  visitor: {renamedFrom: guest}
  speaker: {priority: 3}
""",
    )
    with api(emu) as client:
        tid = client.list_templates()[0]["_id"]
        client.upsert_role(tid, "stale", {})
    seen: list[str] = []
    original = emu.server.count

    def record(route: str) -> None:
        seen.append(route)
        original(route)

    emu.server.count = record  # type: ignore[method-assign]
    result = run("apply", "--auto-approve", "--allow-delete", env=env(emu))
    assert result.code == 0, result.out + result.err
    writes_seen = [r for r in seen if r != "get_templates"]
    assert writes_seen == [
        "upsert_role",  # create speaker (on the read of the whole template just before)
        "get_role",  # every later write is built on a read of what it replaces, just before
        "upsert_role",  # update host
        "get_role",
        "upsert_role",  # rename guest -> visitor
        "modify_template",  # settings: region, with recording beside it (not Update Settings)
        "modify_template",  # default flag
        "delete_role",  # stale, last
    ]
    assert sorted(live_roles(emu, "room")) == ["host", "speaker", "visitor"]


def test_default_flag_change_changes_nothing_else(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/a.yaml", "name: a\ndefault: true\nroles: {x: {priority: 1}}\n")
    write("templates/b.yaml", ROOM.replace("name: room", "name: b"))
    run("apply", "--auto-approve", env=env(emu))
    before = {t["name"]: t for t in emu.store.dump()}
    write("templates/a.yaml", "name: a\ndefault: false\nroles: {x: {priority: 1}}\n")
    write("templates/b.yaml", ROOM.replace("name: room", "name: b\ndefault: true"))
    emu.reset_calls()
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    assert emu.calls()["routes"]["modify_template"] == 2
    after = {t["name"]: t for t in emu.store.dump()}
    assert after["b"]["default"] is True and after["a"]["default"] is False
    for name in ("a", "b"):
        assert after[name]["roles"] == before[name]["roles"]
        assert after[name].get("settings") == before[name].get("settings")


def test_unknown_live_fields_are_carried_over(emu: Emulator, run: Run, write: Write) -> None:
    emu.store.load(
        [
            {
                "name": "room",
                "roles": {"host": {"name": "host", "maxPeerCount": 7}},
                "settings": {"region": "in", "hls": {"enabled": True}},
            }
        ]
    )
    write("templates/room.yaml", ROOM.replace("  guest: {priority: 2}\n", ""))
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    [template] = emu.store.dump()
    assert template["roles"]["host"]["maxPeerCount"] == 7
    assert template["settings"]["hls"] == {"enabled": True}
    assert template["settings"]["region"] == "eu"


# -- failures --------------------------------------------------------------------------------


def test_a_failed_template_stops_there_and_the_others_go_on(
    emu: Emulator, run: Run, write: Write
) -> None:
    # The live settings hold a value the API now refuses; hmsync carries it over (it is not in
    # the file), so the settings call fails. Role writes before it are done; the delete after
    # it is not attempted. The other template is applied in full.
    emu.set_readings(out_of_range="refuse")
    emu.store.load(
        [
            {
                "name": "room",
                "roles": {"host": {"name": "host"}, "old": {"name": "old"}},
                "settings": {"region": "mars", "recording": {"enabled": True}},
            }
        ]
    )
    write("templates/room.yaml", "name: room\nroles:\n  host: {priority: 1}\n")
    write("templates/ok.yaml", "name: ok\n")
    result = run("apply", "--auto-approve", "--allow-delete", env=env(emu))
    assert result.code == 3
    report = result.out.split("\n\n")[-1]
    assert report == (
        "ok      ok: 1 action(s) done\n"
        "          done: create template\n"
        "FAILED  room: 1 done, then update settings failed:\n"
        "          done: update role host\n"
        f"          POST {emu.api_base}/templates?id={emu.store.dump()[-1]['_id']}: 400 "
        "Invalid body param\n"
        "            Invalid body param: settings.region: must be one of in, us, eu, auto\n"
        "          not attempted: delete role old\n"
        "Apply: 2 action(s) done, 1 failed, 1 not attempted, 0 not converged.\n"
    )
    assert live_roles(emu, "room")["host"]["priority"] == 1
    assert "old" in live_roles(emu, "room")


def test_json_report(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    result = run("apply", "--auto-approve", "--format", "json", env=env(emu))
    report = json.loads(result.out)
    assert report["format_version"] == 1 and report["result"] == "applied"
    assert report["summary"] == {
        "done": 1,
        "failed": 0,
        "not_attempted": 0,
        "not_converged": 0,
        "unverified": 0,
        "changed_meanwhile": 0,
    }
    assert report["templates"][0]["done"][0]["kind"] == "create_template"
    assert report["templates"][0]["changed_meanwhile"] == []


def test_a_value_that_does_not_read_back_is_reported_as_not_converged(
    emu: Emulator, run: Run, write: Write
) -> None:
    original = emu.store.upsert_role

    def forgetful(template_id: str, role: str, body: Any) -> dict[str, Any]:
        body = {k: v for k, v in body.items() if k != "priority"}  # the server drops a field
        return original(template_id, role, body)

    emu.store.upsert_role = forgetful  # type: ignore[method-assign]
    emu.store.load([{"name": "room", "roles": {}}])
    write("templates/room.yaml", "name: room\nroles:\n  host: {priority: 4}\n")
    result = run("apply", "--auto-approve", env=env(emu))
    assert result.code == 3
    assert result.out.split("\n\n")[-1] == (
        "DIFFERS room: written, but the API reads back differently:\n"
        "          update role host\n"
        "              + priority: 4\n"
        "Apply: 1 action(s) done, 0 failed, 0 not attempted, 1 not converged.\n"
    )


# -- chaos and kills -------------------------------------------------------------------------


def many_templates(
    write: Write, count: int, roles: int, priority: int
) -> dict[str, dict[str, Any]]:
    """count template files of `roles` roles each; returns the role bodies the state must hold.

    Every field is set, optional ones included, so the state can be compared exactly."""
    desired = {}
    for t in range(count):
        name = f"t{t:02}"
        role_data = {
            f"r{r}": {
                "priority": priority,
                "publishParams": {"allowed": ["audio", "video"], "video": {"bitRate": 300 + r}},
                "subscribeParams": {"subscribeToRoles": ["r0"], "maxSubsBitRate": 1000},
            }
            for r in range(roles)
        }
        write(f"templates/{name}.yaml", json.dumps({"name": name, "roles": role_data}))
        desired[name] = {n: as_created(r) for n, r in role_data.items()}
    return desired


def as_created(role: dict[str, Any]) -> dict[str, Any]:
    """A role as the emulator stores a creation: complete, and subscribeDegradation `{}` from
    the seed's example where the file has none (hmsync does not send it)."""
    created = complete_role(role)
    created["subscribeParams"].setdefault("subscribeDegradation", {})
    return created


def assert_state_is(emu: Emulator, desired: dict[str, dict[str, Any]]) -> None:
    state = {t["name"]: t for t in emu.store.dump()}
    assert sorted(state) == sorted(desired)
    for name, roles in desired.items():
        live = {
            n: {k: v for k, v in r.items() if k != "name"} for n, r in state[name]["roles"].items()
        }
        assert live == roles


def test_chaos_apply_converges_in_one_run(emu: Emulator, run: Run, write: Write) -> None:
    many_templates(write, 20, 5, priority=1)
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    desired = many_templates(write, 20, 5, priority=2)  # 100 role changes across 20 templates
    emu.set_faults(
        error_rate=0.2, error_statuses=[502, 503], throttle_rate=0.1, retry_after=0, latency_ms=5
    )
    emu.reset_calls()
    result = run("apply", "--auto-approve", "--parallelism", "4", "--retries", "12", env=env(emu))
    assert result.code == 0, result.out[-2000:] + result.err
    assert result.out.endswith(
        "Apply: 100 action(s) done, 0 failed, 0 not attempted, 0 not converged.\n"
    )
    assert emu.calls()["routes"]["upsert_role"] > 100  # faults were met and retried
    assert_state_is(emu, desired)


def test_killed_applies_are_finished_by_the_next_one(tmp_path: Path, write: Write) -> None:
    rng = random.Random(20261122)
    partial: list[int] = []
    with Emulator() as emu:
        environ = {**os.environ, **env(emu)}
        for attempt in range(10):
            before = many_templates(write, 6, 6, priority=1)
            emu.store.reset()
            emu.reset_calls()  # writes are counted per attempt
            emu.store.load(
                [
                    {"name": n, "roles": {r: {"name": r, **body} for r, body in roles.items()}}
                    for n, roles in before.items()
                ]
            )
            desired = many_templates(write, 6, 6, priority=2 + attempt % 8)  # 36 role updates
            emu.set_faults(latency_ms=20)
            proc = subprocess.Popen(
                [sys.executable, "-m", "hmsync", "apply", "--auto-approve", "--parallelism", "2"],
                cwd=tmp_path,
                env=environ,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # A random point mid-apply: after a random number of the 36 writes has landed
            # (waiting on progress, not on the clock, so a slow machine kills as surely).
            point = rng.randint(3, 28)  # counted on arrival: two may still be in flight
            deadline = time.monotonic() + 60
            while emu.calls()["writes"] < point and time.monotonic() < deadline:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            emu.set_faults(latency_ms=0)
            state = {t["name"]: t["roles"] for t in emu.store.dump()}
            partial.append(
                sum(
                    state[n][r].get("priority") == body["priority"]
                    for n, roles in desired.items()
                    for r, body in roles.items()
                )
            )
            again = hmsync("apply", "--auto-approve", cwd=tmp_path, env=environ)
            assert again.returncode == 0, again.stdout + again.stderr
            assert_state_is(emu, desired)  # converged, and nothing extra exists
    # Every kill landed mid-apply, with some but not all of the 36 updates done.
    assert all(0 < n < 36 for n in partial), partial


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_line_per_action_on_any_output(emu: Emulator, run: Run, write: Write) -> None:
    # A CI log is no terminal; it still shows each action as it finishes.
    write("templates/room.yaml", ROOM)
    write("templates/other.yaml", ROOM.replace("name: room", "name: other"))
    result = run("apply", "--auto-approve", "--parallelism", "1", env=env(emu))
    lines = [re.sub(r"\d+\.\d\d s$", "T s", line) for line in result.err.splitlines()]
    assert lines == [
        "[1/2] other: create template ... ok T s",
        "[2/2] room: create template ... ok T s",
    ]


def test_a_long_retry_says_it_is_still_working(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    emu.set_faults(throttle_rate=1.0, retry_after=1)
    result = run("plan", "--retries", "1", env=env(emu))
    assert result.code == 1
    assert result.err.startswith(
        f"hmsync: still working: GET {emu.api_base}/templates: 429 Too Many Requests; "
        "trying again in 1.0 s\n"
    )


def test_a_saved_plan_without_changes_says_so(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    run("apply", "--auto-approve", env=env(emu))
    run("plan", "-o", "plan.json", env=env(emu))
    emu.reset_calls()
    result = run("apply", "plan.json", env=env(emu))
    assert (result.code, result.out) == (0, "No changes. Live templates match the files.\n")
    assert writes(emu) == 0
    as_json = json.loads(run("apply", "plan.json", "--format", "json", env=env(emu)).out)
    assert as_json["result"] == "applied" and as_json["summary"]["done"] == 0


def test_a_value_from_a_variable_is_written_as_itself_and_shown_concealed(
    emu: Emulator, run: Run, write: Write
) -> None:
    # Found with v2's RTMP URLs: a change shows "(sensitive value)", and must not write it.
    write(
        "templates/t.yaml",
        "name: t\nsettings:\n  recording:\n    upload: {type: s3, location: b, prefix: "
        '"${HMSYNC_PREFIX}"}\nroles:\n  host: {priority: 1}\n',
    )
    assert (
        run("apply", "--auto-approve", env={**emu.env(), "HMSYNC_PREFIX": "first-prefix"}).code == 0
    )
    second = run("apply", "--auto-approve", env={**emu.env(), "HMSYNC_PREFIX": "second-prefix"})
    assert second.code == 0, second.out
    assert "~ recording.upload.prefix: (sensitive value) -> (sensitive value)" in second.out
    assert "second-prefix" not in second.out + second.err
    [template] = emu.store.dump()
    assert template["settings"]["recording"]["upload"]["prefix"] == "second-prefix"
