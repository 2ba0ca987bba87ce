"""Every finding of the security review, item by item (two are in
test_real_api, with the misbehaving servers)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.render import plan_markdown, plan_text

from .conftest import Run, Write
from .helpers import api, auth, env
from .servers import Proxy, Seen


def internal(text: str) -> bool:
    return "internal error" in text or "Traceback" in text


# -- data loss -------------------------------------------------------------------------------


def test_2_a_create_is_checked_by_name_and_never_overwrites(
    emu: Emulator, run: Run, write: Write
) -> None:
    with api(emu) as client:
        client.create_template({"name": "room", "roles": {"keep": {}}})

    def hide_from_the_list(seen: Seen, history: list[Seen]) -> Any:
        if seen.method == "GET" and "name=" not in seen.path:
            return 200, {"limit": 20, "data": [], "last": ""}
        return None

    write("templates/room.yaml", "name: room\nroles:\n  host: {}\n")
    with Proxy(emu.url, hide_from_the_list) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1"}
        result = run("apply", "--auto-approve", env=environ)
    assert result.code == 4
    assert (
        f"          GET {proxy.url}/policy/v1/templates: template 'room' exists now, though "
        "the plan read none; a create would overwrite it, so nothing was written; plan again\n"
    ) in result.out
    assert emu.calls()["writes"] == 1  # the set-up's own create
    assert list(emu.store.dump()[0]["roles"]) == ["keep"]


# -- hangs and exhaustion --------------------------------------------------------------------


class _Trickle(BaseHTTPRequestHandler):
    """Headers at once, then the body a byte at a time, or a huge body at once."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        huge = "huge" in self.path
        size = 33 * 1024 * 1024 if huge else 100
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        try:
            if huge:
                self.wfile.write(b" " * size)
            else:
                for _ in range(size):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
        except OSError:
            pass  # the client gave up, as it should


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hangs up on purpose


@pytest.fixture
def trickle() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_4_a_request_has_one_deadline_and_the_answer_a_size_cap(
    trickle: str, run: Run, write: Write
) -> None:
    write("templates/t.yaml", "name: t\n")
    environ = {"HMS_API_BASE": trickle + "/slow", "HMS_MANAGEMENT_TOKEN": "t" * 20}
    started = time.monotonic()
    slow = run("plan", "--timeout", "1", "--retries", "0", env=environ)
    assert time.monotonic() - started < 5  # not the 20 s the server would take
    assert (slow.code, slow.err) == (
        1,
        f"hmsync: GET {trickle}/slow/templates: timed out after 1 attempt; check --api-base, "
        "the network, or raise --timeout\n",
    )
    environ["HMS_API_BASE"] = trickle + "/huge"
    huge = run("plan", "--retries", "0", env=environ)
    assert (huge.code, huge.err) == (
        1,
        f"hmsync: GET {trickle}/huge/templates: 200 the answer is over 32 MiB; not read "
        "further; check --api-base\n",
    )


def test_5_big_files_are_refused_before_parsing_and_messages_stay_short(
    run: Run, write: Write
) -> None:
    write("templates/big.yaml", "name: t\n" + "# padding\n" * 120_000)
    started = time.monotonic()
    big = run("validate")
    assert time.monotonic() - started < 2
    assert big.out == (
        "templates/big.yaml:1:1: the file is over 1024 KiB, far beyond any template; split it\n"
        "1 file checked: 1 error, 0 warnings.\n"
    )
    write("templates/big.yaml", "name: t\nroles:\n  r: {priority: '" + "x" * 500_000 + "'}\n")
    long = run("validate")
    assert long.code == 1 and len(long.out) < 400


# -- secrets ---------------------------------------------------------------------------------

SECRET = "sec-PREFIX-0123456789"


