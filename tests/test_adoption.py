"""The README's ten-minute adoption guide, run as it stands in a fresh folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def guide() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Adopt it in ten minutes") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the guide's commands"
    return match.group(1)


def test_the_adoption_guide_works_as_written(tmp_path: Path) -> None:
    """Exactly as printed, from an empty folder: its own emulator, its own variables."""
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HMS_", "HMSYNC_"))},
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-e", "-x", "-c", guide()],
        cwd=tmp_path, env=environ, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 60
    assert "~ priority: 1 -> 2" in done.stdout and "+ priority" not in done.stdout
    assert "hmsync: warning" not in done.stderr and "note:" not in done.stdout
    repo = tmp_path / "my-templates"
    assert sorted(p.name for p in (repo / "templates").glob("*.yaml")) == [
        "classroom.yaml",
        "telehealth.yaml",
        "webinar.yaml",
    ]
    assert (repo / ".github" / "workflows" / "hmsync-plan.yml").is_file()
    assert (repo / "hmsync.yaml").is_file() and (
        repo / "schemas" / "template.schema.json"
    ).is_file()
    assert (repo / "backup" / "classroom.yaml").is_file()
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True)
    assert log.stdout.strip().endswith("100ms templates as code")
    tracked = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True)
    assert "backup/" not in tracked.stdout  # the backup stays on the machine
    # The emulator the guide started is gone with it: its port is free again.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 8787))


def test_the_emulators_examples_are_the_projects() -> None:
    """`hmsync emulator --with-examples` serves the examples the docs show, byte for byte."""
    packaged = ROOT / "hmsync" / "emulator" / "examples"
    for path in (ROOT / "examples" / "templates").glob("*.yaml"):
        assert (packaged / path.name).read_bytes() == path.read_bytes(), path.name
    assert len(list(packaged.glob("*.yaml"))) == len(
        list((ROOT / "examples/templates").glob("*.yaml"))
    )
