from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx
import jwt
import pytest

from hmsync.backends import client_from_env
from hmsync.backends.auth import (
    LIFETIME_SECONDS,
    Credentials,
    ManagementAuth,
    TokenSource,
    credentials_from_env,
    make_token,
)
from hmsync.backends.transport import RetryPolicy, check_base_url
from hmsync.backends.v1 import V1Client as Client
from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET, Emulator
from hmsync.errors import ApiError, InputError
from hmsync.plan.diff import make_plan
from hmsync.write.apply import apply_templates
from hmsync.write.template_run import create_body

CREDS = Credentials(access_key=DEFAULT_ACCESS_KEY, secret=DEFAULT_SECRET)


class Sleeps(list[float]):
    """An injected sleep: records each wait, takes no wall time, may run a hook."""

    def __init__(self, hook: Any = None) -> None:
        super().__init__()
        self.hook = hook

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.hook:
            self.hook(len(self))


def client(emu: Emulator, sleep: Sleeps | None = None, **kwargs: Any) -> Client:
    tokens = kwargs.pop("tokens", None) or TokenSource(CREDS)
    return Client(emu.api_base, tokens, sleep=Sleeps() if sleep is None else sleep, **kwargs)


# -- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "calls"), [(0, 1), (1, 1), (20, 1), (21, 2), (45, 3)])
def test_listing_reads_every_template_in_ceil_n_over_20_calls(
    emu: Emulator, count: int, calls: int
) -> None:
    emu.store.load([{"name": f"t{i}"} for i in range(count)])
    with client(emu) as c:
        templates = c.list_templates()
    assert sorted(t["name"] for t in templates) == sorted(f"t{i}" for i in range(count))
    assert len({t["_id"] for t in templates}) == count
    assert emu.calls() == {
        "total": calls,
        "writes": 0,
        "routes": {"get_templates": calls},
    }


# -- tokens ----------------------------------------------------------------------------------


