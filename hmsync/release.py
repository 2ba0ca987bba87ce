"""What this hmsync is: its version, and for a git checkout that is not the tagged release, the
commit it is (a saved plan records it, `--version` says it)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from . import __version__

ROOT = Path(__file__).resolve().parent.parent


def git_output(root: Path, *args: str) -> str:
    """What `git -C root ARGS` prints, or "" where git fails or cannot run."""
    import subprocess  # only where a git process is needed at all

    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _git(*args: str) -> str:
    return git_output(ROOT, *args)


def _ref(git: Path, name: str) -> str:
    """A ref's commit, read from the repository's files (no git process: `--version` runs on
    every CI job and from the hook)."""
    loose = git / name
    if loose.is_file():
        return loose.read_text(encoding="ascii", errors="replace").strip()
    packed = git / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="ascii", errors="replace").splitlines():
            sha, _, ref = line.partition(" ")
            if ref == name:
                return sha
    return ""


def _head_and_tag() -> tuple[str, str]:
    """(HEAD's commit, the commit of the tag v<version>), from .git's files where it is a
    folder, else (a worktree, a submodule) from git itself."""
    git = ROOT / ".git"
    tag = f"refs/tags/v{__version__}"
    if git.is_dir():
        head = (git / "HEAD").read_text(encoding="ascii", errors="replace").strip()
        commit = _ref(git, head[5:]) if head.startswith("ref: ") else head
        return commit, _ref(git, tag)
    return _git("rev-parse", "HEAD"), _git("rev-parse", "-q", "--verify", f"{tag}^{{commit}}")


@cache
def version() -> str:
    """`0.4.0` for a release (an installed package, or the checkout of its tag `v0.4.0`);
    `0.4.0+g<commit>` for any other commit of a checkout (PEP 440's local version)."""
    if not (ROOT / ".git").exists() or not (ROOT / "pyproject.toml").is_file():
        return __version__
    try:
        commit, tagged = _head_and_tag()
    except OSError:
        return __version__
    if len(commit) < 12 or commit == tagged:
        return __version__
    return f"{__version__}+g{commit[:12]}"


def commit() -> str:
    """This checkout's commit, or "" for an installed package."""
    if not (ROOT / ".git").exists():
        return ""
    try:
        return _head_and_tag()[0]
    except OSError:
        return ""


def version_line() -> str:
    found = version()
    if "+g" not in found:
        return f"hmsync {found}"
    return f"hmsync {found} (commit {found.split('+g')[1]}, not a tagged release)"
