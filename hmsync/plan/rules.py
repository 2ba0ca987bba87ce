"""A team's own rules (hmsync.yaml `rules:` and `protect:`), read and checked for their own
mistakes: state rules (checked on the effective templates and rooms by rulecheck.py) and
change rules (checked on the plan by guardrails.py). Pure: data in, located problems out.

A state rule holds where its `where` selects (templates, roles, rooms, environments: names or
globs, a leading ! excludes) and requires, at dotted paths (relative to each role when `roles`
is in `where`, to the room with `rooms`, else to the template), a value or a condition: {min,
max, in, not_in, present, absent}.
The template it checks is the effective one: overlays and vars applied, documented defaults
filled, so a flag the file leaves out is checked as the `false` the API reads."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ..files.loader import Document
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
