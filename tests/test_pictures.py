"""The review pictures: golden Markdown for each kind of change, each rendered to HTML
by a CommonMark renderer and its Mermaid parsed by Mermaid's own parser, hostile names too.

To accept a deliberate change of the Markdown: HMSYNC_GOLDEN=update pytest tests/test_pictures.py
(then read the diff of tests/golden/ before committing it)."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from hmsync.model import Plan
from hmsync.plan import origin
from hmsync.plan.diff import make_plan
from hmsync.render import drift_markdown, plan_markdown
from hmsync.render.pictures import graph, graph_mermaid, matrix, matrix_text, mermaid_label

from .conftest import Run, Write

GOLDEN = Path(__file__).parent / "golden" / "pictures"
JS = Path(__file__).parent / "js"
LIMIT = 65_000


def role(priority: int, allowed: list[str], subscribes: list[str], **permissions: bool) -> dict:
    return {
        "priority": priority,
        "publishParams": {"allowed": allowed},
        "subscribeParams": {"subscribeToRoles": subscribes},
        "permissions": permissions,
    }


BASE = {
    "name": "classroom",
    "roles": {
        "teacher": role(1, ["audio", "video", "screen"], ["student"], endRoom=True, mute=True),
        "student": role(2, ["audio"], ["teacher"], endRoom=False, mute=False),
    },
    "settings": {"region": "in"},
}


def live_of(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["_id"] = "0" * 24
    for name, body in out["roles"].items():
        body["name"] = name
    return out


def plan_of(desired: dict[str, Any], live: dict[str, Any] | None = None, api: str = "v1") -> Plan:
    lives = [live_of(live if live is not None else BASE)]
    return make_plan([("templates/classroom.yaml", desired)], lives, "salt", api=api)


def changed(**edits: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for path, value in edits.items():
        node = data
        *parts, last = path.split("__")
        for part in parts:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return data


def many_roles(n: int) -> dict[str, Any]:
    roles = {f"r{i:02d}": role(i, ["audio"], [f"r{(i + 1) % n:02d}"]) for i in range(n)}
    return {"name": "classroom", "roles": roles, "settings": {"region": "in"}}


HOSTILE = [
    'x"]; r9["pwned',
    "</details><script>alert(1)</script>",
    "```\n::error::boom",
    "a --> b %% c",
    "#quot;&amp;|[]{}()",
    "@everyone ~~gone~~",
]


def hostile() -> tuple[dict[str, Any], dict[str, Any]]:
    live = {
        "name": "classroom",
        "roles": {n: role(1, ["audio"], [HOSTILE[(i + 1) % 6]]) for i, n in enumerate(HOSTILE)},
        "settings": {"region": "in"},
    }
    desired = copy.deepcopy(live)
    desired["roles"][HOSTILE[0]]["subscribeParams"]["subscribeToRoles"] = [HOSTILE[3]]
    desired["roles"][HOSTILE[1]]["permissions"] = {"endRoom": True}
    del desired["roles"][HOSTILE[5]]
    return desired, live


def v2_layers() -> Plan:
    live = {
        **copy.deepcopy(BASE),
        "destinations": {
            "transcriptions": {
                "t": {"name": "t", "role": "teacher", "modes": ["recorded"], "outputModes": ["txt"]}
            }
        },
    }
    desired = copy.deepcopy(live)
    desired["destinations"]["transcriptions"]["t"]["modes"] = ["recorded", "live"]
    desired["destinations"]["transcriptions"]["t"]["outputModes"] = ["txt", "srt"]
    desired["roles"]["student"]["maxPeerCount"] = 100
    return plan_of(desired, live, api="v2")


def outside() -> Plan:
    # The files at the base already said mute: true; live was changed in the dashboard (false);
    # this pull request changes the student's priority.
    live = changed(roles__teacher__permissions={"endRoom": True, "mute": False})
    desired = changed(roles__student__priority=3)
    plan = plan_of(desired, live)
    base = plan_of(BASE, live)
    return origin.tag(plan, base, "origin/main")


CASES = {
    "permissions": lambda: plan_of(
        changed(roles__student__permissions={"endRoom": True, "mute": True})
    ),
    "new-role": lambda: plan_of(
        changed(roles__observer=role(3, [], ["teacher", "student"], mute=False))
    ),
    "deleted-role": lambda: plan_of(changed(roles__student=None, roles__teacher=role(
        1, ["audio", "video", "screen"], [], endRoom=True, mute=True))),
    "subscriptions": lambda: plan_of(
        changed(roles__student=role(2, ["audio"], ["student"], endRoom=False, mute=False))
    ),
    "rename": lambda: plan_of(
        changed(roles__learner={**role(2, ["audio"], ["teacher"]), "renamedFrom": "student"},
                roles__student=None,
                roles__teacher=role(1, ["audio", "video", "screen"], ["learner"], endRoom=True, mute=True))
    ),
    "v2-layers": v2_layers,
    "outside": outside,
    "forty-roles": lambda: plan_of(
        {**many_roles(40), "roles": {**many_roles(40)["roles"], "r00": role(0, ["audio"], ["r05"])}},
        many_roles(40),
    ),
    "hostile": lambda: plan_of(*hostile()),
    # What no picture shows: the region, and a role field outside the matrix.
    "settings-and-caps": lambda: plan_of(
        changed(settings={"region": "us"},
                roles__student={**role(2, ["audio"], ["teacher"], endRoom=False, mute=False),
                                "subscribeParams": {"subscribeToRoles": ["teacher"],
                                                    "maxSubsBitRate": 2000}})
    ),
}  # fmt: skip


def markdown_of(name: str) -> str:
    if name == "drift":  # a drift issue: what changed outside, as pictures
        return drift_markdown(CASES["subscriptions"]())
    return plan_markdown(CASES[name]())


RENDERED = [*CASES, "drift"]


@cache
def rendered() -> dict[str, dict[str, Any]]:
    """Every case's Markdown through markdown-it and Mermaid's parser, in one node run."""
    texts = {name: markdown_of(name) for name in RENDERED}
    done = subprocess.run(
        ["node", str(JS / "render.mjs")], input=json.dumps(list(texts.values())),
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return {
        name: {"markdown": text, **out}
        for (name, text), out in zip(texts.items(), json.loads(done.stdout), strict=True)
    }


needs_renderers = pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "mermaid").is_dir(),
    reason="node and tests/js/node_modules (make test installs them) are needed",
)


@pytest.mark.parametrize("name", RENDERED)
def test_the_markdown_is_as_golden_and_under_the_budget(name: str) -> None:
    text = markdown_of(name)
    assert len(text) < LIMIT
    path = GOLDEN / f"{name}.md"
    if os.environ.get("HMSYNC_GOLDEN") == "update":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name}: differs from {path} (HMSYNC_GOLDEN=update)"


@needs_renderers
@pytest.mark.parametrize("name", RENDERED)
def test_it_renders_and_every_diagram_parses(name: str) -> None:
    out = rendered()[name]
    assert out["mermaid"] == [None] * len(out["mermaid"]), out["mermaid"]
    html = out["html"]
    for tag in ("details", "table", "pre", "code"):
        assert html.count(f"<{tag}") == html.count(f"</{tag}>"), (name, tag)
    assert "<script" not in html  # every name is text, never markup
    assert not re.search(r"^\s*::", out["markdown"], re.M)  # no line a job log would run
    expected = {"subscriptions": 1, "new-role": 1, "deleted-role": 1, "hostile": 1, "drift": 1}
    assert len(out["mermaid"]) == expected.get(name, 0), name


def test_a_change_in_the_matrix_is_old_to_new_and_only_what_the_plan_does() -> None:
    plan = plan_of(changed(roles__student__permissions={"endRoom": True, "mute": False}))
    [t] = plan.changed
    assert matrix_text(matrix(t.live_roles, t.actions)) == (
        "role     audio  video  screen  endRoom  mute  priority\n"
        "student  ✓      ·      ·       ·->✓     ·     2\n"
        "teacher  ✓      ✓      ✓       ✓        ✓     1\n"
    )


def test_forty_roles_are_a_table_not_a_graph() -> None:
    text = plan_markdown(CASES["forty-roles"]())
    assert "```mermaid" not in text
    assert "| <code>r00</code> | ~~<code>r01</code>~~, **+<code>r05</code>** |" in text


def test_a_hostile_name_cannot_leave_its_label() -> None:
    for name in HOSTILE:
        label = mermaid_label(name)
        assert '"' not in label and "`" not in label and "\n" not in label
        assert "#" not in label.replace("#quot;", "").replace("#", "", 0) or "&" not in label
    desired, live = hostile()
    plan = plan_of(desired, live)
    [t] = plan.changed
    text = graph_mermaid(graph(t.live_roles, t.actions))
    assert text.count('"]') == len(HOSTILE)  # each label closes exactly once, at its end


SHOW_ROOM = """\
name: room
roles:
  host:
    priority: 1
    publishParams: {allowed: [audio, video]}
    subscribeParams: {subscribeToRoles: [guest]}
    permissions: {endRoom: true}
  guest:
    priority: 2
    maxPeerCount: 50
    subscribeParams: {subscribeToRoles: [host, guest]}
