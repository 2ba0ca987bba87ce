"""Rooms (v2): the second kind of object. One file per room in the `rooms` folder; identity by
case-insensitive name; the template by its name; no delete (`enabled: false` retires a room);
codes per role as enabled or disabled, never shown. See docs/rooms.md.

The kind's parts: diff.py (the plan entry, pure), calls.py (the HTTP calls), run.py (the
writes), files.py (what the schema cannot say), pictures.py (how rooms are shown).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from ...errors import InputError
from ...files.loader import Document
from ...model import Action, Outcome, TemplatePlan
from ...problems import Problem, meant
from .. import register
from . import pictures
from .calls import RoomCalls, counts
from .diff import (
    FIELDS,
    identity,
    live_fingerprint,
    moved_meanwhile,
    plan_room,
    refresh_edits,
)
from .files import room_problems
from .run import ORDER, run_rooms


class Rooms:
    name: str = "room"
    plural: str = "rooms"
    schema: str = "room"
    apis: tuple[str, ...] = ("v2",)
    actions: tuple[str, ...] = ORDER
    symbols: Mapping[str, str] = pictures.SYMBOLS
    summary_words: Mapping[str, str] = pictures.SUMMARY_WORDS

    def identity(self, name: str) -> str:
        return identity(name)

    def check(self, documents: list[Document], templates: list[Document]) -> list[Problem]:
        return room_problems(documents, templates)

    def read(self, client: Any, documents: list[Document], templates: list[Any]) -> dict[str, Any]:
        """The live rooms the files name (by file name), each with its codes as counts."""
        calls = RoomCalls(client)
        names = {t.get("_id"): t.get("name") for t in templates}

        def one(doc: Document) -> tuple[str, Any]:
            return str(doc.data["name"]), _live_room(calls, str(doc.data["name"]), names)

        if not documents:
            return {}
        workers = max(1, min(getattr(client, "parallelism", 4), len(documents)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return {n: r for n, r in pool.map(one, documents) if r is not None}

    def plan(
        self,
        documents: list[Document],
        live: Mapping[str, Any],
        templates: list[Any],
        template_files: list[Document],
        *,
        hidden: frozenset[str],
        salt: str,
    ) -> tuple[TemplatePlan, ...]:
        by_name = {str(t.get("name")): t for t in templates}
        files = {str(d.data.get("name")): d for d in template_files}
        ids = {str(t.get("_id")): str(t.get("name")) for t in templates}
        # A template the files rename (renamedFrom) is the same template: a room on it
        # stays on it, known live by the old name until the apply renames it.
        for name, doc in files.items():
            old = doc.data.get("renamedFrom")
            if old in by_name:
                ids = {i: name if n == old else n for i, n in ids.items()}
                by_name.setdefault(name, by_name[str(old)])
        out = []
        for doc in documents:
            template = str(doc.data["template"])
            if template not in by_name and template not in files:
                known = sorted({*by_name, *files})
                raise InputError(
                    f"{doc.where(('template',))}: room {doc.data['name']!r} names template "
                    f"{template!r}, which is neither live nor in the template files"
                    f"{meant(template, known)}"
                )
            if template not in files:
                _check_live_roles(doc, by_name[template])
            room = live.get(str(doc.data["name"]))
            entry = plan_room(doc, room, ids, hidden, salt)
            before = pictures.row(room, (room or {}).get("codes")) if room else None
            after = pictures.row(_after(doc.data, room), _after_codes(doc.data, room))
            out.append(_with_pictures(entry, before, after))
        return tuple(out)

    def fingerprints(self, live: Mapping[str, Any], key: str | None) -> dict[str, str]:
        return {f"room:{n}": live_fingerprint(r, key) for n, r in live.items()}

    def run(
        self,
        client: Any,
        entries: list[TemplatePlan],
        documents: list[Document],
        live: Mapping[str, Any],
        progress: Callable[[Action, str, float], None] | None,
        *,
        salt: str,
        hidden: frozenset[str],
    ) -> list[Outcome]:
        # Each write reads what it replaces right before: the plan's read is not needed here.
        return run_rooms(client, entries, documents, salt, hidden, progress)

    def meanwhile(self, before: Any, after: Any, entry: TemplatePlan) -> list[str]:
        return moved_meanwhile(before, after, entry)

    def headline(self, action: Action) -> str:
        return pictures.headline(action)

    def text(self, entries: list[TemplatePlan]) -> list[str]:
        return pictures.text(entries)

    def markdown(self, entries: list[TemplatePlan]) -> str:
        return pictures.markdown(entries)

    def refresh(self, actions: tuple[Action, ...]) -> tuple[list[Any], list[str]]:
        return refresh_edits(actions)

    def rows(self, documents: list[Document]) -> list[dict[str, str]]:
        return [
            {"name": str(d.data["name"]), **pictures.row(_after(d.data, None), d.data.get("codes"))}
            for d in sorted(documents, key=lambda d: identity(str(d.data["name"])))
        ]

    def export(self, client: Any, names: list[str], templates: list[Any]) -> list[Any]:
        """(file name stem, data, variables) of each named live room; a name no room has is
        an error. Secrets become ${HMSYNC_*} placeholders, never values."""
        calls = RoomCalls(client)
        ids = {t.get("_id"): t.get("name") for t in templates}
        out = []
        for name in names:
            room = _live_room(calls, name, ids)
            if room is None:
                raise InputError(f"--room {name}: no live room has that name (enabled or not)")
            out.append(room_file(room))
        return out


def _live_room(calls: RoomCalls, name: str, template_names: Mapping[Any, Any]) -> Any:
    """The live room of that name with its template's name and its codes as counts (None
    for a disabled room, whose codes 100ms refuses), or None."""
    room = calls.find(name)
    if room is not None:
        room["template"] = template_names.get(room.get("template_id"), room.get("template"))
        enabled = room.get("enabled", True) is not False
        room["codes"] = counts(calls.codes(room["id"])) if enabled else None
    return room


def _check_live_roles(doc: Document, template: Mapping[str, Any]) -> None:
    roles = sorted(template.get("roles") or {})
    for role in doc.data.get("codes") or {}:
        if role not in roles:
            raise InputError(
                f"{doc.where_key(('codes', role))}: template {doc.data['template']!r} has no "
                f"role {role!r} live; room codes are per role of the room's template"
                f"{meant(str(role), roles)}"
            )


def _after(data: Mapping[str, Any], room: Mapping[str, Any] | None) -> dict[str, Any]:
    after = dict(room or {})
    after.update({k: data[k] for k in FIELDS if k in data})
    after["template"] = data["template"]
    after["enabled"] = data.get("enabled", True)
    return after


def _after_codes(data: Mapping[str, Any], room: Mapping[str, Any] | None) -> Any:
    if data.get("enabled", True) is False:
        return None
    live = dict((room or {}).get("codes") or {})
    for role, state in (data.get("codes") or {}).items():
        counts_now = live.get(role) or {"enabled": 0, "disabled": 0}
        if state == "enabled" and not counts_now.get("enabled"):
            live[role] = {**counts_now, "enabled": 1}
        elif state == "disabled" and counts_now.get("enabled"):
            live[role] = {
                "enabled": 0,
                "disabled": counts_now["enabled"] + counts_now.get("disabled", 0),
            }
    return live


def _with_pictures(entry: TemplatePlan, before: Any, after: Any) -> TemplatePlan:
    return replace(entry, live_roles={"before": before, "after": after})


def _stem(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "ROOM"


def room_file(room: Mapping[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
    """A live room (as _live_room read it) as a file holds it, fields at their API values;
    secrets as placeholders."""
    stem = _stem(str(room["name"]))
    variables: list[str] = []
    codes = room.get("codes")
    data: dict[str, Any] = {"name": room["name"], "template": room.get("template") or ""}
    if room.get("enabled", True) is False:
        data["enabled"] = False
    for key in FIELDS:
        value = room.get(key)
        if value in (None, "", []) or (
            key == "recording_info" and room.get("recording_source_template")
        ):
            continue
        data[key] = value
    headers = (data.get("webhook") or {}).get("headers")
    if isinstance(headers, dict) and headers:
        named = {}
        for header in headers:
            var = f"HMSYNC_ROOM_{stem}_HEADER_{_stem(header)}"
            named[header] = "${" + var + "}"
            variables.append(var)
        data["webhook"] = {**data["webhook"], "headers": named}
    upload = (data.get("recording_info") or {}).get("upload_info")
    if isinstance(upload, dict) and "credentials" in upload:
        creds = {k: "${" + f"HMSYNC_ROOM_{stem}_{k.upper()}" + "}" for k in ("key", "secret")}
        variables += [f"HMSYNC_ROOM_{stem}_KEY", f"HMSYNC_ROOM_{stem}_SECRET"]
        data["recording_info"] = {
            **data["recording_info"],
            "upload_info": {**upload, "credentials": creds},
        }
    if codes:
        data["codes"] = {
            r: "enabled" if c.get("enabled") else "disabled" for r, c in sorted(codes.items())
        }
    return re.sub(r"[^a-z0-9._-]+", "-", str(room["name"]).lower()), data, variables


ROOMS = register(Rooms())
