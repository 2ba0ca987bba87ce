"""A security review's findings, each against a small server on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator

from .conftest import Run, Write
from .helpers import env
from .servers import Proxy, RawServer, Seen

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


def _live_only_credentials(emu: Emulator, write: Write, key: str, secret: str) -> None:
    """Live credentials that come from no ${HMSYNC_*} variable: the file leaves recording to
    the dashboard and changes the region, so a settings write carries live's over."""
    credentials = {"key": key, "secret": secret}
    recording = {
        "upload": {"type": "s3", "location": "b", "prefix": "p/", "credentials": credentials}
    }
    emu.store.load([{"name": "room", "settings": {"region": "in", "recording": recording}}])
    write("hmsync.yaml", "ignore: [settings.recording]\n")
    write("templates/room.yaml", "name: room\nsettings: {region: eu}\n")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_1_credentials_read_from_the_api_are_never_echoed(
    emu: Emulator, run: Run, write: Write, fmt: str
) -> None:
    _live_only_credentials(emu, write, LIVE_KEY, LIVE_SECRET)
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
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(key=SECRETS, secret=SECRETS, shape=st.sampled_from(["message", "details", "both"]))
def test_1_random_live_secrets_echoed_in_any_error_shape_never_show(
    emu: Emulator, run: Run, write: Write, key: str, secret: str, shape: str
) -> None:
    emu.store.reset()
    _live_only_credentials(emu, write, key, secret)

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


def _hmsync(*args: str, base: str) -> tuple[int, str, float, int]:
    """hmsync in a process of its own: exit code, stderr, seconds, peak memory in MB."""
    import os
    import subprocess
    import sys
    import time

    from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET

    environ = {
        **os.environ,
        "HMS_API_BASE": base,
        "HMS_ACCESS_KEY": DEFAULT_ACCESS_KEY,
        "HMS_SECRET": DEFAULT_SECRET,
    }
    # The peak of this process alone, said on a last line of stderr: VmHWM (getrusage's
    # maxrss would carry the forking test run's own peak across exec on Linux).
    program = (
        "import re, sys\n"
        "from hmsync.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "status = open('/proc/self/status').read()\n"
        "print('PEAK', re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.__stderr__)\n"
        "sys.exit(code)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", program, *args], env=environ, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    *lines, last = done.stderr.splitlines(keepends=True)
    peak = int(last.split()[1]) // 1024
    return done.returncode, "".join(lines), elapsed, peak


def _plan_against(handle: Any, write: Write, *args: str) -> tuple[int, str, float, int, str]:
    """`hmsync plan` of one file against a raw server: what _hmsync returns, and the base."""
    write("templates/t.yaml", "name: t\n")
    with RawServer(handle) as server:
        return (*_hmsync("plan", "--retries", "0", *args, base=server.base), server.base)


def test_3_a_server_trickling_headers_is_stopped_at_the_deadline(write: Write) -> None:
    def trickle(conn: Any, stop: Any) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for i in range(60):  # one header line a second, for a minute
            if stop.wait(1.0):
                return
            conn.sendall(f"X-Slow-{i}: {i}\r\n".encode())

    code, err, elapsed, _, base = _plan_against(trickle, write, "--timeout", "3")
    assert code == 1
    assert err == (
        f"hmsync: GET {base}/templates: timed out after 1 attempt; check --api-base, "
        "the network, or raise --timeout\n"
    )
    assert elapsed < 3 + 1 + 1.5  # the deadline, a second of slack, and Python's start-up


_BOMB: list[bytes] = []


def _gzip_bomb() -> bytes:
    """1 GiB of zeros, gzipped twice: 1,827 bytes on the wire."""
    import gzip
    import zlib

    if not _BOMB:
        inner = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        zeros = b"\0" * (1 << 20)
        body = b"".join([*(inner.compress(zeros) for _ in range(1024)), inner.flush()])
        _BOMB.append(gzip.compress(body, 9))
    return _BOMB[0]


