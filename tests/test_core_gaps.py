"""The seven planted bugs that passed the whole suite, each pinned by a test that fails
on the bug and passes on the code as it is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmsync.backends.v1 import V1Client as Client
from hmsync.emulator import Emulator
from hmsync.errors import InputError
from hmsync.model import Change
from hmsync.plan import planfile
from hmsync.plan.diff import diff_template, make_plan
from hmsync.plan.views import list_views
from hmsync.redact import SENSITIVE, redact, secret_values
from hmsync.write.template_run import TemplateRun as _TemplateRun

from .conftest import Run, Write
from .helpers import env


def test_1_a_live_template_without_default_and_a_file_saying_false_plan_nothing() -> None:
    live = {"_id": "t1", "name": "t", "roles": {}, "settings": {}}
    assert diff_template({"name": "t", "default": False}, live, "salt") == []
    set_true = diff_template({"name": "t", "default": True}, live, "salt")
    assert [(a.kind, a.changes) for a in set_true] == [
        ("set_default", (Change("default", False, True),))
    ]


def test_2_a_file_that_drops_the_last_item_of_an_ordered_list_differs_from_live() -> None:
    layers = [
        {"rid": "f", "scaleResolutionDownBy": 1, "maxBitrate": 700},
        {"rid": "h", "scaleResolutionDownBy": 2, "maxBitrate": 350},
    ]
    live_view, file_view = list_views(layers, layers[:1], "v2.simulcastLayer")
    assert len(live_view) == 2 and len(file_view) == 1 and live_view[:1] == file_view
    # And one more on the file's side is seen too.
    live_view, file_view = list_views(layers[:1], layers, "v2.simulcastLayer")
    assert len(live_view) == 1 and len(file_view) == 2


def test_3_a_modify_template_keeps_a_live_default_the_file_is_silent_on(
    emu: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # v1's Modify Template replaces the template: a body without `default: true` would
    # (on a server that reads it so) clear the flag the file never mentioned.
    emu.store.load([{"name": "room", "default": True, "settings": {"region": "in"}}])
    sent: list[dict[str, Any]] = []
    original = Client.modify_template

    def spy(self: Client, template_id: str, body: dict[str, Any]) -> Any:
        sent.append(json.loads(json.dumps(body)))
        return original(self, template_id, body)

    monkeypatch.setattr(Client, "modify_template", spy)
    write(
        "templates/room.yaml", "name: room\nsettings:\n  region: in\n  recording: {enabled: true}\n"
    )
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    assert len(sent) == 1 and sent[0]["default"] is True


class _Reads:
    """A client whose writes fail and whose reads show a given state."""

    base_url = "http://127.0.0.1:9/policy/v1"

    def __init__(self, fresh: dict[str, Any]) -> None:
        self.fresh = fresh

    def get_template(self, template_id: str, recordings: bool = True) -> dict[str, Any]:
        return self.fresh


def test_4_a_rename_that_landed_without_its_field_changes_did_not_take_effect() -> None:
    live = {"_id": "t1", "name": "t", "roles": {"pupil": {"priority": 1}}, "settings": {}}
    desired = {"name": "t", "roles": {"student": {"renamedFrom": "pupil", "priority": 3}}}
    plan = make_plan([("t.yaml", desired)], [live], "salt")
    [template] = plan.templates
    [rename] = template.actions
    assert rename.kind == "rename_role"
    renamed_only = {**live, "roles": {"student": {"priority": 1}}}
    run = _TemplateRun(_Reads(renamed_only), plan, template, desired, live)  # type: ignore[arg-type]
    assert run._landed(rename) is False  # the rename landed, the priority is still due
    done = {**live, "roles": {"student": {"priority": 3}}}
    run = _TemplateRun(_Reads(done), plan, template, desired, live)  # type: ignore[arg-type]
    assert run._landed(rename) is True


def test_5_a_saved_plan_masks_the_old_value_of_a_sensitive_change_too() -> None:
    change = Change("rtmpUrls[0]", "rtmp://x/old-stream-key", "rtmp://x/new-stream-key", True)
    assert planfile.change_to_dict(change) == {
        "path": "rtmpUrls[0]",
        "old": SENSITIVE,
        "new": SENSITIVE,
        "sensitive": True,
    }


def test_6_a_plan_file_of_another_format_version_is_refused(tmp_path: Path) -> None:
    for version in (2, 0, "1", True):
        path = tmp_path / "plan.json"
        path.write_text(json.dumps({"format_version": version}))
        with pytest.raises(InputError) as refused:
            planfile.read(str(path))
        assert refused.value.message == (
            f"{path}: not a plan file of format_version 1; make one with hmsync plan -o"
        )


def test_7_a_secret_that_holds_another_is_replaced_whole() -> None:
    values = secret_values({"HMSYNC_A": "abcd", "HMSYNC_B": "abcdSECRETTAIL", "HOME": "/root"})
    assert values == ["abcdSECRETTAIL", "abcd"]
    assert redact("x abcdSECRETTAIL y abcd", values) == f"x {SENSITIVE} y {SENSITIVE}"


# -- survivors of `make mutate`, killed ------------------------------------------------------


def test_a_stream_key_of_exactly_the_minimum_length_is_a_secret_too() -> None:
    from hmsync.redact import secrets_in

    found = set(secrets_in({"rtmpUrls": ["rtmp://h/app/abcdefgh", "rtmp://h/app/abcdefg"]}))
    assert "abcdefgh" in found and "abcdefg" not in found  # 8 characters: a key; 7: a word


def test_credentials_are_readable_only_when_every_value_is_a_clear_string() -> None:
    from hmsync.plan.concealment import credentials_readable

    assert credentials_readable({"key": "AKIAREAL1234", "secret": "s3cr3t-value"})
    real = "s3cr3t-value"
    for masked in ("****", "AKIA****1234", 1234, "", None):
        assert not credentials_readable({"key": masked, "secret": real}), masked
        assert not credentials_readable({"key": real, "secret": masked}), masked


def test_the_runs_secrets_replace_the_longest_first_from_four_characters_on() -> None:
    from hmsync import redact

    known = redact.Secrets(["abcd", "abcdSECRETTAIL", "xyz"])
    assert list(known) == ["abcdSECRETTAIL", "abcd"]  # three characters: too common to hide
    assert redact.redact("abcdSECRETTAIL abcd xyz", known) == (
        f"{redact.SENSITIVE} {redact.SENSITIVE} xyz"
    )
    assert redact.secret_values({"HMSYNC_A": "abcd", "HMSYNC_B": "xyz"}) == ["abcd"]


def test_conceal_hides_hashes_and_hidden_values_wherever_they_are() -> None:
    from hmsync.plan.concealment import SECRET_PREFIX, SENSITIVE, WRITE_ONLY, conceal

    hidden = frozenset({"us", "stream-key-123"})
    assert conceal(SECRET_PREFIX + "abc", hidden) == (SENSITIVE, True)
    assert conceal("us", hidden) == (SENSITIVE, True)  # a short value: only as the whole string
    assert conceal("virus", hidden) == ("virus", False)
    assert conceal("rtmp://h/app/stream-key-123", hidden) == (SENSITIVE, True)  # inside: 6+
    assert conceal("stream-key-12", hidden) == ("stream-key-12", False)
    assert conceal("abcdef", frozenset({"abcdef"})) == (SENSITIVE, True)
    assert conceal("xabcdefx", frozenset({"abcdef"})) == (SENSITIVE, True)  # exactly 6: inside too
    assert conceal("xabcdex", frozenset({"abcde"})) == ("xabcdex", False)  # 5: whole string only
    assert conceal(WRITE_ONLY, hidden) == (WRITE_ONLY, True)
    assert conceal({"a": ["us", "ok"], "b": "fine"}, hidden) == (
        {"a": [SENSITIVE, "ok"], "b": "fine"},
        True,
    )
    assert conceal({"a": "fine", "b": "us"}, hidden)[1] is True  # found by a later item too
    assert conceal({"a": "fine"}, hidden) == ({"a": "fine"}, False)
    assert conceal(7, hidden) == (7, False)


def test_a_plan_file_with_a_wrong_environment_or_template_shape_is_refused(
    tmp_path: Path,
) -> None:
    good = {
        "format_version": 1, "api_base": "", "files": [], "templates": [],
        "live_fingerprints": {}, "files_digest": "", "secret_salt": "",
        "write_credentials": False, "allow_out_of_range": False,
    }  # fmt: skip
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({**good, "environment": "prod"}))
    assert planfile.read(str(path))["environment"] == "prod"
    for bad, key in (
        ({"environment": 3}, "environment"),
        ({"templates": [{"name": "t"}]}, "templates[0]"),
        ({"templates": ["t"]}, "templates[0]"),
    ):
        path.write_text(json.dumps({**good, **bad}))
        with pytest.raises(InputError) as refused:
            planfile.read(str(path))
        assert key in refused.value.message


def test_what_moved_meanwhile_names_each_field_and_shortens_long_values() -> None:
    from hmsync.write.meanwhile import moved_meanwhile

    before = {"roles": {"r": {"a": {"x": 1}, "b": "k", "c": "k"}}}
    after = {"roles": {"r": {"a": 5, "b": "k" * 78, "c": "k" * 79}}}  # 80 and 81 characters
    assert moved_meanwhile(before, after, []) == [
        'roles.r.a: {"x": 1} -> 5, changed by someone else meanwhile',
        f'roles.r.b: "k" -> "{"k" * 78}", changed by someone else meanwhile',
        f'roles.r.c: "k" -> "{"k" * 76}..., changed by someone else meanwhile',
    ]


def test_credentials_that_are_no_object_are_not_readable() -> None:
    from hmsync.plan.concealment import credentials_readable

    for value in (None, "AKIAREAL1234", ["AKIAREAL1234", "secret-value"]):
        assert credentials_readable(value) is False


def _secrets_reference(answer: Any, under: bool = False, names: bool = False) -> Iterator[str]:
    """secrets_in as a recursive generator (it is a loop, for speed)."""
    from hmsync.redact import NAMED_MAPS, SECRET_KEYS, STREAM_KEY_LENGTH

    if isinstance(answer, dict):
        for key, value in answer.items():
            secret = key in SECRET_KEYS and not names
            yield from _secrets_reference(value, under or secret, key in NAMED_MAPS)
    elif isinstance(answer, list):
        for value in answer:
            yield from _secrets_reference(value, under)
    elif isinstance(answer, str) and under:
        yield answer
        key = answer.rstrip("/").rsplit("/", 1)[-1] if "://" in answer else ""
        if len(key) >= STREAM_KEY_LENGTH:
            yield key


_ANSWER_KEYS = st.sampled_from(
    ["credentials", "secretKey", "rtmpUrls", "name", "roles", "token", "rtmpDestinations", "x"]
)
_ANSWERS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(
        ["rtmp://h/app/abcdefgh", "rtmp://h/a/short", "plain", "https://x/y/streamkey1/"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANSWER_KEYS, inner, max_size=3),
    max_leaves=20,
)


def test_a_role_or_destination_named_like_a_secret_key_is_a_name() -> None:
    """A role called `token` (or `secret`, `credentials`) holds no secret: its tracks and
    subscriptions must not become values hidden from every output."""
    from hmsync.redact import secrets_in

    template = {
        "roles": {"token": {"publishParams": {"allowed": ["audio", "video"]}}},
        "destinations": {
            "rtmpDestinations": {"secret": {"rtmpUrls": ["rtmp://h/app/key12345678"]}}
        },
        "settings": {"recording": {"upload": {"credentials": {"key": "AKIA1", "secret": "s3"}}}},
    }
    assert sorted(secrets_in(template)) == [
        "AKIA1", "key12345678", "rtmp://h/app/key12345678", "s3",
    ]  # fmt: skip


def test_export_of_a_role_named_token_writes_it_as_it_is(emu: Emulator, tmp_path: Path) -> None:
    from hmsync.cli import main

    emu.store.load([{"name": "t", "roles": {"token": {"publishParams": {"allowed": ["audio"]}}}}])
    assert main(["export", "--out", str(tmp_path / "out")], dict(emu.env())) == 0
    text = (tmp_path / "out" / "t.yaml").read_text()
    assert "  token:\n" in text and "allowed: [audio]" in text and "sensitive" not in text


@settings(max_examples=300, deadline=None)
@given(_ANSWERS)
def test_secrets_in_finds_what_the_recursive_walk_found(answer: Any) -> None:
    from hmsync.redact import secrets_in

    assert sorted(secrets_in(answer)) == sorted(_secrets_reference(answer))
    assert sorted(secrets_in(answer, True)) == sorted(_secrets_reference(answer, True))
