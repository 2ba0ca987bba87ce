"""A team's own rules (hmsync.yaml `rules:` and `protect:`): state rules checked on the effective
templates, change rules checked on the plan. Pure: data in, located problems out.

A state rule holds where its `where` selects (templates, roles, environments: names or globs, a
leading ! excludes) and requires, at dotted paths (relative to each role when `roles` is in
`where`, else to the template), a value or a condition: {min, max, in, not_in, present, absent}.
The template it checks is the effective one: overlays and vars applied, documented defaults
filled, so a flag the file leaves out is checked as the `false` the API reads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from ..files.loader import Document
from ..files.schema import Checked as SchemaChecked
from ..model import ABSENT
from ..paths import get_path
from ..problems import Location, Problem, Severity, did_you_mean, dotted, shorten, split_path

CONDITIONS = ("min", "max", "in", "not_in", "present", "absent")


@dataclass(frozen=True)
class Rule:
    id: str
    require: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]  # path, ((kind, value), ...)
    message: str = ""
    templates: tuple[str, ...] = ()
    roles: tuple[str, ...] | None = None  # None: the rule is on templates, not roles
    environments: tuple[str, ...] | None = None
    severity: Severity = "error"
    location: Location = field(default=Location("hmsync.yaml", 1, 1), compare=False)
    # A rule on rooms (where.rooms): their names, and require's paths are a room file's.
    rooms: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Protect:
    roles: tuple[str, ...] = ()
    max_changed_percent: float | None = None
    rooms: tuple[str, ...] = ()  # rooms no plan may change, retire, or touch the codes of


@dataclass
class Checked:
    problems: list[Problem] = field(default_factory=list)
    matched: dict[str, list[str]] = field(default_factory=dict)  # rule id: "template/role"


# -- reading the rules -------------------------------------------------------------------------


def selected(patterns: Sequence[str] | None, name: str) -> bool:
    """No patterns: everything. Else a match of a pattern and of no !pattern."""
    if not patterns:
        return True
    wanted = [p for p in patterns if not p.startswith("!")]
    if any(fnmatchcase(name, p[1:]) for p in patterns if p.startswith("!")):
        return False
    return not wanted or any(fnmatchcase(name, p) for p in wanted)


def _glob_problem(pattern: str) -> str | None:
    body = pattern[1:] if pattern.startswith("!") else pattern
    if not body:
        return "an empty pattern (a ! alone) matches nothing"
    depth = 0
    for ch in body:
        depth += ch == "["
        depth -= ch == "]" and depth > 0
    return "an unclosed [ in the pattern; close it, or write [[] for a literal [" if depth else None


def parse(
    doc: Document, schema_roots: Mapping[str, Any]
) -> tuple[list[Rule], Protect | None, list[Problem]]:
    """The rules and protect of a project file whose shape its JSON Schema already checked;
    every problem located in the project file, with a did-you-mean for a path."""
    data = doc.data
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: dict[str, Location] = {}
    for i, raw in enumerate(data.get("rules") or []):
        at: tuple[str | int, ...] = ("rules", i)
        where = raw.get("where") or {}
        rule_id = str(raw["id"])
        if rule_id in seen:
            problems.append(
                Problem(doc.where((*at, "id")), dotted((*at, "id")),
                        f"rule id {rule_id!r} is used at {seen[rule_id]} already; ids are unique")
            )  # fmt: skip
        seen.setdefault(rule_id, doc.where((*at, "id")))
        on_rooms = "rooms" in where
        if on_rooms and ("templates" in where or "roles" in where):
            path = (*at, "where")
            problems.append(
                Problem(doc.where(path), dotted(path), "a rule is on rooms or on templates and "
                        "roles, not both; make two rules")
            )  # fmt: skip
        for key in ("templates", "roles", "environments", "rooms"):
            for j, pattern in enumerate(where.get(key) or []):
                wrong = _glob_problem(pattern)
                if wrong:
                    path = (*at, "where", key, j)
                    problems.append(Problem(doc.where(path), dotted(path), wrong))
        envs = list(data.get("environments") or {})
        if "environments" in where and not any(selected(where["environments"], e) for e in envs):
            path = (*at, "where", "environments")
            known = ", ".join(envs) or "none"
            problems.append(
                Problem(doc.where(path), dotted(path),
                        f"matches none of the environments this file defines ({known})")
            )  # fmt: skip
        on_roles = "roles" in where
        require = []
        for path, wanted in raw["require"].items():
            located = (*at, "require", path)
            roots = {"room": schema_roots["room"]} if on_rooms else _templates(schema_roots)
            wrong = _path_problem(
                str(path), on_roles and not on_rooms, roots, "a room" if on_rooms else ""
            )
            if wrong:
                problems.append(Problem(doc.where_key(located), dotted(located), wrong))
                continue
            conditions, bad = _conditions(wanted)
            if bad:
                problems.append(Problem(doc.where(located), dotted(located), bad))
                continue
            require.append((str(path), conditions))
        rules.append(
            Rule(
                rule_id,
                tuple(require),
                str(raw.get("message") or ""),
                tuple(where.get("templates") or ()),
                tuple(where["roles"]) if on_roles else None,
                tuple(where["environments"]) if "environments" in where else None,
                "warning" if raw.get("severity") == "warning" else "error",
                doc.where((*at, "id")),
                tuple(where["rooms"]) if on_rooms else None,
            )
        )
    protect = None
    if "protect" in data:
        raw = data["protect"] or {}
        for key in ("roles", "rooms"):
            for j, pattern in enumerate(raw.get(key) or []):
                wrong = _glob_problem(pattern)
                if wrong:
                    path = ("protect", key, j)
                    problems.append(Problem(doc.where(path), dotted(path), wrong))
        protect = Protect(
            tuple(raw.get("roles") or ()),
            raw.get("max_changed_percent"),
            tuple(raw.get("rooms") or ()),
        )
    return rules, protect, problems


def _conditions(wanted: Any) -> tuple[tuple[tuple[str, Any], ...], str]:
    if not isinstance(wanted, dict):
        return (("equals", wanted),), ""
    unknown = [k for k in wanted if k not in CONDITIONS]
    if unknown:
        close = did_you_mean(str(unknown[0]), list(CONDITIONS))
        hint = f"did you mean {close!r}?" if close else f"use {', '.join(CONDITIONS)}"
        return (), f"{shorten(str(unknown[0]), 40)!r} is no condition; {hint}"
    for kind, value in wanted.items():
        if kind in ("min", "max") and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            return (), f"{kind} takes a number, not {json.dumps(value)}"
        if kind in ("in", "not_in") and not isinstance(value, list):
            return (), f"{kind} takes a list of values, not {json.dumps(value)}"
        if kind in ("present", "absent") and value is not True:
            return (), f"{kind} takes true (say the other condition for false)"
    return tuple(wanted.items()), ""


def _templates(roots: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in roots.items() if k in ("v1", "v2")}


def _no_field(
    part: Any, parent: Sequence[Any], known: list[str], on_roles: bool, top: str = ""
) -> str:
    where = dotted(tuple(parent)) or top or ("a role" if on_roles else "a template")
    close = did_you_mean(str(part), known)
    hint = f"did you mean {close!r}?" if close else f"{where} has: {', '.join(known) or 'nothing'}"
    return f"{shorten(str(part), 40)!r} is no field of {where}; {hint}"


def _path_problem(path: str, on_roles: bool, roots: Mapping[str, Any], top: str = "") -> str | None:
    """None if path names a field of a role (on_roles) or a template in either API's schema."""
    parts = split_path(path)
    if not parts or any(p == "" for p in parts):
        return "an empty path; name a field, such as priority or permissions.endRoom"
    best: tuple[int, str] = (-1, "")
    for root in roots.values():
        rule: Any = root
        if on_roles:
            rule = (rule.get("properties", {}).get("roles") or {}).get("additionalProperties")
        for depth, part in enumerate(parts):
            props = rule.get("properties", {}) if isinstance(rule, dict) else {}
            if isinstance(part, str) and part in props:
                rule = props[part]
            elif (
                isinstance(part, str)
                and isinstance(rule, dict)
                and isinstance(rule.get("additionalProperties"), dict)
            ):
                rule = rule["additionalProperties"]
            elif isinstance(part, int) and isinstance(rule, dict) and "items" in rule:
                rule = rule["items"]
            else:
                if depth > best[0]:
                    best = (depth, _no_field(part, parts[:depth], sorted(props), on_roles, top))
                break
        else:
            return None
    return best[1]


