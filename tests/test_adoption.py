"""The README's ten-minute adoption guide, run as it stands in a fresh folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hmsync.emulator import Emulator

from .helpers import api, example_data, write_complete

ROOT = Path(__file__).resolve().parent.parent


def guide() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Adopt it in ten minutes") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the guide's commands"
    return match.group(1)


def test_the_adoption_guide_works_as_written(emu: Emulator, tmp_path: Path) -> None:
    with api(emu) as client:
        for name in ("classroom", "webinar"):
            write_complete(client, example_data(name))
    environ = {
        **os.environ,
        **emu.env(),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["bash", "-e", "-x", "-c", guide()],
        cwd=tmp_path, env=environ, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "will be updated" in done.stdout and "+ priority" not in done.stdout
    assert "~ priority: 1 -> 2" in done.stdout
    repo = tmp_path / "my-templates"
    assert sorted(p.name for p in (repo / "templates").glob("*.yaml")) == [
        "classroom.yaml",
        "webinar.yaml",
    ]
    assert (repo / ".github" / "workflows" / "hmsync-plan.yml").is_file()
    assert (repo / "hmsync.yaml").is_file() and (
        repo / "schemas" / "template.schema.json"
    ).is_file()
    assert (repo / "backup" / "classroom.yaml").is_file()
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True)
    assert log.stdout.strip().endswith("100ms templates as code")