def test_6_a_value_from_an_hmsync_variable_is_sensitive_wherever_it_lands(
    emu: Emulator, run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "templates/t.yaml",
        "name: t\nsettings:\n  region: ${HMSYNC_REGION}\n  recording:\n    upload: {type: s3, "
        'location: b, prefix: "${HMSYNC_PREFIX}", credentials: not-an-object}\n',
    )
    environ = {**env(emu), "HMSYNC_PREFIX": SECRET, "HMSYNC_REGION": "zz-" + SECRET}
    outputs = [run("validate", "--format", fmt, env=environ) for fmt in ("text", "json", "github")]
    assert all(r.code == 1 for r in outputs)
    assert "settings.region: (sensitive value) is not a documented value" in outputs[0].out
    write(
        "templates/t.yaml",
        "name: t\nsettings:\n  recording:\n    upload: {type: s3, location: b, "
        'prefix: "${HMSYNC_PREFIX}"}\nroles:\n  r: {subscribeParams: {subscribeToRoles: '
        '["${HMSYNC_PREFIX}"]}}\n',
    )
    outputs += [run("plan", "--format", fmt, env=environ) for fmt in ("text", "json", "markdown")]
    outputs.append(run("plan", "-o", "plan.json", env=environ))
    outputs.append(run("apply", "plan.json", env=environ))
    assert outputs[-1].code == 0
    outputs.append(run("drift", env={**environ, "HMSYNC_PREFIX": "other-prefix-value"}))
    for result in outputs:
        assert SECRET not in result.out + result.err, result
    assert SECRET not in (tmp_path / "plan.json").read_text()
    assert '"new": "(sensitive value)"' in outputs[4].out  # the JSON plan says so


def test_7_an_error_body_that_echoes_secrets_or_the_token_is_scrubbed(
    emu: Emulator, run: Run, write: Write
) -> None:
    write(
        "templates/t.yaml",
        "name: t\nsettings:\n  recording:\n    upload:\n      type: s3\n      location: b\n"
        "      prefix: p\n      credentials:\n        key: AKIA-ECHOED\n"
        "        secret: ${HMSYNC_S3_SECRET}\n",
    )
    tokens: list[str] = []

    def echo(seen: Seen, history: list[Seen]) -> Any:
        token = seen.headers.get("Authorization", "").removeprefix("Bearer ")
        tokens.append(token)
        if seen.method == "POST":  # a server that echoes the request into its error
            return 400, {
                "code": 400,
                "message": f"bad body {json.dumps(seen.body)}",
                "details": [f"Authorization: Bearer {token}"],
            }
        return None

    with Proxy(emu.url, echo) as proxy:
        environ = {**env(emu), "HMS_API_BASE": proxy.url + "/policy/v1", "HMSYNC_S3_SECRET": SECRET}
        result = run("apply", "--auto-approve", env=environ)
    assert result.code == 3
    assert "bad body" in result.out and "Authorization: Bearer (token)" in result.out
    assert SECRET not in result.out + result.err
    assert tokens and all(t not in result.out + result.err for t in tokens)


def test_8_export_escapes_dollars_and_never_shares_credential_variables(
    emu: Emulator, run: Run
) -> None:
    upload = {
        "type": "s3",
        "location": "b",
        "prefix": "${HMSYNC_S3_SECRET}",
        "credentials": {"key": "K1", "secret": "S1"},
    }
    emu.store.load(
        [
            {"name": "rec-a", "settings": {"recording": {"upload": upload}}},
            {
                "name": "rec.a",
                "settings": {
                    "recording": {
                        "upload": {**upload, "credentials": {"key": "K2", "secret": "S2"}}
                    }
                },
            },
        ]
    )
    exported = run("export", "--out", "t", env=env(emu))
    assert exported.code == 0
    assert (
        "set these variables (to the values you use today) before plan or apply: "
        "HMSYNC_REC_A_STORAGE_KEY, HMSYNC_REC_A_STORAGE_SECRET, HMSYNC_REC_A_2_STORAGE_KEY, "
        "HMSYNC_REC_A_2_STORAGE_SECRET\n"
    ) in exported.out
    assert "prefix: $${HMSYNC_S3_SECRET}" in Path("t/rec-a.yaml").read_text()
    environ = {
        **env(emu),
        "HMSYNC_S3_SECRET": SECRET,
        "HMSYNC_REC_A_STORAGE_KEY": "K1",
        "HMSYNC_REC_A_STORAGE_SECRET": "S1",
        "HMSYNC_REC_A_2_STORAGE_KEY": "K2",
        "HMSYNC_REC_A_2_STORAGE_SECRET": "S2",
    }
    planned = run("plan", "t", "--detailed-exitcode", env=environ)
    assert (planned.code, planned.out) == (0, "No changes. Live templates match the files.\n")


