"""Validation of v2 files: the fast check agrees with jsonschema on the v2 schema, and v2's own
rules (those JSON Schema cannot express) are located problems with exact messages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.files.fastcheck import FAST_KEYWORDS
from hmsync.files.schema import _inlined, _validator, is_valid

from .conftest import Run, Write
from .test_invariant_v2 import templates
from .test_validate import mutate


def keywords(rule: object) -> set[str]:
    """The keywords a schema (inlined: no $defs, no $ref) uses, property names aside."""
    if not isinstance(rule, dict):
        return set()
    found = set(rule) - {"properties"}
    children = list(rule.get("properties", {}).values())
    children += [rule[k] for k in ("items", "additionalProperties", "propertyNames") if k in rule]
    return found.union(*(keywords(child) for child in children))


def test_the_v2_schema_uses_only_keywords_the_fast_check_understands() -> None:
    used = keywords(_inlined("v2"))
    assert {"maxItems", "maxLength", "multipleOf"} <= used <= FAST_KEYWORDS


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fast_check_and_jsonschema_agree_on_v2(data: st.DataObject) -> None:
    template = data.draw(templates())
    assert is_valid(template, "v2")
    for _ in range(data.draw(st.integers(0, 3))):
        template = mutate(template, data.draw)
    assert is_valid(template, "v2") == _validator("v2").is_valid(template)


BAD = """\
name: t
settings:
  roomState: {messageInterval: 7}
roles:
  host:
    publishParams:
      simulcast:
        video:
          layers:
            - {rid: h, scaleResolutionDownBy: 2, maxFramerate: 30}
            - {rid: f, scaleResolutionDownBy: 1, maxFramerate: 30}
destinations:
  hlsDestinations:
    hls:
      name: other
      layers: [{width: 100, height: 2000}]
      recording: {enableZipUpload: true}
  transcriptions:
    tx: {name: tx, role: nobody, modes: [recorded], translation: {enabled: true}}
recordings: [{name: r, role: ghost}]
plugins:
  whiteboard: {permissions: {reader: [viewer]}}
"""


def test_v2_rules_are_located_problems(run: Run, write: Write) -> None:
    write("templates/t.yaml", BAD)
    result = run("validate", "--api", "v2")
    assert result.code == 1
    assert result.out.splitlines() == [
        "templates/t.yaml:3:32: settings.roomState.messageInterval: 7 is not a multiple of 5",
        "templates/t.yaml:10:15: roles.host.publishParams.simulcast.video.layers[0]: the first layer must be rid f with scaleResolutionDownBy 1",
        "templates/t.yaml:11:21: roles.host.publishParams.simulcast.video.layers[1].rid: 'f' must come after 'h' (order f, h, q)",
        "templates/t.yaml:11:47: roles.host.publishParams.simulcast.video.layers[1].scaleResolutionDownBy: must be greater than the previous layer's (2)",
        "templates/t.yaml:15:13: destinations.hlsDestinations.hls.name: 'other' differs from its key 'hls'; hmsync knows a destination by its name, so they must match",
        "templates/t.yaml:16:16: warning: destinations.hlsDestinations.hls.layers[0]: 100x2000 is outside the documented sizes (the smaller side 144-1080, the larger 192-1920); the API may refuse it",
        "templates/t.yaml:17:36: destinations.hlsDestinations.hls.recording.enableZipUpload: needs your own storage (settings.recording.upload); with 100ms's storage the API refuses it",
        "templates/t.yaml:19:26: warning: destinations.transcriptions.tx.role: role 'nobody' is not defined in this template; it has no effect",
        "templates/t.yaml:19:66: destinations.transcriptions.tx.translation: translation works only in caption mode; add caption to modes",
        "templates/t.yaml:20:30: recordings[0].role: role 'ghost' is not defined in this template; the API refuses it; did you mean 'host'?",
        "templates/t.yaml:22:39: warning: plugins.whiteboard.permissions.reader[0]: role 'viewer' is not defined in this template; it has no effect",
        "1 file checked: 8 errors, 3 warnings.",
    ]


def test_an_hls_layer_outside_the_documented_sizes_is_written_only_on_purpose(
    emu: Emulator, run: Run, write: Write
) -> None:
    write(
        "templates/t.yaml",
        "name: t\ndestinations:\n  hlsDestinations:\n    h: {name: h, layers: [{width: 100, "
        "height: 2000}]}\n",
    )
    environ = {**emu.env(), "HMS_API_BASE": emu.base("v2")}
    refused = run("plan", "--api", "v2", env=environ)
    assert (refused.code, refused.err.splitlines()[0]) == (
        1,
        "hmsync: the plan would write 1 value outside the documented ranges; fix them, or pass "
        "--allow-out-of-range to write them anyway",
    )
    allowed = run("apply", "--api", "v2", "--auto-approve", "--allow-out-of-range", env=environ)
    assert allowed.code == 0, allowed.out + allowed.err
