"""The policy v1 API backend (`https://prod-policy.100ms.live/policy/v1`): templates are read
through the list's filters (there is no other read), and replaced by `POST /templates?id=`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..errors import ApiError
from .shared import Templates
from .transport import Json

PAGE_LIMIT = 20  # the API's maximum


class V1Client(Templates):
    """Typed calls for each endpoint of the policy v1 API."""

    api = "v1"
    page_limit = PAGE_LIMIT

    def template_url(self, template_id: str) -> str:
        """Where messages say a template was read from."""
        return self._url(f"/templates?id={quote(template_id, safe='')}")

    def get_template(self, template_id: str, recordings: bool = True) -> Json:
        """One template by id, read through the list's `id` filter (there is no other read).
        recordings: v2's; v1 has none."""
        for template in self.list_templates(id=template_id):
            if template["_id"] == template_id:
                return template
        raise ApiError("GET", self.template_url(template_id), 404, "no such template")

    def find_template(self, name: str) -> Json | None:
        """The template of that name, or None: a create must not overwrite one the list missed.
        Called right before each create; the name filter makes it one cheap call."""
        found = [t for t in self.list_templates(name=name) if t["name"] == name]
        return found[0] if found else None

    def create_template(self, body: Json) -> Json:
        return self._call("POST", "/templates", json=body)

    def modify_template(self, template_id: str, body: Json) -> Json:
        return self._call("POST", "/templates", params={"id": template_id}, json=body)

    def update_settings(self, template_id: str, body: Json) -> Json:
        return self._call("POST", f"/templates/{quote(template_id, safe='')}/settings", json=body)

    # v2's parts, which the v1 API has no calls for: a v1 plan never holds such an action.

    def update_destinations(self, template_id: str, body: Json) -> Json:
        raise self._v2_only("destinations")

    def get_recordings(self, template_id: str) -> list[Any]:
        raise self._v2_only("recordings")

    def update_recordings(self, template_id: str, body: list[Any]) -> list[Any]:
        raise self._v2_only("recordings")

    def _v2_only(self, what: str) -> ApiError:
        return ApiError(
            "POST", self.base_url, None, f"the v1 API has no {what}", (), "use --api v2"
        )
