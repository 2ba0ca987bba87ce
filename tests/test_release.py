"""What this hmsync is: a release says its version; any other commit of a checkout says the
commit, in `--version` and in every saved plan, so a plan is never taken for a release's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hmsync import __version__, release

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_cut_in_the_changelog_and_the_package() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{__version__}] - " in changelog
    assert f'version = "{__version__}"' in (ROOT / "pyproject.toml").read_text()
    assert f"# v{__version__}" in (ROOT / "action.yml").read_text()


def test_a_checkout_that_is_not_the_tag_says_its_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    release.version.cache_clear()
    commit = "abcdef012345" + "6" * 28
    monkeypatch.setattr(release, "_head_and_tag", lambda: (commit, "1" * 40))
    monkeypatch.setattr(release, "ROOT", ROOT)
    assert release.version() == f"{__version__}+gabcdef012345"
    assert release.version_line() == (
        f"hmsync {__version__}+gabcdef012345 (commit abcdef012345, not a tagged release)"
    )
    release.version.cache_clear()
    monkeypatch.setattr(release, "_head_and_tag", lambda: (commit, commit))  # at the tag
    assert release.version_line() == f"hmsync {__version__}"
    release.version.cache_clear()
    monkeypatch.setattr(release, "ROOT", Path("/nonexistent"))  # an installed package
    assert release.version() == __version__
    release.version.cache_clear()


def test_the_commit_is_read_from_the_repositorys_files_as_git_reads_it(tmp_path: Path) -> None:
    """HEAD through a branch, loose and packed refs, and the tag: the same commits git says."""
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    (git / "packed-refs").write_text(f"# pack-refs\n{'b' * 40} refs/tags/v{__version__}\n")
    assert release._ref(git, "refs/heads/main") == "a" * 40
    assert release._ref(git, f"refs/tags/v{__version__}") == "b" * 40
    assert release._ref(git, "refs/tags/none") == ""
    here = ROOT / ".git"
    if here.is_dir():  # this checkout, against git itself
        head, _ = release._head_and_tag()
        assert head == release._git("rev-parse", "HEAD")


def test_version_as_a_user_runs_it() -> None:
    done = subprocess.run([sys.executable, "-m", "hmsync", "--version"], capture_output=True,
                          text=True, check=True, cwd=ROOT)  # fmt: skip
    assert re.fullmatch(
        rf"hmsync {re.escape(__version__)}(\+g[0-9a-f]{{12}} \(commit [0-9a-f]{{12}}, not a tagged "
        r"release\))?\n",
        done.stdout,
    ), done.stdout


def test_init_stamps_only_a_version_it_knows(tmp_path: Path) -> None:
    """`init --action OWNER/hmsync@COMMIT`: this checkout's own commit is stamped with its
    version; any other commit is not claimed to be this hmsync's version."""
    from hmsync.cli import main

    head = release.commit()
    other = "1" * 40
    for commit in filter(None, (head, other)):
        folder = tmp_path / commit[:6]
        folder.mkdir()
        assert main(["init", "--dir", str(folder), "--action", f"acme/hmsync@{commit}"], {}) == 0
        plan = (folder / ".github/workflows/hmsync-plan.yml").read_text()
        if commit == head:
            assert f"uses: acme/hmsync@{commit} # v{release.version()}\n" in plan
        else:
            assert (
                f"uses: acme/hmsync@{commit} # pinned by commit; written by hmsync "
                f"{release.version()}\n"
            ) in plan
            # Written anew, the pin (and what it says) is kept.
            assert main(["init", "--dir", str(folder), "--force"], {}) == 0
            assert (folder / ".github/workflows/hmsync-apply.yml").read_text().count(
                f"uses: acme/hmsync@{commit} # pinned by commit"
            ) == 2
