"""A cache no one else can write: entries a pull request plants (in the work tree, in a cache
folder git tracks, or in the user cache without this machine's key) are never believed, so
validate, plan, drift and show say what the files say."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from hmsync.emulator import Emulator
from hmsync.files.filecache import LEGACY_FOLDER, FileCache, context_key, place, user_cache_home
from hmsync.files.loader import load_bytes
from hmsync.files.schema import schema_text

from .conftest import Run, Write
from .helpers import env as emulator_env

BENIGN = "name: t\nroles:\n  host:\n    permissions: {endRoom: true}\n"
ATTACKER = (  # a valid file that adds a powerful role
    BENIGN + "  attacker:\n    permissions: {endRoom: true, removeOthers: true, changeRole: true}\n"
)
INVALID = BENIGN + "    bogus: 1\n"  # an unknown key: validate must refuse it


def forge(folder: Path, hostile: str, name: str = "templates/t.yaml") -> None:
    """What an attacker commits: entries for the hostile file's bytes that say BENIGN's
    content and no problem, signed with a key of the attacker's own, for every context."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key").write_text("ab" * 32)
    digest = hashlib.sha256(hostile.encode()).hexdigest()
    benign, _ = load_bytes(name, BENIGN.encode(), {})
    assert benign is not None
    for require_env in (True, False):
        cache = FileCache(folder, context_key("v1", schema_text("v1"), None, require_env))
        load = {"data": benign.data, "unresolved": [], "floats": False, "problems": []}
        cache.put(cache.key("load", name, digest), load)
        cache.put(cache.key("schema", name, "", digest), [])
        cache.save()


@pytest.fixture
def environ(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    """live holds BENIGN; the user cache is this test's own."""
    emu.store.load([{"name": "t", "roles": {"host": {"permissions": {"endRoom": True}}}}])
    home = tmp_path.parent / f"{tmp_path.name}-home"
    return {**emulator_env(emu), "XDG_CACHE_HOME": str(home)}


def _the_truth(run: Run, write: Write, environ: dict[str, str]) -> str:
    """validate refuses INVALID; plan, drift and show see ATTACKER's role. Their stderr."""
    write("templates/t.yaml", INVALID)
    validate = run("validate", env=environ)
    assert validate.code == 1
    assert "templates/t.yaml:5:5: roles.host.bogus: unknown key;" in validate.out
    write("templates/t.yaml", ATTACKER)
    plan = run("plan", "--format", "markdown", env=environ)
    assert plan.code == 0 and "attacker" in plan.out and "No changes" not in plan.out
    drift = run("drift", env=environ)
    assert drift.code == 2 and "attacker" in drift.out
    show = run("show", env=environ)
    assert show.code == 0 and "attacker" in show.out
    return validate.err + plan.err + drift.err + show.err


def _forge_both(folder: Path) -> None:
    forge(folder, INVALID)
    other = folder.parent / (folder.name + "-2")
    forge(other, ATTACKER)
    # one folder, both files' entries: the line sets of the two forged caches together
    for saved in other.glob("files-*.txt"):
        mine = folder / saved.name
        lines = mine.read_text().splitlines() + saved.read_text().splitlines()[1:]
        mine.write_text("\n".join(lines) + "\n")


def test_a_cache_committed_to_the_work_tree_is_not_read(
    run: Run, write: Write, environ: dict[str, str]
) -> None:
    _forge_both(Path(LEGACY_FOLDER))
    said = _the_truth(run, write, environ)
    assert (
        "hmsync: warning: .hmsync-cache/ in the work tree is not read (the cache lives outside "
        "the repository now, so no commit can fill it); delete that folder\n"
    ) in said


def test_a_user_cache_someone_else_wrote_fails_its_check(
    run: Run, write: Write, environ: dict[str, str]
) -> None:
    write("templates/t.yaml", BENIGN)
    assert run("validate", env=environ).code == 0  # this machine's key and cache made
    folder = place(Path(), environ)
    assert folder is not None and (folder / "key").is_file()
    key = (folder / "key").read_text()
    _forge_both(folder)  # entries signed with another key, the machine's key kept
    (folder / "key").write_text(key)
    said = _the_truth(run, write, environ)
    assert (
        f"hmsync: warning: the cache in {folder} failed its check (something other than "
        "hmsync wrote it); it is ignored and written afresh\n"
    ) in said


def test_a_cache_folder_git_tracks_is_not_used(
    run: Run, write: Write, environ: dict[str, str], tmp_path: Path
) -> None:
    """A cache folder inside the work tree, committed with its key: the attacker signs."""
    environ = {**environ, "XDG_CACHE_HOME": str(tmp_path / ".cache")}
    folder = place(Path(), environ)
    assert folder is not None and folder.is_relative_to(tmp_path)
    _forge_both(folder)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-f", ".cache"], check=True)
    subprocess.run([*git, "commit", "-qm", "cache"], check=True)
    said = _the_truth(run, write, environ)
    assert (
        f"hmsync: warning: the cache folder {folder} is tracked by git; it is not used "
        "(untrack it)\n"
    ) in said


def test_with_ci_set_there_is_no_cache_unless_asked(run: Run, write: Write, tmp_path: Path) -> None:
    home = tmp_path.parent / f"{tmp_path.name}-ci-home"
    write("templates/t.yaml", BENIGN)
    assert run("validate", env={"XDG_CACHE_HOME": str(home), "CI": "true"}).code == 0
    assert not home.exists()
    assert run("validate", "--cache", env={"XDG_CACHE_HOME": str(home), "CI": "true"}).code == 0
    assert len(list((home / "hmsync" / "projects").iterdir())) == 1
    # CI "False", "0", "no", "off": not a CI, whatever the case: the cache is used.
    for value in ("False", "OFF"):
        shutil.rmtree(home)
        assert run("validate", env={"XDG_CACHE_HOME": str(home), "CI": value}).code == 0
        assert home.exists(), value


@pytest.mark.parametrize(
    ("environ", "platform", "where"),
    [
        ({"XDG_CACHE_HOME": "/x/cache", "HOME": "/h"}, "linux", "/x/cache/hmsync"),
        ({"XDG_CACHE_HOME": "relative", "HOME": "/h"}, "linux", "/h/.cache/hmsync"),
        ({"HOME": "/h"}, "linux", "/h/.cache/hmsync"),
        ({"HOME": "/h"}, "darwin", "/h/Library/Caches/hmsync"),
        ({"LOCALAPPDATA": "/l", "HOME": "/h"}, "win32", "/l/hmsync/Cache"),
        ({}, "linux", None),
    ],
)
def test_the_user_cache_folder_is_the_platforms(
    environ: dict[str, str], platform: str, where: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", platform)
    found = user_cache_home(environ)
    assert (str(found) if found else None) == where
