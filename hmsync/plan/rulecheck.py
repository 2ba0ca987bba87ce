"""The team's state rules checked on the effective templates and rooms (hmsync.yaml `rules:`;
rules.py reads them): each rule where its `where` selects, its conditions at dotted paths, a
break located in the file. Pure: data in, located problems out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..files.loader import Document
from ..files.schema import Checked as SchemaChecked
from ..model import ABSENT
from ..paths import get_path
from ..problems import Problem, dotted, shorten, split_path
from .rules import Checked, Rule, selected


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