def test_4_a_nested_gzip_bomb_stops_at_the_cap_in_memory_too(write: Write) -> None:
    bomb = _gzip_bomb()

    def answer(conn: Any, stop: Any) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: gzip, gzip\r\nContent-Length: {len(bomb)}\r\n\r\n"
        )
        conn.sendall(head.encode() + bomb)

    code, err, _, peak, base = _plan_against(answer, write)
    assert code == 1
    assert err == (
        f"hmsync: GET {base}/templates: 200 the answer is over 32 MiB; not read further; "
        "check --api-base\n"
    )
    assert peak < 100, f"peak memory {peak} MB"


def test_4_answers_are_undone_layer_by_layer_and_only_known_encodings_read() -> None:
    import gzip
    import zlib
    from functools import partial

    from hmsync.backends.transport import _decoded
    from hmsync.errors import ApiError

    cap = partial(ApiError, "GET", "http://127.0.0.1/t", 200)
    body = json.dumps({"limit": 20, "data": [{"_id": "1", "name": "n" * 100}] * 20}).encode()
    assert _decoded(gzip.compress(gzip.compress(body)), "gzip, gzip", cap) == body
    assert _decoded(zlib.compress(body), "deflate", cap) == body
    assert _decoded(body, "", cap) == _decoded(body, "identity", cap) == body
    with pytest.raises(ApiError) as brotli:
        _decoded(body, "br", cap)
    assert brotli.value.message == (
        "GET http://127.0.0.1/t: 200 the answer is encoded as 'br', which hmsync does not read "
        "(it asks for none); check --api-base"
    )
    with pytest.raises(ApiError) as broken:
        _decoded(b"not gzip at all", "gzip", cap)
    assert broken.value.message == "GET http://127.0.0.1/t: 200 the answer is not valid gzip"


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_5_nothing_a_server_says_becomes_a_workflow_command(
    emu: Emulator, run: Run, write: Write, fmt: str
) -> None:
    forged = [
        "  ::error title=hmsync::plan approved, safe to merge",
        "::add-mask::x",
        "::stop-commands::y",
    ]

    def hostile(seen: Seen, history: list[Seen]) -> Any:
        if seen.method == "POST":
            return 400, {"code": 400, "message": "::warning::forged", "details": forged}
        return None

    write("templates/room.yaml", "name: room\n")
    with Proxy(emu.url, hostile) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1"}
        result = run(
            "apply", "--auto-approve", "--format", "json" if fmt == "json" else "text", env=environ
        )
        planned = run("plan", "--format", fmt, env=environ)
    assert result.code == 3 and planned.code == 0
    assert "plan approved, safe to merge" in result.out + result.err
    for line in (result.out + result.err + planned.out + planned.err).splitlines():
        assert not line.lstrip().startswith("::"), line


def test_6_a_template_file_linked_from_outside_the_folder_is_refused(
    run: Run, write: Write, tmp_path: Any
) -> None:
    import os

    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_text("name: leaked-secret-content\n")
    write("templates/ok.yaml", "name: ok\n")
    assert run("validate").code == 0
    os.symlink(outside, tmp_path / "templates" / "evil.yaml")
    for command in ("validate", "plan"):
        result = run(command)
        assert (result.code, result.out) == (1, "")
        assert result.err == (
            "hmsync: templates/evil.yaml:1:1: a symbolic link out of templates/; hmsync reads "
            "the template files inside the folder only: replace the link with the file itself\n"
        )
    outside.unlink()


