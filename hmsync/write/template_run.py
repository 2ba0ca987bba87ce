"""One template's actions carried out, each write on a read of what it replaces.

Two rules hold every write to the plan (docs/decisions.md, docs/reliability.md):
- Every write is built on a read of the object it replaces, taken right before it: the whole
  template before the template's first write and before Modify Template (the default flag,
  settings that Update Settings cannot carry); before each later write, the role, the settings,
  the destinations or the recordings it replaces. It sends that read with exactly the plan's
  changes applied (`normalize.patched`); a creation sends what the file says, defaults filled.
- A field the plan changes that such a read shows moved since the plan (a secret too) stops the
  template, named field by field: never overwritten.

Every write is safe to retry: after a failed call, the template is read again, and a write
whose goal the read shows met (its answer was lost, say) is done.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..backends import Backend
from ..errors import ApiError, ConflictError
from ..model import ABSENT, APPLY_ORDER, Action, Change, Plan, TemplatePlan
from ..plan.concealment import masked
from ..plan.diff import diff_template, settings_by_update_call, without_ignored
from ..plan.normalize import (
    CREDENTIALS,
    WRITE_ONLY,
    Json,
    complete,
    complete_role,
    complete_settings,
    credentials_readable,
    get_path,
    patched,
)
from ..problems import split_path
from ..render import action_title

# Which planned actions a re-read shows as still to do, for an action of each kind.
_SAME_GOAL: dict[str, frozenset[str]] = {
    "create_role": frozenset({"create_role", "update_role", "rename_role"}),
    "update_role": frozenset({"create_role", "update_role", "rename_role"}),
    "rename_role": frozenset({"create_role", "update_role", "rename_role"}),
    "delete_role": frozenset({"delete_role"}),
    "update_settings": frozenset({"update_settings"}),
    "update_destinations": frozenset({"update_destinations"}),
    "update_recordings": frozenset({"update_recordings"}),
    "update_plugins": frozenset({"update_plugins"}),
    "set_default": frozenset({"set_default"}),
    "rename_template": frozenset({"rename_template"}),
}


def apply_order(actions: tuple[Action, ...]) -> list[Action]:
    """Role creates and updates first (so subscribed roles exist), renames, settings, the
    default flag, deletes last."""
    return sorted(actions, key=lambda a: (APPLY_ORDER.index(a.kind), a.role or ""))


def create_body(desired: Mapping[str, Any], api: str = "v1") -> Json:
    """A new template: what the file says, documented defaults filled, nothing left to the
    server's own defaults (which the seed shows differ from its documented ones). On v2 also
    destinations, plugins and recordings (which the v2 backend sends by a call of their own)."""
    desired = {k: v for k, v in desired.items() if k != "renamedFrom"}  # hmsync's own key
    if api == "v2":
        return complete(desired, "v2.template")
    body = {
        "name": desired["name"],
        "roles": {n: complete_role(r) for n, r in (desired.get("roles") or {}).items()},
        "settings": complete_settings(desired.get("settings")),
    }
    if "default" in desired:
        body["default"] = desired["default"]
    return body


class TemplateRun:
    """One template's actions in order."""

    def __init__(
        self,
        client: Backend,
        plan: Plan,
        template: TemplatePlan,
        desired: Mapping[str, Any],
        live: Json | None,
    ) -> None:
        self.client = client
        self.api = plan.api
        self.plan = plan
        self.desired = desired
        self.live = live or {}
        self.template_id = template.template_id
        self.remaining = apply_order(template.actions)
        self.notes: list[str] = []
        self.real = self._real_values(live)
        self.fresh = False  # whether self.live is a read taken during this apply
        self.planned = live or {}  # the template as the plan read it
        # Whether a write of this template landed since its objects were last read: the next
        # write reads the object it replaces again first, so it is built on its own read.
        self.written = False

    def _real_values(self, live: Json | None) -> dict[tuple[str, str | None], dict[str, Change]]:
        """The plan's changes with the values it conceals (those from ${HMSYNC_*} variables)
        in clear, by action and path: a write sends the value, never "(sensitive value)"."""
        if live is None or not self.plan.hidden:
            return {}
        actions = self._diff(live, hidden=frozenset())
        return {(a.kind, a.role): {c.path: c for c in a.changes} for a in actions}

    def _changes(self, action: Action) -> tuple[Change, ...]:
        """What a write of action applies: the plan's changes, concealed values in clear.
        (Credentials are never written from a change: see _with_credentials.)"""
        real = self.real.get((action.kind, action.role), {})
        return tuple(real.get(c.path, c) if c.sensitive else c for c in action.changes)

    def run(self, action: Action) -> str:
        """Carry one action out: "ok", or "already done" when a fresh read shows it made."""
        if action.kind != "create_template" and self.template_id:
            if not self.fresh:
                self._three_way()
            elif self.written and self._current(action) is not None:
                self._refresh(self._current(action))  # type: ignore[arg-type]
        current = self._current(action)
        if current is None:
            self.notes.append(f"{action_title(action)}: already as planned; nothing written")
            return "already done"  # someone else made this very change meanwhile
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._write(current)
                break
            except ConflictError:
                raise  # refused before any write: nothing can have landed
            except ApiError as exc:
                if self._landed(current):
                    self.notes.append(
                        f"{action_title(current)}: the call failed ({exc.reason}), "
                        "but a read shows the write took effect"
                    )
                    break
                # A 500 may be passing; the read just showed the goal not met, so the same
                # write again is safe (every write is idempotent).
                if exc.status != 500 or attempt == WRITE_ATTEMPTS:
                    raise
                time.sleep(WRITE_BACKOFF * 2 ** (attempt - 1))
        self.remaining.remove(current)
        self.written = True
        return "ok"

    def _current(self, action: Action) -> Action | None:
        """The plan's action as the fresh read left it (changes already made dropped, a
        rename someone else made now an update), or None when nothing of it is left."""
        if action in self.remaining:
            return action
        for candidate in self.remaining:
            same_role = candidate.role == action.role and _group(candidate) == _group(action)
            if same_role and (candidate.role is not None or candidate.kind == action.kind):
                return candidate
        return None

    def _three_way(self) -> None:
        """A read of the template right before its first write (what others changed elsewhere
        is carried over, never set back). A change the plan makes that is already there is
        dropped; a field the plan changes that someone else changed meanwhile stops the
        template, named field by field (nothing written to it)."""
        fresh = self._read(str(self.template_id))
        self._reconcile(fresh, self.remaining)
        self.remaining = [a for a in self.remaining if a.kind != "create_template"]
        self.fresh = True

    def _refresh(self, action: Action) -> None:
        """The object action's write replaces (a role, the settings, the destinations, the
        recordings), read again right before that write, since an earlier write of this
        template: the write is built on this read, so an edit made meanwhile anywhere is
        carried over, and one to a field the plan changes is a conflict. Whole-template writes
        (Modify Template) read the whole template themselves; a delete replaces nothing."""
        tid = str(self.template_id)
        fresh = dict(self.live)
        if action.kind in ("create_role", "update_role", "rename_role"):
            roles = dict(fresh.get("roles") or {})
            for name in dict.fromkeys([action.old_name or action.role, action.role]):
                role = self._read_role(tid, str(name))
                if role is None:
                    roles.pop(str(name), None)
                else:
                    roles[str(name)] = role
                if action.kind != "rename_role" or role is not None:
                    break  # a rename's new name is read only when the old one is gone
            fresh["roles"] = roles
        elif action.kind == "update_settings" and self._by_settings_call(action):
            fresh["settings"] = self.client.get_settings(tid)
        elif action.kind == "update_destinations":
            fresh["destinations"] = self.client.get_template(tid, recordings=False).get(
                "destinations"
            )
        elif action.kind == "update_recordings":
            fresh["recordings"] = self.client.get_recordings(tid)
        else:
            return
        self._reconcile(fresh, [action])
        self.written = False

    def _by_settings_call(self, action: Action) -> bool:
        """Whether a settings write goes by Update Settings (v2 always; v1 where that call
        carries every change), not by Modify Template (which reads the template itself)."""
        return self.api == "v2" or settings_by_update_call(
            action.changes, self.live.get("settings")
        )

    def _read_role(self, tid: str, name: str) -> Json | None:
        """One role as the API has it now; None where it is not there (404)."""
        try:
            role = self.client.get_role(tid, name)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(role, dict):
            raise ApiError(
                "GET", self.client.template_url(tid), None, f"role {name!r} is not an object"
            )
        return {k: v for k, v in role.items() if k != "name"} | {"name": name}

    def _reconcile(self, fresh: Json, actions: list[Action]) -> None:
        """The plan's actions among `actions`, rebased on fresh (a read of the template, or of
        the one object a write replaces merged into the last read): what live already holds is
        dropped, a field the plan changes that moved since the plan read it is a conflict
        (secrets too, compared in clear in memory, never shown), and self.live becomes fresh."""
        now = {(_group(a), a.role, c.path): c for a in self._still_to_do(fresh) for c in a.changes}
        conflicts: list[str] = []
        rebased: dict[int, Action | None] = {}  # by id of the action it replaces; None: done
        roles = fresh.get("roles") or {}
        for action in actions:
            kept = []
            for change in action.changes:
                current = now.get((_group(action), action.role, change.path))
                if current is None:
                    continue  # live already holds the planned value
                if current.old != change.old or self._secret_moved(action, change, fresh):
                    conflicts.append(_conflict(action, change, current))
                kept.append(change)
            if action.kind == "rename_role" and action.old_name not in roles:
                if action.role not in roles:
                    conflicts.append(
                        f"{action.template}: roles.{action.old_name}: planned to be renamed "
                        f"{action.role}, but it is gone now"
                    )
                # Renamed by someone else meanwhile: what is left is an update.
                update = replace(action, kind="update_role", old_name=None)
                rebased[id(action)] = replace(update, changes=tuple(kept)) if kept else None
            elif kept or not action.changes or action.kind == "rename_role":
                rebased[id(action)] = replace(action, changes=tuple(kept)) if kept else action
            else:
                rebased[id(action)] = None
        if conflicts:  # exit 3, as any template that stops: the others go on
            raise ApiError(
                "GET",
                self.client.template_url(str(self.template_id)),
                None,
                "someone else changed what this plan changes, since it was planned; nothing "
                f"{'more ' if self.fresh else ''}was written to this template, so their change "
                "stands; plan again",
                tuple(conflicts),
            )
        # Each rebased action takes its old place; one whose changes live already holds goes.
        self.remaining = [b for a in self.remaining if (b := rebased.get(id(a), a)) is not None]
        self.live = fresh
        self.real = self._real_values(fresh)

    def _secret_moved(self, action: Action, change: Change, fresh: Json) -> bool:
        """Whether a secret the plan changes differs now from what the plan read (a rotation
        meanwhile). Where reads do not return it (masked, left out), both reads say the same:
        such a rotation cannot be seen (the plan and the report say so)."""
        if not change.sensitive:
            return False
        return bool(_value_at(self.planned, action, change) != _value_at(fresh, action, change))

    def _read(self, template_id: str) -> Json:
        """A fresh read of the template, with v2's recordings only if the file manages them
        (they are a call of their own, and nothing else compares them)."""
        return self.client.get_template(template_id, recordings="recordings" in self.desired)

    def _write(self, action: Action) -> None:
        roles = self.live.get("roles") or {}
        if action.kind == "create_template":
            if self.client.find_template(str(self.desired["name"])) is not None:
                raise ConflictError(
                    "GET",
                    self.client.base_url + "/templates",
                    None,
                    f"template {self.desired['name']!r} exists now, though the plan read none; "
                    "a create would overwrite it, so nothing was written; plan again",
                )
            body = create_body(without_ignored(self.desired, self.plan.ignored), self.api)
            created = self.client.create_template(body)
            self.template_id = created.get("_id") if isinstance(created.get("_id"), str) else None
            if "recordings" in body and self.template_id is not None:
                self.client.update_recordings(self.template_id, body["recordings"])
            return
        tid = str(self.template_id)
        if action.kind == "update_role":
            role = str(action.role)
            self.client.upsert_role(
                tid, role, role_body(roles.get(role), action, self._changes(action))
            )
        elif action.kind == "create_role":
            role = str(action.role)
            body = complete_role((self.desired.get("roles") or {})[role], self.api)
            self.client.upsert_role(tid, role, body)
        elif action.kind == "rename_role":
            old, new = str(action.old_name), str(action.role)
            body = {**role_body(roles.get(old), action, self._changes(action)), "name": new}
            self.client.upsert_role(tid, old, body)
        elif action.kind == "update_settings" and self.api == "v2":
            # v2's Update Settings takes the whole object: live with the plan's changes.
            settings = patched(self.live.get("settings"), self._changes(action))
            self.client.update_settings(tid, self._with_credentials(settings, tid))
        elif action.kind == "update_settings":
            if self._by_settings_call(action):
                settings = patched(self.live.get("settings"), self._changes(action))
                self.client.update_settings(tid, settings)
            else:
                self._modify(tid, action)
        elif action.kind == "update_destinations":
            body = patched(self.live.get("destinations"), self._changes(action))
            self.client.update_destinations(tid, body)
        elif action.kind == "update_recordings":
            live = {"recordings": self.live.get("recordings") or []}
            changes = self._changes(action)
            self.client.update_recordings(tid, patched(live, changes)["recordings"])
        elif action.kind in ("set_default", "update_plugins", "rename_template"):
            self._modify(tid, action)
        elif action.kind == "delete_role":
            self.client.delete_role(tid, str(action.role))

    def _modify(self, tid: str, action: Action) -> None:
        """Modify Template, which replaces roles and settings whole, from a fresh read."""
        fresh = self._read(tid)
        planned = [_without_write_only(a) for a in self.remaining]
        unexpected = [a for a in self._still_to_do(fresh) if _without_write_only(a) not in planned]
        if unexpected:
            raise ApiError(
                "GET",
                self.client.template_url(tid),
                None,
                "the template changed since it was planned "
                f"({', '.join(action_title(a) for a in unexpected)} would now be needed); "
                "a whole-template write would overwrite that, so nothing more was written "
                "to it; plan again",
            )
        prefix = "settings." if action.kind != "update_settings" else ""
        changes = self._changes(action)
        settings = patched(fresh.get("settings"), changes, prefix)
        body: Json = {
            "name": self.desired["name"] if action.kind == "rename_template" else fresh["name"],
            "roles": fresh.get("roles") or {},
            "settings": self._with_credentials(settings, tid),
        }
        if self.api == "v2":
            # Update Template overwrites all fields: every part as read, plugins as planned.
            for key in ("destinations", "plugins"):
                if key in fresh or key in self.desired:
                    body[key] = patched(fresh.get(key), changes, key + ".")
        elif action.kind == "set_default":
            body["default"] = self.desired["default"]
        elif "default" in fresh:
            body["default"] = fresh["default"]
        self.client.modify_template(tid, body)

    def _with_credentials(self, settings: Json, tid: str) -> Json:
        """Credentials in clear where the settings go whole: the file's where it has them
        (the plan shows that they are written); never a masked value read back."""
        upload = get_path(settings, CREDENTIALS[:-1])
        if not isinstance(upload, dict):
            return settings
        wanted = get_path(self.desired.get("settings"), CREDENTIALS)
        if isinstance(wanted, dict):
            upload["credentials"] = dict(wanted)
        elif "credentials" in upload and not credentials_readable(upload["credentials"]):
            raise ApiError(
                "GET",
                self.client.template_url(tid),
                None,
                "the settings must be written whole, but the API does not return the "
                "recording credentials in clear and the file gives none; add "
                "settings.recording.upload.credentials (as ${HMSYNC_...} variables)",
            )
        return settings

    def _still_to_do(self, fresh: Json) -> list[Action]:
        return self._diff(fresh, self.plan.hidden)

    def _diff(self, live: Json, hidden: frozenset[str]) -> list[Action]:
        """The file against a read, as the plan compared them; hidden: what to conceal."""
        plan = self.plan
        actions = diff_template(
            self.desired,
            live,
            plan.secret_salt,
            plan.write_credentials,
            hidden,
            plan.ignored,
            plan.api,
        )
        name, now = str(self.desired["name"]), str(live.get("name"))
        if now != name:  # read under its old name: the rename is still to do
            change = Change("name", now, name)
            actions.insert(0, Action("rename_template", name, old_name=now, changes=(change,)))
        return actions

    def _landed(self, action: Action) -> bool:
        """After a failed write: does a fresh read show its goal met anyway?"""
        try:
            if action.kind == "create_template":
                found = self.client.find_template(str(self.desired["name"]))
                if found is None:
                    return False
                found = self._read(found["_id"])
                if self._still_to_do(found):
                    return False
                self.template_id = found["_id"]
                return True
            if self.template_id is None:
                return False
            fresh = self._read(self.template_id)
        except ApiError:
            return False
        kinds = _SAME_GOAL[action.kind]
        return not any(
            a.kind in kinds and (a.role == action.role or action.role is None)
            for a in self._still_to_do(fresh)
        )


