"""The emulator's templates: in memory, optionally persisted atomically to a JSON file."""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from . import rules, rules_v2
from .readings import Readings, merged, omitted_empty, page_answer, shown, shown_settings

T = TypeVar("T")
ID_BASE = 0x615E61B0BA65E77A89BA0000  # looks like the seed's ObjectIds; grows by one per template
STATE_VERSION = 1
MAX_LIMIT = 20
DEFAULT_LIMIT = 10
# What only the v2 API reads and writes; a v1 answer leaves them out, a v1 write keeps them.
V2_ONLY = ("destinations", "recordings", "plugins")


def copy_json(value: T) -> T:
    """A deep copy of JSON data; several times faster than copy.deepcopy on large pages."""
    copied: T = json.loads(json.dumps(value))
    return copied


class ApiError(Exception):
    """An API answer other than 2xx: status, message and details, as 100ms sends them."""

    def __init__(self, status: int, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"code": self.status, "message": self.message, "details": self.details}


class StateFileError(Exception):
    """The --state file cannot be used; raised at start-up, with what to do."""


def _bad_body(details: list[str]) -> ApiError:
    return ApiError(400, "Invalid body param", [f"Invalid body param: {d}" for d in details])


class Store:
    """Thread-safe template store. Every public method is one API operation."""

    def __init__(
        self, access_key: str, state_file: Path | None = None, readings: Readings | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.readings = readings or Readings()
        self.customer = hashlib.sha256(access_key.encode()).hexdigest()[:24]
        self.state_file = state_file
        self.templates: dict[str, dict[str, Any]] = {}
        # createdAt/updatedAt per _id: beside the templates, so that the stored template is
        # exactly what the writes made it (tests compare it before and after).
        self.times: dict[str, dict[str, str]] = {}
        self.next_id = 0
        # v2 rooms by id and room codes by code (emulator/rooms.py), beside the templates.
        self.rooms: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.next_room = 0
        # The ids in increasing order, so a page of the list costs the same at any size:
        # rebuilt only when the set of templates changes (templates are never removed one by
        # one; a reset or a state file replaces the dict).
        self._order: list[str] = []
        self._order_of: dict[str, dict[str, Any]] | None = None
        if state_file is not None and state_file.exists():
            self._read(state_file)
        if state_file is not None:
            _check_writable(state_file)

    # -- persistence ------------------------------------------------------------------------

    def _read(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StateFileError(
                f"{path}:{exc.lineno}:{exc.colno}: the state file is not valid JSON ({exc.msg}); "
                "fix it, or delete it to start empty"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StateFileError(f"{path}: cannot read the state file: {exc}") from None
        templates = data.get("templates") if isinstance(data, dict) else None
        ok = (
            isinstance(data, dict)
            and data.get("version") == STATE_VERSION
            and isinstance(data.get("next_id"), int)
            and isinstance(templates, list)
            and all(isinstance(t, dict) and isinstance(t.get("_id"), str) for t in templates)
        )
        if not ok:
            raise StateFileError(
                f"{path}: not an hmsync emulator state file (version {STATE_VERSION}); "
                "delete it to start empty"
            )
        self.next_id = data["next_id"]
        self.templates = {t["_id"]: t for t in data["templates"]}
        times = data.get("times")
        self.times = times if isinstance(times, dict) else {}
        rooms, codes = data.get("rooms"), data.get("codes")
        self.rooms = rooms if isinstance(rooms, dict) else {}
        self.codes = codes if isinstance(codes, dict) else {}
        self.next_room = int(data.get("next_room") or 0)

    def _persist(self) -> None:
        if self.state_file is None:
            return
        payload = {
            "version": STATE_VERSION,
            "next_id": self.next_id,
            "templates": self.dump(),
            "times": self.times,
            "rooms": self.rooms,
            "codes": self.codes,
            "next_room": self.next_room,
        }
        directory = self.state_file.parent
        fd, tmp = tempfile.mkstemp(prefix=".emulator-state-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(payload, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_file)  # atomic: a reader sees the old or the new file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- helpers ----------------------------------------------------------------------------

    def dump(self) -> list[dict[str, Any]]:
        with self.lock:
            return [copy_json(self.templates[i]) for i in sorted(self.templates, reverse=True)]

    def before(self, start: str | None, inclusive: bool) -> Iterator[str]:
        """The ids in decreasing order (the list's), from just before `start` (or at it, if
        inclusive) on. Call under the lock."""
        if self._order_of is not self.templates or len(self._order) != len(self.templates):
            self._order, self._order_of = sorted(self.templates), self.templates
        order = self._order
        if start is None:
            end = len(order)
        else:
            end = (bisect.bisect_right if inclusive else bisect.bisect_left)(order, start)
        return (order[i] for i in range(end - 1, -1, -1))

    def new_id(self) -> str:
        self.next_id += 1
        return f"{ID_BASE + self.next_id:024x}"

    def get(self, template_id: str) -> dict[str, Any]:
        template = self.templates.get(template_id)
        if template is None:
            raise ApiError(404, "template not found", [f"no template with id {template_id}"])
        return template

    def by_name(self, name: str) -> dict[str, Any] | None:
        return next((t for t in self.templates.values() if t["name"] == name), None)

    def _answer(self, template: dict[str, Any]) -> dict[str, Any]:
        answer = {k: v for k, v in template.items() if k not in V2_ONLY}
        return shown(copy_json(answer), self.readings)

    def saved(self, template: dict[str, Any], created: bool = False) -> None:
        """Every write ends here: the template's times, then the state file."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"
        times = self.times.setdefault(template["_id"], {"createdAt": now})
        if created:
            times["createdAt"] = now
        times["updatedAt"] = now
        self._persist()

    def saved_rooms(self) -> None:
        """Every write to a room or a code ends here."""
        self._persist()

    def problems(self, problems: list[str]) -> None:
        """A 400 for what this reading refuses. out_of_range=store stores numbers outside a
        range, and strings outside an enum unless enum=refuse."""
        if self.readings.out_of_range == "store":
            problems = [
                p
                for p in problems
                if not rules.is_range_problem(p)
                or (rules.is_enum_problem(p) and self.readings.enum == "refuse")
            ]
        if problems:
            raise _bad_body(problems)

    def role(
        self,
        body: dict[str, Any],
        name: str,
        stored: Any,
        fill: Callable[[dict[str, Any], str], dict[str, Any]] = rules.fill_role,
    ) -> dict[str, Any]:
        """A role as this reading stores a write of body over stored (None: a new role);
        fill is the API version's filling of what a new role leaves out."""
        if self.readings.fill != "per-api":  # one backend, one way of filling for both APIs
            fill = rules.fill_role if self.readings.fill == "v1" else rules_v2.fill_role
        if self.readings.writes == "as-sent":
            return {**copy_json(body), "name": name}
        if self.readings.writes == "merge" and isinstance(stored, dict):
            return {**merged(stored, copy_json(body)), "name": name}
        return fill(body, name)

    def _set_default(self, template: dict[str, Any], value: bool) -> None:
        if value:
            # DECISION (api-notes): one default template per account.
            for other in self.templates.values():
                if other is not template and other.get("default"):
                    other["default"] = False
        template["default"] = value

    # -- control ----------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.templates = {}
            self.times = {}
            self.rooms, self.codes = {}, {}
            self._persist()

    def load(self, templates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store templates as given, unchecked (so tests can set any state, even invalid)."""
        with self.lock:
            loaded = []
            for given in templates:
                template = copy_json(given)
                template.setdefault("_id", self.new_id())
                template.setdefault("customer", self.customer)
                template.setdefault("roles", {})
                self.templates[template["_id"]] = template
                loaded.append(copy_json(template))
            self._persist()
            return loaded

    # -- API operations ---------------------------------------------------------------------

    def anew(self, body: dict[str, Any], kept: tuple[str, ...]) -> tuple[dict[str, Any], bool]:
        """The template a create makes, and whether it is new: a new one, or (create is an
        upsert by name) the one of that name made anew under its _id, keeping only `kept`,
        what the API's create cannot say. Call under the lock."""
        existing = self.by_name(body["name"]) if "name" in body else None
        if existing is None:
            template_id = self.new_id()
            name = body.get("name") or f"template-{template_id[-6:]}"
            template: dict[str, Any] = {"_id": template_id, "name": name}
        else:
            template = {"_id": existing["_id"], "name": existing["name"]}
            template.update({k: existing[k] for k in kept if k in existing})
        template["customer"] = self.customer
        self.templates[template["_id"]] = template
        return template, existing is None

    def renamed(self, template: dict[str, Any], body: dict[str, Any]) -> None:
        """An update's `name` (the stored one if none), refused if another template has it."""
        name = body.get("name", template["name"])
        other = self.by_name(name)
        if other is not None and other is not template:
            raise ApiError(400, "overwrite error", [f"template {name} already exists"])
        template["name"] = name

    def create_template(self, body: Any) -> dict[str, Any]:
        self.problems(rules.check_template(body, require_whole=False))
        with self.lock:
            template, created = self.anew(body, V2_ONLY)  # v1 cannot see the v2 parts
            if "default" in body:
                self._set_default(template, body["default"])
            # An overwrite by name makes the template anew: every role is a new one.
            template["roles"] = {
                name: self.role(role, name, None) for name, role in body.get("roles", {}).items()
            }
            if "settings" in body:
                template["settings"] = copy_json(body["settings"])
            self.saved(template, created=created)
            return self._answer(template)

    def modify_template(self, template_id: str, body: Any) -> dict[str, Any]:
        self.problems(rules.check_template(body, require_whole=True))
        with self.lock:
            template = self.get(template_id)
            self.renamed(template, body)
            if "default" in body:
                self._set_default(template, body["default"])
            # Modify replaces the roles and the settings whole (seed): a role it does not send
            # is gone. What each role sent becomes is the reading's.
            stored = template.get("roles", {})
            template["roles"] = {
                n: self.role(r, n, stored.get(n)) for n, r in body["roles"].items()
            }
            template["settings"] = copy_json(body["settings"])
            self.saved(template)
            return self._answer(template)

    def list_templates(self, query: dict[str, str]) -> dict[str, Any]:
        limit = _int_param(query, "limit", DEFAULT_LIMIT)
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(
                400, "Invalid query param", [f"limit: must be between 1 and {MAX_LIMIT}"]
            )
        wanted_default = None
        if "default" in query:
            if query["default"] not in ("true", "false"):
                raise ApiError(400, "Invalid query param", ["default: must be true or false"])
            wanted_default = query["default"] == "true"
        start = query.get("start")
        with self.lock:
            ids = self.before(start, self.readings.start == "inclusive")
            wanted_id, wanted_name = query.get("id"), query.get("name")
            matches = islice(
                (
                    self.templates[i]
                    for i in ids
                    if wanted_id in (None, i)
                    and wanted_name in (None, self.templates[i]["name"])
                    and (
                        wanted_default is None
                        or bool(self.templates[i].get("default")) is wanted_default
                    )
                ),
                limit + 1,  # one past the page says whether more follow
            )
            found = list(matches)
            page = [self._answer(t) for t in found[:limit]]
        # `last` continues the list; how a full page that ends it says so is a reading.
        more = len(found) > limit
        return page_answer(page, more, limit, "_id", "start" in query, self.readings)

    def upsert_role(
        self,
        template_id: str,
        role_name: str,
        body: Any,
        check: Callable[[Any, str], list[str]] = rules.check_role,
        fill: Callable[[dict[str, Any], str], dict[str, Any]] = rules.fill_role,
    ) -> dict[str, Any]:
        """Create, change or rename a role; check and fill are the API version's."""
        self.problems(check(body, "body"))
        with self.lock:
            template = self.get(template_id)
            roles = template.setdefault("roles", {})
            new_name = body.get("name", role_name)
            if new_name != role_name and new_name in roles:
                raise ApiError(400, "overwrite error", [f"role {new_name} already exists"])
            given = {k: v for k, v in body.items() if k != "name"}
            role = self.role(given, new_name, roles.get(role_name), fill)
            if new_name != role_name:
                roles.pop(role_name, None)
            roles[new_name] = role
            self.saved(template)
            return omitted_empty(copy_json(role), self.readings)

    def get_role(self, template_id: str, role_name: str) -> dict[str, Any]:
        with self.lock:
            role = self.get(template_id).get("roles", {}).get(role_name)
            if role is None:
                raise ApiError(
                    404, "role not found", [f"no role {role_name} in template {template_id}"]
                )
            return omitted_empty(copy_json(role), self.readings)

    def delete_role(self, template_id: str, role_name: str) -> None:
        with self.lock:
            template = self.get(template_id)
            roles = template.get("roles", {})
            if role_name not in roles:
                raise ApiError(
                    404, "role not found", [f"no role {role_name} in template {template_id}"]
                )
            del roles[role_name]
            self.saved(template)

    def update_settings(self, template_id: str, body: Any) -> dict[str, Any]:
        self.problems(rules.check_settings(body))
        with self.lock:
            template = self.get(template_id)
            stored = template.get("settings", {})
            if self.readings.update_settings == "region":
                settings = {**stored, **({"region": body["region"]} if "region" in body else {})}
            elif self.readings.writes == "merge":
                settings = merged(stored, copy_json(body))
            else:
                settings = copy_json(body)
            template["settings"] = settings
            self.saved(template)
            return shown_settings(copy_json(settings), self.readings)

    def get_settings(self, template_id: str) -> dict[str, Any]:
        with self.lock:
            return shown_settings(
                copy_json(self.get(template_id).get("settings", {})), self.readings
            )


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    if name not in query:
        return default
    try:
        return int(query[name])
    except ValueError:
        raise ApiError(400, "Invalid query param", [f"{name}: must be an integer"]) from None


def _check_writable(path: Path) -> None:
    """At start-up, not at the first write: a state file that cannot be written is an error."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".emulator-state-", dir=path.parent)
    except OSError as exc:
        raise StateFileError(
            f"{path}: cannot write the state file there ({exc.strerror}); pick another --state"
        ) from None
    os.close(fd)
    os.unlink(tmp)
