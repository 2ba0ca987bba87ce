"""A second writer after each request N of an apply: which edits are lost, and where.

One apply changes three objects of template `t` (host's bitrate, guest's tracks, the region);
the dashboard makes one edit to a field the plan does not change, placed right after request N
of the apply (the emulator's interleave control), for every N the apply makes. An edit is lost
when the field no longer holds it afterwards. hmsync's promise, held by test_sweep.py:

- an edit is lost at most at one placement: between the read of the object it is in and the
  write that replaces that object (one round trip; no read can see inside it);
- never for an object no write replaces (an unwritten role, another template).

`python -m tests.sweep` prints the table for every configuration (`make sweep`).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hmsync.cli import main
from hmsync.emulator import Emulator
from hmsync.emulator.readings import Readings

BEFORE = """\
name: t
settings: {region: in}
roles:
  host: {publishParams: {video: {bitRate: 300}}}
  guest: {publishParams: {allowed: [audio]}}
  bystander: {publishParams: {allowed: [audio]}}
"""
AFTER = (
    BEFORE.replace("bitRate: 300", "bitRate: 900")
    .replace("guest: {publishParams: {allowed: [audio]}}", "guest: {publishParams: {allowed: [audio, video]}}")
    .replace("region: in", "region: us")
)  # fmt: skip
OTHER = "name: u\nroles:\n  x: {publishParams: {allowed: [audio]}}\n"

# (what the edit is to, the template, the field, the value): none of them a field the plan
# changes, and none the files set (so nothing the convergence check could set back).
EDITS = {
    "written role": ("t", "roles.host.priority", 4),
    "written role, 2nd": ("t", "roles.guest.subscribeParams.maxSubsBitRate", 1234),
    "unwritten role": ("t", "roles.bystander.priority", 4),
    "settings": ("t", "settings.recording.enabled", True),  # v2: see settings_edit
    "other template": ("u", "roles.x.priority", 4),
}
UNWRITTEN = ("unwritten role", "other template")


@dataclass(frozen=True)
class Config:
    api: str
    writes: str  # merge, replace, as-sent
    source: str = "paths"  # or "saved": apply PLAN.json
    parallelism: int = 1

    def __str__(self) -> str:
        return f"{self.api} {self.writes} {self.source} p{self.parallelism}"


def settings_edit(api: str) -> tuple[str, str, Any]:
    # v2 settings hold roomState, beside region: a field of the object the settings write
    # replaces that the file leaves out.
    return ("t", "settings.roomState.messageInterval", 7) if api == "v2" else EDITS["settings"]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _hmsync(*argv: str, emu: Emulator) -> int:
    environ = dict(emu.env())
    with _quiet():
        return main(list(argv), environ)


def _value(emu: Emulator, template: str, dotted: str) -> Any:
    [found] = [t for t in emu.store.dump() if t["name"] == template]
    node: Any = found
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@dataclass
class Swept:
    """One configuration: each edit's lost placements, the placements where a loss is one
    round trip that no read can see into, and how many placements there were."""

    lost: dict[str, list[int]]
    allowed: dict[str, set[int]]
    placements: int

    def outside(self) -> dict[str, list[int]]:
        """Losses anywhere else: what hmsync promises never happens."""
        return {e: [n for n in ns if n not in self.allowed[e]] for e, ns in self.lost.items()}


@contextlib.contextmanager
def _recording(log: list[tuple[str, str]]) -> Iterator[None]:
    """Every API request the emulator handles, in order: (method, path with its query)."""
    from hmsync.emulator import server

    original = server.Handler._api

    def recorded(self: Any, method: str, path: str, query: dict[str, str], api: str) -> None:
        log.append((method, path + ("?id" if "id" in query else "")))
        original(self, method, path, query, api)

    server.Handler._api = recorded  # type: ignore[method-assign]
    try:
        yield
    finally:
        server.Handler._api = original  # type: ignore[method-assign]


def _object(path: str) -> str:
    """What a request reads or replaces: a role (`role NAME`), `settings`, or `template`."""
    parts = path.split("?")[0].strip("/").split("/")
    if len(parts) >= 4 and parts[2] == "roles":
        return f"role {parts[3]}"
    if len(parts) >= 3 and parts[2] == "settings":
        return "settings"
    return "template"


def window(log: list[tuple[str, str]], template_edit: str, dotted: str) -> set[int]:
    """The placements n where an edit to dotted can be lost and no read could tell: request n
    replaces its object (a role write, a settings write, or a whole-template write), and
    request n - 1 is a read of that object (or of the whole template) taken right before."""
    if template_edit != "t":
        return set()  # the other template is never written
    parts = dotted.split(".")
    target = f"role {parts[1]}" if parts[0] == "roles" else "settings"
    out = set()
    for n in range(1, len(log)):
        (read_method, read_path), (method, path) = log[n - 1], log[n]
        writes = method in ("POST", "DELETE") and _object(path) in (target, "template")
        reads = read_method == "GET" and _object(read_path) in (target, "template")
        if writes and reads:
            out.add(n)
    return out


def sweep(config: Config, folder: Path) -> Swept:
    """For each edit, the placements N at which it was lost."""
    templates = folder / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "u.yaml").write_text(OTHER)
    (templates / "t.yaml").write_text(BEFORE)
    args = ["--api", config.api, "--parallelism", str(config.parallelism)]
    lost: dict[str, list[int]] = {name: [] for name in EDITS}
    here = Path.cwd()
    try:
        import os

        os.chdir(folder)
        with Emulator(api=config.api, readings=Readings(writes=config.writes)) as emu:
            assert _hmsync("apply", *args, "--auto-approve", emu=emu) == 0
            (templates / "t.yaml").write_text(AFTER)
            target = ["plan.json"] if config.source == "saved" else []
            if target:
                assert _hmsync("plan", *args, "-o", "plan.json", emu=emu) == 0
            seeded = emu.store.dump()
            emu.server.interleavings.clear()
            log: list[tuple[str, str]] = []
            with _recording(log):
                assert _hmsync("apply", *args, *target, "--auto-approve", emu=emu) == 0
            requests = emu.server.interleavings.requests
            allowed = {}
            for name, (template, dotted, value) in EDITS.items():
                if name == "settings":
                    template, dotted, value = settings_edit(config.api)
                allowed[name] = window(log, template, dotted)
                for n in range(1, requests + 1):
                    emu.store.reset()
                    emu.store.load(seeded)
                    emu.server.interleavings.clear()
                    emu.interleave(after_request=n, template=template, set={dotted: value})
                    _hmsync("apply", *args, *target, "--auto-approve", emu=emu)
                    happened = not emu.server.interleavings.pending
                    if happened and _value(emu, template, dotted) != value:
                        lost[name].append(n)
    finally:
        os.chdir(here)
    return Swept(lost, allowed, requests)


CONFIGS = [
    Config(api, writes, source, parallelism)
    for api in ("v1", "v2")
    for writes in ("merge", "replace", "as-sent")
    for source in ("paths", "saved")
    for parallelism in (1, 8)
]


def table(results: dict[Config, Swept]) -> str:
    """Lost placements (lost / placements) per edit; `!` marks a loss outside a write's own
    round trip (what must not happen)."""
    head = "| configuration | lost / placements | " + " | ".join(EDITS) + " |"
    lines = [head, "|---" * (len(EDITS) + 2) + "|"]
    for config, swept in results.items():
        bad = swept.outside()
        cells = [
            ", ".join(f"{n}{'!' if n in bad[e] else ''}" for n in swept.lost[e]) or "-"
            for e in EDITS
        ]
        lost = sum(len(v) for v in swept.lost.values())
        placed = swept.placements * len(EDITS)
        lines.append(f"| {config} | {lost}/{placed} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, config in enumerate(CONFIGS):
            results[config] = sweep(config, Path(tmp) / str(i))
            print(f"{config}: {results[config].lost}", file=sys.stderr, flush=True)
    print(table(results))
    total = sum(len(v) for r in results.values() for v in r.lost.values())
    outside = sum(len(v) for r in results.values() for v in r.outside().values())
    placed = sum(r.placements * len(EDITS) for r in results.values())
    print(
        f"\n{total} of {placed} placements lost an edit; {outside} outside a write's own round trip"
    )
