"""The policy v1 API's routes over the store (store.py holds its operations)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from .rules import undocumented_names
from .store import ApiError, Store

PREFIX = "/policy/v1"
WRITE_ROUTES = (
    "create_template",
    "modify_template",
    "upsert_role",
    "delete_role",
    "update_settings",
)


def handle(
    store: Store, route: str, params: list[str], query: dict[str, str], body: Any
) -> tuple[int, Any]:
    """Carry out one policy v1 call: its status and answer."""
    if store.readings.names == "strict" and route in ("create_template", "modify_template"):
        store.problems(undocumented_names(body, "v1", "body"))
    if store.readings.names == "strict" and route == "update_settings":
        store.problems(undocumented_names(body, "v1"))
    if route == "get_templates":
        return 200, store.list_templates(query)
    if route == "create_template":
        return 200, store.create_template(body)
    if route == "modify_template":
        return 200, store.modify_template(query["id"], body)
    if route == "upsert_role":
        return 200, store.upsert_role(params[0], params[1], body)
    if route == "get_role":
        return 200, store.get_role(params[0], params[1])
    if route == "delete_role":
        store.delete_role(params[0], params[1])
        return 204, None
    if route == "update_settings":
        return 200, store.update_settings(params[0], body)
    return 200, store.get_settings(params[0])


def route(method: str, path: str, has_id: bool) -> tuple[str, list[str]]:
    """The route name and path parameters of an API request, or a 404/405 ApiError."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if parts == ["templates"]:
        if method == "GET":
            return "get_templates", []
        if method == "POST":
            return ("modify_template" if has_id else "create_template"), []
    elif len(parts) == 4 and parts[0] == "templates" and parts[2] == "roles":
        names = {"GET": "get_role", "POST": "upsert_role", "DELETE": "delete_role"}
        if method in names:
            return names[method], [parts[1], parts[3]]
    elif len(parts) == 3 and parts[0] == "templates" and parts[2] == "settings":
        if method in ("GET", "POST"):
            return ("get_settings" if method == "GET" else "update_settings"), [parts[1]]
    else:
        raise ApiError(404, "Not Found", [f"no route for {method} {PREFIX}{path}"])
    raise ApiError(405, "Method Not Allowed", [f"{method} is not allowed on {PREFIX}{path}"])
