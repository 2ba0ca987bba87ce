"""What people really do, set up on purpose (tests/situations.py): a project in a subfolder,
names that differ only in case, two identical files, defaults under settings, every v2 part
emptied, a secret that is no JWT, a token refused with 403. Each test fails with a semantic bug
a developer really makes (a missing ingredient in a key, one name of a pair translated one way
only, a secret masked in one output but not another, a path joined without the subfolder)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from hmsync.backends.auth import Credentials, TokenSource
from hmsync.backends.v2 import V2Client
from hmsync.emulator import Emulator
from hmsync.files.schema import check_paths
from hmsync.plan.digests import live_fingerprint

from .conftest import Run, Write
from .helpers import api, env
from .servers import Proxy, Seen
from .situations import (
    CASE_TWINS,
    NOT_A_JWT,
    SETTINGS_DEFAULTED,
    V2_EMPTIED,
    V2_FULL,
    git,
    identical_files,
    refusing_once,
    subfolder_repository,
    tokens,
)


def test_a_v2_part_emptied_in_the_file_is_emptied_live(run: Run, write: Write) -> None:
    """`destinations: {}` and `recordings: []` are the whole truth (none), not "not managed"."""
    with Emulator(api="v2") as emu:
        write("templates/t.yaml", V2_FULL)
        assert run("apply", "--api", "v2", "--auto-approve", env=env(emu)).code == 0
        [live] = emu.store.dump()
        assert live["destinations"]["rtmpDestinations"] and live.get("recordings")
        write("templates/t.yaml", V2_EMPTIED)
        planned = run("plan", "--api", "v2", env=env(emu))
        assert "~ destinations will be updated" in planned.out
        assert "~ recordings will be updated" in planned.out
        assert run("apply", "--api", "v2", "--auto-approve", env=env(emu)).code == 0
        [live] = emu.store.dump()
        again = run("plan", "--api", "v2", "--detailed-exitcode", env=env(emu))
    assert not (live.get("destinations") or {}).get("rtmpDestinations")
    assert not live.get("recordings")
    assert again.code == 0, again.out


def test_no_part_of_a_secret_enters_a_fingerprint_in_clear() -> None:
    """Without a plan key, secrets are left out of a fingerprint whole, each of their parts:
    two templates that differ only in the storage key digest the same (a key in clear would be
    guessable offline from a saved plan); with a key, a rotation is still seen."""
    one = {"name": "t", "settings": {"recording": {"upload": {
        "credentials": {"key": "AKIAONE0001", "secret": "secret-one"}}}}}  # fmt: skip
    other = copy.deepcopy(one)
    other["settings"]["recording"]["upload"]["credentials"]["key"] = "AKIATWO0002"
    assert live_fingerprint(one, None) == live_fingerprint(other, None)
    assert live_fingerprint(one, "plan-key") != live_fingerprint(other, "plan-key")


def test_two_identical_files_keep_their_own_problems_in_the_cache(tmp_path: Path) -> None:
    # A problem found while reading (a var with no environment), one by the schema (the range).
    text = "name: t\nroles:\n  host: {priority: '${vars.p}'}\n  guest: {priority: 99}\n"
    identical_files(tmp_path / "templates", text)
    cache = tmp_path / "cache"
    folder = str(tmp_path / "templates")
    runs = [sorted(map(str, check_paths([folder], {}, cache_root=cache).problems)) for _ in "12"]
    assert runs[0] == runs[1]  # the second answered from the cache
    assert [p for p in runs[1] if "/b.yaml:" in p] and [p for p in runs[1] if "/a.yaml:" in p]


def test_the_v2_settings_say_secretkey_on_the_wire() -> None:
    """The v2 pages name the storage secret `secretKey` in requests; a body that says `secret`
    is a wire bug a lenient server hides (and the emulator's `names: strict` reading refuses)."""
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=seen[-1])

    tokens = TokenSource(Credentials(access_key="k", secret=NOT_A_JWT))
    with V2Client("http://127.0.0.1:9/v2", tokens, transport=httpx.MockTransport(handler)) as c:
        upload = {"type": "s3", "credentials": {"key": "AKIA1", "secret": "s3cr3t-value"}}
        c.update_settings("t1", {"region": "in", "recording": {"upload": upload}})
    [body] = seen
    assert body["recording"]["upload"]["credentials"] == {
        "key": "AKIA1",
        "secretKey": "s3cr3t-value",
    }


def test_a_settings_default_the_file_leaves_out_is_said_in_the_review(
    run: Run, write: Write
) -> None:
    with Emulator(api="v2") as emu:
        write("templates/t.yaml", SETTINGS_DEFAULTED)
        assert run("apply", "--api", "v2", "--auto-approve", env=env(emu)).code == 0
        emu.server.interleavings.clear()
        emu.interleave(after_request=0, template="t", set={"settings.roomState.messageInterval": 9})
        text = run("plan", "--api", "v2", env=env(emu)).out
        markdown = run("plan", "--api", "v2", "--format", "markdown", env=env(emu)).out
    assert "~ roomState.messageInterval: 9 -> 5 (not set in the file: the default)" in text
    assert "+     roomState.messageInterval: 5 (not set in the file: the default)" in markdown


