"""Never write what the plan does not show, on the v2 API: after apply, the template reads as
it read before with exactly the plan's changes applied, part by part (roles, settings,
destinations, recordings, plugins), under each reading of a write; and a plan made right after
shows nothing.

The changes are applied by the test's own reading of a plan. Unlike v1's (test_invariant.py),
this compares reads, not the stored state: a v2 answer shows what the server fills in
(`retry: {}`, room-state defaults), and a write sends what was read, as Update Template's
documentation asks ("retrieve the template object, modify it, post it").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.emulator.v2 import without_false
from hmsync.plan.diff import make_plan
from hmsync.plan.planfile import plan_to_dict
from hmsync.render import plan_text
from hmsync.write.apply import apply_templates

from .helpers import api
from .plan_applier import expected_after

SALT = "66" * 16
SETS = ("allowed", "subscribeToRoles", "modes", "admin", "writer", "reader")


def _some(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


PERMISSIONS = ("endRoom", "mute", "pollRead", "sendRoomState", "hlsStreaming", "rtmpStreaming")
LAYERS = [
    {"rid": "f", "scaleResolutionDownBy": 1, "maxFramerate": 30},
    {"rid": "h", "scaleResolutionDownBy": 2, "maxFramerate": 30},
    {"rid": "q", "scaleResolutionDownBy": 4, "maxFramerate": 15},
]
layers = st.integers(1, 3).flatmap(
    lambda n: st.tuples(*[st.integers(0, 2000) for _ in range(n)]).map(
        lambda rates: [{**LAYERS[i], "maxBitrate": r} for i, r in enumerate(rates)]
    )
)
v2_roles = _some(
    priority=st.integers(1, 5),
    maxPeerCount=st.integers(-1, 20),
    permissions=st.dictionaries(st.sampled_from(PERMISSIONS), st.booleans()),
    publishParams=_some(
        allowed=st.lists(st.sampled_from(["audio", "video", "simulcast"]), unique=True),
        simulcast=_some(video=st.fixed_dictionaries({"layers": layers}), screen=st.just({})),
    ),
)
hls_layers = st.lists(
    st.fixed_dictionaries(
        {"width": st.sampled_from([1280, 854, 640]), "height": st.sampled_from([720, 480, 360])},
        optional={"videoBitrate": st.integers(100, 3000)},
    ),
    max_size=3,
)
destinations = _some(
    rtmpDestinations=st.dictionaries(
        st.sampled_from(["yt", "fb"]),
        _some(
            width=st.sampled_from([1280, 1920]),
            rtmpUrls=st.lists(st.sampled_from(["rtmp://a", "rtmp://b", "rtmp://c"]), max_size=3),
            recordingEnabled=st.booleans(),
        ),
    ),
    hlsDestinations=st.dictionaries(
        st.sampled_from(["hls"]),
        _some(
            layers=hls_layers,
            playlistType=st.sampled_from(["event", "live"]),
            recording=_some(hlsVod=st.booleans(), singleFilePerLayer=st.booleans()),
        ),
    ),
    transcriptions=st.dictionaries(
        st.sampled_from(["tx"]),
        _some(modes=st.lists(st.sampled_from(["recorded", "live"]), unique=True)),
    ),
)
recordings = st.lists(
    _some(
        maxDuration=st.integers(60, 7200),
        thumbnails=_some(enabled=st.booleans(), fps=st.integers(1, 60)),
        trackRecording=_some(enabled=st.booleans()),
    ),
    max_size=1,
)
plugins = _some(
    whiteboard=_some(
        permissions=_some(
            admin=st.lists(st.sampled_from(["host", "guest"]), unique=True),
            reader=st.lists(st.sampled_from(["host", "guest"]), unique=True),
        )
    )
)
room_state = _some(
    messageInterval=st.sampled_from([5, 10, 60]), sendPeerList=st.booleans(), enabled=st.booleans()
)


@st.composite
def templates(draw: st.DrawFn) -> dict[str, Any]:
    """A v2 template file: roles host and guest, and any of the v2 parts."""
    template: dict[str, Any] = {
        "name": "t",
        "roles": {"host": draw(v2_roles), "guest": draw(v2_roles)},
        "settings": {"region": draw(st.sampled_from(["in", "eu"])), "roomState": draw(room_state)},
    }
    dests = draw(destinations)
    for name, item in dests.items():  # every destination has its name (and a transcription a role)
        dests[name] = {k: {**v, "name": k} for k, v in item.items()}
        if name == "transcriptions":
            dests[name] = {k: {**v, "role": "host"} for k, v in dests[name].items()}
    parts = {
        "destinations": dests,
        "recordings": [{"name": "main", "role": "host", **r} for r in draw(recordings)],
        "plugins": draw(plugins),
    }
    for key, value in parts.items():
        if draw(st.booleans()):
            template[key] = value
    return template


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(api="v2") as emulator:
        yield emulator


def _comparable(value: Any) -> Any:
    """Sets as sets, `false` as left out (v2's defaults for what answers drop), no names, nor
    the role the server may give an HLS destination, nor that role in the template (the
    hls_role reading): the server's own, not a write of hmsync's."""
    if isinstance(value, dict):
        return {
            k: _comparable(v)
            for k, v in value.items()
            if v is not False
            and k != "name"
            and v != "__internal_recorder"
            and not str(k).startswith("__internal")
        }
    if isinstance(value, list):
        items = [_comparable(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    return value


@pytest.mark.parametrize(
    "readings",
    [
        {"writes": "merge"},
        {"writes": "replace", "drop_false": "recordings-and-destinations"},
        {"writes": "as-sent", "hls_role": "internal-recorder", "update_omitted": "clear"},
    ],
    ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()),
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(live=templates(), desired=templates())
def test_apply_writes_exactly_the_plan_on_v2(
    emu: Emulator, readings: dict[str, Any], live: dict[str, Any], desired: dict[str, Any]
) -> None:
    emu.store.reset()
    emu.set_readings(**{"writes": "merge", "drop_false": "recordings", "hls_role": "none"})
    emu.set_readings(**{"update_omitted": "keep", **readings})
    with api(emu, parallelism=1) as client:
        assert client.api == "v2"
        client.create_template({k: v for k, v in live.items() if k != "recordings"})
        [made] = client.list_templates()
        if "recordings" in live:
            client.update_recordings(made["_id"], live["recordings"])
        before = client.get_template(made["_id"])
        plan = make_plan([("t.yaml", desired)], [before], SALT, api="v2")
        outcomes = apply_templates(client, plan, {"t": desired}, {"t": before})
        assert all(o.failed is None for o in outcomes), [str(o.error) for o in outcomes]
        after = client.get_template(made["_id"])
        again = make_plan([("t.yaml", desired)], [after], SALT, api="v2")
    expected = expected_after(before, plan)
    for key in ("roles", "settings", "destinations", "recordings", "plugins"):
        assert _comparable(after.get(key)) == _comparable(expected.get(key)), key
    assert again.actions == [], "apply then plan must show no changes"


def test_the_property_notices_a_write_the_plan_does_not_show() -> None:
    # The comparison that the property makes would fail on an extra write.
    before = {"destinations": {"rtmpDestinations": {"yt": {"name": "yt", "width": 1280}}}}
    written = copy.deepcopy(before)
    written["destinations"]["rtmpDestinations"]["yt"]["height"] = 720
    assert _comparable(written) != _comparable(before)
    assert without_false({"a": False, "b": [{"c": False}]}) == {"b": [{}]}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    live=templates(),
    keys=st.lists(
        st.text("abcdefghij0123456789", min_size=8, max_size=12), max_size=3, unique=True
    ),
)
@example(  # found by hypothesis: a live destination with no URLs at all, and no keys
    live={
        "name": "t",
        "roles": {"host": {}, "guest": {}},
        "settings": {"region": "in", "roomState": {}},
        "destinations": {"rtmpDestinations": {"yt": {"name": "yt"}}},
    },
    keys=[],
)
def test_values_from_variables_are_written_as_themselves_and_shown_concealed(
    emu: Emulator, live: dict[str, Any], keys: list[str]
) -> None:
    # Stream keys from ${HMSYNC_*} variables: every output conceals them, every write sends them.
    emu.store.reset()
    emu.set_readings(
        writes="merge", drop_false="recordings", hls_role="none", update_omitted="keep"
    )
    urls = [f"rtmp://live.example/app/{key}" for key in keys]
    desired = copy.deepcopy(live)
    destinations = desired.setdefault("destinations", {})
    destinations.setdefault("rtmpDestinations", {})["yt"] = {"name": "yt", "rtmpUrls": urls}
    with api(emu, parallelism=1) as client:
        client.create_template({k: v for k, v in live.items() if k != "recordings"})
        [made] = client.list_templates()
        if "recordings" in live:
            client.update_recordings(made["_id"], live["recordings"])
        before = client.get_template(made["_id"])
        plan = make_plan([("t.yaml", desired)], [before], SALT, hidden=frozenset(keys), api="v2")
        shown = plan_text(plan) + json.dumps(plan_to_dict(plan))
        assert not any(key in shown for key in keys)
        outcomes = apply_templates(client, plan, {"t": desired}, {"t": before})
        assert all(o.failed is None for o in outcomes), [str(o.error) for o in outcomes]
        after = client.get_template(made["_id"])
    # An absent list reads as [] (DECISIONS): no URLs planned over none live writes nothing.
    assert after["destinations"]["rtmpDestinations"]["yt"].get("rtmpUrls", []) == urls
    again = make_plan([("t.yaml", desired)], [after], SALT, hidden=frozenset(keys), api="v2")
    assert again.actions == []