# -- crashes instead of located errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int abc", "'abc' is not a valid int"),
        ("!!bool 1", "'1' is not a valid bool"),
        ('!!float ""', "'' is not a valid float"),
        ("!!timestamp abc", "'abc' is not a valid timestamp"),
        ("!!int 0x", "'0x' is not a valid int"),
    ],
)
def test_9_tags_with_bad_values_are_located(
    run: Run, write: Write, value: str, message: str
) -> None:
    write("templates/t.yaml", f"name: t\nroles:\n  r: {{priority: {value}}}\n")
    result = run("validate")
    assert result.out == (
        f"templates/t.yaml:3:17: roles.r.priority: {message}; fix it or drop the tag\n"
        "1 file checked: 1 error, 0 warnings.\n"
    )


@pytest.mark.parametrize("depth", [40, 450, 5000])
def test_10_deep_nesting_is_located(run: Run, write: Write, depth: int) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  r: " + "[" * depth + "]" * depth + "\n")
    result = run("validate")
    assert result.code == 1 and not internal(result.out + result.err)
    # The same line at every depth and on every PyYAML: hmsync's own check (40), Python's
    # recursion (450 on older PyYAML), libyaml's own limit (5000 on PyYAML >= 6.0.4).
    assert result.out == (
        "templates/t.yaml:3:36: nested deeper than 32 levels; a template is never that deep\n"
        "1 file checked: 1 error, 0 warnings.\n"
    )


