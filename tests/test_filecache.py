"""The cache: what unchanged files gave, by content. A cached run must say
exactly what a fresh one says; a secret never reaches the cache; apply never reads it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.files.filecache import context_key
from hmsync.files.schema import Checked, check_paths

from .conftest import Run, Write
from .helpers import env as emulator_env
from .strategies import templates

FOLDER = Path("cache")  # check_paths' own tests name the cache folder; commands find theirs

EXTRA_LINES = [
    "",
    "unknown: 1\n",
    "default: yes\n",
    "name: again\n",  # a duplicate key
    "settings: {region: mars}\n",  # outside an enum
    "roles: {r: {priority: 2.0}}\n",  # a float to coerce (the roles key may be duplicated)
    "roles:\n  v: {priority: '${vars.p}'}\n",
    "roles:\n  v: {priority: 99}\n",  # outside a range: a warning
    "x: [unclosed\n",  # a YAML syntax error
    "when: 2024-01-01\n",  # a date: no JSON for it, so never cached
]


def _said(checked: Checked) -> tuple[Any, ...]:
    docs = [(d.file, d.data, d.digest, sorted(d.unresolved), d.floats) for d in checked.documents]
    return docs, [str(p) for p in checked.problems], checked.files


@settings(max_examples=40, deadline=None)
@given(
    files=st.lists(st.tuples(templates(), st.sampled_from(EXTRA_LINES)), min_size=1, max_size=4),
    variables=st.sampled_from([None, {"p": 3}, {"p": 4.0}, {"p": "x"}]),
    api=st.sampled_from(["v1", "v2"]),
)
def test_a_cached_run_says_what_a_fresh_run_says(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[tuple[dict[str, Any], str]],
    variables: dict[str, Any] | None,
    api: str,
) -> None:
    root = tmp_path_factory.mktemp("cache")
    folder = root / "templates"
    folder.mkdir()
    for i, (template, extra) in enumerate(files):
        text = yaml.safe_dump({**template, "name": f"t{i}"}, sort_keys=False) + extra
        (folder / f"t{i}.yaml").write_text(text)
    fresh = _said(check_paths([str(folder)], {}, variables=variables, api=api))
    for _ in range(2):  # the run that fills the cache, then the one that reads it
        cached = check_paths(
            [str(folder)], {}, variables=variables, api=api, cache_root=root / "cache"
        )
        assert _said(cached) == fresh


def test_the_second_run_reads_the_cache_and_a_changed_file_is_read_again(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hmsync.files.filecache

    parsed: list[str] = []
    parse = hmsync.files.filecache.load_bytes

    def counted(name: str, *args: Any) -> Any:
        parsed.append(name)
        return parse(name, *args)

    monkeypatch.setattr(hmsync.files.filecache, "load_bytes", counted)
    one = write("templates/a.yaml", "name: a\nroles:\n  host: {priority: 1}\n")
    write("templates/b.yaml", "name: b\nroles:\n  host: {priority: 1}\n")
    check_paths(["templates"], {}, cache_root=FOLDER)
    assert parsed == ["templates/a.yaml", "templates/b.yaml"]
    [saved] = FOLDER.glob("files-*.txt")
    assert len(saved.read_text().splitlines()) == 1 + 4  # a load and a schema entry a file
    check_paths(["templates"], {}, cache_root=FOLDER)
    assert parsed == ["templates/a.yaml", "templates/b.yaml"]  # nothing parsed again
    one.write_text("name: a\nroles:\n  host: {priority: 2}\n")
    checked = check_paths(["templates"], {}, cache_root=FOLDER)
    assert parsed[2:] == ["templates/a.yaml"]
    assert checked.documents[0].data["roles"]["host"]["priority"] == 2
    check_paths(["templates"], {}, cache_root=FOLDER)
    assert parsed[3:] == []  # the changed file's new entries were kept
    # a's old entries went unused: dropped, not piled up
    assert len(saved.read_text().splitlines()) == 1 + 4
    assert sorted(p.name for p in FOLDER.iterdir()) == [
        ".gitignore",
        "CACHEDIR.TAG",
        saved.name,
        "key",
    ]
    assert (FOLDER / ".gitignore").read_text() == "*\n"
    assert (FOLDER / "key").stat().st_mode & 0o777 == 0o600  # this user's alone
    assert len(bytes.fromhex((FOLDER / "key").read_text())) == 32


def test_the_schema_check_is_read_from_the_cache_too(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file with a problem: the second run neither checks it against the schema nor loses
    its problem."""
    import hmsync.files.schema

    checked: list[str] = []
    check = hmsync.files.schema.schema_problems

    def counted(doc: Any, api: str = "v1") -> Any:
        checked.append(doc.file)
        return check(doc, api)

    monkeypatch.setattr(hmsync.files.schema, "schema_problems", counted)
    write("t.yaml", "name: a\nroles:\n  host: {priority: 11}\n")
    said = [str(p) for p in check_paths(["t.yaml"], {}, cache_root=FOLDER).problems]
    assert checked == ["t.yaml"] and len(said) == 1
    again = [str(p) for p in check_paths(["t.yaml"], {}, cache_root=FOLDER).problems]
    assert (checked, again) == (["t.yaml"], said)


