"""The v2 rooms and room-codes calls, on a v2 backend's transport; every answer checked for its
shape before use, every code remembered as a secret the moment it is read.

Only the rooms the files name are read, each by the list's `name` filter, enabled and disabled
(the list hides disabled rooms unless asked): never a listing of every room, which a busy app
fills at runtime by the thousand. Names compare case-insensitively, whatever the filter does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ...errors import ApiError
from ...redact import remember
from .diff import identity

PAGE = 100
MAX_PAGES = 100  # 10,000 codes or rooms of one name: far past the 100-code cap


def _wrong(method: str, url: str, what: str, expected: str) -> ApiError:
    return ApiError(
        method, url, 200, f"the answer is not {what}; expected {expected}", hint="check --api-base"
    )


def _room(answer: Any, method: str, url: str) -> dict[str, Any]:
    """A room answer, checked: an object with `id` and `name` strings, known fields typed."""
    expected = '{"id": "...", "name": "...", "enabled": true, "template_id": "...", ...}'
    if not isinstance(answer, dict):
        raise _wrong(method, url, "a room", expected)
    for key in ("id", "name"):
        if not isinstance(answer.get(key), str) or not answer[key]:
            raise _wrong(method, url, f"a room (no {key!r} string)", expected)
    for key, kind in (
        ("enabled", bool),
        ("webhook", dict),
        ("recording_info", dict),
        ("polls", list),
        ("template_id", str),
    ):
        if answer.get(key) is not None and not isinstance(answer[key], kind):
            raise _wrong(method, url, f"a room ({key!r} is not a {kind.__name__})", expected)
    headers = (answer.get("webhook") or {}).get("headers")
    if isinstance(headers, dict):
        remember(str(v) for v in headers.values())
    # An answer that leaves `false` out (Go's omitempty) says a disabled room so; a room
    # answered at all is otherwise always given `enabled`, as every example shows.
    answer.setdefault("enabled", False)
    return answer


def _page(answer: Any, url: str, what: str, continued: bool) -> tuple[list[Any], str]:
    expected = f'{{"limit": N, "data": [{what}, ...], "last": "..."}}'
    if not isinstance(answer, dict):
        raise _wrong("GET", url, f"a page of {what}s", expected)
    if continued and answer.get("data") is None:
        return [], ""
    data, last = answer.get("data"), answer.get("last")
    if not isinstance(data, list) or (last is not None and not isinstance(last, str)):
        raise _wrong("GET", url, f"a page of {what}s", expected)
    return data, last or ""


def _code(item: Any, url: str) -> dict[str, Any]:
    expected = '{"code": "...", "role": "...", "enabled": true, ...}'
    if not isinstance(item, dict) or not isinstance(item.get("code"), str):
        raise _wrong("GET", url, "a room code", expected)
    remember([item["code"]])  # a bearer credential: never shown from here on
    if not isinstance(item.get("role"), str) or not isinstance(item.get("enabled"), bool):
        raise _wrong("GET", url, "a room code (role, enabled)", expected)
    return item


class RoomCalls:
    """The calls, on client (a v2 backend): its transport, deadlines, retries and redaction."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def url(self, path: str) -> str:
        return str(self.client._url(path))

    def _pages(self, path: str, params: dict[str, str], what: str) -> list[Any]:
        """Every item of a rooms or codes list (the transport's page walk)."""

        def parse(answer: Any, url: str, continued: bool) -> tuple[list[Any], str]:
            return _page(answer, url, what, continued)

        pages = self.client._pages(path, params, PAGE, parse, MAX_PAGES, f"{what} page")
        return [item for data in pages for item in data]

    def find(self, name: str) -> dict[str, Any] | None:
        """The live room of that name (case-insensitive), enabled or disabled, or None.

        Whether the list's name filter ignores case is not documented (names do): a name
        with capitals is asked for as written, then in lower case, where a filter that
        matches exactly finds rooms made by the API's examples (docs/rooms.md)."""
        found: dict[str, dict[str, Any]] = {}
        for asked in dict.fromkeys((name, name.lower())):
            for enabled in ("true", "false"):
                for item in self._pages("/rooms", {"name": asked, "enabled": enabled}, "room"):
                    if isinstance(item, dict):  # the filter it came by says what omitempty hid
                        item.setdefault("enabled", enabled == "true")
                    room = _room(item, "GET", self.url("/rooms"))
                    if identity(room["name"]) == identity(name):
                        found.setdefault(room["id"], room)
            if found:
                break
        if len(found) > 1:
            ids = ", ".join(sorted(found))
            raise ApiError(
                "GET",
                self.url("/rooms"),
                200,
                f"{len(found)} live rooms are named {name!r} ({ids}); names are unique in 100ms",
                hint="check --api-base",
            )
        return next(iter(found.values()), None)

    def get(self, room_id: str) -> dict[str, Any]:
        path = f"/rooms/{quote(room_id, safe='')}"
        return _room(self.client._call("GET", path), "GET", self.url(path))

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return _room(self.client._call("POST", "/rooms", json=body), "POST", self.url("/rooms"))

    def update(self, room_id: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/rooms/{quote(room_id, safe='')}"
        return _room(self.client._call("POST", path, json=body), "POST", self.url(path))

    def codes(self, room_id: str) -> list[dict[str, Any]] | None:
        """Every code of the room (values remembered as secrets); None for a disabled room,
        whose codes 100ms refuses to list (403)."""
        path = f"/room-codes/room/{quote(room_id, safe='')}"
        try:
            items = self._pages(path, {}, "room code")
        except ApiError as exc:
            if exc.status == 403:
                return None
            raise
        return [_code(item, self.url(path)) for item in items]

    def create_code(self, room_id: str, role: str) -> None:
        path = f"/room-codes/room/{quote(room_id, safe='')}/role/{quote(role, safe='')}"
        answer = self.client._call("POST", path)
        _code(answer, self.url(path))

    def set_code(self, code: str, enabled: bool) -> None:
        path = "/room-codes/code"
        answer = self.client._call("POST", path, json={"code": code, "enabled": enabled})
        _code(answer, self.url(path))


def counts(codes: list[dict[str, Any]] | None) -> dict[str, dict[str, int]] | None:
    """Codes per role as counts: all a plan ever holds of them."""
    if codes is None:
        return None
    out: dict[str, dict[str, int]] = {}
    for code in codes:
        role = out.setdefault(code["role"], {"enabled": 0, "disabled": 0})
        role["enabled" if code["enabled"] else "disabled"] += 1
    return out
