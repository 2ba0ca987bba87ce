"""Frozen value types: the changes a plan shows and the actions apply carries out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .errors import ApiError

# Listed in the order apply carries a template's actions out in: roles first (so subscribed
# roles exist), renames, settings, v2's destinations, recordings and plugins, the default
# flag, and deletes last.
ActionKind = Literal[
    "create_template",
    "rename_template",  # a template whose file says renamedFrom: OLD (a whole-template write)
    "create_role",
    "update_role",
    "rename_role",
    "update_settings",
    # v2: after the roles they name exist, before any is deleted
    "update_destinations",
    "update_recordings",
    "update_plugins",
    "set_default",
    "delete_role",
]
APPLY_ORDER: tuple[ActionKind, ...] = get_args(ActionKind)
# The order a plan shows them in: deletes first, so nobody misses one.
SHOW_ORDER: tuple[ActionKind, ...] = ("delete_role", *APPLY_ORDER[:-1])
FORMAT_VERSION = 1


class Absent:
    """A field that is not set on one side of a change."""

    def __repr__(self) -> str:
        return "(not set)"


ABSENT: Any = Absent()


@dataclass(frozen=True)
class Change:
    path: str
    old: Any = ABSENT
    new: Any = ABSENT
    sensitive: bool = False


@dataclass(frozen=True)
class Action:
    kind: str  # an ActionKind for templates; another kind's own (hmsync.kinds)
    template: str  # the name of the object it acts on: a template's, or a room's
    role: str | None = None
    old_name: str | None = None  # rename_role: the live role's current name
    changes: tuple[Change, ...] = ()

    def sort_key(self) -> tuple[int, str]:
        order = SHOW_ORDER.index(self.kind) if self.kind in SHOW_ORDER else len(SHOW_ORDER)
        return order, self.role or ""


@dataclass(frozen=True)
class TemplatePlan:
    """What a plan does to one template the files describe; with another `kind` (a room), to
    one object of that kind (template_id: its live id)."""

    name: str
    file: str
    template_id: str | None  # None: the template does not exist yet
    actions: tuple[Action, ...] = ()
    secret_hashes: tuple[tuple[str, str], ...] = ()  # (path, keyed hash) of desired secrets
    write_only: bool = False  # reads do not tell the credentials: not compared, not written
    # The live roles as read, for the review pictures; in memory only (not in a plan file).
    live_roles: Any = field(default=None, compare=False, repr=False)
    # (role or "", path) of changes whose new value is a default the file leaves out.
    defaulted: frozenset[tuple[str, str]] = field(default=frozenset(), compare=False, repr=False)
    kind: str = "template"


@dataclass(frozen=True)
class Plan:
    templates: tuple[TemplatePlan, ...]
    unmanaged: tuple[str, ...] = ()
    fingerprints: tuple[tuple[str, str], ...] = ()  # (template name, digest) of every live read
    files_digest: str = ""
    secret_salt: str = ""
    api_base: str = ""
    files: tuple[str, ...] = ()  # every file the plan was made from
    write_credentials: bool = False  # credentials written even where reads do not tell them
    allow_out_of_range: bool = False  # made with --allow-out-of-range
    environment: str | None = None  # hmsync.yaml's environment it was made for
    ignored: tuple[str, ...] = ()  # fields left to the dashboard (hmsync.yaml ignore)
    api: str = "v1"  # the API version (backend) it was made for
    # plan --base-ref: the ref, and the changes that set back changes made outside hmsync
    base_ref: str | None = None
    outside: tuple[tuple[str, str, str, str], ...] = ()
    # The guardrails (hmsync.yaml's rules, protect, ignore) the plan was checked with, as the
    # project file wrote them, and what the change does to them (said first, in every format).
    guardrails: Mapping[str, Any] = field(default_factory=dict)
    guardrails_changed: tuple[str, ...] = ()
    # Live roles in every template the files describe (not only those --only selects): what
    # protect.max_changed_percent measures a plan against. 0: unknown, count the plan's own.
    managed_roles: int = 0
    # Values from ${HMSYNC_*} variables, concealed in every change; in memory only.
    hidden: frozenset[str] = field(default=frozenset(), repr=False)
    # The entries of every other kind (hmsync.kinds): rooms, in the files' order.
    others: tuple[TemplatePlan, ...] = ()

    @property
    def entries(self) -> tuple[TemplatePlan, ...]:
        """Every object the plan covers, templates first."""
        return self.templates + self.others

    @property
    def actions(self) -> list[Action]:
        return [a for t in self.entries for a in t.actions]

    def of_kind(self, kind: str) -> list[TemplatePlan]:
        return [t for t in self.others if t.kind == kind]

    def live_name(self, template: TemplatePlan) -> str:
        """The template's name as live has it now: the old one while a rename is planned."""
        for action in template.actions:
            if action.kind == "rename_template":
                return str(action.old_name)
        return template.name

    @property
    def changed(self) -> list[TemplatePlan]:
        return [t for t in self.templates if t.actions]


@dataclass
class Others:
    """The kinds beyond templates (hmsync.kinds) a command works on: their files (Documents)
    and what live holds of the objects those files name, by the kind's name ("room")."""

    documents: dict[str, list[Any]] = field(default_factory=dict)
    live: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.documents.values())


@dataclass
class Outcome:
    """What happened to one template's actions."""

    template: str
    done: list[Action] = field(default_factory=list)
    failed: Action | None = None
    error: ApiError | None = None
    not_attempted: list[Action] = field(default_factory=list)
    not_converged: list[Action] = field(default_factory=list)  # what a re-plan still finds
    notes: list[str] = field(default_factory=list)  # e.g. a write confirmed by a re-read
    unverified: str = ""  # why the read-back after the writes could not be made
    base: dict[str, Any] | None = None  # the template as the plan read it, if it existed
    meanwhile: list[str] = field(default_factory=list)  # what someone else changed meanwhile
    kind: str = "template"  # or another kind's name (hmsync.kinds): a room's outcome
