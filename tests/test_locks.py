"""The pinned toolchain (requirements/): what make demo, make test and CI install."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest brings tomli on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)(?: ;[^\\]*)? \\$", re.M)


def pins(name: str) -> dict[str, set[str]]:
    text = (ROOT / "requirements" / name).read_text()
    found: dict[str, set[str]] = {}
    for package, version in PIN.findall(text):
        found.setdefault(package.lower().replace("_", "-"), set()).add(version)
    return found


def test_every_pin_has_hashes_and_the_build_backend_is_pinned() -> None:
    for name in ("runtime.lock", "test.lock"):
        text = (ROOT / "requirements" / name).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
        assert blocks and all("--hash=sha256:" in b for b in blocks), name
        # `pip install --no-build-isolation -e .` needs it from the lock, not the index
        assert "setuptools" in pins(name), name


def test_the_runtime_lock_is_the_test_locks_runtime_and_covers_pyproject() -> None:
    runtime, test = pins("runtime.lock"), pins("test.lock")
    assert {p: v for p, v in test.items() if p in runtime} == runtime
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~ ;\[]", requirement)[0].lower()
        assert name in runtime, name
