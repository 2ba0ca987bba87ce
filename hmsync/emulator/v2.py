"""The v2 API (seeds-v2) over the one store the v1 API uses: its routes, its operations, and
how its answers show a stored template.

The store keeps one form of a template for both APIs: v1's `_id`/`customer`, credentials as
`{key, secret}`, no `recording: null`. This module maps v2 requests into that form and the form
into v2 answers (`id`/`customerId`, `secretKey`, the settings the server fills), per the
readings where the v2 pages leave room.
"""

from __future__ import annotations

from itertools import islice
from typing import Any
from urllib.parse import unquote

from . import rooms, rules_destinations, rules_v2
from .readings import merged, omitted_empty, page_answer, pruned, shown_settings
from .rules import undocumented_names
from .store import DEFAULT_LIMIT, ApiError, Store, copy_json

PREFIX = "/v2"
MAX_LIMIT = 100
MIN_LIMIT = 10
# The Update Template example answers with Go's zero time for both timestamps.
ZERO_TIME = "0001-01-01T00:00:00Z"
INTERNAL_RECORDER = "__internal_recorder"
WRITE_ROUTES = (
    "v2_create_template",
    "v2_update_template",
    "v2_upsert_role",
    "v2_delete_role",
    "v2_update_settings",
    "v2_update_destinations",
    "v2_update_recordings",
)
PARTS = ("settings", "destinations", "recordings")


def route(method: str, path: str) -> tuple[str, list[str]]:
    """The route name and path parameters of a v2 request, or a 404/405 ApiError."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    found = rooms.route(method, parts)
    if found is not None:
        return found
    names: dict[str, str] = {}
    params = parts[1::2] if parts[0:1] == ["templates"] else []
    if parts == ["templates"]:
        names = {"GET": "v2_list_templates", "POST": "v2_create_template"}
    elif len(parts) == 2 and parts[0] == "templates":
        names = {"GET": "v2_get_template", "POST": "v2_update_template"}
    elif len(parts) == 4 and parts[0] == "templates" and parts[2] == "roles":
        params = [parts[1], parts[3]]
        names = {"GET": "v2_get_role", "POST": "v2_upsert_role", "DELETE": "v2_delete_role"}
    elif len(parts) == 3 and parts[0] == "templates" and parts[2] in PARTS:
        params = [parts[1]]
        names = {"GET": f"v2_get_{parts[2]}", "POST": f"v2_update_{parts[2]}"}
    else:
        raise ApiError(404, "Not Found", [f"no route for {method} {PREFIX}{path}"])
    if method not in names:
        raise ApiError(405, "Method Not Allowed", [f"{method} is not allowed on {PREFIX}{path}"])
    return names[method], params


def without_false(value: Any) -> Any:
    """value with every `false` boolean left out, as the recordings answers show it."""
    return pruned(value, lambda v: v is False)


def stored_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings from a v2 body in the store's form."""
    stored = copy_json(settings)
    if stored.get("recording", {}) is None:
        del stored["recording"]  # what "no storage of your own" is in v1's form
    return _secret_named(stored, "secretKey", "secret")