@pytest.mark.parametrize("loader", ["SafeLoader", "CSafeLoader"])
def test_10_deep_nesting_is_one_message_whatever_parser_stops_it(
    loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pure-Python composer recurses (RecursionError); libyaml >= 0.2.6 stops at flow
    # level 1000 with a ScannerError of its own. Both end as hmsync's located message.
    import yaml

    from hmsync.files import loader as loader_module
    from hmsync.files import yamlfile

    monkeypatch.setattr(yamlfile, "_SafeLoader", getattr(yaml, loader, yaml.SafeLoader))
    text = "name: t\nroles:\n  r: " + "[" * 5000 + "]" * 5000 + "\n"
    document, problems = loader_module.load_bytes("t.yaml", text.encode(), environ={})
    assert document is None
    assert [str(p) for p in problems] == [
        "t.yaml:3:36: nested deeper than 32 levels; a template is never that deep"
    ]


def test_11_bad_options_and_tampered_plan_files_are_one_line_errors(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/t.yaml", "name: t\n")
    for value in ("nan", "inf", "-1", "0"):
        result = run("plan", "--timeout", value, env=env(emu))
        assert result.code == 1 and "argument --timeout: expected" in result.err, value
    assert run("emulator", "--port", "99999").err.endswith(
        "argument --port: expected 0 to 65535, got 99999 (hmsync --help for usage)\n"
    )
    assert run("export", "--out", "/dev/null", env=env(emu)).err == (
        "hmsync: --out /dev/null: not a folder; name a folder for the template files\n"
    )
    assert run("plan", "-o", "plan.json", env=env(emu)).code == 0
    good = json.loads(Path("plan.json").read_text())
    for broken in (
        {**good, "format_version": True},
        {k: v for k, v in good.items() if k != "api_base"},
        {**good, "templates": [{"name": "t"}]},
        {**good, "templates": ["t"]},
        {**good, "files": [1]},
        {**good, "live_fingerprints": {"t": 1}},
    ):
        Path("bad.json").write_text(json.dumps(broken))
        result = run("apply", "bad.json", env=env(emu))
        assert result.code == 1 and not internal(result.err), broken
        assert result.err.startswith("hmsync: bad.json: "), result.err


def test_11_an_over_long_live_name_exports_to_a_short_file_name(emu: Emulator, run: Run) -> None:
    name = "n" * 300
    emu.store.load([{"name": f"a{i}"} for i in range(16)] + [{"name": name}])
    result = run("export", "--out", "out", env=env(emu))
    assert result.code == 0, result.err
    assert Path("out", "n" * 100 + ".yaml").is_file()


# -- wrong requests and output ---------------------------------------------------------------


def test_12_dot_role_names_never_reach_a_url(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/t.yaml", "name: t\nroles:\n  ..: {}\n")
    refused = run("validate")
    assert refused.out.startswith(
        "templates/t.yaml:3:3: roles: '..' is not a valid role name: it must not be `.` or `..` "
        "nor hold / ? # % \\ or control characters (it travels in a URL path)\n"
    )
    emu.store.load([{"name": "t", "roles": {"..": {"name": ".."}, "keep": {"name": "keep"}}}])
    write("templates/t.yaml", "name: t\nroles:\n  keep: {}\n")
    result = run("apply", "--auto-approve", "--allow-delete", env=env(emu))
    assert result.code == 3
    assert (
        "this role name cannot travel in a URL path; rename the role in the dashboard" in result.out
    )
    assert emu.calls()["routes"].get("delete_role", 0) == 0
    assert [t["name"] for t in emu.store.dump()] == ["t"]


def test_13_export_never_writes_through_a_symlink(emu: Emulator, run: Run, tmp_path: Path) -> None:
    emu.store.load([{"name": "t"}])
    Path("out").mkdir()
    outside = tmp_path / "outside.yaml"
    Path("out/t.yaml").symlink_to(outside)  # dangling
    for args in ([], ["--force"]):
        result = run("export", "--out", "out", *args, env=env(emu))
        assert (result.code, result.err) == (
            4,
            "hmsync: refusing to write through symbolic link(s): out/t.yaml; hmsync writes "
            "regular files only, inside the folder\n",
        )
    assert not outside.exists()


def _plan_with(names: list[str]) -> Any:
    from hmsync.model import Action, Change, Plan, TemplatePlan

    actions = (
        *tuple(Action("delete_role", "t", n) for n in names),
        Action("update_role", "t", names[0], changes=(Change("priority", 1, 2),)),
    )
    return Plan((TemplatePlan("t", "t.yaml", "1" * 24, actions),), unmanaged=tuple(names[:3]))


def test_14_names_are_escaped_in_text_and_markdown() -> None:
    forged = "x\nNo changes. Live templates match the files.\x1b[2K"
    text = plan_text(_plan_with([forged, "ok"]))
    assert "\nNo changes." not in text and "\x1b" not in text
    assert (
        "- role x\\u000aNo changes. Live templates match the files.\\u001b[2K will be DELETED"
        in text
    )
    markdown = plan_markdown(_plan_with(["</details><img src=x>", "@octocat", "```", "a|b"]))
    # Inside the diff fence everything is literal (and control characters are escaped, so no
    # name can end the fence); outside it, every name is entity-escaped.
    outside = re.sub(r"```diff\n.*?\n```\n", "", markdown, flags=re.S)
    assert "</details><img" not in outside and "@octocat" not in outside
    assert "<code>t/&#60;&#47;details&#62;&#60;img src=x&#62;</code>" not in outside
    assert "&#64;octocat" in outside and "a&#124;b" in outside
    assert markdown.count("```diff\n") == 1 and markdown.count("\n```\n") == 1
    huge = plan_markdown(_plan_with([f"r{i}-" + "x" * 3000 for i in range(40)]))
    assert len(huge) <= 65_000


def test_15_plan_o_never_replaces_a_special_file(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/t.yaml", "name: t\n")
    result = run("plan", "-o", "/dev/null", env=env(emu))
    assert (result.code, result.err) == (
        1,
        "hmsync: /dev/null: not a regular file; name a plan file (such as plan.json)\n",
    )
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def _raw(emu: Emulator, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", emu.server.server_address[1]), timeout=5) as s:
        s.sendall(request)
        return s.recv(65536)


def test_16_the_emulator_answers_malformed_requests_with_400(emu: Emulator, tmp_path: Path) -> None:
    token = auth()["Authorization"]
    for length in (b"abc", b"-5"):
        answer = _raw(
            emu,
            b"POST /policy/v1/templates HTTP/1.1\r\nHost: x\r\nAuthorization: "
            + token.encode()
            + b"\r\nContent-Length: "
            + length
            + b"\r\n\r\n{}",
        )
        assert answer.startswith(b"HTTP/1.1 400"), answer
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = _raw(
        emu,
        b"POST /policy/v1/templates HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + token.encode()
        + b"\r\nContent-Length: "
        + str(len(deep)).encode()
        + b"\r\n\r\n"
        + deep,
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]
    import httpx

    control = httpx.Client(base_url=emu.url + "/_emulator", timeout=5)
    nameless = control.post("/templates", json={"templates": [{"roles": {}}]})
    assert (nameless.status_code, nameless.json()["details"]) == (
        400,
        ["templates[0].name: is required"],
    )
    nan = control.post(
        "/faults", content=b'{"error_rate": NaN}', headers={"Content-Type": "application/json"}
    )
    assert nan.status_code == 400
    control.close()
    with api(emu) as client:
        assert client.list_templates() == []  # nothing broke the listing
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hmsync",
            "emulator",
            "--port",
            "0",
            "--state",
            str(blocked / "s.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        f"hmsync: {blocked}/s.json: cannot write the state file there (Not a directory); "
        "pick another --state\n"
    )


def test_17_smaller_findings(
    emu: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("templates/t.yaml", "name: t\n")
    assert run("apply", "--max-deletes", "-1", env=env(emu)).err.endswith(
        "argument --max-deletes: expected 0 to 1e+06, got -1 (hmsync --help for usage)\n"
    )
    assert run("plan", "-o", "", env=env(emu)).err.endswith(
        "argument -o/--out: expected a file name, got nothing (hmsync --help for usage)\n"
    )
    real_scandir = os.scandir

    def unreadable(path: Any) -> Any:
        if str(path).endswith("secret-folder"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    write("templates/secret-folder/x.yaml", "name: x\n")
    monkeypatch.setattr(os, "scandir", unreadable)
    result = run("validate")
    assert (result.code, result.err) == (
        1,
        "hmsync: templates/secret-folder: cannot read this folder: Permission denied\n",
    )


def test_17_color_follows_no_color_force_color_and_dumb_terminals() -> None:
    import argparse

    from hmsync.commands.common import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    args = argparse.Namespace(no_color=False)
    saved = {k: os.environ.pop(k, None) for k in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    try:
        assert use_color(args, {}, Tty())  # type: ignore[arg-type]
        assert use_color(args, {"NO_COLOR": ""}, Tty())  # type: ignore[arg-type]
        assert not use_color(args, {"NO_COLOR": "1"}, Tty())  # type: ignore[arg-type]
        assert not use_color(args, {"TERM": "dumb"}, Tty())  # type: ignore[arg-type]
        assert use_color(args, {"TERM": "dumb", "FORCE_COLOR": "1"}, Tty())  # type: ignore[arg-type]
    finally:
        os.environ.update({k: v for k, v in saved.items() if v is not None})


def test_17_ctrl_c_reports_the_writes_made(emu: Emulator, write: Write, tmp_path: Path) -> None:
    for i in range(6):
        write(f"templates/t{i}.yaml", f"name: t{i}\n")
    emu.set_faults(latency_ms=300)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmsync", "apply", "--auto-approve", "--parallelism", "1"],
        cwd=tmp_path,
        env={**os.environ, **env(emu)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A run started in the background (as a CI runner may start it) inherits SIGINT
        # ignored, and Python then never turns it into Ctrl-C: a person's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 30
    while emu.calls()["writes"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    err = err[err.index("hmsync: interrupted after ") :]  # after the progress lines
    assert "no write was started after that. Run the same apply again to finish" in err
    assert "done: t0: create template" in err
    written = emu.calls()["writes"]
    time.sleep(0.5)
    assert emu.calls()["writes"] == written  # nothing more after it ended


# -- fuzz ------------------------------------------------------------------------------------

WORDS = [
    "plan",
    "apply",
    "drift",
    "export",
    "validate",
    "--timeout",
    "--retries",
    "--parallelism",
    "--max-deletes",
    "-o",
    "--format",
    "--only",
    "--out",
    "nan",
    "-1",
    "0",
    "1e309",
    "",
    "x",
    "json",
    "markdown",
    "--allow-delete",
    "--api-base",
    "ftp://x",
    "http://10.0.0.1",
]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=st.lists(st.sampled_from(WORDS), max_size=6))
def test_fuzz_cli_options_never_crash(emu: Emulator, run: Run, argv: list[str]) -> None:
    # Against a live emulator with a wrong token: every call answers at once (401).
    result = run(*argv, env={"HMS_API_BASE": emu.api_base, "HMS_MANAGEMENT_TOKEN": "t"})
    assert result.code in (0, 1, 2, 3, 4) and not internal(result.out + result.err)


plan_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.sampled_from(
        [
            "format_version",
            "api_base",
            "files",
            "templates",
            "files_digest",
            "secret_salt",
            "live_fingerprints",
            "write_credentials",
            "allow_out_of_range",
            "summary",
        ]
    ),
    value=plan_values,
)
def test_fuzz_plan_files_never_crash(run: Run, write: Write, key: str, value: Any) -> None:
    good = {
        "format_version": 1,
        "api_base": "http://127.0.0.1:9/policy/v1",
        "files": [],
        "files_digest": "",
        "secret_salt": "",
        "write_credentials": False,
        "allow_out_of_range": False,
        "summary": {},
        "templates": [],
        "unmanaged": [],
        "live_fingerprints": {},
    }
    write("p.json", json.dumps({**good, key: value}))
    result = run(
        "apply",
        "p.json",
        env={
            "HMS_API_BASE": "http://127.0.0.1:9/policy/v1",
            "HMS_MANAGEMENT_TOKEN": "t",
            "HMS_API_RETRIES": "0",
        },
    )
    assert not internal(result.out + result.err)


def test_a_value_that_does_not_converge_stays_concealed(emu: Emulator, write: Write) -> None:
    """Structurally, not only by the output redactor: the report is rendered bare here."""
    from hmsync.commands.apply import _check_convergence
    from hmsync.files.schema import check_paths
    from hmsync.model import Outcome
    from hmsync.render import apply_text

    from .helpers import api

    write(
        "t.yaml",
        'name: t\nsettings: {recording: {upload: {type: s3, location: b, prefix: "${HMSYNC_PREFIX}"}}}\n',
    )
    environ = {"HMSYNC_PREFIX": SECRET}
    checked = check_paths(["t.yaml"], environ)
    with api(emu) as client:
        client.create_template(
            {
                "name": "t",
                "settings": {
                    "recording": {"upload": {"type": "s3", "location": "b", "prefix": "other"}}
                },
            }
        )
        from hmsync.commands.context import Context
        from hmsync.plan.pipeline import plan_live

        plan = plan_live(checked.documents, client.list_templates(), client.base_url, ctx=Context())
        outcome = Outcome("t")
        _check_convergence(client, [outcome], checked.documents, plan)
    report = apply_text([outcome])
    assert outcome.not_converged and SECRET not in report and "(sensitive value)" in report