def test_token_claims_are_exactly_the_sdks() -> None:
    token, expires = make_token("key", "s" * 32, now=1_000_000.0)
    claims = jwt.decode(
        token,
        "s" * 32,
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert set(claims) == {"access_key", "type", "version", "iat", "nbf", "exp", "jti"}
    assert claims["access_key"] == "key" and claims["type"] == "management"
    assert claims["version"] == 2
    assert claims["iat"] == claims["nbf"] == 1_000_000 - 10
    assert claims["exp"] == expires == 1_000_000 - 10 + LIFETIME_SECONDS
    assert len(claims["jti"]) == 36


def test_token_is_cached_and_replaced_close_to_expiry(emu: Emulator) -> None:
    offset = [-(LIFETIME_SECONDS - 200.0)]  # the first token expires 190 s from now
    source = TokenSource(CREDS, clock=lambda: time.time() + offset[0])
    with client(emu, tokens=source) as c:
        c.list_templates()
        first = source.token()
        assert source.token() == first  # cached
        offset[0] = 0.0  # now within the renewal margin of the first token
        c.list_templates()
        second = source.token()
    assert second != first
    assert jwt.decode(second, DEFAULT_SECRET, algorithms=["HS256"])["exp"] > time.time() + 3600
    assert emu.calls()["total"] == 2  # no rejected request on the way


def test_wrong_secret_is_one_clear_error(emu: Emulator) -> None:
    wrong = Credentials(access_key=DEFAULT_ACCESS_KEY, secret="not-the-secret-of-this-app-at-all")
    with client(emu, tokens=TokenSource(wrong)) as c, pytest.raises(ApiError) as caught:
        c.list_templates()
    assert caught.value.lines() == [
        f"GET {emu.api_base}/templates: 401 Token validation error; check HMS_ACCESS_KEY and "
        "HMS_SECRET (the app's access key and secret), or HMS_MANAGEMENT_TOKEN",
        "  signature verification failed",
    ]
    assert emu.calls()["total"] == 2  # the one retry with a fresh token, then no more


def test_a_fixed_token_is_not_retried_on_401(emu: Emulator) -> None:
    source = TokenSource(Credentials(token="header.payload.signature"))
    with client(emu, tokens=source) as c, pytest.raises(ApiError) as caught:
        c.list_templates()
    assert caught.value.status == 401
    assert emu.calls()["total"] == 1


def test_401_then_a_fresh_token_succeeds() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if len(seen) == 1:
            return httpx.Response(401, json={"code": 401, "message": "Token validation error"})
        return httpx.Response(200, json={"limit": 20, "data": [], "last": ""})

    source = TokenSource(CREDS)
    flow = Client(
        "https://api.example.test/policy/v1",
        source,
        transport=httpx.MockTransport(handler),
        sleep=Sleeps(),
    )
    assert flow.list_templates() == []
    assert len(seen) == 2 and seen[0] != seen[1]
    assert isinstance(flow.http.auth, ManagementAuth)


def test_missing_credentials_name_the_variables() -> None:
    with pytest.raises(InputError) as caught:
        credentials_from_env({})
    assert caught.value.message == (
        "no 100ms credentials: set HMS_ACCESS_KEY and HMS_SECRET (the app's access key and "
        "secret), or HMS_MANAGEMENT_TOKEN"
    )
    with pytest.raises(InputError) as caught:
        credentials_from_env({"HMS_ACCESS_KEY": "k"})
    assert caught.value.message.startswith("HMS_SECRET is not set; set HMS_ACCESS_KEY")
    assert credentials_from_env({"HMS_MANAGEMENT_TOKEN": "t"}) == Credentials(token="t")
    env = {"HMS_ACCESS_KEY": "k", "HMS_SECRET": "hush-hush", "HMS_MANAGEMENT_TOKEN": "tok-en"}
    both = credentials_from_env(env)
    assert both == Credentials(access_key="k", secret="hush-hush")  # these can renew tokens
    assert "hush-hush" not in repr(both) and "tok-en" not in repr(Credentials(token="tok-en"))


# -- retries ---------------------------------------------------------------------------------


def test_5xx_is_retried_to_success_with_the_expected_calls(emu: Emulator) -> None:
    emu.set_faults(error_rate=1.0, error_statuses=[502, 503])
    sleeps = Sleeps(hook=lambda n: n == 2 and emu.set_faults(error_rate=0.0))
    with client(emu, sleeps) as c:
        assert c.list_templates() == []
    assert emu.calls()["total"] == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.5  # exponential backoff, with jitter


def test_429_is_retried_and_retry_after_is_honoured(emu: Emulator) -> None:
    emu.set_faults(throttle_rate=1.0, retry_after=7)
    sleeps = Sleeps(hook=lambda n: emu.set_faults(throttle_rate=0.0))
    with client(emu, sleeps) as c:
        created = c.create_template({"name": "after-429"})
    assert created["name"] == "after-429"
    assert sleeps == [7.0]
    assert emu.calls()["routes"] == {"create_template": 2}


def test_dropped_connections_are_retried(emu: Emulator) -> None:
    emu.set_faults(drop_rate=1.0)
    sleeps = Sleeps(hook=lambda n: emu.set_faults(drop_rate=0.0))
    with client(emu, sleeps) as c:
        assert c.list_templates() == []
    assert emu.calls()["total"] == 2


def test_retries_are_bounded_by_attempts(emu: Emulator) -> None:
    emu.set_faults(error_rate=1.0, error_statuses=[503])
    sleeps = Sleeps()
    with client(emu, sleeps, retry=RetryPolicy(attempts=4)) as c, pytest.raises(ApiError) as caught:
        c.list_templates()
    assert caught.value.message == (
        f"GET {emu.api_base}/templates: 503 Internal error after 4 attempts"
    )
    assert emu.calls()["total"] == 4 and len(sleeps) == 3


def test_retries_are_bounded_by_the_deadline(emu: Emulator) -> None:
    emu.set_faults(throttle_rate=1.0, retry_after=600)
    with client(emu, retry=RetryPolicy(deadline=60)) as c, pytest.raises(ApiError) as caught:
        c.list_templates()
    assert caught.value.status == 429
    assert emu.calls()["total"] == 1


def _always(status: int, calls: list[str]) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(status, json={"code": status, "message": "no", "details": ["d"]})

    return Client(
        "https://api.example.test/v1",
        TokenSource(Credentials(token="t")),
        transport=httpx.MockTransport(handler),
        sleep=Sleeps(),
    )


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_client_errors_and_a_write_500_are_not_retried(status: int) -> None:
    calls: list[str] = []
    with pytest.raises(ApiError) as caught:
        _always(status, calls).update_settings("abc", {"region": "in"})
    assert calls == ["POST"] and caught.value.status == status
    if status != 500:
        calls.clear()
        with pytest.raises(ApiError):
            _always(status, calls).get_settings("abc")
        assert calls == ["GET"]


def test_a_read_is_retried_on_500() -> None:
    # A read changes nothing: another try is always safe.
    calls: list[str] = []
    with pytest.raises(ApiError) as caught:
        _always(500, calls).get_settings("abc")
    assert calls == ["GET"] * 6
    assert caught.value.message == (
        "GET https://api.example.test/v1/templates/abc/settings: 500 no after 6 attempts"
    )


def test_connection_refused_is_a_clear_error_without_waiting() -> None:
    sleeps = Sleeps()
    c = Client("http://127.0.0.1:9/policy/v1", TokenSource(CREDS), sleep=sleeps)
    with pytest.raises(ApiError) as caught:
        c.list_templates()
    assert caught.value.message == (
        "GET http://127.0.0.1:9/policy/v1/templates: cannot connect after 6 attempts; "
        "check --api-base, the network, or raise --timeout"
    )
    assert len(sleeps) == 5


def test_a_400_carries_the_emulators_details(emu: Emulator) -> None:
    emu.set_readings(out_of_range="refuse")
    with client(emu) as c, pytest.raises(ApiError) as caught:
        c.create_template(
            {"name": "t", "roles": {"host": {"publishParams": {"video": {"bitRate": 5000}}}}}
        )
    assert caught.value.lines() == [
        f"POST {emu.api_base}/templates: 400 Invalid body param",
        "  Invalid body param: roles.host.publishParams.video.bitRate: must be between 30 and "
        "2000, got 5000",
    ]
    assert emu.calls()["total"] == 1


def test_a_delete_that_finds_the_role_gone_is_done(emu: Emulator) -> None:
    with client(emu) as c:
        tid = c.create_template({"name": "t", "roles": {"a": {}}})["_id"]
        c.delete_role(tid, "a")
        c.delete_role(tid, "a")  # as a retry after a lost answer would
        assert c.list_templates()[0]["roles"] == {}


def test_redirects_are_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/steal"})

    c = Client(
        "https://api.example.test/v1",
        TokenSource(Credentials(token="t")),
        transport=httpx.MockTransport(handler),
        sleep=Sleeps(),
    )
    with pytest.raises(ApiError) as caught:
        c.get_settings("abc")
    assert caught.value.message == (
        "GET https://api.example.test/v1/templates/abc/settings: 302 redirected to "
        "https://elsewhere.test/steal, not followed; check --api-base"
    )


# -- base URL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://prod-policy.100ms.live/policy/v1",
        "http://127.0.0.1:8765/policy/v1",
        "http://localhost:1/x",
        "http://[::1]:8765/policy/v1",
        "http://127.0.0.2/x",
    ],
)
def test_https_or_loopback_is_accepted(url: str) -> None:
    assert check_base_url(url) == url