# -- checking templates ------------------------------------------------------------------------


def effective(data: Mapping[str, Any], api: str) -> dict[str, Any]:
    """The template as the API will hold it: documented defaults filled."""
    from .normalize import complete, complete_role, complete_settings  # only with rules

    if api == "v2":
        return complete(data, "v2.template")
    roles = data.get("roles") if isinstance(data.get("roles"), dict) else {}
    return {
        **data,
        "roles": {str(n): complete_role(r) for n, r in (roles or {}).items()},
        "settings": complete_settings(data.get("settings")),
    }


def _shown(value: Any) -> str:
    return "not set" if value is ABSENT else shorten(json.dumps(value, sort_keys=True), 80)


def _fails(kind: str, wanted: Any, value: Any) -> bool:
    if kind == "equals":
        return bool(value != wanted)
    if kind == "present":
        return value is ABSENT
    if kind == "absent":
        return value is not ABSENT
    if kind == "in":
        return value not in wanted
    if kind == "not_in":
        return value in wanted
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True  # a bound on a value that is no number: broken
    return bool(value < wanted) if kind == "min" else bool(value > wanted)


def _describe(kind: str, wanted: Any) -> str:
    words = {
        "equals": "must be", "min": "must be at least", "max": "must be at most",
        "in": "must be one of", "not_in": "must not be one of",
    }  # fmt: skip
    if kind in ("present", "absent"):
        return f"must be {'set' if kind == 'present' else 'left out'}"
    return f"{words[kind]} {json.dumps(wanted)}"


