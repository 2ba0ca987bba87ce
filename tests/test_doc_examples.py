"""Every example in the README and in docs/ is checked, so the manual cannot drift from hmsync.

Each ```yaml and ```sh block says what it is in an HTML comment just above it:
  template v1 | template v2      a template file: `hmsync validate` passes it
  project NAME                   the blocks of one project (each opens with `# path`): written
                                 out together, `hmsync validate --all-envs` passes them
  commands | run: WHY            every `hmsync ...` line parses with hmsync's own parser
                                 (run: the block is also executed by the test WHY names)
  fragment: WHY | shell: WHY     part of another tool's file (YAML: it must parse) or no hmsync
                                 command; WHY says why it is not checked further
A block with no such comment fails here, so a new example is checked from its first commit.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hmsync.cli import _parser

from .conftest import Run, Write

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(
    r"^(?:<!-- example: (?P<note>[^\n]*?) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)^```$",
    re.S | re.M,
)
CHECKED = ("yaml", "yml", "sh")


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    lang: str
    note: str
    body: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            line = text.count("\n", 0, m.start("lang")) + 1
            note = m.group("note") or ""
            found.append(Example(page.name, line, m.group("lang"), note, m.group("body")))
    return [e for e in found if e.lang in CHECKED]


EXAMPLES = examples()


def test_the_pages_hold_the_examples_this_test_knows() -> None:
    kinds = {e.note.split(":")[0].split(" ")[0] for e in EXAMPLES}
    assert {"template", "project", "commands", "run", "fragment", "shell"} <= kinds
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_example_says_what_it_is(example: Example) -> None:
    kind, _, why = example.note.partition(":")
    assert example.note, f"{example}: add <!-- example: ... --> above the block (see this test)"
    if kind in ("fragment", "shell", "run"):
        assert why.strip(), f"{example}: say why this block is not checked further"
    else:
        assert kind.split(" ")[0] in ("template", "project", "commands", "room"), example.note


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.note.startswith("template")], ids=str)
def test_template_examples_validate(example: Example, run: Run, write: Write) -> None:
    api = example.note.split()[1]
    write("templates/example.yaml", example.body)
    result = run("validate", "--api", api, "--strict", "templates/example.yaml")
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.note.startswith("room")], ids=str)
def test_room_examples_validate(example: Example, run: Run, write: Write) -> None:
    """A room file, checked beside the example template it names (the v2 live event)."""
    template = Path(__file__).parent.parent / "examples" / "v2" / "templates" / "live-event.yaml"
    write("hmsync.yaml", "api: v2\n")
    write("templates/live-event.yaml", template.read_text())
    write("rooms/example.yaml", example.body)
    names = {"HMSYNC_ALL_HANDS_WEBHOOK_TOKEN", "HMSYNC_LIVE_EVENT_STORAGE_KEY",
             "HMSYNC_LIVE_EVENT_STORAGE_SECRET", "HMSYNC_YOUTUBE_STREAM_KEY"}  # fmt: skip
    result = run("validate", "--strict", env=dict.fromkeys(names, "example-value"))
    assert result.code == 0, result.out + result.err
    assert result.out == "2 files checked: no problems.\n"


PROJECTS = sorted({(e.page, e.note) for e in EXAMPLES if e.note.startswith("project ")}, key=str)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: f"{p[0]}:{p[1]}")
def test_project_examples_validate_in_every_environment(
    project: tuple[str, str], run: Run, write: Write
) -> None:
    for example in (e for e in EXAMPLES if (e.page, e.note) == project):
        first = example.body.splitlines()[0]
        assert first.startswith("# "), f"{example}: a project block opens with `# path`"
        write(first[2:].split(":")[0].strip(), example.body)
    result = run("validate", "--all-envs", "--strict")
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.note.startswith("fragment")], ids=str)
def test_fragments_are_yaml(example: Example) -> None:
    assert yaml.safe_load(example.body) is not None


COMMAND_LINES = [
    (example, line)
    for example in EXAMPLES
    if example.note.startswith(("commands", "run"))
    for line in example.body.splitlines()
    if re.match(r"\s*hmsync ", line)
]


@pytest.mark.parametrize("case", COMMAND_LINES, ids=lambda c: f"{c[0]}:{c[1].split('#')[0]}")
def test_command_lines_parse(case: tuple[Example, str]) -> None:
    example, line = case
    words = shlex.split(line, comments=True)
    # The command ends where the shell's next word joins another (&&, &, a redirection).
    ends = [i for i, w in enumerate(words) if w in ("&&", "&", ">", ";", "|")]
    command = words[: ends[0]] if ends else words
    try:
        _parser().parse_args(command[1:])
    except SystemExit:
        pytest.fail(f"{example}: `{' '.join(command)}` does not parse")


def test_an_unannotated_or_broken_example_is_caught(tmp_path: Path) -> None:
    # The checks above would pass on nothing; show they bite on what they are for.
    page = "<!-- example: template v2 -->\n```yaml\nname: w\nsettings:\n  recording:\n" \
           "    upload: {credentials: {key: ${HMSYNC_K}}}\n```\n```yaml\nname: x\n```\n"  # fmt: skip
    found = [m.group("note") for m in BLOCK.finditer(page)]
    assert found == ["template v2", None]
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(next(BLOCK.finditer(page)).group("body"))
