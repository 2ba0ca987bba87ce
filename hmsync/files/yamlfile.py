"""YAML text into plain values, with a location for every value and ${HMSYNC_*} interpolation.

PyYAML's own loader forgets where values came from and silently keeps the last of two
duplicate keys. Here the document is composed into nodes (which carry marks) and built by
hand, so every mapping key, mapping and list item keeps its file:line:col. loader.py reads the
files; this module, and PyYAML with it, is imported only when a file is parsed (a cached run
needs neither).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..problems import Location, Path, Problem, dotted, shorten

ENV_PREFIX = "HMSYNC_"
# Aliases can expand a small file into a huge tree ("billion laughs"); templates are small.
MAX_NODES = 100_000
MAX_DEPTH = 32  # a template nests 6 deep; far deeper is a mistake or an attack
_PLACEHOLDER = re.compile(r"\$\$|\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VAR_REFERENCE = re.compile(r"\$\{vars\.([A-Za-z_][A-Za-z0-9_]*)\}")
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_STR = "tag:yaml.org,2002:str"
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = (str, int, bool, type(None))  # what needs no integer coercion
_MERGE = "tag:yaml.org,2002:merge"
_INT, _BOOL = "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool"
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
# A tag, once resolved, for each short scalar seen: templates repeat the same keys and values
# thousands of times, and the resolver's regular expressions cost ~40% of a file's parse.
_TAGS: dict[tuple[Any, Any, Any], str] = {}
_MAX_TAGS = 50_000


def variable_names(text: str) -> set[str]:
    """The variables a file's text reads, as interpolation reads them (`$$` is a literal `$`):
    `vars.NAME` (each environment's own) and `HMSYNC_NAME` (a secret a job must be given)."""
    out = set()
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if not name:
            continue
        if _VAR_REFERENCE.fullmatch(match.group(0)) or (
            _ENV_NAME.fullmatch(name) and name.startswith(ENV_PREFIX)
        ):
            out.add(name)
    return out


class _Remembering:
    """A safe loader's tag resolution, remembered. hmsync adds no path resolvers, so a tag
    depends on the node's kind, value and implicitness only."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        key = (kind, value, implicit)
        tag = _TAGS.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[misc]
            if len(_TAGS) < _MAX_TAGS and (value is None or len(value) <= 64):
                _TAGS[key] = tag
        return tag

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass  # path resolvers only: none

    def ascend_resolver(self) -> None:
        pass


_LOADERS: dict[type, type[yaml.SafeLoader]] = {}


def _loader(base: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """The remembering loader on libyaml's parser (or on PyYAML's own, where libyaml is not
    installed, and in the test that tries both)."""
    made = _LOADERS.get(base)
    if made is None:
        made = _LOADERS[base] = type("_Loader", (_Remembering, base), {})
    return made


@dataclass
class Parsed:
    """A file's values, or None if it cannot be read as a template, and what was found."""

    data: dict[str, Any] | None
    problems: list[Problem]
    interpolated: set[Path] = field(default_factory=set)
    unresolved: set[Path] = field(default_factory=set)
    floats: bool = False


def parse(
    name: str,
    text: str,
    environ: Mapping[str, str],
    require_env: bool = True,
    variables: Mapping[str, Any] | None = None,
) -> Parsed:
    builder = _Builder(name, environ, require_env=require_env, variables=variables)
    try:
        root = builder.compose(text)
        if root is None:
            msg = "empty file: expected a template mapping with at least a name"
            return Parsed(None, [Problem(Location(name, 1, 1), "", msg)])
        if not isinstance(root, yaml.MappingNode):
            kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
            msg = f"expected a mapping (name, roles, settings) at the top of the file, found {kind}"
            return Parsed(None, [Problem(builder.loc(root), "", msg)])
        data = builder.build(root, ())
    except _Located as exc:
        return Parsed(None, [exc.problem])
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own limit (PyYAML >= 6.0.4)
            return Parsed(None, [_too_deep(name, text)])
        return Parsed(None, [_unquoted_reference(name, text, exc) or _yaml_problem(name, exc)])
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        )
        msg = f"character U+{char:04X} is not allowed in YAML; remove it"
        return Parsed(None, [Problem(Location(name, line, col), "", msg)])
    except yaml.YAMLError as exc:  # errors without a mark
        return Parsed(
            None, [Problem(Location(name, 1, 1), "", f"not valid YAML: {shorten(str(exc))}")]
        )
    except RecursionError:  # the composer's own recursion, before any depth check of ours
        return Parsed(None, [_too_deep(name, text)])
    return Parsed(data, builder.problems, builder.interpolated, builder.unresolved, builder.floats)


