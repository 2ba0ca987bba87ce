from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hmsync.files.loader import load_bytes, load_file
from hmsync.files.yamlfile import MAX_NODES, variable_names
from hmsync.problems import Location

Write = Callable[[str, "str | bytes"], Path]


def messages(name: str, raw: bytes, env: dict[str, str] | None = None) -> list[str]:
    _, problems = load_bytes(name, raw, env or {})
    return [str(p) for p in problems]


def test_every_mapping_and_list_item_has_a_location() -> None:
    doc, problems = load_bytes(
        "t.yaml",
        b"name: a\nroles:\n  host:\n    publishParams:\n      allowed: [audio,\n        video]\n",
        {},
    )
    assert problems == [] and doc is not None
    assert doc.where(("roles", "host")) == Location("t.yaml", 4, 5)
    assert doc.where_key(("roles", "host")) == Location("t.yaml", 3, 3)
    assert doc.where(("roles", "host", "publishParams", "allowed", 1)) == Location("t.yaml", 6, 9)
    # A path below a scalar falls back to the nearest located ancestor.
    assert doc.where(("roles", "host", "nope", "deeper")) == Location("t.yaml", 4, 5)


def test_anchors_and_merge_keys_work_and_own_keys_win() -> None:
    raw = b"name: a\nroles:\n  base: &b\n    priority: 2\n    permissions: {mute: true}\n  other:\n    <<: *b\n    priority: 3\n"
    doc, problems = load_bytes("t.yaml", raw, {})
    assert problems == [] and doc is not None
    assert doc.data["roles"]["other"] == {"priority": 3, "permissions": {"mute": True}}


def test_duplicate_key_is_an_error() -> None:
    raw = b"name: a\nroles:\n  host: {}\n  host: {priority: 1}\n"
    assert messages("t.yaml", raw) == [
        "t.yaml:4:3: roles.host: duplicate key 'host' (first at line 3); YAML would keep only "
        "the last one, so remove or rename one of them"
    ]


def test_key_overriding_a_merged_key_is_not_a_duplicate() -> None:
    raw = b"a: &x {k: 1}\nb:\n  <<: *x\n  k: 2\n"
    doc, problems = load_bytes("t.yaml", raw, {})
    assert problems == [] and doc is not None and doc.data["b"] == {"k": 2}


def test_empty_file() -> None:
    assert messages("t.yaml", b"") == [
        "t.yaml:1:1: empty file: expected a template mapping with at least a name"
    ]
    assert messages("t.yaml", b"# only a comment\n") == [
        "t.yaml:1:1: empty file: expected a template mapping with at least a name"
    ]


def test_not_a_mapping() -> None:
    assert messages("t.yaml", b"- a\n- b\n") == [
        "t.yaml:1:1: expected a mapping (name, roles, settings) at the top of the file, found a list"
    ]
    assert messages("t.yaml", b"just text\n") == [
        "t.yaml:1:1: expected a mapping (name, roles, settings) at the top of the file, "
        "found a single value"
    ]


def test_several_documents() -> None:
    assert messages("t.yaml", b"name: a\n---\nname: b\n") == [
        "t.yaml:2:1: several YAML documents in one file; write one template per file"
    ]


def test_not_utf8_names_line_and_column() -> None:
    assert messages("t.yaml", b"name: a\nroles:\n  h\xe9: {}\n") == [
        "t.yaml:3:4: not UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


def test_utf8_byte_order_mark_is_accepted() -> None:
    doc, problems = load_bytes("t.yaml", b"\xef\xbb\xbfname: a\n", {})
    assert problems == [] and doc is not None and doc.data == {"name": "a"}


def test_not_yaml() -> None:
    # PyYAML words it one way, libyaml (bundled in PyYAML's wheels, used when present) another.
    problem = (
        "did not find expected node content"
        if yaml.__with_libyaml__
        else "expected the node content, but found '<stream end>'"
    )
    assert messages("t.yaml", b"name: a\nroles: {host: [\n") == [
        f"t.yaml:3:1: YAML syntax error: {problem} (while parsing a flow node)"
    ]
    tab = (
        "found a tab character that violates indentation (while scanning a plain scalar)"
        if yaml.__with_libyaml__
        else "found character '\\t' that cannot start any token (while scanning for the next token)"
    )
    assert messages("t.yaml", b"name: a\n\tpriority: 1\n") == [
        f"t.yaml:2:1: YAML syntax error: {tab}"
    ]


def test_unsafe_tags_are_refused() -> None:
    assert messages("t.yaml", b"name: !!python/object:os.system {}\n") == [
        "t.yaml:1:7: name: unsupported YAML tag tag:yaml.org,2002:python/object:os.system; "
        "write plain YAML"
    ]
    [message] = messages("t.yaml", b"name: !!python/name:os.system x\n")
    assert message.startswith("t.yaml:1:7: YAML syntax error: could not determine a constructor")


def test_non_string_key() -> None:
    assert messages("t.yaml", b"name: a\nroles:\n  1: {}\n") == [
        "t.yaml:3:3: roles: keys must be strings, found '1'; quote it"
    ]


def test_recursive_alias_and_alias_bombs_are_refused() -> None:
    assert messages("t.yaml", b"a: &a\n  b: *a\n") == [
        "t.yaml:2:3: a.b: an alias refers to the node that contains it"
    ]
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 7):
        refs = ", ".join([f"*{chr(96 + i)}"] * 10)
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [{refs}]\n".encode()
    [message] = messages("t.yaml", bomb)
    assert f"more than {MAX_NODES} values after expanding aliases" in message


