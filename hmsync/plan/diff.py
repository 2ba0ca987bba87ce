"""Desired templates vs live ones -> a plan of actions. Pure: values in, values out."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..model import ABSENT, Action, ActionKind, Change, Plan, TemplatePlan
from ..problems import dotted, split_path
from ..redact import SECRET_KEYS
from .digests import live_fingerprint
from .normalize import (
    CREDENTIALS,
    HINTS,
    LIST,
    SENSITIVE,
    SET_FIELDS,
    WRITE_ONLY,
    FieldPath,
    Json,
    SecretFn,
    conceal,
    get_path,
    remove_path,
    secret_hasher,
    server_role,
)
from .views import (
    ViewContext,
    credentials_write_only,
    list_views,
    role_views,
    settings_views,
    views,
)

REGION_ONLY = frozenset({"region"})
# (action, the template's key, its definition): v2's parts written by calls of their own.
V2_PARTS: tuple[tuple[ActionKind, str, str], ...] = (
    ("update_destinations", "destinations", "v2.destinations"),
    ("update_recordings", "recordings", LIST + "v2.recordingConfig"),
    ("update_plugins", "plugins", "v2.plugins"),
)


def changes_between(
    old: Json, new: Json, hidden: frozenset[str] = frozenset()
) -> tuple[Change, ...]:
    """Field-level changes from old to new, both views. A set-like list (and a list whose
    length changes) changes as a whole; an ordered one of the same length item by item.

    A plain walk: the views make it exact, and on the thousands of roles of a large
    account it is ~20x faster than a general-purpose differ (see benchmarks/diff_cpu.py).
    """
    if old == new:  # the cheap check first: most roles match
        return ()
    changes: list[Change] = []
    _walk(old, new, (), changes, hidden)
    return tuple(changes)


def _walk(old: Any, new: Any, path: FieldPath, out: list[Change], hidden: frozenset[str]) -> None:
    # Objects on both sides: the fields that differ. An object only one side has: one change.
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            a, b = old.get(key, ABSENT), new.get(key, ABSENT)
            if a != b:
                _walk(a, b, (*path, key), out, hidden)
    elif (
        isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new)
        and not (path and path[-1] in SET_FIELDS)
    ):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                _walk(a, b, (*path, index), out, hidden)
    else:
        out.append(_change(path, old, new, hidden))


def _change(path: FieldPath, old: Any, new: Any, hidden: frozenset[str] = frozenset()) -> Change:
    # Secrets reach a view only as keyed hashes, or as values from ${HMSYNC_*} variables
    # (hidden); a change shows none of them, not even hashed.
    old, old_hidden = conceal(old, hidden)
    new, new_hidden = conceal(new, hidden)
    # A stream key in an RTMP URL, a storage secret: secret by where it is, even when the
    # file writes it literally or only live holds it.
    by_path = any(part in SECRET_KEYS for part in path)
    return Change(dotted(path), old, new, old_hidden or new_hidden or by_path)


def _leaves(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict) and value:
        out: list[tuple[tuple[str, ...], Any]] = []
        for key in sorted(value):
            out += _leaves(value[key], (*prefix, key))
        return out
    return [(prefix, value)]


def _additions(value: Json, hidden: frozenset[str]) -> tuple[Change, ...]:
    """What a new object sets, as the file says it (defaults are implied, not listed)."""
    return tuple(_change(path, ABSENT, v, hidden) for path, v in _leaves(value) if path)


def _without_hints(role: Any) -> Json:
    return {k: v for k, v in role.items() if k not in HINTS} if isinstance(role, dict) else {}


def _file_view(data: Mapping[str, Any], secret: SecretFn) -> Json:
    """The file's template as written, hints dropped and secrets hashed, to show a creation."""
    view = copy.deepcopy({k: v for k, v in data.items() if k != "name"})
    if isinstance(view.get("roles"), dict):
        view["roles"] = {n: _without_hints(r) for n, r in view["roles"].items()}
    credentials = get_path(view, ("settings", *CREDENTIALS))
    if isinstance(credentials, dict):
        for key, value in credentials.items():
            credentials[key] = secret(value)
    return view


def settings_by_update_call(changes: tuple[Change, ...], live_settings: Any) -> bool:
    """Whether Update Settings can carry these changes: it is documented with `region` only,
    and read as "the whole settings object" it would drop anything else, so only when region
    is all that changes and all that live settings hold. Otherwise Modify Template carries them."""
    keys = set(live_settings) if isinstance(live_settings, dict) else set()
    return {c.path for c in changes} <= REGION_ONLY and keys <= REGION_ONLY


def _role_changes(
    live_role: Any,
    file_role: Any,
    hidden: frozenset[str],
    ignored: list[FieldPath],
    api: str = "v1",
) -> tuple[Change, ...]:
    live_view, desired_view = role_views(live_role, file_role, api)
    return changes_between(*_without(live_view, desired_view, ignored), hidden)