def locate(name: str, text: str) -> tuple[dict[Path, Location], dict[Path, Location]]:
    """Where every value and every key of a file is: (values, keys)."""
    builder = _Builder(name, {}, locate=True)
    root = builder.compose(text)
    if root is not None:
        builder.build(root, ())
    return builder.values, builder.keys


def _too_deep(name: str, text: str) -> Problem:
    """hmsync's depth message at the first collection nested too deep, on every PyYAML.

    PyYAML's own limits differ by version (a RecursionError, or libyaml's "exceeded maximum
    nesting depth" at flow level 1000), so on either, the events of the pure-Python parser
    (a loop, no recursion, no limit) find where MAX_DEPTH was first passed. Its scanner is
    quadratic in open flow brackets, so it reads growing prefixes: the events before the deep
    collection are the same in any prefix that holds it.
    """
    for end in (96, 1024, 8192, len(text)):
        loc = _first_too_deep(name, text[:end])
        if loc is not None or end >= len(text):
            break
    message = f"nested deeper than {MAX_DEPTH} levels; a template is never that deep"
    return Problem(loc or Location(name, 1, 1), "", message)


def _first_too_deep(name: str, text: str) -> Location | None:
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                mark = event.start_mark
                if depth > MAX_DEPTH and mark is not None:
                    return Location(name, mark.line + 1, mark.column + 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # a syntax error past the deep part (or the prefix's end)
    return None


def _unquoted_reference(name: str, text: str, exc: yaml.MarkedYAMLError) -> Problem | None:
    """`{bitRate: ${vars.x}}`: in a flow collection `{` ends a plain scalar, so the parser
    stops at the reference's brace. Say what to write instead of the parser's words."""
    mark = exc.problem_mark
    context = exc.context or ""
    if mark is None or "flow" not in context:
        return None
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    dollar = mark.column - 1
    closing = line.find("}", dollar)
    if dollar < 0 or line[dollar : dollar + 2] != "${" or closing < 0:
        return None
    reference = line[dollar : closing + 1]
    start = dollar  # the plain scalar the reference is part of, as the file has it
    while start > 0 and line[start - 1] not in "[{,":
        if line[start - 1 : start + 1] == ": ":
            break
        start -= 1
    end = closing + 1
    while end < len(line) and line[end] not in ",]}":
        end += 1
    value = line[start:end].strip()
    brackets = "{...}" if "mapping" in context else "[...]"
    msg = f"{reference} inside {brackets} must be quoted: {json.dumps(value)}"
    return Problem(Location(name, mark.line + 1, dollar + 1), "", msg)


def _yaml_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    loc = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
    if exc.context == "expected a single document in the stream":
        msg = "several YAML documents in one file; write one template per file"
    else:
        problem = exc.problem or "not valid YAML"
        msg = f"YAML syntax error: {problem}" + (f" ({exc.context})" if exc.context else "")
    return Problem(loc, "", msg)


class _Located(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _Builder:
    """Turns a composed node tree into plain values.

    With locate=True it records where every value and key is; otherwise only problems get a
    location, taken from the node at hand.
    """

    def __init__(
        self,
        name: str,
        environ: Mapping[str, str],
        locate: bool = False,
        require_env: bool = True,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.environ = environ
        self.require_env = require_env
        self.variables = variables  # the environment's vars; None: no environment chosen
        self.locate = locate
        self.values: dict[Path, Location] = {}
        self.keys: dict[Path, Location] = {}
        self.interpolated: set[Path] = set()
        self.unresolved: set[Path] = set()
        self.problems: list[Problem] = []
        self.count = 0
        self.floats = False  # a float was read, or a variable's value of another kind
        self.depth = 0
        self.open: set[int] = set()  # the ids of the mappings and lists being built
        self.loader: yaml.SafeLoader | None = None

    def compose(self, text: str) -> yaml.Node | None:
        # libyaml's parser when present: the same nodes and marks, ~10x faster.
        self.loader = _loader(_SafeLoader)(text)
        try:
            root: yaml.Node | None = self.loader.get_single_node()
            return root
        finally:
            self.loader.dispose()

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: yaml.Node, path: Path, message: str) -> _Located:
        return _Located(Problem(self.loc(node), dotted(path), message))

    def build(self, node: yaml.Node, path: Path, key_node: yaml.Node | None = None) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, path, f"more than {MAX_NODES} values after expanding aliases")
        if self.locate:
            self.values[path] = self.loc(node)
        if self.depth >= MAX_DEPTH:
            raise self.fail(
                node, (), f"nested deeper than {MAX_DEPTH} levels; a template is never that deep"
            )
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, path)
            if type(value) not in _PLAIN:
                self.floats = True
            return value
        if id(node) in self.open:
            where = key_node if key_node is not None else node
            raise self.fail(where, path, "an alias refers to the node that contains it")
        if node.tag not in _COLLECTION_TAGS:
            raise self.fail(node, path, f"unsupported YAML tag {node.tag}; write plain YAML")
        self.open.add(id(node))
        self.depth += 1
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node, path)
        finally:
            self.depth -= 1
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        seen: dict[Any, yaml.Node] = {}
        merges = False
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                merges = True
                continue
            key = self.key(key_node, path)
            if key in seen:
                # One located problem among the others (the last value stands, as YAML keeps
                # it), not the end of the file's checking: every problem is said at once.
                first = seen[key].start_mark.line + 1
                self.problems.append(
                    Problem(
                        self.loc(key_node),
                        dotted((*path, key)),
                        f"duplicate key {key!r} (first at line {first}); YAML would keep only "
                        "the last one, so remove or rename one of them",
                    )
                )
            seen[key] = key_node
        assert self.loader is not None
        # Merge keys (<<) are expanded by PyYAML itself; own keys override merged ones.
        if merges:
            self.loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, path)
            key_path = (*path, key)
            if self.locate:
                self.keys[key_path] = self.loc(key_node)
            out[key] = self.build(value_node, key_path, key_node)
        return out

    def construct(self, node: yaml.ScalarNode, path: Path) -> Any:
        """A tagged scalar's value; a value its tag cannot hold (`!!int abc`) is located."""
        assert self.loader is not None
        try:
            return self.loader.construct_object(node)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            raise self.fail(
                node, path, f"{shorten(node.value)!r} is not a valid {tag}; fix it or drop the tag"
            ) from None

    def key(self, node: yaml.Node, path: Path) -> str:
        if node.tag == _STR:  # nearly every key: no constructor needed
            # One string object for each distinct key across all files: a thousand templates
            # repeat the same few dozen keys, and each copy would cost ~60 bytes.
            return sys.intern(str(node.value))
        key = self.construct(node, path) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            shown = shorten(node.value) if isinstance(node, yaml.ScalarNode) else "a collection"
            raise self.fail(node, path, f"keys must be strings, found {shown!r}; quote it")
        return key

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag == _STR:  # the resolver has already told strings apart
            value: Any = node.value
        elif node.tag == _INT and node.value.isascii() and node.value.isdigit():
            # Plain decimal digits, as nearly every number in a template; a leading 0 is
            # YAML 1.1's octal (`010` is 8), so those go to the constructor.
            value = (
                int(node.value)
                if node.value[0] != "0" or node.value == "0"
                else self.construct(node, path)
            )
        elif node.tag == _BOOL and node.value.lower() in _BOOLS:
            value = _BOOLS[node.value.lower()]
        else:
            value = self.construct(node, path)
        if isinstance(value, str) and "$" in value:
            value = self.interpolate(value, node, path)
        return value

    def interpolate(self, value: str, node: yaml.Node, path: Path) -> Any:
        whole = _VAR_REFERENCE.fullmatch(value)
        if whole and self.variables is not None and whole.group(1) in self.variables:
            return self.variables[whole.group(1)]  # exactly one reference: the value's own type

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            var = match.group(1)
            problem = None
            if var.startswith("vars."):
                known = self.variables
                if known is None:
                    problem = f"${{{var}}} needs an environment; pick one with --env NAME"
                elif var[5:] in known:
                    found = known[var[5:]]
                    return json.dumps(found) if isinstance(found, bool) else str(found)
                else:
                    defined = ", ".join(sorted(known)) or "none"
                    problem = (
                        f"${{{var}}}: the environment defines no variable {var[5:]!r} "
                        f"(it defines: {defined})"
                    )
                self.problems.append(Problem(self.loc(node), dotted(path), problem))
                self.unresolved.add(path)
                return match.group(0)
            if not _ENV_NAME.fullmatch(var):
                problem = f"${{{var}}} is not a valid environment variable name"
            elif not var.startswith(ENV_PREFIX):
                problem = (
                    f"${{{var}}} is not allowed: only variables whose names start with "
                    f"{ENV_PREFIX} are read from the environment (rename it {ENV_PREFIX}{var})"
                )
            elif var not in self.environ:
                if not self.require_env:
                    # validate checks the file as written: the value is plan's and apply's need.
                    note = (
                        f"{var} is not set; checked as a placeholder (plan and apply need it; "
                        "--require-env makes this an error)"
                    )
                    self.problems.append(Problem(self.loc(node), dotted(path), note, "note"))
                    return match.group(0)
                problem = (
                    f"environment variable {var} is not set; set it (a secret belongs in the "
                    "environment or your CI's secrets, never in the file)"
                )
            if problem:
                self.problems.append(Problem(self.loc(node), dotted(path), problem))
                self.unresolved.add(path)
                return match.group(0)
            self.interpolated.add(path)
            return self.environ[var]

        return _PLACEHOLDER.sub(replace, value)
