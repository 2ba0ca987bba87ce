"""Carrying a plan out: the only module that writes to the 100ms API."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from .api import Client
from .errors import ApiError
from .model import APPLY_ORDER, Action, Outcome, TemplatePlan
from .normalize import Json, role_body, settings_body

Progress = Callable[[int, int, Action], None]


def apply_order(actions: tuple[Action, ...]) -> list[Action]:
    """Role creates and updates first (so subscribed roles exist), renames, settings, the
    default flag, deletes last."""
    return sorted(actions, key=lambda a: (APPLY_ORDER.index(a.kind), a.role or ""))


def create_body(desired: Mapping[str, Any]) -> Json:
    body: Json = {
        "name": desired["name"],
        "roles": {n: role_body(r) for n, r in (desired.get("roles") or {}).items()},
        "settings": settings_body(desired.get("settings")),
    }
    if "default" in desired:
        body["default"] = desired["default"]
    return body


class _TemplateRun:
    """One template's actions in order, tracking its state as the API answers."""

    def __init__(self, client: Client, desired: Mapping[str, Any], live: Json | None) -> None:
        self.client = client
        self.desired = desired
        self.template_id = live.get("_id") if live else None
        # Entries are replaced as the API answers, never edited in place: a shallow copy will do.
        self.roles: Json = dict(live.get("roles") or {}) if live else {}
        self.settings: Json = dict(live.get("settings") or {}) if live else {}

    def run(self, action: Action) -> None:
        want_roles = self.desired.get("roles") or {}
        if action.kind == "create_template":
            created = self.client.create_template(create_body(self.desired))
            self.template_id = created.get("_id")
            return
        tid = str(self.template_id)
        if action.kind in ("create_role", "update_role"):
            role = str(action.role)
            body = role_body(want_roles[role], self.roles.get(role))
            self.roles[role] = self.client.upsert_role(tid, role, body)
        elif action.kind == "rename_role":
            old, new = str(action.old_name), str(action.role)
            body = {**role_body(want_roles[new], self.roles.get(old)), "name": new}
            self.roles[new] = self.client.upsert_role(tid, old, body)
            self.roles.pop(old, None)
        elif action.kind == "update_settings":
            body = settings_body(self.desired.get("settings"), self.settings)
            self.client.update_settings(tid, body)
            self.settings = body
        elif action.kind == "set_default":
            # Modify Template replaces roles and settings whole: send them as they now stand,
            # so this call changes the default flag and nothing else.
            self.client.modify_template(
                tid,
                {
                    "name": self.desired["name"],
                    "default": self.desired["default"],
                    "roles": self.roles,
                    "settings": self.settings,
                },
            )
        elif action.kind == "delete_role":
            self.client.delete_role(tid, str(action.role))
            self.roles.pop(str(action.role), None)


def apply_templates(
    client: Client,
    templates: list[TemplatePlan],
    desired: Mapping[str, Mapping[str, Any]],
    live: Mapping[str, Json],
    progress: Progress | None = None,
) -> list[Outcome]:
    """Every template's actions, templates in parallel, each template's actions in order.

    A failed call stops its template; the other templates go on.
    """
    total = sum(len(t.actions) for t in templates)
    counter = [0]
    lock = threading.Lock()

    def one(plan: TemplatePlan) -> Outcome:
        outcome = Outcome(plan.name)
        runner = _TemplateRun(client, desired[plan.name], live.get(plan.name))
        ordered = apply_order(plan.actions)
        for i, action in enumerate(ordered):
            try:
                runner.run(action)
            except ApiError as exc:
                outcome.failed, outcome.error = action, exc
                outcome.not_attempted = ordered[i + 1 :]
                break
            outcome.done.append(action)
            if progress:
                with lock:
                    counter[0] += 1
                    progress(counter[0], total, action)
        return outcome

    return list(client.map(one, [t for t in templates if t.actions]))