def test_interpolation_from_hmsync_variables() -> None:
    raw = b"name: ${HMSYNC_NAME}-x\nprice: $$5 and ${HMSYNC_NAME}\n"
    doc, problems = load_bytes("t.yaml", raw, {"HMSYNC_NAME": "demo"})
    assert problems == [] and doc is not None
    assert doc.data == {"name": "demo-x", "price": "$5 and demo"}
    assert doc.interpolated == {("name",), ("price",)}


def test_interpolation_refuses_other_names_and_missing_variables() -> None:
    raw = b"name: a\nsecret: ${AWS_SECRET_ACCESS_KEY}\nkey: ${HMSYNC_MISSING}\nbad: ${1x}\n"
    assert messages("t.yaml", raw, {"AWS_SECRET_ACCESS_KEY": "leak"}) == [
        "t.yaml:2:9: secret: ${AWS_SECRET_ACCESS_KEY} is not allowed: only variables whose names "
        "start with HMSYNC_ are read from the environment (rename it HMSYNC_AWS_SECRET_ACCESS_KEY)",
        "t.yaml:3:6: key: environment variable HMSYNC_MISSING is not set; set it (a secret belongs in the environment or your CI's secrets, never in the file)",
        "t.yaml:4:6: bad: ${1x} is not a valid environment variable name",
    ]


def test_unreadable_file(tmp_path: Path) -> None:
    doc, problems = load_file(tmp_path, {})
    assert doc is None
    assert [p.message for p in problems] == ["cannot read the file: Is a directory"]


def test_characters_yaml_does_not_allow_are_located() -> None:
    assert messages("t.yaml", b"name: a\nroles: {}\x00\n") == [
        "t.yaml:2:10: character U+0000 is not allowed in YAML; remove it"
    ]


def test_a_reference_inside_flow_brackets_says_to_quote_it() -> None:
    # In a flow mapping or list `{` ends a plain scalar: the parser's own words name no cause.
    head = b"name: w\nroles:\n  host:\n    publishParams:\n"
    cases = {
        b"      video: {bitRate: ${vars.bitrate}, width: 640}\n": (
            't.yaml:5:24: ${vars.bitrate} inside {...} must be quoted: "${vars.bitrate}"'
        ),
        b"      allowed: [audio, ${HMSYNC_X}]\n": (
            't.yaml:5:24: ${HMSYNC_X} inside [...] must be quoted: "${HMSYNC_X}"'
        ),
        b"      rtmp: {url: rtmp://x/${HMSYNC_K}-live}\n": (
            't.yaml:5:28: ${HMSYNC_K} inside {...} must be quoted: "rtmp://x/${HMSYNC_K}-live"'
        ),
    }
    for line, expected in cases.items():
        assert messages("t.yaml", head + line) == [expected]
    # Other flow syntax errors keep the parser's own message.
    assert messages("t.yaml", b"a: {b: c d: e}\n") == [
        "t.yaml:1:11: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping)"
    ]


def test_a_quoted_whole_reference_keeps_the_variables_type() -> None:
    raw = b'name: w\nroles:\n  host:\n    publishParams: {video: {bitRate: "${vars.bitrate}"}}\n'
    doc, problems = load_bytes("t.yaml", raw, {}, variables={"bitrate": 900})
    assert problems == [] and doc is not None
    assert doc.data["roles"]["host"]["publishParams"]["video"]["bitRate"] == 900


_SCALARS = st.sampled_from(
    ["0", "7", "010", "0o17", "0x1F", "0b101", "1_000", "190:20:30", "+5", "-3", "12", "٣",
     "1.5", "1e3", ".inf", "Yes", "NO", "on", "Off", "true", "False", "y", "n", "~", "null",
     "'012'", '"true"', "!!int 42", "!!bool yes", "!!str 12", "text"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_SCALARS, min_size=1, max_size=12))
def test_every_scalar_reads_as_pyyaml_reads_it(values: list[str]) -> None:
    """The loader's shortcuts (remembered tags, plain decimal ints, booleans) give exactly
    what PyYAML's own safe loader gives, octal, sexagesimal, quoted and tagged values too,
    on the first and on a later reading of the same text."""
    text = "\n".join(f"k{i}: {v}" for i, v in enumerate(values)) + "\n"
    for _ in range(2):
        doc, problems = load_bytes("f.yaml", text.encode(), environ={}, require_env=False)
        assert doc is not None and not [p for p in problems if p.severity == "error"]
        assert doc.data == yaml.safe_load(text)
        assert [type(v) for v in doc.data.values()] == [
            type(v) for v in yaml.safe_load(text).values()
        ]


def test_the_variables_a_file_reads_are_those_interpolation_reads() -> None:
    """What init passes as secrets and export refuses to flatten: `$$` escapes, and a `${...}`
    interpolation would refuse (`${HOME}`, `${vars.}`) is no variable read."""
    text = (
        "a: ${vars.region}\nb: ${HMSYNC_KEY}\nc: $${HMSYNC_LITERAL} $${vars.literal}\n"
        "d: ${HOME} ${vars.} ${HMSYNC_BAD-NAME}\n# ${HMSYNC_IN_COMMENT}\n"
    )
    assert variable_names(text) == {"vars.region", "HMSYNC_KEY", "HMSYNC_IN_COMMENT"}