def applies(rule: Rule, environment: str | None) -> bool:
    """Whether the rule holds where this environment is (always, without environments)."""
    if rule.environments is None:
        return True
    return environment is not None and selected(rule.environments, environment)


def check(
    rules: Iterable[Rule],
    documents: Iterable[Document],
    environment: str | None,
    api: str,
    rooms: Iterable[Document] = (),
) -> Checked:
    """The rules on the template files, and the room rules on the room files."""
    out = Checked()
    rooms = list(rooms)
    room_files = {id(d) for d in rooms}
    documents = [*documents, *rooms]
    wholes: dict[int, dict[str, Any]] = {}  # each document's effective form, made once
    for rule in rules:
        matched = out.matched.setdefault(rule.id, [])
        if not applies(rule, environment):
            continue
        for doc in documents:
            name = str(doc.data.get("name"))
            on_room = id(doc) in room_files
            if on_room != (rule.rooms is not None):
                continue
            if on_room:
                if selected(rule.rooms, name):
                    matched.append(name)
                    out.problems += _breaks(rule, doc, (), {"enabled": True, **doc.data})
                continue
            if not selected(rule.templates, name):
                continue
            if id(doc) not in wholes:
                wholes[id(doc)] = effective(doc.data, api)
            whole = wholes[id(doc)]
            if rule.roles is None:
                targets: list[tuple[tuple[str, ...], Any]] = [((), whole)]
            else:
                roles = whole.get("roles") or {}
                targets = [
                    (("roles", r), body) for r, body in roles.items() if selected(rule.roles, r)
                ]
            for base, body in targets:
                matched.append(f"{name}/{base[1]}" if base else name)
                out.problems += _breaks(rule, doc, base, body)
    return out