WRITE_ATTEMPTS = 3  # a write answered 500 and shown not done by a read: tried again
WRITE_BACKOFF = 0.5  # seconds before the second try; doubled for the third


def _value_at(template: Json, action: Action, change: Change) -> Any:
    """The value a change is about, in a template as read (ABSENT where there is none)."""
    if action.kind in ("create_role", "update_role", "rename_role", "delete_role"):
        roles = template.get("roles") or {}
        name = action.old_name if action.old_name in roles else action.role
        base: Any = roles.get(str(name))
    elif action.kind in ("update_settings", "update_destinations"):
        base = template.get(action.kind.removeprefix("update_"))
    else:
        base = template
    return get_path(base, split_path(change.path))


def _group(action: Action) -> str:
    """Where an action's changes live: a role's (by name), or the template's own part."""
    return "role" if action.kind in ("create_role", "update_role", "rename_role") else action.kind


def _conflict(action: Action, change: Change, current: Change) -> str:
    where = f"roles.{action.role}." if action.role else ""
    if action.kind == "update_settings":
        where = "settings."

    def shown(value: Any) -> str:
        return "(absent)" if value is ABSENT else json.dumps(masked(value, change.sensitive))

    if change.sensitive:  # no value, not even masked, says anything here
        return (
            f"{action.template}: {where}{change.path}: a secret this plan changes was changed "
            "since it was planned (a rotation?); it is not overwritten"
        )
    return (
        f"{action.template}: {where}{change.path}: planned {shown(change.old)} -> "
        f"{shown(change.new)}, but it is {shown(current.old)} now"
    )


def _without_write_only(action: Action) -> Action:
    """An action without the credential write a whole write adds where reads do not tell the
    credentials: an earlier write of this apply may have made them readable since."""
    return replace(action, changes=tuple(c for c in action.changes if c.old != WRITE_ONLY))


def role_body(live_role: Any, action: Action, changes: tuple[Change, ...] | None = None) -> Json:
    """The live role as read, its `name` left out (a name in the body renames), with the
    action's changes applied and nothing else."""
    body = patched(live_role, action.changes if changes is None else changes)
    body.pop("name", None)
    return body
