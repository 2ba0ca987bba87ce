"""A room file against the live room: the plan entry. Pure: values in, values out.

What is compared (docs/rooms.md):
- the fields the file sets, and only those (a field left out is not managed);
- `region: auto` follows the template's region: it matches whatever region live answers;
- `recording_info` given to a room that follows its template's recording detaches it for good
  (100ms's rule): that is a change of its own (`recording_source_template`);
- storage credentials and webhook header values as keyed hashes, never in clear; where reads
  mask or leave them out they cannot be compared (write-only, said), and are sent only with a
  `recording_info` or `webhook` the plan writes anyway (each is one object to the API);
- `enabled` (default true): a retired room (`enabled: false`) has nothing else managed, since
  100ms refuses a disabled room's codes and may refuse its updates;
- codes per role: `enabled` wants at least one enabled code, `disabled` none; only counts are
  ever held, never a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ...errors import InputError
from ...files.loader import Document
from ...model import ABSENT, Action, Change, TemplatePlan
from ...plan.concealment import SENSITIVE, WRITE_ONLY, secret_hasher, unmasked
from ...plan.diff import changes_between
from ...plan.normalize import fingerprint

FIELDS = (
    *("description", "region", "large_room", "size", "max_duration_seconds", "polls"),
    *("webhook", "recording_info"),
)
# Paths whose leaves are secrets: storage credentials, webhook header values.
SECRET_PARTS = (("recording_info", "upload_info", "credentials"), ("webhook", "headers"))
SETS = frozenset({"polls"})
# The fields a report may show as they are (a webhook and a recording hold secrets).
SHOWN = tuple(f for f in FIELDS if f not in {parts[0] for parts in SECRET_PARTS})


def identity(name: str) -> str:
    """Room names are case-insensitive (the Create page)."""
    return name.casefold()


def _keyed(view: Mapping[str, Any], hashed: Any) -> dict[str, Any]:
    """view with the leaves under SECRET_PARTS as keyed hashes."""
    out = dict(view)
    for parts in SECRET_PARTS:
        secrets = secret_at(out, parts)
        if isinstance(secrets, dict):
            keyed = {k: hashed(v) if isinstance(v, str) else v for k, v in secrets.items()}
            out = _replaced(out, parts, keyed)
    return out


def readable(values: Any) -> bool:
    """Whether secrets read from the API are the real values (not masked, not left out)."""
    return isinstance(values, dict) and bool(values) and all(map(unmasked, values.values()))


def secret_at(view: Mapping[str, Any], parts: tuple[str, ...]) -> Any:
    """What view holds at parts (a secret part's object), or None."""
    node: Any = view
    for part in parts:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _replaced(view: dict[str, Any], parts: tuple[str, ...], value: Any = ABSENT) -> dict[str, Any]:
    """view with the object at parts set to value (ABSENT: removed), the path copied down so
    the file's or live's own data is never changed."""
    out = dict(view)
    node = out
    for part in parts[:-1]:
        node[part] = dict(node[part])
        node = node[part]
    if value is ABSENT:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return out


def _without(view: dict[str, Any], parts: tuple[str, ...]) -> dict[str, Any]:
    """view without the object at parts."""
    return view if secret_at(view, parts) is None else _replaced(view, parts)


UNKNOWN = "(not readable: the room is disabled)"


def codes_state(codes: Mapping[str, Mapping[str, int]] | None, role: str) -> dict[str, int]:
    counts = (codes or {}).get(role) or {}
    return {"enabled": int(counts.get("enabled", 0)), "disabled": int(counts.get("disabled", 0))}


def plan_room(
    doc: Document,
    live: Mapping[str, Any] | None,
    template_names: Mapping[str, str],
    hidden: frozenset[str],
    salt: str,
) -> TemplatePlan:
    """One room file against its live room (None: there is none).

    template_names: live template id -> name. A room whose live template is not the file's is
    a plan error (100ms has no call that moves a room)."""
    data = doc.data
    name = str(data["name"])
    hashed = secret_hasher(salt)
    wanted = {k: data[k] for k in FIELDS if k in data}
    enabled = data.get("enabled", True) is not False
    codes = dict(data.get("codes") or {})
    if live is None:
        additions = _leafwise(changes_between({}, _keyed(wanted, hashed), hidden), hidden)
        actions = [Action("create_room", name, changes=tuple(_sensitive(c) for c in additions))]
        if not enabled:
            actions.append(Action("disable_room", name, changes=(Change("enabled", True, False),)))
        else:
            actions += [
                Action(
                    "enable_codes",
                    name,
                    role,
                    changes=(Change(f"codes.{role}", ABSENT, "enabled"),),
                )
                for role, state in sorted(codes.items())
                if state == "enabled"
            ]
        return TemplatePlan(name, doc.file, None, tuple(actions), kind="room")
    live_template = template_names.get(str(live.get("template_id")), live.get("template") or "")
    if live_template and live_template != data["template"]:
        raise InputError(
            f"{doc.where(('template',))}: room {name!r} is on template {live_template!r} live, "
            f"not {data['template']!r}; 100ms cannot move a room to another template. Set "
            f"`template: {live_template}` back, or give the room a new name to make a new room "
            f"on {data['template']!r} (and retire this one with `enabled: false`)"
        )
    actions = []
    live_enabled = live.get("enabled", True) is not False
    if enabled and not live_enabled:
        actions.append(Action("enable_room", name, changes=(Change("enabled", False, True),)))
    if enabled:
        update = _field_changes(wanted, live, hidden, hashed)
        if update:
            actions.append(Action("update_room", name, changes=update))
        for role, state in sorted(codes.items()):
            # A disabled room's codes are refused (403): not known until it is enabled.
            unknown = live.get("codes") is None
            counts: Any = UNKNOWN if unknown else codes_state(live.get("codes"), role)
            kind = "enable_codes" if state == "enabled" else "disable_codes"
            if unknown or bool(counts["enabled"]) != (state == "enabled"):
                change = Change(f"codes.{role}", counts, state)
                actions.append(Action(kind, name, role, changes=(change,)))
    elif live_enabled:
        actions.append(Action("disable_room", name, changes=(Change("enabled", True, False),)))
    write_only = any(
        secret_at(wanted, p) is not None and not readable(secret_at(live, p)) for p in SECRET_PARTS
    )
    return TemplatePlan(
        name, doc.file, str(live.get("id")), tuple(actions), write_only=write_only, kind="room"
    )


def _field_changes(
    wanted: dict[str, Any], live: Mapping[str, Any], hidden: frozenset[str], hashed: Any
) -> tuple[Change, ...]:
    """The fields the file sets that live holds otherwise."""
    theirs = {k: live[k] for k in wanted if k in live}
    for key in wanted.keys() - live.keys():
        if wanted[key] is False or wanted[key] == []:
            theirs[key] = wanted[key]  # left out of an answer (omitempty): false, or empty
    if wanted.get("region") == "auto" and "region" in theirs:
        theirs["region"] = "auto"  # auto follows the template: any region live answers
    for key in SETS & wanted.keys():
        ours, live_list = wanted[key], theirs.get(key)
        if (
            isinstance(live_list, list)
            and isinstance(ours, list)
            and sorted(map(str, live_list)) == sorted(map(str, ours))
        ):
            theirs[key] = ours  # a set: order is no change
    mine = _keyed(wanted, hashed)
    theirs = _keyed(theirs, hashed)
    unreadable = [
        p
        for p in SECRET_PARTS
        if secret_at(mine, p) is not None and not readable(secret_at(live, p))
    ]
    for parts in unreadable:  # not compared: reads do not tell them
        mine, theirs = _without(mine, parts), _without(theirs, parts)
    changes = _leafwise(changes_between(theirs, mine, hidden), hidden)
    for parts in unreadable:  # sent with the object they belong to, if the plan writes it
        if any(c.path.split(".")[0] == parts[0] for c in changes):
            changes.append(Change(".".join(parts), WRITE_ONLY, WRITE_ONLY, True))
    if "recording_info" in wanted and live.get("recording_source_template"):
        changes.append(Change("recording_source_template", True, False))
    return tuple(_sensitive(c) for c in changes)


def _leafwise(changes: list[Change] | tuple[Change, ...], hidden: frozenset[str]) -> list[Change]:
    """An object one side lacks as one change per leaf, so a secret among its leaves hides
    itself alone (`+ webhook.headers.X-Token: (sensitive value)`), not the whole object."""
    out: list[Change] = []
    for change in changes:
        added = change.old is ABSENT and isinstance(change.new, dict) and change.new
        removed = change.new is ABSENT and isinstance(change.old, dict) and change.old
        if not (added or removed):
            out.append(change)
            continue
        value = change.new if added else change.old
        for key in sorted(value):
            inner = (
                Change(f"{change.path}.{key}", ABSENT, value[key])
                if added
                else Change(f"{change.path}.{key}", value[key], ABSENT)
            )
            split = _leafwise([inner], hidden)
            out += [
                c if c.sensitive or not _concealed(c) else replace(c, sensitive=True) for c in split
            ]
    return out


def _concealed(change: Change) -> bool:
    """Whether a leaf of a concealed object is itself concealed (a keyed hash, or a value from
    ${HMSYNC_*}: `conceal` replaced it before the object was split): then it is sensitive."""
    return any(v == SENSITIVE for v in (change.old, change.new))


def _sensitive(change: Change) -> Change:
    """A change under a secret part shows no value, not even its hash."""
    path = tuple(change.path.split("."))
    if any(path[: len(p)] == p for p in SECRET_PARTS) or any(
        p[: len(path)] == path for p in SECRET_PARTS
    ):
        return Change(change.path, change.old, change.new, True)
    return change


def live_fingerprint(room: Mapping[str, Any], key: str | None) -> str:
    """A digest of a live room as read, its secrets keyed (left out with no key)."""
    hashed = secret_hasher(key) if key else (lambda v: "(sensitive value)")
    return fingerprint(_keyed(dict(room), hashed))


def desired_body(data: Mapping[str, Any], changes: tuple[Change, ...]) -> dict[str, Any]:
    """An update's body: exactly the top-level fields the plan changes, as the file has them
    (an object such as recording_info or webhook is one value to the API)."""
    tops = {c.path.split(".")[0] for c in changes} - {"recording_source_template"}
    if any(c.path == "recording_source_template" for c in changes):
        tops.add("recording_info")
    return {k: data[k] for k in sorted(tops) if k in data}


def moved_meanwhile(before: Any, after: Any, entry: TemplatePlan) -> list[str]:
    """Fields of a room entry did not write that differ between the plan's read and now."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    written = {c.path.split(".")[0] for a in entry.actions for c in a.changes}
    return [
        f"{k}: {before.get(k)!r} -> {after.get(k)!r}"
        for k in SHOWN
        if k not in written and before.get(k) != after.get(k)
    ]


def refresh_edits(actions: tuple[Action, ...]) -> tuple[list[Any], list[str]]:
    """A room's actions as edits that write live's values into its file (export --refresh),
    and what cannot be: a room live does not have, codes a disabled room does not show. A
    secret is never read into a file (its variable stays); detaching follows the file."""
    # Imported here: the refresh reads YAML, which validate's cached start-up never loads.
    from ...problems import split_path
    from ...render.refresh import Edit

    edits, refused = [], []
    for action in actions:
        if action.kind == "create_room":
            refused.append(f"{action.template} does not exist live; remove its file to accept that")
            continue
        for change in action.changes:
            if change.sensitive or change.path == "recording_source_template":
                continue
            value = change.old
            if action.kind in ("enable_codes", "disable_codes"):
                if not isinstance(value, dict):
                    refused.append(f"{change.path}: not readable live (the room is disabled)")
                    continue
                value = "enabled" if value.get("enabled") else "disabled"
            edits.append(Edit(tuple(split_path(change.path)), value))
    return edits, refused