@pytest.mark.parametrize("url", ["http://example.com/policy/v1", "http://10.0.0.1/x", "ftp://x/y"])
def test_plain_http_beyond_loopback_is_refused_before_any_request(url: str) -> None:
    env = {"HMS_ACCESS_KEY": "k", "HMS_SECRET": "s"}
    with pytest.raises(InputError) as caught:
        client_from_env(env, api_base=url)
    assert caught.value.message == (
        f"--api-base {url}: refusing to send a management token to it; use https:// "
        "(plain http:// only for loopback hosts: 127.0.0.1, localhost, [::1])"
    )


def test_environment_base_and_default() -> None:
    env = {"HMS_ACCESS_KEY": "k", "HMS_SECRET": "s"}
    assert client_from_env(env).base_url == "https://prod-policy.100ms.live/policy/v1"
    env["HMS_API_BASE"] = "http://127.0.0.1:1/policy/v1/"
    assert client_from_env(env).base_url == "http://127.0.0.1:1/policy/v1"


# -- parallel calls --------------------------------------------------------------------------


class CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            return super().handle_request(request)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_apply_runs_templates_in_parallel_up_to_the_limit(emu: Emulator) -> None:
    emu.set_faults(latency_ms=50)
    transport = CountingTransport()
    desired = {f"t{i}": {"name": f"t{i}", "roles": {"r": {"priority": 2}}} for i in range(12)}
    with client(emu, parallelism=4, transport=transport) as c:
        for data in desired.values():
            c.create_template(create_body({**data, "roles": {"r": {"priority": 1}}}))
        live = c.list_templates()
        plan = make_plan([(f"{n}.yaml", d) for n, d in desired.items()], live, "77" * 16)
        outcomes = apply_templates(c, plan, desired, {t["name"]: t for t in live})
    assert all(o.failed is None for o in outcomes) and len(outcomes) == 12
    assert transport.most == 4  # 12 templates, at most `parallelism` calls at once
    assert emu.calls()["routes"]["upsert_role"] == 12