def test_7_a_token_refused_for_its_times_points_at_the_clock(write: Write) -> None:
    import email.utils
    import time

    def not_yet(conn: Any, stop: Any) -> None:
        # The server's clock is 30 s behind this machine's: its Date header says so.
        date = email.utils.formatdate(time.time() - 30, usegmt=True)
        body = json.dumps(
            {
                "code": 401,
                "message": "Token validation error",
                "details": ["token is not valid yet"],
            }
        ).encode()
        head = (
            f"HTTP/1.1 401 Unauthorized\r\nDate: {date}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    code, err, _, _, base = _plan_against(not_yet, write)
    assert code == 1
    assert err.splitlines()[0] in {
        f"hmsync: GET {base}/templates: 401 Token validation error; check this machine's clock: "
        f"it is {s} s ahead of the server's, or that a ready-made token has not expired"
        for s in (29, 30, 31)
    }


def test_7_a_plan_file_alone_cannot_test_a_guess_of_a_credential(
    emu: Emulator, run: Run, write: Write
) -> None:
    from hmsync.plan.concealment import secret_hasher
    from hmsync.plan.normalize import fingerprint

    secret = "guessable-s3-secret"
    upload = {
        "type": "s3",
        "location": "b",
        "prefix": "p/",
        "credentials": {"key": "K" * 8, "secret": secret},
    }
    emu.store.load(
        [{"name": "room", "settings": {"region": "in", "recording": {"upload": upload}}}]
    )
    write(
        "templates/room.yaml",
        "name: room\nsettings:\n  region: eu\n  recording:\n    upload: {type: s3, location: b, "
        'prefix: p/, credentials: {key: "${HMSYNC_K}", secret: "${HMSYNC_S}"}}\n',
    )
    environ = {**env(emu), "HMSYNC_K": "K" * 8, "HMSYNC_S": secret}
    assert run("plan", "-o", "plan.json", env=environ).code == 0
    saved = json.loads(Path("plan.json").read_text())
    hashes = saved["templates"][0]["secret_hashes"]
    guess = secret_hasher(saved["secret_salt"])(secret)  # what the file alone allows
    assert hashes and guess not in hashes.values()
    [live] = emu.store.dump()
    assert fingerprint(live) not in saved["live_fingerprints"].values()
    assert run("apply", "plan.json", env=environ).code == 0  # the keyed hashes still check
    # With a ready-made token and no app secret, the file holds no credential hash at all.
    token_only = {k: v for k, v in environ.items() if k not in ("HMS_ACCESS_KEY", "HMS_SECRET")}
    from .helpers import mint

    token_only["HMS_MANAGEMENT_TOKEN"] = mint(emu.secret, emu.access_key)
    assert run("plan", "-o", "plan2.json", env=token_only).code == 0
    assert json.loads(Path("plan2.json").read_text())["templates"][0]["secret_hashes"] == {}


def test_a_plain_http_base_loads_no_certificates_and_trusts_none() -> None:
    """The certificate store costs ~20 ms of each start-up; an http:// base (the
    emulator) never makes a TLS connection, so it gets a context that would refuse any."""
    import ssl

    import httpx

    from hmsync.backends import deadline

    plain = deadline.transport(httpx.Limits(), tls=False)._pool._ssl_context
    secure = deadline.transport(httpx.Limits(), tls=True)._pool._ssl_context
    assert plain is not None and secure is not None
    assert plain.cert_store_stats()["x509"] == 0
    assert (plain.verify_mode, plain.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert secure.cert_store_stats()["x509"] > 0
    assert (secure.verify_mode, secure.check_hostname) == (ssl.CERT_REQUIRED, True)
    # The client picks by its base URL's scheme.
    from hmsync.backends.auth import Credentials, TokenSource
    from hmsync.backends.v1 import V1Client as Client

    tokens = TokenSource(Credentials(access_key="k", secret="s" * 32))
    for base, certificates in (("http://127.0.0.1:9/policy/v1", 0), ("https://h/policy/v1", 1)):
        with Client(base, tokens) as client:
            context = client.http._transport._pool._ssl_context  # type: ignore[attr-defined]
            assert min(context.cert_store_stats()["x509"], 1) == certificates