def test_an_app_secret_that_is_no_jwt_is_never_printed(run: Run, write: Write) -> None:
    """A server that echoes the app secret (not JWT-shaped, so no pattern finds it) in an
    error: the value itself is hidden, without any --env."""
    write("templates/t.yaml", "name: t\nroles:\n  host: {}\n")
    with Emulator(secret=NOT_A_JWT) as emu:

        def echo(seen: Seen, history: list[Seen]) -> Any:
            return 400, {"code": 400, "message": f"bad request signed with {NOT_A_JWT}"}

        with Proxy(emu.url, echo) as proxy:
            environ = {**emu.env(), "HMS_API_BASE": proxy.url + "/policy/v1"}
            assert environ["HMS_SECRET"] == NOT_A_JWT
            result = run("plan", env=environ)
    assert result.code == 1
    assert NOT_A_JWT not in result.out + result.err
    assert "bad request signed with (sensitive value)" in result.err


def test_base_ref_from_a_project_in_a_subfolder_of_its_repository(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = "name: room\nroles:\n  host:\n    permissions: {endRoom: true, mute: true}\n"
    project = subfolder_repository(tmp_path / "repo", {"templates/room.yaml": room})
    monkeypatch.chdir(project)
    with Emulator() as emu:
        assert run("apply", "--auto-approve", env=env(emu)).code == 0
        with api(emu) as client:  # the dashboard takes mute from the host
            tid = client.list_templates()[0]["_id"]
            host = client.get_role(tid, "host")
            host["permissions"]["mute"] = False
            client.upsert_role(tid, "host", {k: v for k, v in host.items() if k != "name"})
        git(tmp_path / "repo", "checkout", "-q", "-b", "change")
        (project / "templates/room.yaml").write_text(room + "  guest: {priority: 2}\n")
        shown = run("plan", "--base-ref", "main", env=env(emu))
    assert shown.code == 0, shown.err
    assert shown.out.startswith("! Changed outside hmsync: the files at main already ask")


def test_the_same_file_named_twice_is_read_once(run: Run, write: Write) -> None:
    write("templates/a.yaml", "name: a\nroles:\n  host: {}\n")
    result = run("validate", "templates", "templates/a.yaml", "./templates/a.yaml", env={})
    assert (result.code, result.out) == (0, "1 file checked: no problems.\n")


def test_a_token_refused_with_403_is_renewed_once(run: Run, write: Write) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  host: {}\n")
    with refusing_once(403) as server:
        base = server.url + "/policy/v1"
        environ = {"HMS_API_BASE": base, "HMS_ACCESS_KEY": "k", "HMS_SECRET": NOT_A_JWT}
        result = run("plan", env=environ)
    assert result.code == 0, result.err
    seen = tokens(server)
    assert len(seen) == 2 and seen[0] != seen[1]


def test_names_that_differ_only_in_case_export_to_two_files_on_any_system(
    tmp_path: Path,
) -> None:
    from hmsync.cli import main

    with Emulator() as emu:
        emu.store.load([{"name": name, "roles": {"host": {}}} for name in CASE_TWINS])
        assert main(["export", "--out", str(tmp_path / "out")], dict(emu.env())) == 0
    files = sorted(p.name for p in (tmp_path / "out").glob("*.yaml"))
    assert len({f.lower() for f in files}) == len(CASE_TWINS), files


@pytest.mark.parametrize(("api_version", "other"), [("v1", "secretKey"), ("v2", "secret")])
def test_the_emulator_refuses_the_other_apis_name_for_the_storage_secret(
    api_version: str, other: str
) -> None:
    """The `names: strict` reading (the default the suite runs): where the pages name a field,
    a write that names it otherwise is refused, so a client's wire bug cannot hide."""
    with Emulator(api=api_version) as emu:
        prefix = "/policy/v1" if api_version == "v1" else "/v2"
        upload = {"type": "s3", "location": "b", "prefix": "p",
                  "credentials": {"key": "AKIA1", other: "s3cr3t-value"}}  # fmt: skip
        body = {"name": "t", "roles": {}, "settings": {"recording": {"enabled": True,
                                                                     "upload": upload}}}  # fmt: skip
        headers = {"Authorization": f"Bearer {_token(emu)}"}
        refused = httpx.post(emu.url + prefix + "/templates", json=body, headers=headers)
        emu.set_readings(names="lenient")
        taken = httpx.post(emu.url + prefix + "/templates", json=body, headers=headers)
    assert refused.status_code == 400
    documented = "secret" if other == "secretKey" else "secretKey"
    assert refused.json()["details"] == [
        f"Invalid body param: settings.recording.upload.credentials.{other}: not a field of a "
        f"{api_version} "
        f"request; the {api_version} API names the storage secret {documented}"
    ]
    # Lenient, v2 takes either name, as its answers use both; v1 never knew `secretKey`.
    assert taken.status_code == (200 if api_version == "v2" else 400)


def _token(emu: Emulator) -> str:
    from .helpers import mint

    return mint(emu.secret, emu.access_key)
