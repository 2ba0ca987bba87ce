"""What a room file must agree on beyond its schema: one file per room (names compare without
case), secrets only from ${HMSYNC_*} variables, and codes only for roles its template has (where
the template is in the files; a live template is checked by plan)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...files.loader import Document
from ...files.semantic import written_literally
from ...problems import Path, Problem, dotted, meant
from .diff import SECRET_PARTS, identity


def room_problems(documents: list[Document], templates: list[Document]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, Document] = {}
    roles = {
        str(t.data.get("name")): set(t.data.get("roles") or {})
        for t in templates
        if isinstance(t.data.get("roles"), dict)
    }
    for doc in documents:
        name = doc.data.get("name")
        if not isinstance(name, str):
            continue  # the schema said so
        first = seen.setdefault(identity(name), doc)
        if first is not doc:
            problems.append(
                Problem(
                    doc.where(("name",)),
                    "name",
                    f"room {name!r} is defined in {first.where(('name',))} already (room "
                    "names are case-insensitive); keep one file per room",
                )
            )
        problems += _literal_secrets(doc)
        problems += _code_roles(doc, roles)
    return problems


def _literal_secrets(doc: Document) -> Iterator[Problem]:
    for parts in SECRET_PARTS:
        node: Any = doc.data
        for part in parts:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            path: Path = (*parts, key)
            if written_literally(doc, path, value):
                yield Problem(
                    doc.where(path),
                    dotted(path),
                    "a secret written literally; use ${HMSYNC_...} so it stays out of the "
                    "repository",
                )


def _code_roles(doc: Document, roles: dict[str, set[str]]) -> Iterator[Problem]:
    template = doc.data.get("template")
    known = roles.get(str(template))
    codes = doc.data.get("codes")
    if known is None or not isinstance(codes, dict):
        return
    for role in codes:
        if role not in known:
            path: Path = ("codes", role)
            yield Problem(
                doc.where_key(path),
                dotted(path),
                f"template {template!r} has no role {role!r}; room codes are per role of the "
                f"room's template{meant(str(role), sorted(known))}",
            )
