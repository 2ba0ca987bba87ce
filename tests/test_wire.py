"""What each backend puts on the wire, recorded (httpx.MockTransport) and held to the pages:
the method and path of each call, and the names its body uses. A lenient server would take a
wrong name (the emulator's `names: lenient` reading does); the pages are the contract."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from hmsync.backends.auth import Credentials, TokenSource
from hmsync.backends.v1 import V1Client
from hmsync.backends.v2 import V2Client

Sent = list[tuple[str, str, Any]]
CREDENTIALS = {"key": "AKIAWIRE0001", "secret": "wire-secret-value"}
SETTINGS = {
    "region": "in",
    "recording": {
        "enabled": True,
        "upload": {"type": "s3", "location": "b", "prefix": "p", "credentials": dict(CREDENTIALS)},
    },
}
ROLE = {"priority": 1, "publishParams": {"allowed": ["audio"]}}


def _client(kind: type, sent: Sent) -> Any:
    base = "http://127.0.0.1:9/policy/v1" if kind is V1Client else "http://127.0.0.1:9/v2"

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        sent.append((request.method, request.url.raw_path.decode(), body))
        path = request.url.path
        if path.endswith("/recordings"):
            return httpx.Response(200, json=body)
        if path.endswith("/settings") or "/roles/" in path or path.endswith("/destinations"):
            return httpx.Response(200, json=body or {})
        return httpx.Response(200, json={"_id": "t1", "id": "t1", "name": "t", "roles": {},
                                         "settings": {}})  # fmt: skip

    tokens = TokenSource(Credentials(access_key="k", secret="wire-app-secret-0123456789abcdef"))
    return kind(base, tokens, transport=httpx.MockTransport(handler))


def _credentials(body: Any) -> Any:
    return body["recording"]["upload"]["credentials"]


@pytest.mark.parametrize(("kind", "prefix", "secret"), [(V1Client, "/policy/v1", "secret"),
                                                        (V2Client, "/v2", "secretKey")])  # fmt: skip
def test_each_write_goes_where_the_pages_say_with_their_names(
    kind: type, prefix: str, secret: str
) -> None:
    sent: Sent = []
    with _client(kind, sent) as client:
        client.create_template({"name": "t", "roles": {"host": ROLE}, "settings": SETTINGS})
        client.modify_template("t1", {"name": "t", "roles": {"host": ROLE}, "settings": SETTINGS})
        client.upsert_role("t1", "host", ROLE)
        client.upsert_role("t1", "guest", {**ROLE, "name": "visitor"})  # a rename
        client.update_settings("t1", SETTINGS)
    methods_paths = [(m, p) for m, p, _ in sent]
    modify = f"{prefix}/templates?id=t1" if kind is V1Client else f"{prefix}/templates/t1"
    assert methods_paths == [
        ("POST", f"{prefix}/templates"),
        ("POST", modify),
        ("POST", f"{prefix}/templates/t1/roles/host"),
        ("POST", f"{prefix}/templates/t1/roles/guest"),
        ("POST", f"{prefix}/templates/t1/settings"),
    ]
    created, modified, role, renamed, settings = (body for _, _, body in sent)
    for body in (created["settings"], modified["settings"], settings):
        assert _credentials(body) == {"key": CREDENTIALS["key"], secret: CREDENTIALS["secret"]}
    assert "name" not in role  # a name in a role body renames it
    assert renamed["name"] == "visitor"
    assert set(created) <= {"name", "roles", "settings", "default", "destinations", "plugins"}
    assert "_id" not in modified and "id" not in modified


def test_v2_parts_have_calls_of_their_own() -> None:
    sent: Sent = []
    with _client(V2Client, sent) as client:
        client.update_destinations("t1", {"rtmpDestinations": {}})
        client.update_recordings("t1", [{"name": "main", "role": "host"}])
        client.create_template({"name": "t", "roles": {}, "settings": {}, "recordings": [{}]})
    assert [(m, p) for m, p, _ in sent] == [
        ("POST", "/v2/templates/t1/destinations"),
        ("POST", "/v2/templates/t1/recordings"),
        ("POST", "/v2/templates"),
    ]
    assert isinstance(sent[1][2], list)  # the recordings page's body is a list
    assert "recordings" not in sent[2][2]  # a template body never carries them