def test_the_context_does_not_depend_on_the_order_of_vars() -> None:
    one = context_key("v1", "schema", {"a": 1, "b": 2}, True)
    assert one == context_key("v1", "schema", {"b": 2, "a": 1}, True)


def test_an_entry_is_fresh_objects_each_time(write: Write) -> None:
    write("t.yaml", "name: a\nroles:\n  host: {priority: 1}\n")
    first = check_paths(["t.yaml"], {}, cache_root=FOLDER)
    first.documents[0].data["roles"]["host"]["priority"] = 7  # a caller changes its copy
    again = check_paths(["t.yaml"], {}, cache_root=FOLDER)
    assert again.documents[0].data["roles"]["host"]["priority"] == 1


def test_a_file_reading_the_environment_is_never_cached(write: Write) -> None:
    secret = "s3cr3t-value-never-on-disk"
    write(
        "t.yaml",
        "name: a\nsettings:\n  recording:\n    upload:\n      type: s3\n      location: b\n"
        "      credentials: {key: k, secret: '${HMSYNC_S3_SECRET}'}\n",
    )
    env = {"HMSYNC_S3_SECRET": secret}
    checked = check_paths(["t.yaml"], env, cache_root=FOLDER)
    assert "credentials" in str(checked.documents[0].data)
    on_disk = "".join(p.read_text() for p in FOLDER.glob("files-*")) if FOLDER.exists() else ""
    assert secret not in on_disk and "HMSYNC_S3_SECRET" not in on_disk
    other = check_paths(["t.yaml"], {"HMSYNC_S3_SECRET": "another"}, cache_root=FOLDER)
    upload = other.documents[0].data["settings"]["recording"]["upload"]
    assert upload["credentials"]["secret"] == "another"


def test_vars_hmsync_and_the_schema_are_part_of_the_key(write: Write) -> None:
    write("t.yaml", "name: a\nroles:\n  host: {priority: '${vars.p}'}\n")
    for p in (1, 2):
        checked = check_paths(["t.yaml"], {}, variables={"p": p}, cache_root=FOLDER)
        assert checked.documents[0].data["roles"]["host"]["priority"] == p
    keys = {
        context_key("v1", "schema", {"p": 1}, True),
        context_key("v1", "schema", {"p": 2}, True),
        context_key("v2", "schema", {"p": 1}, True),
        context_key("v1", "schema 2", {"p": 1}, True),
        context_key("v1", "schema", {"p": 1}, False),
    }
    assert len(keys) == 5


def test_a_moved_file_is_named_by_its_new_name(write: Write) -> None:
    write("a.yaml", "name: a\nroles:\n  host: {priority: 11}\n")
    check_paths(["a.yaml"], {}, cache_root=FOLDER)
    Path("a.yaml").rename("b.yaml")
    [problem] = check_paths(["b.yaml"], {}, cache_root=FOLDER).problems
    assert str(problem).startswith("b.yaml:3:")