"""


def test_show_draws_the_files_as_they_are(run: Run, write: Write) -> None:
    write("templates/room.yaml", SHOW_ROOM)
    write("hmsync.yaml", "api: v2\n")
    text = run("show")
    assert (text.code, text.out) == (
        0,
        "template room (templates/room.yaml)\n"
        "  role   audio  video  endRoom  priority  maxPeerCount\n"
        "  guest  ·      ·      ·        2         50\n"
        "  host   ✓      ✓      ✓        1         ·\n"
        "  sees and hears:\n"
        "    guest -> guest, host\n"
        "    host -> guest\n",
    )
    as_json = json.loads(run("show", "--format", "json").out)
    assert as_json["templates"][0]["roles"][1] == {
        "name": "host",
        "publish": ["audio", "video"],
        "permissions": {"endRoom": True},
        "subscribesTo": ["guest"],
        "priority": 1,
    }
    mermaid = run("show", "--format", "mermaid").out
    assert mermaid.startswith('%% room\nflowchart LR\n  r0["guest"]\n  r1["host"]\n')
    markdown = run("show", "--format", "markdown").out
    assert "```mermaid\nflowchart LR" in markdown and "this plan" not in markdown
    if shutil.which("node") and (JS / "node_modules" / "mermaid").is_dir():
        done = subprocess.run(
            ["node", str(JS / "render.mjs")], input=json.dumps([markdown, f"```mermaid\n{mermaid}```"]),
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        assert [r["mermaid"] for r in json.loads(done.stdout)] == [[None], [None]]
    # Offline: no credentials, no API; a template with errors is refused as validate would.
    write("templates/bad.yaml", "name: bad\nroles: {host: {priority: high}}\n")
    refused = run("show")
    assert refused.code == 1
    assert refused.err.startswith("hmsync: 1 error in the template files; fix them first")


def test_a_wide_terminal_shows_the_matrix_in_the_text_plan() -> None:
    from hmsync.render import plan_text

    plan = plan_of(changed(roles__student__permissions={"endRoom": True, "mute": False}))
    wide = plan_text(plan, width=120)
    assert (
        "    who may do what (before->after):\n"
        "    role     audio  video  screen  endRoom  mute  priority\n"
        "    student  ✓      ·      ·       ·->✓     ·     2\n"
    ) in wide
    assert "who may do what" not in plan_text(plan, width=40)  # does not fit: left out
    assert "who may do what" not in plan_text(plan)  # not a terminal


def test_the_readme_shows_a_real_comment() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("````markdown\n", 1)[1].split("````\n", 1)[0]
    assert block == (GOLDEN / "outside.md").read_text()
