"""One contract, both backends. What plan and apply need of an API, asked of the v1
and the v2 backend alike against the emulator: the same answers in the one internal form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hmsync.backends import Backend
from hmsync.emulator import Emulator
from hmsync.errors import ApiError

from .helpers import api


@pytest.fixture(params=["v1", "v2"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[Backend, Emulator]]:
    with Emulator(api=request.param) as emu, api(emu) as client:
        yield client, emu


def _role(**fields: Any) -> dict[str, Any]:
    return {"publishParams": {"allowed": ["audio"]}, **fields}


def test_the_list_is_every_template_across_pages(backend: tuple[Backend, Emulator]) -> None:
    client, emu = backend
    page = 100 if client.api == "v2" else 20
    emu.store.load([{"name": f"t{i:03}", "roles": {}} for i in range(page + 5)])
    listed = client.list_templates()
    assert len(listed) == page + 5
    assert all(set(t) >= {"_id", "name"} for t in listed)  # the internal form


def test_create_find_read_and_replace(backend: tuple[Backend, Emulator]) -> None:
    client, _ = backend
    settings = {"region": "in", "recording": {"enabled": False}}
    created = client.create_template(
        {"name": "room", "roles": {"host": _role()}, "settings": settings}
    )
    found = client.find_template("room")
    assert found is not None and client.find_template("nope") is None
    tid = str(found["_id"])
    assert created.get("_id") in (None, tid)
    template = client.get_template(tid)
    assert template["name"] == "room" and "host" in template["roles"]
    assert client.template_url(tid).startswith(client.base_url) and tid in client.template_url(tid)
    client.modify_template(tid, {"name": "room", "roles": {"guest": _role()}, "settings": settings})
    assert set(client.get_template(tid)["roles"]) == {"guest"}


def test_roles_upsert_rename_and_delete_twice(backend: tuple[Backend, Emulator]) -> None:
    client, _ = backend
    client.create_template(
        {"name": "room", "roles": {"host": _role()}, "settings": {"region": "in"}}
    )
    tid = str(client.list_templates()[0]["_id"])
    client.upsert_role(tid, "pupil", _role(priority=3))
    assert client.get_role(tid, "pupil")["priority"] == 3
    client.upsert_role(tid, "pupil", {**_role(priority=3), "name": "student"})  # a rename
    assert set(client.get_template(tid)["roles"]) == {"host", "student"}
    client.delete_role(tid, "student")
    client.delete_role(tid, "student")  # gone already (a lost answer's retry): done
    assert set(client.get_template(tid)["roles"]) == {"host"}


def test_settings_and_credentials_in_the_internal_form(backend: tuple[Backend, Emulator]) -> None:
    client, _ = backend
    upload = {
        "type": "s3",
        "location": "b",
        "prefix": "p/",
        "credentials": {"key": "KEY12345", "secret": "SECRET123"},
    }
    client.create_template(
        {"name": "room", "roles": {"host": _role()}, "settings": {"region": "in"}}
    )
    tid = str(client.list_templates()[0]["_id"])
    client.update_settings(tid, {"region": "eu", "recording": {"enabled": True, "upload": upload}})
    settings = client.get_template(tid)["settings"]
    assert settings["region"] == "eu"
    if client.api == "v2":  # v1's Update Settings takes the region only (the seed's words)
        assert settings["recording"]["upload"]["credentials"] == {
            "key": "KEY12345",
            "secret": "SECRET123",
        }


def test_the_v2_parts(backend: tuple[Backend, Emulator]) -> None:
    client, _ = backend
    client.create_template(
        {"name": "room", "roles": {"host": _role()}, "settings": {"region": "in"}}
    )
    tid = str(client.list_templates()[0]["_id"])
    recordings = [{"name": "main", "role": "host"}]
    if client.api == "v1":
        with pytest.raises(ApiError) as refused:
            client.update_recordings(tid, recordings)
        assert refused.value.reason == "the v1 API has no recordings"
        with pytest.raises(ApiError):
            client.update_destinations(tid, {})
        return
    client.update_recordings(tid, recordings)
    assert [r["name"] for r in client.get_recordings(tid)] == ["main"]
    client.update_destinations(tid, {"rtmpDestinations": {}})
    assert client.get_template(tid)["recordings"][0]["role"] == "host"
