"""The import graph of hmsync/: no circle, the backends siblings, and a stage never imports
one above it (files and backends below plan, plan below write and render, commands on top)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hmsync"


def _modules() -> dict[str, Path]:
    found = {}
    for file in PACKAGE.rglob("*.py"):
        parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = file
    return found


def _runtime_nodes(tree: ast.AST, runtime: bool) -> list[ast.AST]:
    """Every node of tree; with runtime, none under `if TYPE_CHECKING:` (a name for a type
    checker only, which runs nothing)."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            typing_only = (
                isinstance(child, ast.If)
                and isinstance(child.test, ast.Name)
                and child.test.id == "TYPE_CHECKING"
            )
            if not (runtime and typing_only):
                stack.append(child)
    return out


def _imports(name: str, file: Path, known: set[str], runtime: bool = False) -> set[str]:
    """The hmsync modules a module imports, at the top or inside a function (a lazy import
    is still a dependency, and a circle through one is still a circle). runtime: leave out
    the imports made for a type checker only."""
    package = name.split(".") if file.name == "__init__.py" else name.split(".")[:-1]
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(file.read_text()), runtime):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return {m for m in out if m in known and m != name}


def graph(runtime: bool = False) -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, file, set(modules), runtime) for name, file in modules.items()}


# The stages, bottom up, and what each may import (its own modules always).
VOCABULARY = {
    *("hmsync", "hmsync.errors", "hmsync.problems", "hmsync.model", "hmsync.paths"),
    *("hmsync.jsontext", "hmsync.redact", "hmsync.release"),
    "hmsync.kinds",  # the registry of kinds: found by module name, it imports none of them
}
PROJECT = {"hmsync.config", "hmsync.gitbase", "hmsync.scaffold"}
MAY_IMPORT = {
    "vocabulary": {"vocabulary"},
    "files": {"vocabulary"},
    "backends": {"vocabulary"},
    "plan": {"vocabulary", "files", "backends"},
    "render": {"vocabulary", "plan"},
    "write": {"vocabulary", "backends", "plan", "render"},
    "project": {"vocabulary", "files", "plan"},
    "emulator": set(),  # written from the API notes: it shares no code with the client
    # A kind (kinds/rooms/) declares its parts on every stage below the commands.
    "kinds": {"vocabulary", "files", "backends", "plan", "render", "write"},
    "commands": {
        *("vocabulary", "files", "backends", "plan", "render", "write", "project", "emulator"),
    },
}


def stage(module: str) -> str:
    if module in VOCABULARY:
        return "vocabulary"
    if module in PROJECT:
        return "project"
    for folder in ("files", "backends", "plan", "render", "write", "emulator", "kinds"):
        if module == f"hmsync.{folder}" or module.startswith(f"hmsync.{folder}."):
            return folder
    return "commands"  # hmsync.commands, the CLI, completion, __main__


def arrows_up(edges: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} -> {b}"
        for a, targets in edges.items()
        for b in targets
        if stage(b) != stage(a) and stage(b) not in MAY_IMPORT[stage(a)]
    )


def test_no_stage_imports_one_above_it() -> None:
    assert arrows_up(graph(runtime=True)) == []


def test_the_stage_check_finds_an_arrow_up() -> None:
    edges = {
        "hmsync.files.loader": {"hmsync.plan.diff", "hmsync.problems"},
        "hmsync.plan.diff": {"hmsync.write.apply"},
        "hmsync.render.plan": {"hmsync.plan.planfile"},
        "hmsync.emulator.store": {"hmsync.plan.normalize"},
    }
    assert arrows_up(edges) == [
        "hmsync.emulator.store -> hmsync.plan.normalize",
        "hmsync.files.loader -> hmsync.plan.diff",
        "hmsync.plan.diff -> hmsync.write.apply",
    ]
    assert stage("hmsync.files") == "files" and stage("hmsync.cli") == "commands"
    assert stage("hmsync.kinds") == "vocabulary" and stage("hmsync.kinds.rooms.diff") == "kinds"


def test_no_stage_imports_a_kind_and_the_registry_imports_none() -> None:
    """The stages run every kind through the registry; none names one, so a new kind is a
    new package under kinds/, not edits across the tree."""
    edges = graph(runtime=False)
    reaching = sorted(
        f"{a} -> {b}"
        for a, targets in edges.items()
        for b in targets
        if b.startswith("hmsync.kinds.") and not a.startswith("hmsync.kinds")
    )
    assert reaching == []
    assert not any(b.startswith("hmsync.kinds.") for b in edges["hmsync.kinds"])


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if not state.get(nxt):
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return []

    for start in sorted(edges):
        if not state.get(start):
            found = visit(start, [start])
            if found:
                return found
    return []


