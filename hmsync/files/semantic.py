"""The checks across files and within a template that JSON Schema cannot express: unique names,
one default, renamedFrom, role references, literal credentials. Located problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from ..paths import get_path
from ..problems import Path, Problem, dotted, meant, shorten
from .loader import Document
from .semantic_v2 import v2_problems

CREDENTIALS_PATH: Path = ("settings", "recording", "upload", "credentials")
CREDENTIAL_FIELDS = ("key", "secret")


def semantic_problems(documents: list[Document], api: str = "v1") -> list[Problem]:
    """Checks across files and within a template that JSON Schema cannot express."""
    problems: list[Problem] = [
        Problem(
            doc.where(("name",)),
            "name",
            f"template {shorten(str(doc.data['name']), 60)!r} is also defined at "
            f"{first.where(('name',))}; names must be unique",
        )
        for doc, first in repeated_names(documents)
    ]
    first_default: Document | None = None
    for doc in documents:
        if doc.data.get("default") is True:
            if first_default is not None:
                other = first_default.where(("default",))
                problems.append(
                    Problem(
                        doc.where(("default",)),
                        "default",
                        f"only one template may be the default; {other} already says true",
                    )
                )
            else:
                first_default = doc
        problems.extend(_role_problems(doc))
        problems.extend(_credential_problems(doc))
        if api == "v2":
            problems.extend(v2_problems(doc))
    problems.extend(_renamed_templates(documents))
    return problems


def _renamed_templates(documents: list[Document]) -> Iterator[Problem]:
    """renamedFrom names a live template no file describes, and only one file renames it."""
    names = {d.data["name"]: d for d in documents if isinstance(d.data.get("name"), str)}
    claimed: dict[str, Document] = {}
    for doc in documents:
        old = doc.data.get("renamedFrom")
        if not isinstance(old, str):
            continue
        where = doc.where(("renamedFrom",))
        if old == doc.data.get("name"):
            yield Problem(where, "renamedFrom", "a template cannot be renamed from itself")
        elif old in names:
            other = names[old].where(("name",))
            yield Problem(
                where,
                "renamedFrom",
                f"{shorten(old, 60)!r} is the name of the template at {other}; renamedFrom names "
                "the live template's old name, which no file describes any more",
            )
        elif old in claimed:
            other = claimed[old].where(("renamedFrom",))
            yield Problem(
                where, "renamedFrom", f"{shorten(old, 60)!r} is renamed at {other} already"
            )
        else:
            claimed[old] = doc


def _role_problems(doc: Document) -> Iterator[Problem]:
    roles = doc.data.get("roles")
    if not isinstance(roles, dict):
        return
    renamed_from = Counter(
        r["renamedFrom"]
        for r in roles.values()
        if isinstance(r, dict) and isinstance(r.get("renamedFrom"), str)
    )
    for role_name, role in roles.items():
        if not isinstance(role, dict):
            continue
        old = role.get("renamedFrom")
        path: Path = ("roles", role_name, "renamedFrom")
        if isinstance(old, str):
            if old == role_name:
                yield Problem(doc.where(path), dotted(path), "a role cannot be renamed from itself")
            elif old in roles:
                yield Problem(
                    doc.where(path),
                    dotted(path),
                    f"{shorten(old, 60)!r} is also defined in this file; renamedFrom names a "
                    "role that no longer exists under that name",
                )
            elif renamed_from[old] > 1:
                yield Problem(
                    doc.where(path),
                    dotted(path),
                    f"{shorten(old, 60)!r} is renamed into more than one role",
                )
        subscribe = role.get("subscribeParams")
        targets = subscribe.get("subscribeToRoles") if isinstance(subscribe, dict) else None
        if not isinstance(targets, list):
            continue
        retired = {
            str(r["renamedFrom"]): str(name)
            for name, r in roles.items()
            if isinstance(r, dict) and isinstance(r.get("renamedFrom"), str)
        }
        for i, target in enumerate(targets):
            tpath: Path = ("roles", role_name, "subscribeParams", "subscribeToRoles", i)
            if isinstance(target, str) and target in retired and target not in roles:
                # After the rename no role has that name: the subscription would hear no one.
                new = retired[target]
                yield Problem(
                    doc.where(tpath),
                    dotted(tpath),
                    f"role {shorten(target, 60)!r} is renamed to {shorten(new, 60)!r} in this "
                    f"file (renamedFrom): did you mean {shorten(new, 60)!r}?",
                )
            elif isinstance(target, str) and target not in roles:
                yield Problem(
                    doc.where(tpath),
                    dotted(tpath),
                    f"role {shorten(target, 60)!r} is not defined in this template"
                    + meant(target, roles),
                    "warning",
                )


def repeated_names(
    documents: list[Document], identity: Callable[[str], str] = str
) -> Iterator[tuple[Document, Document]]:
    """Each file whose name (by identity: a room's ignores case) a file before it has, with
    that first file: one file per object."""
    first: dict[str, Document] = {}
    for doc in documents:
        name = doc.data.get("name")
        if isinstance(name, str):
            seen = first.setdefault(identity(name), doc)
            if seen is not doc:
                yield doc, seen


def written_literally(doc: Document, path: Path, value: object) -> bool:
    """A secret's value the file states itself, not from an ${HMSYNC_*} variable (a
    placeholder the loader refused is already an error: not said twice)."""
    return isinstance(value, str) and path not in doc.interpolated and "${" not in value


def _credential_problems(doc: Document) -> Iterator[Problem]:
    base = CREDENTIALS_PATH
    node = get_path(doc.data, base)
    if not isinstance(node, dict):
        return
    for key in CREDENTIAL_FIELDS:
        path = (*base, key)
        value = node.get(key)
        if written_literally(doc, path, value):
            yield Problem(
                doc.where(path),
                dotted(path),
                "credential written literally; use ${HMSYNC_...} so the secret stays out of "
                "the repository",
                "warning",
            )
