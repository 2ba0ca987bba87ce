"""Issue 23: a security review's findings, each against a small server on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator

from .conftest import Run, Write
from .helpers import env
from .servers import Proxy, Seen

LIVE_KEY = "AKIALIVEONLYKEY77777"
LIVE_SECRET = "LiveOnlySecret/abcdefghijklmnop"


def _echo_body(seen: Seen, history: list[Seen]) -> Any:
    """A server whose 400 echoes the request body, as some frameworks do."""
    if seen.method == "POST":
        body = json.dumps(seen.body)
        return 400, {
            "code": 400,
            "message": "Invalid body",
            "details": [f"could not process body: {body}"],
        }
    return None


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_1_credentials_read_from_the_api_are_never_echoed(
    emu: Emulator, run: Run, write: Write, fmt: str
) -> None:
    # Live credentials come from no ${HMSYNC_*} variable: the file leaves recording to the
    # dashboard, so a settings write carries live's over, and the server echoes it back.
    upload = {
        "type": "s3",
        "location": "bucket",
        "prefix": "p/",
        "credentials": {"key": LIVE_KEY, "secret": LIVE_SECRET},
    }
    emu.store.load(
        [{"name": "room", "settings": {"region": "in", "recording": {"upload": upload}}}]
    )
    write("hmsync.yaml", "ignore: [settings.recording]\n")
    write("templates/room.yaml", "name: room\nsettings: {region: eu}\n")
    with Proxy(emu.url, _echo_body) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1"}
        result = run("apply", "--auto-approve", "--format", fmt, env=environ)
        posted = [s.body for s in proxy.history if s.method == "POST"]
    assert result.code == 3, result.out + result.err
    assert LIVE_KEY in json.dumps(posted)  # the write did carry them: the echo is real
    assert "could not process body" in result.out
    for secret in (LIVE_KEY, LIVE_SECRET):
        assert secret not in result.out + result.err


def test_2_a_token_an_environment_names_is_never_echoed(
    emu: Emulator, run: Run, write: Write
) -> None:
    token = "prod-opaque-mgmt-token-0123456789"

    def echo_header(seen: Seen, history: list[Seen]) -> Any:
        auth = seen.headers.get("Authorization", "")
        return 401, {"code": 401, "message": "Token validation error", "details": [auth]}

    with Proxy(emu.url, echo_header) as proxy:
        write(
            "hmsync.yaml",
            "environments:\n  prod:\n"
            f"    api_base: {proxy.url}/policy/v1\n"
            "    management_token_env: HMS_PROD_TOKEN\n",
        )
        write("templates/room.yaml", "name: room\n")
        result = run("plan", "--env", "prod", env={"HMS_PROD_TOKEN": token})
    assert result.code == 1
    assert "Token validation error" in result.err
    assert token not in result.out + result.err
    assert "Bearer (sensitive value)" in result.err


SECRETS = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+", min_size=12, max_size=40
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(key=SECRETS, secret=SECRETS, shape=st.sampled_from(["message", "details", "both"]))
def test_1_random_live_secrets_echoed_in_any_error_shape_never_show(
    emu: Emulator, run: Run, write: Write, key: str, secret: str, shape: str
) -> None:
    upload = {
        "type": "s3",
        "location": "b",
        "prefix": "p/",
        "credentials": {"key": key, "secret": secret},
    }
    emu.store.reset()
    emu.store.load(
        [{"name": "room", "settings": {"region": "in", "recording": {"upload": upload}}}]
    )
    write("hmsync.yaml", "ignore: [settings.recording]\n")
    write("templates/room.yaml", "name: room\nsettings: {region: eu}\n")

    def echo(seen: Seen, history: list[Seen]) -> Any:
        if seen.method != "POST":
            return None
        body = json.dumps(seen.body)
        message = f"bad {body}" if shape in ("message", "both") else "bad"
        details = [body, f"key={key}"] if shape in ("details", "both") else []
        return 400, {"code": 400, "message": message, "details": details}

    with Proxy(emu.url, echo) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1"}
        outputs = [
            run("apply", "--auto-approve", "--format", f, env=environ) for f in ("text", "json")
        ]
    for result in outputs:
        assert result.code == 3
        assert key not in result.out + result.err and secret not in result.out + result.err
