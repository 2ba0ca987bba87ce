"""The situations people create that a test has to set up on purpose: shared, so every new
feature meets them (tests/test_situations.py holds each against hmsync as it is).

- a project in a subfolder of its repository (`subfolder_repository`);
- names that differ only in case (`CASE_TWINS`);
- two files with identical bytes (`identical_files`);
- defaults left out under settings as well as under roles (`SETTINGS_DEFAULTED`);
- every v2 part emptied (`V2_EMPTIED`);
- secrets that are not JWTs (`NOT_A_JWT`);
- a token refused with 403 once, then taken when renewed (`refusing_once`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .servers import Proxy, Seen

CASE_TWINS = ("PROD", "Prod", "prod")  # one file on macOS and Windows, three on Linux
NOT_A_JWT = "plain-app-secret-0123456789"  # an app secret: no dots, no JWT shape
# v2: region left out (no documented default), roomState's documented defaults left out.
SETTINGS_DEFAULTED = "name: t\nsettings:\n  roomState: {enabled: true}\nroles:\n  host: {}\n"
V2_FULL = """\
name: t
roles:
  host: {}
destinations:
  rtmpDestinations:
    youtube:
      name: youtube
      rtmpUrls: ["rtmp://a.rtmp.youtube.com/live2/streamkey123456"]
recordings:
  - name: main
    role: host
"""
V2_EMPTIED = "name: t\nroles:\n  host: {}\ndestinations: {}\nrecordings: []\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def subfolder_repository(top: Path, files: dict[str, str]) -> Path:
    """A git repository at top whose hmsync project is `top/infra/100ms`: files are written
    there (paths relative to the project) and committed on `main`. Returns the project."""
    project = top / "infra" / "100ms"
    project.mkdir(parents=True)
    (top / "README.md").write_text("the rest of the repository\n")
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "base")
    return project


def identical_files(folder: Path, text: str, names: tuple[str, ...] = ("a.yaml", "b.yaml")) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(text)


def refusing_once(status: int = 403) -> Proxy:
    """A loopback API that refuses the first token it sees with `status` (403: "not
    permitted", as a token of a revoked key is) and answers an empty page to any other: the
    client must renew its token once and go on. A Proxy whose rule answers every call, so its
    upstream is never reached; its history holds every request (tokens() their tokens)."""

    def rule(seen: Seen, history: list[Seen]) -> tuple[int, object]:
        if not history:
            return status, {"code": status, "message": "Token validation error"}
        return 200, {"limit": 20, "data": [], "last": ""}

    return Proxy("http://127.0.0.1:9", rule)


def tokens(server: Proxy) -> list[str]:
    """The Authorization header of each request the server saw."""
    return [
        next((v for k, v in seen.headers.items() if k.lower() == "authorization"), "")
        for seen in server.history
    ]
