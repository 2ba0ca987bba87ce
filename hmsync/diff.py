"""Desired templates vs live ones -> a plan of actions. Pure: values in, values out."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from .model import ABSENT, Action, Change, Plan, TemplatePlan
from .normalize import (
    OPTIONAL_ROLE_FIELDS,
    OPTIONAL_SETTINGS_FIELDS,
    SECRET_PREFIX,
    Json,
    SecretFn,
    comparable,
    complete_role,
    complete_settings,
    fingerprint,
    get_path,
    secret_hasher,
)
from .problems import dotted

HMSYNC_KEYS = frozenset({"renamedFrom"})  # hmsync's own hints, never sent or compared
CREDENTIALS = ("settings", "recording", "upload", "credentials")


def changes_between(old: Json, new: Json) -> tuple[Change, ...]:
    """Field-level changes from old to new, both canonical. Lists change as a whole.

    A plain walk: the canonical form makes it exact, and on the thousands of roles of a large
    account it is ~20x faster than a general-purpose differ (see benchmarks/diff_cpu.py).
    """
    if old == new:  # the cheap check first: most roles match
        return ()
    changes: list[Change] = []
    _walk(old, new, (), changes)
    return tuple(changes)


def _walk(old: Any, new: Any, path: tuple[str, ...], out: list[Change]) -> None:
    # An object that goes from {} to filled (or back) is one change, shown whole.
    if isinstance(old, dict) and isinstance(new, dict) and ((old and new) or not path):
        for key in sorted(old.keys() | new.keys()):
            a, b = old.get(key, ABSENT), new.get(key, ABSENT)
            if a != b:
                _walk(a, b, (*path, key), out)
    else:
        out.append(_change(path, old, new))


def _change(path: tuple[str, ...], old: Any, new: Any) -> Change:
    # Secrets reach a change only as keyed hashes; that is how a change knows it is sensitive.
    sensitive = any(isinstance(v, str) and v.startswith(SECRET_PREFIX) for v in (old, new))
    return Change(dotted(path), old, new, sensitive)


def _leaves(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict) and value:
        out: list[tuple[tuple[str, ...], Any]] = []
        for key in sorted(value):
            out += _leaves(value[key], (*prefix, key))
        return out
    return [(prefix, value)]


def _additions(value: Json) -> tuple[Change, ...]:
    """What a new object sets, as the file says it (defaults are implied, not listed)."""
    return tuple(_change(path, ABSENT, v) for path, v in _leaves(value) if path)


def _without_hints(role: Any) -> Json:
    return {k: v for k, v in role.items() if k not in HMSYNC_KEYS} if isinstance(role, dict) else {}


def _file_view(data: Mapping[str, Any], secret: SecretFn) -> Json:
    """The file's template as written, hints dropped and secrets hashed, to show a creation."""
    view = copy.deepcopy({k: v for k, v in data.items() if k != "name"})
    if isinstance(view.get("roles"), dict):
        view["roles"] = {n: _without_hints(r) for n, r in view["roles"].items()}
    credentials = get_path(view, CREDENTIALS)
    if isinstance(credentials, dict):
        for key, value in credentials.items():
            credentials[key] = secret(value)
    return view


def diff_template(desired: Mapping[str, Any], live: Json | None, salt: str) -> list[Action]:
    """The actions that make one live template (None: absent) match its file."""
    name = str(desired["name"])
    secret = secret_hasher(salt)
    if live is None:
        return [Action("create_template", name, changes=_additions(_file_view(desired, secret)))]
    actions: list[Action] = []
    want_roles: Mapping[str, Any] = desired.get("roles") or {}
    live_roles: Json = live.get("roles") or {}
    claimed: set[str] = set()
    for role_name, role in want_roles.items():
        want = complete_role(role)
        old_name = role.get("renamedFrom") if isinstance(role, dict) else None
        if role_name in live_roles:
            claimed.add(role_name)
            have = comparable(complete_role(live_roles[role_name]), want, OPTIONAL_ROLE_FIELDS)
            changes = changes_between(have, want)
            if changes:
                actions.append(Action("update_role", name, role_name, changes=changes))
        elif old_name in live_roles and old_name not in want_roles:
            claimed.add(old_name)
            have = comparable(complete_role(live_roles[old_name]), want, OPTIONAL_ROLE_FIELDS)
            actions.append(
                Action("rename_role", name, role_name, old_name, changes_between(have, want))
            )
        else:
            actions.append(
                Action("create_role", name, role_name, changes=_additions(_without_hints(role)))
            )
    for role_name in live_roles:
        if role_name not in claimed:
            actions.append(Action("delete_role", name, role_name))
    want_settings = complete_settings(desired.get("settings"), secret)
    have_settings = comparable(
        complete_settings(live.get("settings"), secret), want_settings, OPTIONAL_SETTINGS_FIELDS
    )
    settings_changes = changes_between(have_settings, want_settings)
    if settings_changes:
        actions.append(Action("update_settings", name, changes=settings_changes))
    if "default" in desired and bool(live.get("default")) != desired["default"]:
        change = Change("default", bool(live.get("default")), desired["default"])
        actions.append(Action("set_default", name, changes=(change,)))
    return sorted(actions, key=Action.sort_key)


def secret_hashes(desired: Mapping[str, Any], salt: str) -> tuple[tuple[str, str], ...]:
    """The keyed hashes of a template's secrets, for apply to check the environment again."""
    settings = complete_settings(desired.get("settings"), secret_hasher(salt))
    credentials = settings["recording"].get("upload", {}).get("credentials", {})
    base = "settings.recording.upload.credentials"
    return tuple((f"{base}.{k}", v) for k, v in sorted(credentials.items()))


def make_plan(
    desired: Iterable[tuple[str, Mapping[str, Any]]],
    live: Iterable[Json],
    salt: str,
    files_digest: str = "",
    api_base: str = "",
    managed: Iterable[str] = (),
    files: Iterable[str] = (),
    fingerprints: bool = True,
) -> Plan:
    """desired: (file, template data) pairs, already validated; live: every live template.

    managed: names that files describe beyond `desired` (with --only), so not unmanaged.
    fingerprints: digest each live template read, for a saved plan's staleness check.
    """
    by_name = {t.get("name"): t for t in live}
    templates = []
    wanted: set[str] = set()
    for file, data in desired:
        name = str(data["name"])
        wanted.add(name)
        current = by_name.get(name)
        templates.append(
            TemplatePlan(
                name,
                file,
                current.get("_id") if current else None,
                tuple(diff_template(data, current, salt)),
                secret_hashes(data, salt),
            )
        )
    described = wanted | set(managed)
    unmanaged = tuple(sorted(str(n) for n in by_name if n not in described))
    digests = tuple(
        sorted((str(n), fingerprint(t)) for n, t in by_name.items() if n in wanted)
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
    )


def files_digest(digests: Iterable[tuple[str, str]]) -> str:
    """One digest of every file a plan was made from: (path, sha256 of its bytes) pairs."""
    h = hashlib.sha256()
    for path, digest in sorted(digests):
        h.update(f"{path}\0{digest}\n".encode())
    return "sha256:" + h.hexdigest()
