from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from hmsync.cli import main
from hmsync.emulator import Emulator

# `make mutate` runs the properties derandomized: a planted bug they catch, they catch every run
# (a catch by chance would make the score a coin toss).
settings.register_profile("mutate", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "templates"
EXAMPLE_ENV = {"HMSYNC_S3_KEY": "AKIAEXAMPLEKEY", "HMSYNC_S3_SECRET": "example-secret-value"}


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]
Write = Callable[[str, "str | bytes"], Path]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in-process: exit code, stdout, stderr."""

    def _run(*argv: str, env: Mapping[str, str] | None = None) -> Result:
        capsys.readouterr()
        code = main(list(argv), dict(env) if env is not None else {})
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Messages name files relative to the working directory, as users see them.
    monkeypatch.chdir(tmp_path)
    os.environ.pop("NO_COLOR", None)
    # A process started with os.environ keeps its cache beside the test, not in the real
    # home, and behaves the same in CI (CI set turns the cache off) as here.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path.parent / f"{tmp_path.name}-user-cache"))
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator of its own for each test, on a free loopback port."""
    with Emulator() as emulator:
        yield emulator


STAGING_SECRET = "staging-secret-0123456789abcdef01234"
PROD_SECRET = "production-secret-0123456789abcdef0123"


@pytest.fixture
def apps() -> Iterator[tuple[Emulator, Emulator]]:
    with (
        Emulator(access_key="staging-key", secret=STAGING_SECRET) as staging,
        Emulator(access_key="prod-key", secret=PROD_SECRET) as production,
    ):
        yield staging, production