def _secret_named(settings: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """settings (edited in place) with the credentials' secret called `new`, not `old`."""
    recording = settings.get("recording")
    upload = recording.get("upload") if isinstance(recording, dict) else None
    credentials = upload.get("credentials") if isinstance(upload, dict) else None
    if isinstance(credentials, dict) and old in credentials:
        credentials[new] = credentials.pop(old)
    return settings


class V2:
    """The v2 operations; each public method is one API call."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rooms = rooms.Rooms(store)

    @property
    def readings(self) -> Any:
        return self.store.readings

    def handle(
        self, name: str, params: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if name in rooms.ROUTES:
            return 200, self.rooms.handle(name, params, query, body)
        if name == "v2_delete_role":
            self.store.delete_role(params[0], params[1])
            return 204, None
        if name == "v2_list_templates":
            return 200, self.list_templates(query)
        if name == "v2_create_template":
            return 200, self.create_template(body)
        operation = getattr(self, name[len("v2_") :])
        return 200, operation(*params, *([body] if name in WRITE_ROUTES else []))

    # -- how answers show the store ----------------------------------------------------------

    def _shown(self, value: Any, part: str = "") -> Any:
        """value as an answer shows it: without `false` booleans where the reading says."""
        drop = self.readings.drop_false
        if (part == "recordings" and drop != "nowhere") or (
            part == "destinations" and drop == "recordings-and-destinations"
        ):
            return without_false(value)
        return value

    def _settings(self, settings: dict[str, Any], where: str) -> dict[str, Any]:
        """Settings as an answer shows them: the server's fill, credentials per the readings."""
        view = copy_json(settings)
        view.setdefault("recording", None)
        view.setdefault("roomState", dict(rules_v2.ROOM_STATE))
        view.setdefault("retry", {})
        name = self.readings.secret_name
        if name == "documented":  # a template answer says secretKey, a settings answer secret
            name = "secretKey" if where == "template" else "secret"
        shown = shown_settings(_secret_named(view, "secret", name), self.readings)
        return dict(omitted_empty(shown, self.readings))

    def _template(self, template: dict[str, Any], updated: bool = False) -> dict[str, Any]:
        times = self.store.times.get(template["_id"], {})
        answer: dict[str, Any] = {
            "id": template["_id"],
            "name": template["name"],
            "customerId": template["customer"],
            "roles": copy_json(template.get("roles", {})),
            "settings": self._settings(template.get("settings", {}), "template"),
            "destinations": self._shown(
                copy_json(template.get("destinations", {})), "destinations"
            ),
        }
        if "plugins" in template:
            answer["plugins"] = copy_json(template["plugins"])
        answer["createdAt"] = ZERO_TIME if updated else times.get("createdAt", ZERO_TIME)
        answer["updatedAt"] = ZERO_TIME if updated else times.get("updatedAt", ZERO_TIME)
        if self.readings.legacy_ids == "shown":
            answer["_id"] = template["_id"]
            answer["customer"] = template["customer"]
        return omitted_empty(answer, self.readings)

    def _destinations(self, template: dict[str, Any], destinations: Any) -> dict[str, Any]:
        """Destinations from a body as the store keeps them. In the hls_role reading, the
        server gives each HLS destination its recorder's role, and the template that role."""
        stored: dict[str, Any] = copy_json(destinations)
        hls = stored.get("hlsDestinations")
        if self.readings.hls_role == "internal-recorder" and isinstance(hls, dict) and hls:
            for destination in hls.values():
                destination.setdefault("role", INTERNAL_RECORDER)
            roles = template.setdefault("roles", {})
            if INTERNAL_RECORDER not in roles:
                roles[INTERNAL_RECORDER] = rules_v2.fill_role({}, INTERNAL_RECORDER)
        return stored

    # -- templates ---------------------------------------------------------------------------

    def list_templates(self, query: dict[str, str]) -> dict[str, Any]:
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
        except ValueError:
            raise ApiError(400, "Invalid query param", ["limit: must be an integer"]) from None
        if not MIN_LIMIT <= limit <= MAX_LIMIT:
            raise ApiError(
                400, "Invalid query param", [f"limit: must be between {MIN_LIMIT} and {MAX_LIMIT}"]
            )
        # The v2 list has no filters (v1's name, id, default): any other parameter is ignored.
        store = self.store
        with store.lock:
            ids = list(
                islice(
                    store.before(query.get("start"), self.readings.start == "inclusive"), limit + 1
                )
            )
            page = [self._template(store.templates[i]) for i in ids[:limit]]
        more = len(ids) > limit
        return page_answer(page, more, limit, "id", "start" in query, self.readings)

    def _names(self, body: Any, path: str) -> list[str]:
        strict = self.readings.names == "strict"
        return undocumented_names(body, "v2", path) if strict else []

    def get_template(self, template_id: str) -> dict[str, Any]:
        with self.store.lock:
            return self._template(self.store.get(template_id))

    def create_template(self, body: Any) -> dict[str, Any]:
        store = self.store
        store.problems(rules_v2.check_template(body, require_whole=False))
        store.problems(self._names(body, "body"))
        with store.lock:
            # What a create cannot say (recordings, v1's default flag) stays.
            template, created = store.anew(body, ("default", "recordings"))
            template["roles"] = {
                n: store.role(r, n, None, rules_v2.fill_role)
                for n, r in body.get("roles", {}).items()
            }
            filled = {"region": "in"} if self.readings.v2_region == "filled" else {}
            template["settings"] = {**filled, **stored_settings(body.get("settings", {}))}
            template["destinations"] = self._destinations(template, body.get("destinations", {}))
            if "plugins" in body:
                template["plugins"] = copy_json(body["plugins"])
            if created and self.readings.noise_cancellation == "present":
                plugins = template.setdefault("plugins", {})
                plugins.setdefault("noiseCancellation", {"enabled": True})
            store.saved(template, created=created)
            return self._template(template)

    def update_template(self, template_id: str, body: Any) -> dict[str, Any]:
        store = self.store
        store.problems(rules_v2.check_template(body, require_whole=True))
        store.problems(self._names(body, "body"))
        with store.lock:
            template = store.get(template_id)
            store.renamed(template, body)
            # "This method overwrites all fields": roles and settings whole; what each role
            # sent becomes is the reading's, as in v1.
            stored = template.get("roles", {})
            template["roles"] = {
                n: store.role(r, n, stored.get(n), rules_v2.fill_role)
                for n, r in body["roles"].items()
            }
            template["settings"] = stored_settings(body["settings"])
            for key in ("destinations", "plugins"):
                if key in body:
                    given = body[key]
                    template[key] = (
                        self._destinations(template, given)
                        if key == "destinations"
                        else copy_json(given)
                    )
                elif self.readings.update_omitted == "clear":
                    template.pop(key, None)
            store.saved(template)
            return self._template(template, updated=True)

    # -- roles, settings, destinations, recordings ------------------------------------------

    def get_role(self, template_id: str, role_name: str) -> dict[str, Any]:
        return self.store.get_role(template_id, role_name)

    def upsert_role(self, template_id: str, role_name: str, body: Any) -> dict[str, Any]:
        role = self.store.upsert_role(
            template_id, role_name, body, rules_v2.check_role, rules_v2.fill_role
        )
        return role

    def get_settings(self, template_id: str) -> dict[str, Any]:
        with self.store.lock:
            settings = self.store.get(template_id).get("settings", {})
            return self._settings(settings, "settings")

    def update_settings(self, template_id: str, body: Any) -> dict[str, Any]:
        store = self.store
        store.problems(rules_v2.check_settings(body))
        store.problems(self._names(body, "settings"))
        with store.lock:
            template = store.get(template_id)
            given = stored_settings(body)
            if self.readings.writes == "merge":
                given = merged(template.get("settings", {}), given)
            template["settings"] = given
            store.saved(template)
            return self._settings(given, "settings")

    def get_destinations(self, template_id: str) -> dict[str, Any]:
        with self.store.lock:
            destinations = self.store.get(template_id).get("destinations", {})
            shown: dict[str, Any] = self._shown(copy_json(destinations), "destinations")
            return shown

    def update_destinations(self, template_id: str, body: Any) -> dict[str, Any]:
        store = self.store
        with store.lock:
            template = store.get(template_id)
            storage = rules_destinations.has_storage(template.get("settings"))
            store.problems(rules_destinations.check_destinations(body, storage, "body"))
            # DECISION: the body is the whole destinations object (as Update Template's is);
            # a destination it leaves out is gone.
            template["destinations"] = self._destinations(template, body)
            store.saved(template)
            shown: dict[str, Any] = self._shown(copy_json(template["destinations"]), "destinations")
            return shown

    def get_recordings(self, template_id: str) -> list[Any]:
        with self.store.lock:
            recordings = self.store.get(template_id).get("recordings", [])
            shown: list[Any] = self._shown(copy_json(recordings), "recordings")
            return shown

    def update_recordings(self, template_id: str, body: Any) -> list[Any]:
        store = self.store
        with store.lock:
            template = store.get(template_id)
            store.problems(rules_destinations.check_recordings(body, template.get("roles", {})))
            template["recordings"] = copy_json(body)
            store.saved(template)
            shown: list[Any] = self._shown(copy_json(body), "recordings")
            return shown
