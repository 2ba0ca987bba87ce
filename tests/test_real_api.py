"""Item by item, what the real API may do that the seed leaves open."""

from __future__ import annotations

from typing import Any

import pytest

from hmsync.emulator import Emulator
from hmsync.plan.diff import make_plan
from hmsync.write.apply import apply_templates

from .conftest import EXAMPLE_ENV, Run, Write
from .helpers import api, env, write_complete
from .servers import Proxy, Seen

UPLOAD = """\
name: rec
settings:
  region: in
  recording:
    enabled: true
    upload:
      type: s3
      location: bucket
      prefix: p/
      credentials: {key: "${HMSYNC_S3_KEY}", secret: "${HMSYNC_S3_SECRET}"}
roles:
  host: {priority: 1}
"""


def test_masked_or_omitted_credentials_are_write_only(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/rec.yaml", UPLOAD)
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    for reading in ("masked", "omitted"):
        emu.set_readings(credentials=reading)
        planned = run("plan", "--detailed-exitcode", env=env(emu))
        assert (planned.code, planned.out) == (
            0,
            "Write-only: the API does not return the recording credentials of rec, so they are "
            "not compared, and a rotation made in the dashboard cannot be seen (not by this plan, "
            "not by apply); after a rotation of yours, write them with --write-credentials.\n"
            "No changes. Live templates match the files.\n",
        )
        rotated = {**env(emu), "HMSYNC_S3_SECRET": "rotated-secret-value"}
        forced = run("plan", "--write-credentials", env=rotated)
        assert forced.out == (
            "~ template rec (templates/rec.yaml)\n"
            "    ~ settings will be updated\n"
            "        ~ recording.upload.credentials.key: (sensitive value) -> (sensitive value)\n"
            "        ~ recording.upload.credentials.secret: (sensitive value) -> (sensitive value)\n"
            "\n"
            "Plan: settings of 1 template to update.\n"
        )
        assert run("apply", "--auto-approve", "--write-credentials", env=rotated).code == 0
        [stored] = emu.store.dump()
        assert (
            stored["settings"]["recording"]["upload"]["credentials"]["secret"]
            == "rotated-secret-value"
        )
        emu.set_readings(credentials="clear")
        assert run("apply", "--auto-approve", env=env(emu)).code == 0  # back to the example value


def test_a_lost_answer_is_confirmed_by_a_read(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  pupil: {priority: 1}\n")
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    write("templates/t.yaml", "name: t\nroles:\n  student: {renamedFrom: pupil, priority: 2}\n")
    emu.set_readings(lost_answer_rate=1.0)  # every write is carried out, its answer lost
    result = run("apply", "--auto-approve", "--parallelism", "1", env=env(emu))
    assert result.code == 0, result.out
    assert (
        "          note: rename role pupil -> student: the call failed (overwrite error), but a "
        "read shows the write took effect\n"
    ) in result.out
    [template] = emu.store.dump()
    assert list(template["roles"]) == ["student"]


def test_a_whole_template_write_refuses_a_template_changed_since_the_plan(emu: Emulator) -> None:
    desired = {"name": "t", "default": True, "roles": {"host": {"priority": 1}}}
    with api(emu) as client:
        write_complete(client, {"name": "t", "roles": {"host": {"priority": 1}}})
        live = client.list_templates()
        plan = make_plan([("t.yaml", desired)], live, "66" * 16)
        tid = live[0]["_id"]
        client.upsert_role(tid, "guest", {"priority": 3})  # the dashboard, meanwhile
        emu.reset_calls()
        [outcome] = apply_templates(client, plan, {"t": desired}, {"t": live[0]})
    assert outcome.failed is not None and outcome.error is not None
    assert outcome.error.message == (
        f"GET {emu.api_base}/templates?id={tid}: the template changed since it was planned "
        "(delete role guest would now be needed); a whole-template write would overwrite "
        "that, so nothing more was written to it; plan again"
    )
    assert emu.calls()["writes"] == 0
    [stored] = emu.store.dump()
    assert sorted(stored["roles"]) == ["guest", "host"] and not stored.get("default")


def test_a_failed_read_back_still_reports_every_write(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  host: {priority: 1}\n")

    def after_writes(seen: Seen, history: list[Seen]) -> Any:
        wrote = any(s.method == "POST" for s in history)
        if seen.method == "GET" and wrote:
            return 503, {"code": 503, "message": "unavailable", "details": []}
        return None

    with Proxy(emu.url, after_writes) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1"}
        result = run("apply", "--auto-approve", "--retries", "0", env=environ)
    assert result.code == 3
    assert result.out.endswith(
        "UNCHECKED t: 1 action(s) done, but the read-back failed, so they are not verified: "
        f"GET {proxy.url}/policy/v1/templates: 503 unavailable\n"
        "          done: create template\n"
        "Apply: 1 action(s) done, 0 failed, 0 not attempted, 0 not converged. 1 not verified.\n"
    )
    assert [t["name"] for t in emu.store.dump()] == ["t"]


def test_out_of_range_values_are_written_only_on_purpose(
    emu: Emulator, run: Run, write: Write
) -> None:
    seed_role = "name: t\nroles:\n  student: {publishParams: {screen: {height: 1086}}}\n"
    write("templates/t.yaml", seed_role)
    refused = run("plan", env=env(emu))
    assert (refused.code, refused.err) == (
        1,
        "hmsync: the plan would write 1 value outside the documented ranges; fix them, or pass "
        "--allow-out-of-range to write them anyway\n"
        "  templates/t.yaml:3:46: warning: roles.student.publishParams.screen.height: 1086 is "
        "outside the documented range 270-1080; the API may refuse it\n",
    )
    assert run("apply", "--auto-approve", env=env(emu)).code == 1
    assert emu.calls()["writes"] == 0
    allowed = run("apply", "--auto-approve", "--allow-out-of-range", env=env(emu))
    assert allowed.code == 0 and "1086 is outside" in allowed.err
    # Live already has it and the plan leaves it alone: quiet.
    write("templates/t.yaml", seed_role.replace("height: 1086}}", "height: 1086}}, priority: 2"))
    quiet = run("apply", "--auto-approve", env=env(emu))
    assert quiet.code == 0 and "outside" not in quiet.err


def test_whole_number_floats_are_sent_as_integers(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  r: {publishParams: {video: {bitRate: 300.0}}}\n")
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    [stored] = emu.store.dump()
    assert repr(stored["roles"]["r"]["publishParams"]["video"]["bitRate"]) == "300"


def test_update_settings_carries_region_alone_and_only_when_that_is_all(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/t.yaml", "name: t\nsettings: {region: in}\n")
    with api(emu) as client:
        client.create_template({"name": "t", "settings": {"region": "eu"}})
    with Proxy(emu.url) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1"}
        assert run("apply", "--auto-approve", env=environ).code == 0
    writes = [(s.path.split("/policy/v1")[1], s.body) for s in proxy.history if s.method == "POST"]
    [(path, body)] = writes
    assert path.endswith("/settings") and body == {"region": "in"}


def test_a_200_that_is_not_a_page_is_an_error_not_an_empty_account(
    emu: Emulator, run: Run, write: Write
) -> None:
    # Read as empty, every file would turn into a create (an overwrite).
    write("templates/t.yaml", "name: t\n")

    def not_a_page(seen: Seen, history: list[Seen]) -> Any:
        if seen.method == "GET":
            return 200, {"code": 500, "message": "upstream timeout"}
        return None

    with Proxy(emu.url, not_a_page) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1"}
        result = run("apply", "--auto-approve", env=environ)
    assert (result.code, result.err) == (
        1,
        f"hmsync: GET {proxy.url}/policy/v1/templates: 200 the answer is not a page of templates "
        '(no \'data\' list); expected {"limit": N, "data": [template, ...], "last": "<id>"}; '
        "check --api-base\n",
    )
    assert emu.calls()["writes"] == 0


def test_inclusive_start_and_a_cycling_cursor(emu: Emulator) -> None:
    emu.store.load([{"name": f"t{i:02}"} for i in range(45)])
    emu.set_readings(start="inclusive")
    with api(emu) as client:
        names = [t["name"] for t in client.list_templates()]
    assert sorted(names) == [f"t{i:02}" for i in range(45)]

    def cycle(seen: Seen, history: list[Seen]) -> Any:
        page = [{"_id": f"id{len(history)}-{i}", "name": f"n{len(history)}-{i}"} for i in range(20)]
        return 200, {"limit": 20, "data": page, "last": "a" if len(history) % 2 else "b"}

    with Proxy(emu.url, cycle) as proxy, api(emu) as client:
        client.base_url = proxy.url + "/policy/v1"
        with pytest.raises(Exception) as caught:
            client.list_templates()
    assert str(caught.value) == (
        f"GET {proxy.url}/policy/v1/templates: 200 the list returns to page 'b' again"
    )


def test_export_never_writes_a_file_validate_refuses(
    emu: Emulator, run: Run, tmp_path: Any
) -> None:
    emu.store.load([{"name": "t", "roles": {"r": {"name": "r", "priority": "high"}}}])
    result = run("export", "--out", "out", env=env(emu))
    assert (result.code, result.err) == (
        1,
        "hmsync: 1 live value(s) cannot be written as a valid template file, so nothing was "
        "written; correct them in the dashboard, or export the other templates with --only\n"
        "  t: roles.r.priority: 'high' is not of type 'integer'\n",
    )
    assert not (tmp_path / "out").exists()
    assert EXAMPLE_ENV  # the examples' variables are not needed here