def _breaks(rule: Rule, doc: Document, base: tuple[str, ...], body: Any) -> list[Problem]:
    found = []
    for path, conditions in rule.require:
        parts = split_path(path)
        value = get_path(body, parts)
        for kind, wanted in conditions:
            if not _fails(kind, wanted, value):
                continue
            full = (*base, *parts)
            set_in_file = get_path(doc.data, full) is not ABSENT
            shown = _shown(value) + (
                "" if set_in_file or value is ABSENT else " (not set: the default)"
            )
            why = rule.message or _describe(kind, wanted)
            found.append(
                Problem(
                    doc.where(full),  # the value, or its nearest ancestor the file has
                    dotted(full),
                    f"{shown} breaks rule {rule.id}: {why}",
                    rule.severity,
                    "rule",
                )
            )
            break
    return found


def in_scope(rules: Iterable[Rule], environment: str | None) -> list[Rule]:
    """The rules that apply where this environment is (all of them without environments)."""
    return [r for r in rules if applies(r, environment)]


def unmatched(rules: Iterable[Rule], matched: Mapping[str, list[str]]) -> list[Problem]:
    """A rule that selects nothing anywhere: a typo in a glob must not pass silently."""
    return [
        Problem(
            rule.location,
            "rules",
            f"rule {rule.id} matches no {_target(rule)}; check its where",
            "warning",
            "rule",
        )
        for rule in rules
        if not matched.get(rule.id)
    ]


def _target(rule: Rule) -> str:
    if rule.rooms is not None:
        return "room"
    return "role in any template" if rule.roles is not None else "template in any template"


def retired_names(rules: Iterable[Rule], documents: Iterable[Document]) -> dict[str, list[Problem]]:
    """A rule's `where` naming a role the files retire with renamedFrom: after the rename no
    role has that name, so the rule would guard nothing. An error naming the new one, by rule."""
    retired: dict[str, str] = {}
    for doc in documents:
        for name, role in (doc.data.get("roles") or {}).items():
            if isinstance(role, dict) and isinstance(role.get("renamedFrom"), str):
                retired.setdefault(role["renamedFrom"], str(name))
    out: dict[str, list[Problem]] = {}
    for rule in rules:
        for pattern in rule.roles or ():
            if pattern in retired:
                out.setdefault(rule.id, []).append(Problem(
                    rule.location,
                    "rules",
                    f"rule {rule.id}: role {pattern!r} is renamed to {retired[pattern]!r} "
                    f"(renamedFrom): did you mean {retired[pattern]!r}?",
                    code="rule",
                ))  # fmt: skip
    return out


def with_rules(
    checked: SchemaChecked,
    rules: Sequence[Rule],
    environment: str | None,
    api: str,
    strict: bool = False,
) -> SchemaChecked:
    """The files' check with the team's rules as this environment sees them: only on files
    with no error of their own (theirs come first), and a rule in scope that matches nothing
    said, unless files were left out (then "matches nothing" could be wrong)."""
    if not rules:
        return checked
    broken = {p.location.file for p in checked.errors}
    rooms = [d for d in checked.others.documents.get("room") or [] if d.file not in broken]
    templates = [d for d in checked.documents if d.file not in broken]
    result = check(rules, templates, environment, api, rooms)
    retired = retired_names(in_scope(rules, environment), checked.documents)
    # A rule the rename explains is not also said to match nothing.
    unexplained = [r for r in in_scope(rules, environment) if r.id not in retired]
    found = [*result.problems, *(p for ps in retired.values() for p in ps)] + (
        [] if broken else unmatched(unexplained, result.matched)
    )
    if strict:
        found = [replace(p, severity="error") if p.severity == "warning" else p for p in found]
    problems = sorted(set(checked.problems) | set(found))
    return replace(checked, problems=problems, matched=result.matched)