def test_the_import_graph_has_no_circle() -> None:
    assert _cycle(graph()) == []


def test_the_check_finds_a_circle_when_there_is_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_backends_are_siblings_on_one_transport() -> None:
    edges = graph()
    for backend, other in (("v1", "v2"), ("v2", "v1")):
        imports = edges[f"hmsync.backends.{backend}"]
        assert f"hmsync.backends.{other}" not in imports
        assert "hmsync.backends.transport" in imports or "hmsync.backends.shared" in imports
    assert "hmsync.backends.transport" in edges["hmsync.backends.shared"]
    # The transport knows no endpoint and no backend: only its own helpers.
    helpers = {"hmsync.backends.answers", "hmsync.backends.auth", "hmsync.backends.deadline"}
    backends = {m for m in edges["hmsync.backends.transport"] if m.startswith("hmsync.backends")}
    assert backends <= helpers


ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("httpx", "httpcore", "jwt", "deepdiff", "jsonschema", "http.server")


def _loaded_after(*argv: str) -> list[str]:
    """The heavy modules a command imports, in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom hmsync.cli import main\n"
        f"main({list(argv)!r}, {{}})\n"
        f"print(sorted(m for m in sys.modules if m in {HEAVY!r} or m.startswith('hmsync.emulator.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return list(eval(done.stdout.strip().splitlines()[-1]))


def test_start_up_imports_only_what_the_command_needs() -> None:
    """--version and validate load no HTTP client, no emulator, no JWT; the schema
    validator only when a file fails the fast check (examples pass it)."""
    assert _loaded_after("--version") == []
    assert _loaded_after("validate", "--no-cache", "examples/templates") == []


def _as_program(*argv: str) -> list[str]:
    """Run hmsync as its own program (cli.entry) in a fresh interpreter; then say whether the
    cyclic collector is on and which httpx command line `import httpx` found."""
    import subprocess
    import sys

    code = (
        "import gc, sys\nfrom hmsync import cli\n"
        f"sys.argv = ['hmsync', *{list(argv)!r}]\n"
        "code = cli.entry()\nimport httpx\n"
        "print(code, gc.isenabled(), httpx.main.__module__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout.split()[-3:]


def test_the_program_runs_without_the_cyclic_collector_and_httpx_s_command_line() -> None:
    """The collector costs a quarter of a large plan's CPU; httpx's own command
    line (rich, click, pygments) ~50 ms of every start-up. The emulator, which lives long,
    keeps the collector, and so does hmsync called as a library."""
    assert _as_program("validate", "--no-cache", "examples/templates") == ["0", "False", "httpx"]
    assert _as_program("emulator", "--state", "/nonexistent/x.json") == ["1", "True", "httpx"]
    code = "import gc\nfrom hmsync.cli import main\nmain(['validate', '--no-cache', 'examples/templates'], {})\nprint(gc.isenabled())"
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split()[-1] == "True"


def test_a_validate_answered_from_the_cache_loads_no_yaml_parser(tmp_path: Path) -> None:
    """With every file unchanged since the last run, validate neither parses YAML
    nor loads PyYAML (the pre-commit hook's usual case)."""
    import subprocess
    import sys

    (tmp_path / "templates").mkdir()
    for name in ("a", "b"):  # no ${HMSYNC_*}: such a file is never cached
        (tmp_path / "templates" / f"{name}.yaml").write_text(
            f"name: {name}\nroles:\n  host: {{priority: 1}}\n"
        )
    code = (
        "import sys\nfrom hmsync.cli import main\n"
        "import os\ncode = main(['validate', 'templates'], dict(os.environ))\n"
        "print(code, 'yaml' in sys.modules, 'hmsync.files.yamlfile' in sys.modules,\n"
        "      'hmsync.kinds.rooms' in sys.modules)"
    )

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
        )
        return done.stdout.split()[-4:]

    # The first run parses and fills the cache; no rooms folder: the rooms' code never loads.
    assert run() == ["0", "True", "True", "False"]
    assert run() == ["0", "False", "False", "False"]
