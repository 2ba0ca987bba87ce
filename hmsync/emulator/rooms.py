"""The v2 rooms and room codes (seeds-rooms), over the store's templates.

Strict where the pages are explicit: field names (an update naming `template_id`, a code update
naming anything but `code` and `enabled`: 400), name characters, `limit` 10-100, the
`max_duration_seconds` and `size` ranges, 403 on a disabled room's codes, 100 codes a room.
Readings where they are silent: whether creating a taken name also applies the body (the
Create page says both), and whether the list's `name` filter ignores case as names do.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from itertools import islice
from typing import Any

from .readings import MASK, omitted_empty, page_answer
from .store import ApiError, Store, copy_json

NAME = re.compile(r"^[A-Za-z0-9.\-:_]+$")
REGIONS = ("eu", "in", "us", "auto")
FIELDS = (
    *("name", "description", "template_id", "recording_info", "region", "large_room", "size"),
    *("max_duration_seconds", "webhook", "polls"),
)
UPDATABLE = (*(f for f in FIELDS if f != "template_id"), "enabled")
MAX_CODES = 100
MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT = 10, 100, 10
ROOM_ID_BASE = 0x6316D5CFAE8C4271DF500000


def route(method: str, parts: list[str]) -> tuple[str, list[str]] | None:
    """The route of a rooms or room-codes request (parts: the path after /v2), or None."""
    names: dict[str, str] = {}
    params: list[str] = []
    if parts == ["rooms"]:
        names = {"GET": "v2_list_rooms", "POST": "v2_create_room"}
    elif len(parts) == 2 and parts[0] == "rooms":
        names, params = {"GET": "v2_get_room", "POST": "v2_update_room"}, [parts[1]]
    elif parts == ["room-codes", "code"]:
        names = {"POST": "v2_update_room_code"}
    elif len(parts) == 3 and parts[:2] == ["room-codes", "room"]:
        names, params = {"GET": "v2_list_room_codes", "POST": "v2_create_room_codes"}, [parts[2]]
    elif len(parts) == 5 and parts[:2] == ["room-codes", "room"] and parts[3] == "role":
        names, params = {"POST": "v2_create_role_room_code"}, [parts[2], parts[4]]
    else:
        return None
    if method not in names:
        raise ApiError(405, "Method Not Allowed", [f"{method} is not allowed here"])
    return names[method], params


ROUTES = (
    "v2_list_rooms",
    "v2_get_room",
    "v2_list_room_codes",
    "v2_create_room",
    "v2_update_room",
    "v2_update_room_code",
    "v2_create_room_codes",
    "v2_create_role_room_code",
)
WRITE_ROUTES = (
    "v2_create_room",
    "v2_update_room",
    "v2_update_room_code",
    "v2_create_room_codes",
    "v2_create_role_room_code",
)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"


def new_code() -> str:
    """A room code: ten letters, `xxx-xxxx-xxx`, as the pages show them."""
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    return f"{letters[:3]}-{letters[3:7]}-{letters[7:]}"


def _bad(details: list[str]) -> ApiError:
    return ApiError(400, "Invalid body", details)


def check_body(body: Any, allowed: tuple[str, ...]) -> list[str]:
    """What the pages refuse in a create or update body."""
    if not isinstance(body, dict):
        return ["body: must be an object"]
    out = [f"Invalid body param: {k}" for k in body if k not in allowed]
    if "template" in body:
        out = [p for p in out if p != "Invalid body param: template"]
        out.append("Invalid body param: template. Use template_id")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not NAME.match(name)):
        out.append("name: accepted characters are a-z, A-Z, 0-9 and . - : _")
    if "region" in body and body["region"] not in REGIONS:
        out.append("Error: region not supported")
    duration = body.get("max_duration_seconds")
    if duration is not None:
        if not isinstance(duration, int) or isinstance(duration, bool):
            out.append("max_duration_seconds: must be an integer")
        elif duration < 120:
            out.append("Invalid body param: max_duration_seconds less than 120 seconds")
        elif duration > 43200:
            out.append("Invalid body param: max_duration_seconds greater than 43200 seconds")
    size = body.get("size")
    if size is not None:
        large = bool(body.get("large_room"))
        top = 20000 if large else 2500
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= top:
            out.append(f"size: must be an integer from 0 to {top}")
    for flag in ("large_room", "enabled"):
        if flag in body and not isinstance(body[flag], bool):
            out.append(f"{flag}: must be true or false")
    webhook = body.get("webhook")
    if webhook is not None and (not isinstance(webhook, dict) or not webhook.get("url")):
        out.append("webhook: url is required")
    recording = body.get("recording_info")
    upload = recording.get("upload_info") if isinstance(recording, dict) else None
    if recording is not None and not isinstance(recording, dict):
        out.append("Invalid upload configuration")
    elif isinstance(upload, dict) and not upload.get("location"):
        out.append("Bucket location is missing")
    return out


class Rooms:
    """The rooms and room-code operations; each public method is one API call."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def rooms(self) -> dict[str, dict[str, Any]]:
        return self.store.rooms

    def handle(self, name: str, params: list[str], query: dict[str, str], body: Any) -> Any:
        if name == "v2_list_rooms":
            return self.list_rooms(query)
        if name == "v2_list_room_codes":
            return self.list_codes(params[0], query)
        operation = getattr(self, name[len("v2_") :])
        return operation(*params, *([body] if name in WRITE_ROUTES else []))

    # -- rooms -------------------------------------------------------------------------------

    def by_name(self, name: str) -> dict[str, Any] | None:
        """Names are case-insensitive (the Create page)."""
        folded = name.casefold()
        return next((r for r in self.rooms.values() if r["name"].casefold() == folded), None)

    def _get(self, room_id: str) -> dict[str, Any]:
        room = self.rooms.get(room_id)
        if room is None:
            raise ApiError(404, "Room not found", [f"no room with id {room_id}"])
        return room

    def _answer(self, room: dict[str, Any]) -> dict[str, Any]:
        answer = copy_json(room)
        template = self.store.templates.get(room.get("template_id", ""))
        answer["template"] = template["name"] if template else ""
        answer["customer_id"] = answer["customer"] = self.store.customer
        if answer.get("recording_source_template"):
            recording = (template or {}).get("settings", {}).get("recording") or {}
            answer["recording_info"] = {"enabled": bool(recording.get("enabled", False))}
        readings = self.store.readings
        if answer.get("region") in (None, "auto") and readings.room_region == "resolved":
            answer["region"] = (template or {}).get("settings", {}).get("region", "in")
        # Storage credentials and webhook header values: as the credentials reading says.
        upload = (answer.get("recording_info") or {}).get("upload_info")
        webhook = answer.get("webhook")
        for parent, key in ((upload, "credentials"), (webhook, "headers")):
            if not isinstance(parent, dict):
                continue
            if isinstance(parent.get(key), dict) and readings.credentials == "omitted":
                del parent[key]
            elif isinstance(parent.get(key), dict) and readings.credentials == "masked":
                parent[key] = dict.fromkeys(parent[key], MASK)
        return omitted_empty(answer, readings)  # Go's omitempty: `enabled: false` gone too

    def _template_id(self, body: dict[str, Any]) -> str:
        given = body.get("template_id")
        if given is None:  # "default template will be assigned"
            default = next((t for t in self.store.templates.values() if t.get("default")), None)
            if default is None:
                raise _bad(["Error: template not found"])
            return str(default["_id"])
        if given not in self.store.templates:
            raise _bad(["Error: template not found"])
        return str(given)

    def _apply(self, room: dict[str, Any], body: dict[str, Any]) -> None:
        for key in (*FIELDS, "enabled"):
            if key in body and key != "name":
                room[key] = copy_json(body[key])
        if "recording_info" in body:  # given once, the room no longer follows its template
            room["recording_source_template"] = False
        room["updated_at"] = _now()
        self.store.saved_rooms()

    def create_room(self, body: Any) -> dict[str, Any]:
        problems = check_body(body, FIELDS)
        if problems:
            raise _bad(problems)
        with self.store.lock:
            template_id = self._template_id(body)
            name = body.get("name") or f"room-{secrets.token_hex(6)}"
            existing = self.by_name(name)
            if existing is not None:
                if self.store.readings.room_create == "applied":
                    self._apply(existing, {**body, "template_id": template_id})
                return self._answer(existing)
            self.store.next_room += 1
            room: dict[str, Any] = {
                "id": f"{ROOM_ID_BASE + self.store.next_room:024x}",
                "name": name,
                "enabled": True,
                "description": "",
                "template_id": template_id,
                "recording_source_template": "recording_info" not in body,
                "enabled_source_template": True,
                "large_room": False,
                "created_at": _now(),
            }
            self.rooms[room["id"]] = room
            self._apply(room, {**body, "template_id": template_id})
            return self._answer(room)

    def update_room(self, room_id: str, body: Any) -> dict[str, Any]:
        problems = check_body(body, UPDATABLE)
        if problems:
            raise _bad(problems)
        with self.store.lock:
            room = self._get(room_id)
            taken = self.by_name(body["name"]) if "name" in body else None
            if taken is not None and taken is not room:  # "the corresponding room ID is returned"
                return self._answer(taken)
            if "name" in body:
                room["name"] = body["name"]
            self._apply(room, body)
            return self._answer(room)

    def get_room(self, room_id: str) -> dict[str, Any]:
        with self.store.lock:
            return self._answer(self._get(room_id))

    def list_rooms(self, query: dict[str, str]) -> dict[str, Any]:
        limit = _limit(query)
        enabled = _flag(query, "enabled", True)
        name = query.get("name")
        exact = self.store.readings.room_name_filter == "exact"
        with self.store.lock:
            rooms = sorted(self.rooms.values(), key=lambda r: r["id"])
            picked = [
                r
                for r in rooms
                if r.get("enabled", True) == enabled
                and (name is None or (r["name"] == name if exact else _same(r["name"], name)))
                and (query.get("template_id") in (None, r.get("template_id")))
                and (query.get("after") is None or r["created_at"] >= query["after"])
                and (query.get("before") is None or r["created_at"] <= query["before"])
            ]
            start = query.get("start")
            inclusive = self.store.readings.start == "inclusive"
            if start:
                picked = [r for r in picked if r["id"] > start or (inclusive and r["id"] == start)]
            page = [self._answer(r) for r in islice(picked, limit + 1)]
        more = len(page) > limit
        return page_answer(page[:limit], more, limit, "id", "start" in query, self.store.readings)

    # -- room codes --------------------------------------------------------------------------

    def _enabled_room(self, room_id: str) -> dict[str, Any]:
        room = self._get(room_id)
        if not room.get("enabled", True):
            raise ApiError(403, "Room is disabled", [f"room {room_id} is disabled"])
        return room

    def _roles(self, room: dict[str, Any]) -> list[str]:
        template = self.store.templates.get(room.get("template_id", "")) or {}
        return sorted(template.get("roles") or {})

    def _new_code(self, room: dict[str, Any], role: str) -> dict[str, Any]:
        if sum(1 for c in self.store.codes.values() if c["room_id"] == room["id"]) >= MAX_CODES:
            raise _bad([f"a room holds at most {MAX_CODES} room codes"])
        now = _now()
        code = {
            "code": new_code(),
            "room_id": room["id"],
            "role": role,
            "enabled": True,
            "created_at": now,
            "updated_at": now,
        }
        self.store.codes[code["code"]] = code
        return code

    def create_room_codes(self, room_id: str, body: Any = None) -> dict[str, Any]:
        """A code for every role of the room's template; codes of deleted roles disabled."""
        with self.store.lock:
            room = self._enabled_room(room_id)
            roles = self._roles(room)
            for code in self.store.codes.values():
                if code["room_id"] == room_id and code["role"] not in roles and code["enabled"]:
                    code["enabled"], code["updated_at"] = False, _now()
            made = [copy_json(self._new_code(room, role)) for role in roles]
            self.store.saved_rooms()
            return {"data": made}

    def create_role_room_code(self, room_id: str, role: str, body: Any = None) -> dict[str, Any]:
        with self.store.lock:
            room = self._enabled_room(room_id)
            if role not in self._roles(room):
                raise ApiError(404, "Role not found", [f"no role {role!r} in the room's template"])
            made = copy_json(self._new_code(room, role))
            self.store.saved_rooms()
            return made

    def list_codes(self, room_id: str, query: dict[str, str]) -> dict[str, Any]:
        limit = _limit(query, default=20)
        enabled = _flag(query, "enabled", None)
        with self.store.lock:
            room = self._enabled_room(room_id)
            role = query.get("role")
            if role is not None and role not in self._roles(room):
                raise ApiError(404, "Role not found", [f"no role {role!r} in the room's template"])
            codes = sorted(
                (c for c in self.store.codes.values() if c["room_id"] == room_id),
                key=lambda c: (c["created_at"], c["code"]),
            )
            picked = [
                copy_json(c)
                for c in codes
                if (role is None or c["role"] == role)
                and (enabled is None or c["enabled"] == enabled)
            ]
        start = query.get("start")
        if start:
            keys = [c["code"] for c in picked]
            at = keys.index(start) if start in keys else -1
            picked = picked[at + (0 if self.store.readings.start == "inclusive" else 1) :]
        more = len(picked) > limit
        return page_answer(
            picked[:limit], more, limit, "code", "start" in query, self.store.readings
        )

    def update_room_code(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - {"code", "enabled"}:
            raise _bad(["Invalid body parameter: only code and enabled"])
        if not isinstance(body.get("enabled"), bool) or not isinstance(body.get("code"), str):
            raise _bad(["Invalid body parameter: enabled must be a boolean, code a string"])
        with self.store.lock:
            code = self.store.codes.get(str(body["code"]))
            if code is None:
                raise ApiError(404, "Code not found", ["no such room code"])
            room = self.rooms.get(code["room_id"])
            if body["enabled"] and (room is None or code["role"] not in self._roles(room)):
                raise ApiError(403, "Code can not be enabled (role/room does not exist)", [])
            code["enabled"], code["updated_at"] = body["enabled"], _now()
            self.store.saved_rooms()
            return copy_json(code)


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _limit(query: dict[str, str], default: int = DEFAULT_LIMIT) -> int:
    try:
        limit = int(query.get("limit", default))
    except ValueError:
        raise ApiError(400, "Invalid query parameter", ["limit: must be an integer"]) from None
    if not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise ApiError(
            400, "Invalid query parameter", [f"limit: must be between {MIN_LIMIT} and {MAX_LIMIT}"]
        )
    return limit


def _flag(query: dict[str, str], name: str, default: bool | None) -> bool | None:
    value = query.get(name)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise ApiError(400, "Invalid query parameter", [f"{name}: true or false"])
    return value == "true"
