"""As a property: a second writer at any point of apply's run, under every reading of
role writes, on v1 and v2. What they wrote to a role the plan does not write is never set back;
it is carried over, and said (exit 3, field by field) unless the plan itself read it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.emulator.readings import Readings

from .conftest import Run, Write
from .helpers import api, env

READINGS = [(a, w) for a in ("v1", "v2") for w in ("merge", "replace", "as-sent")]
# Fields with no documented default, which the file leaves out: not hmsync's, someone else's.
# (A field with a documented default is managed at it: see the conflict tests.)
FIELDS = {
    "priority": st.integers(1, 5),
    "subscribeParams.maxSubsBitRate": st.integers(100, 5000),
    "publishParams.allowed": st.lists(st.sampled_from(["audio", "video"]), unique=True),
}


@pytest.fixture(params=READINGS, ids=lambda r: f"{r[0]}-{r[1]}")
def emu(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    api_version, writes = request.param
    with Emulator(api=api_version, readings=Readings(writes=writes)) as emulator:
        yield emulator


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    host_bitrate=st.integers(100, 1500),
    guest_tracks=st.lists(st.sampled_from(["audio", "video"]), unique=True),
    field=st.sampled_from(sorted(FIELDS)),
    data=st.data(),
    when=st.integers(0, 8),
)
def test_a_second_writer_at_any_point_is_never_set_back_and_always_said(
    emu: Emulator,
    run: Run,
    write: Write,
    host_bitrate: int,
    guest_tracks: list[str],
    field: str,
    data: st.DataObject,
    when: int,
) -> None:
    emu.store.reset()
    emu.server.interleavings.clear()
    args = ["--api", emu.api, "--auto-approve"]
    # Live: host and guest as the files had them; bystander is described by the file, but
    # none of the fields the second writer changes is set there.
    write(
        "templates/t.yaml",
        "name: t\nroles:\n  host: {publishParams: {video: {bitRate: 300}}}\n"
        "  guest: {publishParams: {allowed: [screen]}}\n  bystander: {priority: 2}\n",
    )
    assert run("apply", *args, env=env(emu)).code == 0
    write(
        "templates/t.yaml",
        f"name: t\nroles:\n  host: {{publishParams: {{video: {{bitRate: {host_bitrate}}}}}}}\n"
        f"  guest: {{publishParams: {{allowed: {guest_tracks}}}}}\n  bystander: {{}}\n",
    )
    before = _field(_bystander(emu), field)
    value = data.draw(
        FIELDS[field].filter(lambda v: v != before and not (v is False and before is None))
    )
    emu.server.interleavings.clear()  # the request count starts with the apply below
    emu.interleave(after_request=when, template="t", set={f"roles.bystander.{field}": value})
    result = run("apply", *args, env=env(emu))
    happened = not emu.server.interleavings.pending
    current = _field(_bystander(emu), field)
    if not happened:
        assert result.code == 0, result.out + result.err
        return
    assert current == value or (value == [] and current is None), result.out  # never set back
    if when == 0:  # before the plan read the template: the plan's own starting point
        assert result.code == 0, result.out + result.err
    else:
        assert result.code == 3, result.out + result.err
        assert f"roles.bystander.{field}: " in result.out, result.out


def _bystander(emu: Emulator) -> dict[str, Any]:
    with api(emu) as client:
        [listed] = client.list_templates()
        role: dict[str, Any] = client.get_template(str(listed["_id"]))["roles"]["bystander"]
        return role


def _field(role: dict[str, Any], dotted: str) -> Any:
    current: Any = role
    for part in dotted.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    return current