def ignored_paths(patterns: Iterable[str], role: str | None) -> list[FieldPath]:
    """The fields hmsync.yaml leaves to the dashboard, within one role (or, role None, within
    the settings): `roles.*.permissions.mute`, `roles.host.priority`, `settings.recording`."""
    out: list[FieldPath] = []
    for pattern in patterns:
        parts = tuple(pattern.split("."))
        if role is not None and parts[0] == "roles" and parts[1] in ("*", role):
            out.append(parts[2:])
        elif role is None and parts[0] == "settings":
            out.append(parts[1:])
    return out


def without_ignored(desired: Mapping[str, Any], ignore: Iterable[str]) -> dict[str, Any]:
    """A template to create, without the fields hmsync.yaml leaves to the dashboard: those
    are the dashboard's from the first write on, as on every later one."""
    ignore = tuple(ignore)
    out = copy.deepcopy(dict(desired))
    if not ignore:
        return out
    for role_name, role in (out.get("roles") or {}).items():
        for path in ignored_paths(ignore, role_name) if isinstance(role, dict) else ():
            remove_path(role, path)
    if isinstance(out.get("settings"), dict):
        for path in ignored_paths(ignore, None):
            remove_path(out["settings"], path)
    return out


def _without(live: Json, desired: Json, paths: list[FieldPath]) -> tuple[Json, Json]:
    """Both views without the ignored fields: they are not compared (and, since a write sends
    live plus the plan's changes, they are carried over as live has them)."""
    for path in paths:
        remove_path(live, path)
        remove_path(desired, path)
    return live, desired


def diff_template(
    desired: Mapping[str, Any],
    live: Json | None,
    salt: str,
    write_credentials: bool = False,
    hidden: frozenset[str] = frozenset(),
    ignore: tuple[str, ...] = (),
    api: str = "v1",
) -> list[Action]:
    """The actions that make one live template (None: absent) match its file.

    hidden: values from ${HMSYNC_*} variables, shown nowhere wherever they land.
    ignore: hmsync.yaml's fields left to the dashboard.
    api: the API version, whose schema says what is compared."""
    name = str(desired["name"])
    secret = secret_hasher(salt)
    if live is None:
        view = _file_view(without_ignored(desired, ignore), secret)
        return [Action("create_template", name, changes=_additions(view, hidden))]
    actions: list[Action] = []
    want_roles: Mapping[str, Any] = desired.get("roles") or {}
    roles = live.get("roles")
    live_roles: Json = roles if isinstance(roles, dict) else {}
    claimed: set[str] = set()
    for role_name, role in want_roles.items():
        old_name = role.get("renamedFrom") if isinstance(role, dict) else None
        if role_name in live_roles:
            claimed.add(role_name)
            changes = _role_changes(
                live_roles[role_name], role, hidden, ignored_paths(ignore, role_name), api
            )
            if changes:
                actions.append(Action("update_role", name, role_name, changes=changes))
        elif old_name in live_roles and old_name not in want_roles:
            claimed.add(old_name)
            changes = _role_changes(
                live_roles[old_name], role, hidden, ignored_paths(ignore, role_name), api
            )
            actions.append(Action("rename_role", name, role_name, old_name, changes))
        else:
            actions.append(
                Action(
                    "create_role", name, role_name, changes=_additions(_without_hints(role), hidden)
                )
            )
    for role_name in live_roles:
        if role_name not in claimed and not server_role(role_name):
            actions.append(Action("delete_role", name, role_name))
    ctx = ViewContext(secret, write_credentials)
    settings_live, settings_desired = settings_views(
        live.get("settings"), desired.get("settings"), ctx, api
    )
    settings_changes = changes_between(
        *_without(settings_live, settings_desired, ignored_paths(ignore, None)), hidden
    )
    whole_writes = 0
    if settings_changes:
        # v2's Update Settings takes the whole object; v1's only region (see the function).
        whole = api == "v2" or not settings_by_update_call(settings_changes, live.get("settings"))
        whole_writes += whole
        actions.append(Action("update_settings", name, changes=settings_changes))
    if api == "v2":
        parts = _v2_parts(desired, live, hidden)
        whole_writes += any(a.kind == "update_plugins" for a in parts)
        actions += parts
    if "default" in desired and bool(live.get("default")) != desired["default"]:
        whole_writes += 1
        change = Change("default", bool(live.get("default")), desired["default"])
        actions.append(Action("set_default", name, changes=(change,)))
    if whole_writes and credentials_write_only(desired.get("settings"), live.get("settings")):
        actions = [_with_credentials_written(a) for a in actions]
    return sorted(actions, key=Action.sort_key)


