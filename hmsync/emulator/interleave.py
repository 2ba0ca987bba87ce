"""A second writer at an exact point of a client's run, so tests place the dashboard inside
apply's window instead of racing the clock.

An interleaving is made once, when its moment comes:
  {"after_request": N, ...}     right after the Nth API request (before the next is handled)
  {"before_write": NAME, ...}   right before the first write to the template named NAME
and it does one edit, as the dashboard would:
  "set": {"roles.host.priority": 3, "settings.region": "eu"}   on template "template"
  "delete_role": ROLE                                            on template "template"
  "create": {template}                                           a new template (by name)
  "set": {"size": 40}, "room": NAME                              on the room NAME (v2)
  "codes": {"host": false}, "room": NAME                         codes of a role: a new one
                                                                 (true), or all disabled
A room's writes are `room:NAME` (lowercase) for before_write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .store import ApiError, Store, copy_json

KEYS = (
    *("after_request", "before_write", "template", "set", "delete_role", "create"),
    *("room", "codes"),
)


@dataclass
class Interleaving:
    after_request: int | None = None
    before_write: str | None = None
    template: str | None = None
    set: dict[str, Any] = field(default_factory=dict)
    delete_role: str | None = None
    create: dict[str, Any] | None = None
    room: str | None = None
    codes: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> Interleaving:
        if not isinstance(data, dict) or set(data) - set(KEYS):
            raise ValueError(f"an interleaving is an object with keys from: {', '.join(KEYS)}")
        made = cls(**data)
        when = [made.after_request is not None, made.before_write is not None]
        edits = [
            bool(made.set),
            made.delete_role is not None,
            made.create is not None,
            bool(made.codes),
        ]
        if sum(when) != 1 or sum(edits) != 1:
            raise ValueError("give one of after_request and before_write, and one edit")
        if made.after_request is not None and (
            not isinstance(made.after_request, int) or made.after_request < 0
        ):
            raise ValueError("after_request: a request count, 0 or more")
        if made.codes and not isinstance(made.room, str):
            raise ValueError("codes needs the room's name in room")
        on_template = (made.set and made.room is None) or made.delete_role is not None
        if on_template and not isinstance(made.template, str):
            raise ValueError("set and delete_role need the template's name in template")
        if made.create is not None and not isinstance(made.create.get("name"), str):
            raise ValueError("create: a template with a name")
        return made

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, {})}


class Interleavings:
    """The pending interleavings of one emulator, and the count of API requests seen."""

    def __init__(self) -> None:
        self.pending: list[Interleaving] = []
        self.requests = 0
        self.lock = threading.Lock()

    def add(self, interleaving: Interleaving) -> None:
        with self.lock:
            self.pending.append(interleaving)

    def clear(self) -> None:
        with self.lock:
            self.pending, self.requests = [], 0

    def before(self, store: Store, write_to: str | None) -> None:
        """Called as each API request begins; write_to: the template a write names, if any."""
        with self.lock:
            seen, self.requests = self.requests, self.requests + 1
            due = [
                i
                for i in self.pending
                if i.after_request == seen or (write_to is not None and i.before_write == write_to)
            ]
            self.pending = [i for i in self.pending if i not in due]
        for interleaving in due:
            edit(store, interleaving)


def edit(store: Store, interleaving: Interleaving) -> None:
    """The dashboard's edit, straight on the store (no token, no fault, not counted)."""
    if interleaving.create is not None:
        store.create_template(copy_json(interleaving.create))
        return
    if interleaving.room is not None:
        _edit_room(store, interleaving)
        return
    with store.lock:
        template = store.by_name(str(interleaving.template))
        if template is None:
            raise ApiError(404, "template not found", [f"no template {interleaving.template!r}"])
        if interleaving.delete_role is not None:
            (template.get("roles") or {}).pop(interleaving.delete_role, None)
        for dotted, value in interleaving.set.items():
            *parents, last = dotted.split(".")
            node = template
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = copy_json(value)
        store.saved(template)


def _edit_room(store: Store, interleaving: Interleaving) -> None:
    from .rooms import Rooms  # the dashboard's room edits are the API's own operations

    rooms = Rooms(store)
    with store.lock:
        room = rooms.by_name(str(interleaving.room))
        if room is None:
            raise ApiError(404, "Room not found", [f"no room {interleaving.room!r}"])
        if interleaving.set:
            rooms.update_room(room["id"], copy_json(interleaving.set))
        for role, enabled in interleaving.codes.items():
            if enabled:
                rooms.create_role_room_code(room["id"], role)
                continue
            for code in list(store.codes.values()):
                if code["room_id"] == room["id"] and code["role"] == role and code["enabled"]:
                    rooms.update_room_code({"code": code["code"], "enabled": False})
