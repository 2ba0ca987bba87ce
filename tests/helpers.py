"""Helpers shared by the tests: tokens minted independently of hmsync's own auth code."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt

from hmsync.backends.auth import Credentials, TokenSource
from hmsync.backends.v1 import V1Client as Client
from hmsync.backends.v2 import V2Client
from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET, Emulator
from hmsync.write.template_run import create_body

from .conftest import EXAMPLE_ENV, EXAMPLES

# Readings of a shared account; the whole cycle converges under each, on v1 and on v2.
ISSUE_22_READINGS: list[dict[str, Any]] = [
    {"omit_empty": "omitted"},
    {"last_page": "next-empty"},
    {"last_page": "next-null"},
    {"last_page": "next-missing"},
    {"fill": "v1"},
    {"fill": "v2"},
    {"enum": "refuse"},
]
GOLDEN = json.loads((Path(__file__).parent / "golden" / "seed_examples.json").read_text())


def mint(secret: str = DEFAULT_SECRET, access_key: str = DEFAULT_ACCESS_KEY, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "access_key": access_key,
        "type": "management",
        "version": 2,
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, secret, algorithm="HS256")


def auth(token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or mint()}"}


def api(emu: Emulator, **kwargs: Any) -> Client:
    """hmsync's client for this emulator."""
    creds = Credentials(access_key=emu.access_key, secret=emu.secret)
    kind = V2Client if emu.api == "v2" else Client
    return kind(emu.api_base, TokenSource(creds), **kwargs)


def env(emu: Emulator) -> dict[str, str]:
    """The environment the CLI needs for this emulator and the examples."""
    return {**emu.env(), **EXAMPLE_ENV}


def write_complete(client: Client, data: dict[str, Any]) -> None:
    """A template written the way apply creates one: complete role and settings bodies."""
    client.create_template(create_body(data))


def example_data(name: str) -> dict[str, Any]:
    """An example template as a dict, its ${HMSYNC_*} placeholders filled from EXAMPLE_ENV."""
    import yaml

    text = (EXAMPLES / f"{name}.yaml").read_text()
    for var, value in EXAMPLE_ENV.items():
        text = text.replace("${" + var + "}", value)
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def hmsync(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The hmsync command in a process of its own, as a user or CI runs it."""
    return subprocess.run(
        [sys.executable, "-m", "hmsync", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@contextmanager
def emulator_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    """`hmsync emulator --port 0 ARGS` in a process of its own, stopped by SIGTERM at the end
    (wait for it, then read its returncode)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmsync", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