def _v2_parts(desired: Mapping[str, Any], live: Json, hidden: frozenset[str]) -> list[Action]:
    """v2's destinations, recordings and plugins: each compared only when the file has it,
    each written whole by one call (plugins by Update Template)."""
    name = str(desired["name"])
    actions = []
    for kind, key, definition in V2_PARTS:
        if key not in desired:
            continue
        lv: Any
        dv: Any
        if definition.startswith(LIST):
            lv, dv = list_views(live.get(key), desired[key], definition[len(LIST) :])
        else:
            lv, dv = views(live.get(key), desired[key], definition)
        # Paths within what the call writes: the destinations object itself; recordings and
        # plugins from the template (recordings[0].maxDuration; plugins go by Update Template).
        if kind != "update_destinations":
            lv, dv = {key: lv}, {key: dv}
        changes = changes_between(lv, dv, hidden)
        if changes:
            actions.append(Action(kind, name, changes=changes))
    return actions


def _with_credentials_written(action: Action) -> Action:
    """A write through Modify Template (v2: Update Settings, Update Template) replaces the
    settings whole, so it must send the credentials, which reads do not tell: from the file.
    The plan shows that it does."""
    if action.kind == "update_settings":
        path = dotted(CREDENTIALS)
    elif action.kind in ("set_default", "update_plugins"):
        path = dotted(("settings", *CREDENTIALS))
    else:
        return action
    if any(c.path.startswith(path) for c in action.changes):
        return action
    written = Change(path, WRITE_ONLY, SENSITIVE, sensitive=True)
    return replace(action, changes=(*action.changes, written))


def secret_hashes(desired: Mapping[str, Any], key: str | None) -> tuple[tuple[str, str], ...]:
    """The keyed hashes of a template's secrets, for apply to check the environment again;
    none without a key (see plan_key)."""
    credentials = get_path(desired, ("settings", *CREDENTIALS))
    if not isinstance(credentials, dict) or key is None:
        return ()
    secret = secret_hasher(key)
    base = dotted(("settings", *CREDENTIALS))
    return tuple((f"{base}.{k}", secret(str(v))) for k, v in sorted(credentials.items()))


def make_plan(
    desired: Iterable[tuple[str, Mapping[str, Any]]],
    live: Iterable[Json],
    salt: str,
    files_digest: str = "",
    api_base: str = "",
    managed: Iterable[str] = (),
    files: Iterable[str] = (),
    fingerprints: bool = True,
    write_credentials: bool = False,
    hidden: frozenset[str] = frozenset(),
    ignore: tuple[str, ...] = (),
    environment: str | None = None,
    api: str = "v1",
    hash_key: str | None = None,
) -> Plan:
    """desired: (file, template data) pairs, already validated; live: every live template.

    hash_key: the key of the saved plan's credential hashes and fingerprints (plan_key).

    managed: names that files describe beyond `desired` (with --only), so not unmanaged.
    fingerprints: digest each live template read, for a saved plan's staleness check.
    write_credentials: write credentials even where reads do not tell them (after a rotation).
    """
    by_name = {t.get("name"): t for t in live}
    templates = []
    wanted: set[str] = set()
    desired = list(desired)
    described_names = {str(d["name"]) for _, d in desired} | set(managed)
    renamed: set[str] = set()  # live names a file renames (renamedFrom)
    for file, data in desired:
        name = str(data["name"])
        wanted.add(name)
        current = by_name.get(name)
        old = data.get("renamedFrom")
        data = {k: v for k, v in data.items() if k != "renamedFrom"}
        rename: tuple[Action, ...] = ()
        found_old = isinstance(old, str) and old in by_name and old not in described_names
        if current is None and found_old:
            current = by_name[old]
            renamed.add(str(old))
            change = Change("name", old, name)
            rename = (Action("rename_template", name, old_name=old, changes=(change,)),)
        found = diff_template(data, current, salt, write_credentials, hidden, ignore, api)
        actions = rename + tuple(found)
        templates.append(
            TemplatePlan(
                name,
                file,
                current.get("_id") if current else None,
                actions,
                secret_hashes(data, hash_key),
                current is not None
                and not write_credentials
                and credentials_write_only(data.get("settings"), current.get("settings")),
                (current or {}).get("roles") or {},
                _defaulted(data, actions),
            )
        )
    described = wanted | set(managed) | renamed
    unmanaged = tuple(sorted(str(n) for n in by_name if n not in described))
    read = wanted | renamed
    digests = tuple(
        sorted((str(n), live_fingerprint(t, hash_key)) for n, t in by_name.items() if n in read)
        if fingerprints
        else ()
    )
    return Plan(
        tuple(sorted(templates, key=lambda t: t.name)),
        unmanaged,
        digests,
        files_digest,
        salt,
        api_base,
        tuple(files),
        write_credentials,
        hidden=hidden,
        environment=environment,
        ignored=tuple(ignore),
        api=api,
    )


def _defaulted(data: Mapping[str, Any], actions: Iterable[Action]) -> frozenset[tuple[str, str]]:
    """The changes whose new value is a documented default the file leaves out."""
    out = set()
    for action in actions:
        if action.kind == "update_role":
            base = get_path(data, ("roles", str(action.role)))
        elif action.kind == "update_settings":
            base = data.get("settings")
        else:
            continue
        for change in action.changes:
            if change.new is not ABSENT and get_path(base, split_path(change.path)) is ABSENT:
                out.add((action.role or "", change.path))
    return frozenset(out)
