"""A shared account. A second writer placed exactly inside apply's window (after the
plan read live, before the template's first write) is carried over or stops the template as a
conflict, never set back."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from hmsync.emulator import Emulator
from hmsync.emulator.readings import Readings
from hmsync.write import template_run as apply_module

from .conftest import Run, Write
from .helpers import api, env

ROOM = "name: room\nroles:\n  host:\n    publishParams:\n      video: {bitRate: 900}\n"


@pytest.fixture(
    params=[(api, writes) for api in ("v1", "v2") for writes in ("merge", "replace", "as-sent")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def shared(request: pytest.FixtureRequest) -> Any:
    api_version, writes = request.param
    with Emulator(api=api_version, readings=Readings(writes=writes)) as emulator:
        yield emulator


def _seed(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM.replace("900", "300"))
    args = ["--api", emu.api]
    assert run("apply", *args, "--auto-approve", env=env(emu)).code == 0
    write("templates/room.yaml", ROOM)


def _inside_window(
    monkeypatch: pytest.MonkeyPatch, emu: Emulator, edit: Callable[[dict[str, Any]], None]
) -> None:
    """The dashboard edits the host role right after the plan read it, before apply writes."""
    original = apply_module.TemplateRun.__init__

    def hooked(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        with api(emu) as client:
            [listed] = client.list_templates()
            tid = str(listed.get("_id") or listed.get("id"))
            role = copy.deepcopy(client.get_template(tid)["roles"]["host"])
            role.pop("name", None)
            edit(role)
            client.upsert_role(tid, "host", role)

    monkeypatch.setattr(apply_module.TemplateRun, "__init__", hooked)


def _host(emu: Emulator) -> dict[str, Any]:
    with api(emu) as client:
        [listed] = client.list_templates()
        role: dict[str, Any] = client.get_template(str(listed.get("_id") or listed.get("id")))[
            "roles"
        ]["host"]
        return role


Apply = Callable[[Callable[[dict[str, Any]], None]], Any]


@pytest.fixture
def apply_with(shared: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch) -> Apply:
    """Live host at bitRate 300, the file at 900; the dashboard's edit inside apply's window."""

    def _apply(edit: Callable[[dict[str, Any]], None]) -> Any:
        _seed(shared, run, write)
        _inside_window(monkeypatch, shared, edit)
        return run("apply", "--api", shared.api, "--auto-approve", env=env(shared))

    return _apply


def test_a_field_someone_else_changed_meanwhile_is_carried_over(
    shared: Emulator, apply_with: Apply
) -> None:
    def dashboard(role: dict[str, Any]) -> None:
        role.setdefault("subscribeParams", {})["maxSubsBitRate"] = 1234

    done = apply_with(dashboard)
    host = _host(shared)
    assert host["publishParams"]["video"]["bitRate"] == 900
    assert host["subscribeParams"]["maxSubsBitRate"] == 1234  # not set back
    # ... and said: it moved since the plan read the template (exit 3, field by field).
    assert done.code == 3, done.out + done.err
    assert "MOVED   room: someone else changed it while apply wrote" in done.out
    assert "roles.host.subscribeParams.maxSubsBitRate: " in done.out


def test_the_same_field_changed_meanwhile_stops_the_template_as_a_conflict(
    shared: Emulator, apply_with: Apply
) -> None:
    def dashboard(role: dict[str, Any]) -> None:
        role["publishParams"]["video"]["bitRate"] = 500

    stopped = apply_with(dashboard)
    assert stopped.code == 3
    assert (
        "room: roles.host.publishParams.video.bitRate: planned 300 -> 900, but it is 500 now"
    ) in stopped.out
    assert "someone else changed what this plan changes, since it was planned" in stopped.out
    assert _host(shared)["publishParams"]["video"]["bitRate"] == 500  # theirs stands


def test_a_planned_change_someone_else_already_made_is_done(
    shared: Emulator, apply_with: Apply
) -> None:
    def dashboard(role: dict[str, Any]) -> None:
        role["publishParams"]["video"]["bitRate"] = 900
        role.setdefault("subscribeParams", {})["maxSubsBitRate"] = 1500

    done = apply_with(dashboard)
    host = _host(shared)
    assert host["publishParams"]["video"]["bitRate"] == 900
    assert host["subscribeParams"]["maxSubsBitRate"] == 1500
    # The planned change is done (nothing written); their other field is said.
    assert done.code == 3, done.out + done.err
    assert "[1/1] room: update role host ... already done" in done.err
    assert "note: update role host: already as planned; nothing written" in done.out


def test_a_change_partly_made_by_someone_else_still_writes_the_rest(
    shared: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(shared, run, write)
    write("templates/room.yaml", ROOM.replace("bitRate: 900", "bitRate: 900, frameRate: 20"))

    def dashboard(role: dict[str, Any]) -> None:
        role["publishParams"]["video"]["bitRate"] = 900

    _inside_window(monkeypatch, shared, dashboard)
    done = run("apply", "--api", shared.api, "--auto-approve", env=env(shared))
    assert done.code == 0, done.out + done.err
    video = _host(shared)["publishParams"]["video"]
    assert (video["bitRate"], video["frameRate"]) == (900, 20)


@pytest.mark.parametrize("failures, code", [(1, 0), (2, 0), (3, 3)])
def test_a_write_answered_500_is_tried_again_after_a_read_shows_it_not_done(
    emu: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch, failures: int, code: int
) -> None:
    from hmsync.backends.v1 import V1Client as Client
    from hmsync.errors import ApiError

    _seed(emu, run, write)
    monkeypatch.setattr(apply_module, "WRITE_BACKOFF", 0.0)
    original = Client.upsert_role
    calls = []

    def flaky(self: Client, template_id: str, role: str, body: dict[str, Any]) -> Any:
        calls.append(role)
        if len(calls) <= failures:  # the server failed before storing anything
            raise ApiError("POST", self.template_url(template_id), 500, "Internal server error")
        return original(self, template_id, role, body)

    monkeypatch.setattr(Client, "upsert_role", flaky)
    result = run("apply", "--auto-approve", env=env(emu))
    assert result.code == code, result.out + result.err
    assert len(calls) == min(failures + 1, 3)  # three tries at most
    assert (_host(emu)["publishParams"]["video"]["bitRate"] == 900) == (code == 0)


@pytest.mark.parametrize("api_version", ["v1", "v2"])
def test_a_template_created_between_two_of_applys_creates_is_never_overwritten(
    api_version: str, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hmsync.backends.v1 import V1Client as Client
    from hmsync.backends.v2 import V2Client

    kind = V2Client if api_version == "v2" else Client
    original = kind.create_template
    raced: list[str] = []

    def create_then_race(self: Client, body: dict[str, Any]) -> Any:
        answer = original(self, body)
        if not raced:  # the dashboard creates new2 right after apply's first create
            raced.append(body["name"])
            with api(emu) as dashboard:
                original(dashboard, {"name": "new2", "roles": {"theirs": {}}})
        return answer

    with Emulator(api=api_version) as emu:
        monkeypatch.setattr(kind, "create_template", create_then_race)
        write("templates/new1.yaml", "name: new1\nroles:\n  host: {}\n")
        write("templates/new2.yaml", "name: new2\nroles:\n  host: {}\n")
        args = ["--api", api_version, "--parallelism", "1", "--auto-approve"]
        result = run("apply", *args, env=env(emu))
        assert raced == ["new1"]
        assert result.code == 4, result.out + result.err
        assert "template 'new2' exists now, though the plan read none" in result.out
        with api(emu) as client:
            new2 = next(t for t in client.list_templates() if t["name"] == "new2")
            assert set(client.get_template(str(new2["_id"]))["roles"]) == {"theirs"}


def test_a_change_made_while_apply_writes_is_reported_field_by_field(
    shared: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After apply's fresh read: the dashboard edits a field of the written role right after
    # hmsync's write, and the priority of a role the plan does not touch. Both are kept as
    # they left them, and said (exit 3), never silently kept as if hmsync had made them.
    from hmsync.backends.v1 import V1Client as Client
    from hmsync.backends.v2 import V2Client

    write("templates/room.yaml", ROOM.replace("900", "300") + "  guest: {priority: 2}\n")
    assert run("apply", "--api", shared.api, "--auto-approve", env=env(shared)).code == 0
    write("templates/room.yaml", ROOM + "  guest: {}\n")  # its priority is left to others
    kind = V2Client if shared.api == "v2" else Client
    original = kind.upsert_role

    def write_then_dashboard(self: Client, template_id: str, role: str, body: Any) -> Any:
        answer = original(self, template_id, role, body)
        with api(shared) as client:
            for name, edit in (("host", ("subscribeParams", "maxSubsBitRate", 1234)),
                               ("guest", (None, "priority", 4))):  # fmt: skip
                current = copy.deepcopy(client.get_template(template_id)["roles"][name])
                current.pop("name", None)
                part, key, value = edit
                (current.setdefault(part, {}) if part else current)[key] = value
                original(client, template_id, name, current)
        return answer

    monkeypatch.setattr(kind, "upsert_role", write_then_dashboard)
    result = run("apply", "--api", shared.api, "--auto-approve", env=env(shared))
    assert result.code == 3, result.out + result.err
    moved = [line.strip() for line in result.out.splitlines() if "someone else" in line]
    assert moved[0].startswith("MOVED   room: someone else changed it while apply wrote")
    assert moved[1] == "roles.guest.priority: 2 -> 4, changed by someone else meanwhile"
    assert moved[2].startswith("roles.host.subscribeParams.maxSubsBitRate: ")
    assert moved[2].endswith(" -> 1234, changed by someone else meanwhile")
    assert result.out.rstrip().endswith("2 field(s) changed by someone else meanwhile.")


def test_the_emulator_places_a_second_writer_at_an_exact_point(run: Run, write: Write) -> None:
    # The control endpoint: right before the first write to template b, the dashboard edits
    # template a, which apply has already written. The read-back says so, field by field.
    import httpx

    with Emulator() as emu:
        write("templates/a.yaml", "name: a\nroles:\n  host: {priority: 1}\n")
        write("templates/b.yaml", "name: b\nroles:\n  host: {priority: 1}\n")
        assert run("apply", "--auto-approve", env=env(emu)).code == 0
        write("templates/a.yaml", "name: a\nroles:\n  host: {priority: 2}\n  guest: {}\n")
        write("templates/b.yaml", "name: b\nroles:\n  host: {priority: 2}\n")
        control = emu.url + "/_emulator/interleave"
        edit = {
            "before_write": "b",
            "template": "a",
            "set": {"roles.host.subscribeParams.maxSubsBitRate": 777},
        }
        assert httpx.post(control, json=edit, timeout=5).json() == edit
        assert httpx.get(control, timeout=5).json()["pending"] == [edit]
        bad = httpx.post(control, json={"before_write": "b"}, timeout=5)
        assert (bad.status_code, bad.json()["details"]) == (
            400,
            ["give one of after_request and before_write, and one edit"],
        )
        result = run("apply", "--auto-approve", "--parallelism", "1", env=env(emu))
        assert httpx.get(control, timeout=5).json()["pending"] == []
    assert result.code == 3, result.out + result.err
    assert "MOVED   a: someone else changed it while apply wrote" in result.out
    assert " -> 777, changed by someone else meanwhile" in result.out
    assert "DIFFERS" not in result.out  # a field the file leaves alone: not a convergence fault


def test_one_apply_converges_under_500s_429s_and_lost_answers() -> None:
    # `make faults` runs 20 seeds per API; a few here keep the suite quick.
    from .faultmatrix import matrix, report

    results = matrix(range(1, 4))
    assert report(results).splitlines()[1:] == ["  v1: 3/3 converged", "  v2: 3/3 converged"]


@pytest.mark.parametrize("last_page", ["empty-last", "next-empty", "next-null", "next-missing"])
@pytest.mark.parametrize("api_version, page", [("v1", 20), ("v2", 100)])
def test_an_account_that_fills_its_last_page_exactly_is_read_whole(
    api_version: str, page: int, last_page: str
) -> None:
    # A full last page may name its last id, and the page after it be [], null or no data.
    with Emulator(api=api_version, readings=Readings(last_page=last_page)) as emu:
        emu.store.load([{"name": f"t{i:03}", "roles": {}} for i in range(2 * page)])
        with api(emu) as client:
            names = {t["name"] for t in client.list_templates()}
        calls = emu.calls()["routes"]
    assert len(names) == 2 * page
    listed = calls.get("get_templates", 0) + calls.get("v2_list_templates", 0)
    assert listed == (2 if last_page == "empty-last" else 3)


def test_two_applies_at_once_lose_no_write(
    shared: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # An older commit's apply (host bitRate) and a newer one's (host maxSubsBitRate): the
    # newer runs whole inside the older's window. Both writes stand; the older says what moved.
    import contextlib
    import io

    from hmsync.cli import main

    _seed(shared, run, write)
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "room.yaml").write_text(
        "name: room\nroles:\n  host:\n    publishParams:\n      video: {bitRate: 300}\n"
        "    subscribeParams: {maxSubsBitRate: 1500}\n"
    )
    original = apply_module.TemplateRun.__init__
    newer_codes: list[int] = []
    started: list[bool] = []

    def hooked(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if not started:  # once: the newer apply's own run passes here too
            started.append(True)
            quiet = io.StringIO()
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                newer_codes.append(
                    main(["apply", str(newer), "--api", shared.api, "--auto-approve"], env(shared))
                )

    monkeypatch.setattr(apply_module.TemplateRun, "__init__", hooked)
    older = run("apply", "--api", shared.api, "--auto-approve", env=env(shared))
    assert newer_codes == [0]
    host = _host(shared)
    assert host["publishParams"]["video"]["bitRate"] == 900  # the older's write
    assert host["subscribeParams"]["maxSubsBitRate"] == 1500  # the newer's, not set back
    assert older.code == 3 and "roles.host.subscribeParams.maxSubsBitRate: " in older.out