def test_a_broken_or_foreign_cache_is_ignored_and_an_unwritable_one_is_no_error(
    write: Write,
) -> None:
    write("t.yaml", "name: a\nroles:\n  host: {priority: 1}\n")
    check_paths(["t.yaml"], {}, cache_root=FOLDER)
    [saved] = FOLDER.glob("files-*.txt")
    good = saved.read_text()
    for broken in (
        "",
        "hmsync-cache 1 other\n",
        good.replace('"priority":1', "{"),  # not JSON
        good.replace('"floats":false', '"floats":"no"'),  # JSON, not the shape put made
        good.replace('"problems":[]', '"problems":[[1]]'),
        good.replace('"problems":[]', '"problems":[["t.yaml",1,1,"","m","fatal",""]]'),
        good.replace("[]", "{}"),
    ):
        saved.write_text(broken)
        checked = check_paths(["t.yaml"], {}, cache_root=FOLDER)
        assert checked.documents[0].data["roles"]["host"]["priority"] == 1
        assert checked.problems == []
    shutil.rmtree(FOLDER)
    FOLDER.write_text("a file where the folder would be: nothing can be written\n")
    checked = check_paths(["t.yaml"], {}, cache_root=FOLDER)
    assert checked.documents[0].data == {"name": "a", "roles": {"host": {"priority": 1}}}


def _poison(folder: Path, priority: int, sign: bool) -> None:
    """Every cached entry of the file now says another priority: what an attacker who could
    write the cache would make of it, or (signed with the folder's key) a bug of hmsync's."""
    import hashlib
    import hmac

    key = bytes.fromhex((folder / "key").read_text())
    for saved in folder.glob("files-*.txt"):
        lines = saved.read_text().splitlines()
        out = [lines[0]]
        for line in lines[1:]:
            entry, mac, body = line.split(" ", 2)
            body = body.replace('"priority":1', f'"priority":{priority}')
            if sign:
                mac = hmac.new(key, f"{entry} {body}".encode(), hashlib.sha256).hexdigest()
            out.append(f"{entry} {mac} {body}")
        saved.write_text("\n".join(out) + "\n")


def _user_cache(tmp_path: Path) -> tuple[dict[str, str], Path]:
    home = tmp_path.parent / f"{tmp_path.name}-home"
    return {"XDG_CACHE_HOME": str(home)}, home / "hmsync" / "projects"


def test_apply_never_reads_the_cache_and_no_cache_neither_reads_nor_writes(
    run: Run, write: Write, emu: Emulator, tmp_path: Path
) -> None:
    """A cache written by anyone else fails its check: plan says the truth. One that passes it
    (a bug of hmsync's own) misleads plan only: apply refuses the plan made from it, and from
    the files writes what they say."""
    user, projects = _user_cache(tmp_path)
    env = {**emulator_env(emu), **user}
    write("templates/t.yaml", "name: t\nroles:\n  host: {priority: 1}\n")
    assert run("plan", "--no-cache", env=env).code == 0
    assert not projects.exists()
    assert run("plan", env=env).code == 0
    [folder] = projects.iterdir()
    _poison(folder, 9, sign=False)
    forged = run("plan", env=env)
    assert "priority: 1" in forged.out and "priority: 9" not in forged.out
    assert forged.err == (
        f"hmsync: warning: the cache in {folder} failed its check (something other than hmsync "
        "wrote it); it is ignored and written afresh\n"
    )
    _poison(folder, 9, sign=True)
    poisoned = run("plan", "-o", "p.json", env=env)
    assert "priority: 9" in poisoned.out  # plan trusts a cache that passes its check ...
    refused = run("apply", "p.json", env=env)
    assert (refused.code, refused.err) == (
        4,
        "hmsync: p.json no longer matches the files and environment; run `hmsync plan -o "
        "p.json` again and review the new plan\n",
    )  # ... apply does not
    assert emu.store.dump() == []
    assert run("apply", "--auto-approve", env=env).code == 0
    [live] = emu.store.dump()
    assert live["roles"]["host"]["priority"] == 1  # the file's, not the cache's


def test_a_moved_overlay_is_named_by_its_new_name(write: Write) -> None:
    """The schema check of a template with an overlay is kept by both files' bytes and names:
    a problem the overlay brings names the overlay's file as it is called now."""
    write("templates/t.yaml", "name: t\nroles:\n  host: {priority: 1}\n")
    write("a/t.yaml", "name: t\nroles:\n  host: {priority: 11}\n")
    [first] = check_paths(["templates"], {}, overlays="a", cache_root=FOLDER).problems
    assert str(first).startswith("a/t.yaml:3:")
    Path("a").rename("b")
    [moved] = check_paths(["templates"], {}, overlays="b", cache_root=FOLDER).problems
    assert str(moved).startswith("b/t.yaml:3:")