# -- secrets ---------------------------------------------------------------------------------


def test_no_secret_or_token_in_anything_logged_or_printed(
    emu: Emulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    source = TokenSource(CREDS)
    messages: list[str] = []
    with client(emu, tokens=source) as c:
        c.list_templates()
        emu.set_faults(throttle_rate=1.0, retry_after=0)
        with pytest.raises(ApiError) as throttled:
            c.list_templates()
        messages += throttled.value.lines()
        emu.set_faults(throttle_rate=0.0)
        with pytest.raises(ApiError) as bad:
            c.create_template({"name": "a/b"})
        messages += bad.value.lines()
    wrong = Credentials(access_key=DEFAULT_ACCESS_KEY, secret="another-secret-value-for-this-test")
    with client(emu, tokens=TokenSource(wrong)) as c, pytest.raises(ApiError) as denied:
        c.list_templates()
    messages += denied.value.lines()
    out = capsys.readouterr()
    seen = "\n".join([caplog.text, out.out, out.err, *messages, repr(CREDS), repr(wrong)])
    assert "GET " in caplog.text  # the log did record the requests
    for value in (DEFAULT_SECRET, "another-secret-value-for-this-test", source.token()):
        assert value not in seen


def test_typed_calls_for_roles_and_settings(emu: Emulator) -> None:
    with client(emu) as c:
        tid = c.create_template({"name": "t", "roles": {"host": {"priority": 2}}})["_id"]
        assert c.get_role(tid, "host")["priority"] == 2
        assert c.upsert_role(tid, "stage host", {"priority": 3})["name"] == "stage host"
        assert c.get_role(tid, "stage host")["priority"] == 3  # names travel URL-encoded
        assert c.update_settings(tid, {"region": "eu"}) == {"region": "eu"}
        assert c.get_settings(tid) == {"region": "eu"}
        modified = c.modify_template(tid, {"roles": {}, "settings": {"region": "in"}})
        assert modified["roles"] == {} and modified["settings"] == {"region": "in"}
        with pytest.raises(ApiError) as caught:
            c.get_role(tid, "host")
        assert caught.value.status == 404
