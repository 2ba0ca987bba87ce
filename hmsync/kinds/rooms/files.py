"""What a room file must agree on beyond its schema: one file per room (names compare without
case), secrets only from ${HMSYNC_*} variables, and codes only for roles its template has (where
the template is in the files; a live template is checked by plan)."""

from __future__ import annotations

from collections.abc import Iterator

from ...files.loader import Document
from ...files.semantic import repeated_names, written_literally
from ...problems import Path, Problem, dotted, meant
from .diff import SECRET_PARTS, identity, secret_at


def room_problems(documents: list[Document], templates: list[Document]) -> list[Problem]:
    problems: list[Problem] = [
        Problem(
            doc.where(("name",)),
            "name",
            f"room {doc.data['name']!r} is defined in {first.where(('name',))} already (room "
            "names are case-insensitive); keep one file per room",
        )
        for doc, first in repeated_names(documents, identity)
    ]
    roles = {
        str(t.data.get("name")): set(t.data.get("roles") or {})
        for t in templates
        if isinstance(t.data.get("roles"), dict)
    }
    for doc in documents:
        if isinstance(doc.data.get("name"), str):  # else the schema said so
            problems += _literal_secrets(doc)
            problems += _code_roles(doc, roles)
    return problems


def _literal_secrets(doc: Document) -> Iterator[Problem]:
    for parts in SECRET_PARTS:
        node = secret_at(doc.data, parts)
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
