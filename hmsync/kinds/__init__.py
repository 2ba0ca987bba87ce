"""Kinds of object hmsync manages beyond templates, each a value that declares its parts, as
octoDNS's record types and Terraform's resource types are.

A kind says where its files are (a folder named in hmsync.yaml), its JSON Schema, how names
compare (its identity), what its files must agree on with the templates, how live is read (only
the objects the files name), how a file and live make a plan entry (pure), how an entry is
written (each write on its own read, as for templates), and how entries are shown (text lines,
a Markdown table, the JSON form is the plan's own). The pipeline, apply, drift, export and the
renderers run every registered kind; none of them names one.

Templates are the first kind and keep their own modules (files/, plan/, write/): every stage was
built for them. Rooms (kinds/rooms/) are the second. A third kind is a new package under
kinds/ and one line in MODULES.

This module is vocabulary: it imports nothing of hmsync's stages. The kinds are found by module
name the first time they are asked for (as octoDNS finds providers by class path), so the
stages that run them never import a kind's code, and a kind may use any stage below commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..files.loader import Document
    from ..model import Action, Outcome, TemplatePlan
    from ..problems import Problem

MODULES = ("hmsync.kinds.rooms",)
_REGISTERED: dict[str, Kind] = {}


class Kind(Protocol):
    """What a kind of object declares. `entries` are TemplatePlan values whose `kind` is the
    kind's name (an object plan: name, file, live id, actions)."""

    name: str  # "room"
    plural: str  # "rooms": the hmsync.yaml key of its folder, and the default folder
    schema: str  # its JSON Schema resource, under hmsync/schemas/
    apis: tuple[str, ...]  # the APIs that have it
    actions: tuple[str, ...]  # its action kinds, in the order apply carries them out
    symbols: Mapping[str, str]  # action kind -> + ~ -
    summary_words: Mapping[str, str]  # action kind -> "{n} room{s} to create"

    def identity(self, name: str) -> str:
        """The key two names are the same object by (rooms: case-insensitive)."""
        ...

    def check(self, documents: list[Document], templates: list[Document]) -> list[Problem]:
        """What the schema cannot say: duplicates by identity, secrets only from variables."""
        ...

    def read(self, client: Any, documents: list[Document], templates: list[Any]) -> Any:
        """What live holds of the objects the files name (and only those)."""
        ...

    def plan(
        self,
        documents: list[Document],
        live: Any,
        templates: list[Any],
        template_files: list[Document],
        *,
        hidden: frozenset[str],
        salt: str,
    ) -> tuple[TemplatePlan, ...]:
        """One entry per file, the file against live. Pure."""
        ...

    def fingerprints(self, live: Any, key: str | None) -> dict[str, str]:
        """A digest of each live object as read (secrets keyed): a saved plan's staleness."""
        ...

    def run(
        self,
        client: Any,
        entries: list[TemplatePlan],
        documents: list[Document],
        live: Any,
        progress: Callable[[Action, str, float], None] | None,
        *,
        salt: str,
        hidden: frozenset[str],
    ) -> list[Outcome]:
        """Carry the entries out, each write on its own read; whatever stops one is said."""
        ...

    def meanwhile(self, before: Any, after: Any, entry: TemplatePlan) -> list[str]:
        """What someone else changed between the plan's read and the read after the writes,
        of what entry did not write: said, never set back."""
        ...

    def headline(self, action: Action) -> str:
        """`room allhands will be created`."""
        ...

    def text(self, entries: list[TemplatePlan]) -> list[str]:
        """Lines a text plan adds after the entries (a table of the kind's objects)."""
        ...

    def markdown(self, entries: list[TemplatePlan]) -> str:
        """The review's table of the kind's objects."""
        ...

    def refresh(self, actions: tuple[Action, ...]) -> tuple[list[Any], list[str]]:
        """An entry's actions as edits (render.refresh.Edit) that write live's values into its
        file, and what cannot be written there, said (export --refresh)."""
        ...

    def rows(self, documents: list[Document]) -> list[dict[str, str]]:
        """The files' objects as `show` pictures them: a row of cells each, `name` first."""
        ...

    def export(self, client: Any, names: list[str], templates: list[Any]) -> list[Any]:
        """The named live objects as files hold them: (name, data, variables) each."""
        ...


def register(kind: Kind) -> Kind:
    _REGISTERED[kind.name] = kind
    return kind


def kinds() -> tuple[Kind, ...]:
    """Every kind beyond templates, in MODULES order (apply's order between kinds)."""
    for module in MODULES:
        importlib.import_module(module)
    return tuple(_REGISTERED[k] for k in sorted(_REGISTERED, key=_order))


def plurals() -> tuple[str, ...]:
    """Each kind's plural (its folder's default and its hmsync.yaml key), without importing
    any kind: a project without their folders pays nothing for them at start-up."""
    return tuple(m.rsplit(".", 1)[1] for m in MODULES)


def of_plural(plural: str) -> Kind:
    """The kind whose plural that is ("rooms"), imported now."""
    return next(k for k in kinds() if k.plural == plural)


def _order(name: str) -> int:
    return plurals().index(_REGISTERED[name].plural)


def kind(name: str) -> Kind:
    """The kind of that name ("room"); a KeyError for a name no kind has."""
    kinds()
    return _REGISTERED[name]
