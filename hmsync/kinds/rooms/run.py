"""Carrying a room's plan entry out: each write on its own read, as for templates.

Before each write the room (or its codes) is read again, and the write goes only if what the
plan read is still there for what it writes: a field the plan changes that someone else changed
since is a conflict (exit 4), never overwritten; a field the plan does not change is never sent.
A create first asks for the name again: a room made meanwhile is a conflict, since a create of a
taken name may apply its body to that room (one reading of the Create page).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ...errors import ApiError, ConflictError
from ...files.loader import Document
from ...model import Action, Outcome, TemplatePlan
from .calls import RoomCalls, counts
from .diff import FIELDS, codes_state, desired_body, plan_room

ORDER = (
    "create_room",
    "enable_room",
    "update_room",
    "enable_codes",
    "disable_codes",
    "disable_room",
)
Progress = Callable[[Action, str, float], None]
WRITE_ATTEMPTS = 3
WRITE_BACKOFF = 0.2  # seconds before the second try, doubled for the third


class RoomRun:
    """One room's writes, in ORDER."""

    def __init__(
        self,
        calls: RoomCalls,
        entry: TemplatePlan,
        doc: Document,
        salt: str,
        hidden: frozenset[str],
    ) -> None:
        self.calls = calls
        self.entry = entry
        self.doc = doc
        self.salt = salt
        self.hidden = hidden
        self.room_id = entry.template_id

    def _conflict(self, action: Action, what: str) -> ConflictError:
        return ConflictError(
            "POST",
            self.calls.url(f"/rooms/{self.room_id}" if self.room_id else "/rooms"),
            None,
            f"room {self.entry.name}: {what} since it was planned; nothing of it was written",
            hint="run hmsync plan again and review what changed",
        )

    def run(self, action: Action) -> str:
        """One action; a write answered 500 (or not at all) is tried again, up to
        WRITE_ATTEMPTS times: each action reads first and returns when its goal is met, so
        the next try writes only what did not land (as template_run does for templates)."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                getattr(self, action.kind)(action)
                return "ok"
            except ConflictError:
                raise  # refused before any write: nothing can have landed
            except ApiError as exc:
                if exc.status not in (500, None) or attempt == WRITE_ATTEMPTS:
                    raise
                time.sleep(WRITE_BACKOFF * 2 ** (attempt - 1))
        return "ok"

    def create_room(self, action: Action) -> None:
        if self.calls.find(self.entry.name) is not None:
            raise self._conflict(action, "a room of this name was made by someone else")
        template = self.calls.client.find_template(str(self.doc.data["template"]))
        if template is None:
            raise ApiError(
                "POST",
                self.calls.url("/rooms"),
                None,
                f"template {self.doc.data['template']!r} does not exist live",
                hint="create the template first (its file, in the same apply)",
            )
        body = {"name": self.entry.name, "template_id": template["_id"]}
        body.update({k: self.doc.data[k] for k in FIELDS if k in self.doc.data})
        room = self.calls.create(body)
        self.room_id = room["id"]

    def _enabled(self, action: Action, value: bool) -> None:
        assert self.room_id is not None
        now = self.calls.get(self.room_id).get("enabled", True) is not False
        if now == value:
            return  # someone made it so already
        self.calls.update(self.room_id, {"enabled": value})

    def enable_room(self, action: Action) -> None:
        self._enabled(action, True)

    def disable_room(self, action: Action) -> None:
        self._enabled(action, False)

    def update_room(self, action: Action) -> None:
        """The planned fields, only where live still holds what the plan read. The read is
        the room alone, right before the write: one round trip is the only window."""
        assert self.room_id is not None
        fresh = {**self.calls.get(self.room_id), "codes": {}}
        again = plan_room(self.doc, fresh, {}, self.hidden, self.salt)
        now = next((a for a in again.actions if a.kind == "update_room"), None)
        planned = {c.path: c for c in action.changes}
        current = {c.path: c for c in now.changes} if now else {}
        moved = sorted(
            p for p in planned if p in current and current[p].old != planned[p].old
        ) + sorted(p for p in current if p not in planned and _top(p) in {_top(q) for q in planned})
        if moved:
            raise self._conflict(action, f"{', '.join(moved)} changed")
        todo = tuple(c for p, c in planned.items() if p in current)
        if not todo:
            return  # someone made it so already
        assert self.room_id is not None
        self.calls.update(self.room_id, desired_body(self.doc.data, todo))

    def enable_codes(self, action: Action) -> None:
        assert self.room_id is not None and action.role is not None
        state = codes_state(counts(self.calls.codes(self.room_id)), action.role)
        if state["enabled"]:
            return
        old = action.changes[0].old if action.changes else None
        if isinstance(old, dict) and old != state:  # not for a room the plan read disabled
            raise self._conflict(action, f"the codes of role {action.role} changed")
        self.calls.create_code(self.room_id, action.role)

    def disable_codes(self, action: Action) -> None:
        assert self.room_id is not None and action.role is not None
        codes = self.calls.codes(self.room_id) or []
        state = codes_state(counts(codes), action.role)
        if not state["enabled"]:
            return  # none enabled: made so already (by an earlier try, or someone else)
        old = action.changes[0].old
        if isinstance(old, dict) and state != old:  # not for a room the plan read disabled
            raise self._conflict(action, f"the codes of role {action.role} changed")
        for code in codes:
            if code["role"] == action.role and code["enabled"]:
                self.calls.set_code(code["code"], False)


def _top(path: str) -> str:
    return path.split(".", 1)[0]


def run_rooms(
    client: Any,
    entries: list[TemplatePlan],
    documents: list[Document],
    salt: str,
    hidden: frozenset[str],
    progress: Progress | None = None,
) -> list[Outcome]:
    """Every changed room, one after another (rooms are few; each is a handful of calls)."""
    calls = RoomCalls(client)
    by_name = {str(d.data["name"]): d for d in documents}
    outcomes = []
    for entry in entries:
        if not entry.actions:
            continue
        outcome = Outcome(entry.name, kind="room")
        runner = RoomRun(calls, entry, by_name[entry.name], salt, hidden)
        ordered = sorted(entry.actions, key=lambda a: (ORDER.index(a.kind), a.role or ""))
        if entry.write_only:
            outcome.notes.append(
                "the API does not return this room's storage credentials or webhook header "
                "values, so they are written without a look at what is there now"
            )
        for i, action in enumerate(ordered):
            started = time.monotonic()
            try:
                runner.run(action)
            except ApiError as exc:
                outcome.failed, outcome.error = action, exc
                outcome.not_attempted = ordered[i + 1 :]
                if progress:
                    progress(action, "FAILED", time.monotonic() - started)
                break
            outcome.done.append(action)
            if progress:
                progress(action, "ok", time.monotonic() - started)
        outcomes.append(outcome)
    return outcomes
