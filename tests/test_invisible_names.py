"""Names a reader cannot see whole: zero-width, joiners, bidi marks, the other format and
control characters are shown as escapes everywhere, and a live name that passes for a
managed one is called out."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from hmsync.emulator import Emulator
from hmsync.render.escape import lookalikes, md_list, names_text, safe, visible
from hmsync.render.pictures import mermaid_label

from .conftest import Run, Write
from .helpers import env

HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


def test_every_control_format_and_separator_character_is_escaped() -> None:
    hidden = [
        chr(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in HIDDEN_CATEGORIES
    ]
    assert len(hidden) > 200  # the categories are there to test
    raw = [ch for ch in hidden if ch in safe(f"a{ch}b") or ch in mermaid_label(f"a{ch}b")]
    assert raw == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("zw\u200bsp", "zw\\u200bsp"),
        ("a\u200db", "a\\u200db"),  # zero-width joiner
        ("a\u2066b\u2069", "a\\u2066b\\u2069"),  # bidi isolate
        ("soft\xadhyphen", "soft\\u00adhyphen"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("vs\ufe0f", "vs\\ufe0f"),  # a variation selector: no category above, still unseen
        ("hangul\u3164filler", "hangul\\u3164filler"),
        ("plain name-1.x:y_z", "plain name-1.x:y_z"),
        ("café ünïcode", "café ünïcode"),  # letters a reader sees stay as they are
    ],
)
def test_invisible_characters_are_shown_as_escapes(name: str, shown: str) -> None:
    assert visible(name) == shown
    assert safe(name) == shown


def test_a_name_that_passes_for_a_managed_one_is_called_out() -> None:
    assert lookalikes(["zw\u200bsp", "zwsp", "other"], ["zwsp", "x"]) == {"zw\u200bsp": "zwsp"}
    assert names_text(["zw\u200bsp", "other"], ["zwsp"]) == (
        "zw\\u200bsp (not zwsp: it differs from that managed name by invisible characters), other"
    )
    assert md_list(["zw\u200bsp"], managed=["zwsp"]) == (
        "<code>zw&#92;u200bsp</code> (not <code>zwsp</code>: it differs from that managed name "
        "by invisible characters)"
    )


def test_plan_and_drift_escape_and_call_out_a_lookalike_live_template(
    emu: Emulator, run: Run, write: Write
) -> None:
    # The API refuses such a name today; a dashboard or an older template may still hold one.
    emu.store.load([{"name": "zwsp", "roles": {"host": {}}}, {"name": "zw\u200bsp", "roles": {}}])
    write("templates/zwsp.yaml", "name: zwsp\nroles:\n  host: {}\n")
    call_out = "it differs from that managed name by invisible characters"
    for command in ("plan", "drift"):
        text = run(command, env=env(emu)).out
        markdown = run(command, "--format", "markdown", env=env(emu)).out
        assert "zw\u200bsp" not in text + markdown
        assert (
            f"Unmanaged (live, in no file; left alone): zw\\u200bsp (not zwsp: {call_out})"
        ) in text
        assert f"<code>zw&#92;u200bsp</code> (not <code>zwsp</code>: {call_out})" in markdown
    data = json.loads(run("plan", "--format", "json", env=env(emu)).out)
    assert data["unmanaged"] == ["zw\u200bsp"]  # JSON keeps the name; its text escapes it
    assert "\u200b" not in run("plan", "--format", "json", env=env(emu)).out


def test_annotations_escape_invisible_characters(run: Run, write: Write) -> None:
    write("templates/a\u200bb.yaml", "name: t\nroles:\n  host:\n    priority: 99\n")
    result = run("validate", "--format", "github", env={})
    assert result.code == 0
    assert "\u200b" not in result.out
    assert result.out.startswith("::warning file=templates/a\\u200bb.yaml,line=4,col=15::")
