"""What the v1 and v2 template APIs share, on the one transport: the paginated list, role
calls (the same paths on both), and hmsync's one internal form of a template, v1's own:
`_id`, `name`, `roles`, `settings` (credentials `key`/`secret`), and on v2 also
`destinations`, `recordings` and `plugins`. Each backend (v1.py, v2.py) builds on this and
on nothing of the other's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..errors import ApiError
from .answers import page_of_templates
from .transport import Json, Transport

MAX_PAGES = 5_000  # 100,000 templates: far beyond any account; past it the list is broken


class Templates(Transport):
    """The calls both APIs make the same way; a backend says its api and page size."""

    api = "v1"
    page_limit = 20

    def read_parts(self, live: list[Json], names: set[str]) -> None:
        """Add what the listing leaves out to the named live templates: nothing on v1."""

    def list_templates(self, **filters: str) -> list[Json]:
        """Every template, walking the pages at the API's maximum: ceil(N/limit) calls.

        Whether `start` itself is in the next page is not documented: a template seen twice
        is kept once (by `_id`). A cursor seen before would page forever: an error."""
        templates: dict[str, Json] = {}

        def parse(answer: Any, url: str, continued: bool) -> tuple[list[Any], str]:
            return page_of_templates(answer, url, self.api, continued)

        for data in self._pages("/templates", dict(filters), self.page_limit, parse, MAX_PAGES):
            for template in data:
                template = self.internal(template)
                templates.setdefault(template["_id"], template)
        return list(templates.values())

    def internal(self, template: Json) -> Json:
        """A template as the API answers it, in hmsync's internal form (v1's own)."""
        return template

    def upsert_role(self, template_id: str, role: str, body: Json) -> Json:
        return self._call("POST", _role_path(template_id, role, "POST"), json=body)

    def get_role(self, template_id: str, role: str) -> Json:
        return self._call("GET", _role_path(template_id, role, "GET"))

    def delete_role(self, template_id: str, role: str) -> None:
        try:
            self._call("DELETE", _role_path(template_id, role, "DELETE"))
        except ApiError as exc:
            if exc.status != 404:
                raise
            # Already gone, perhaps by an earlier attempt of this very call: the goal is met.

    def get_settings(self, template_id: str) -> Json:
        return self._call("GET", f"/templates/{quote(template_id, safe='')}/settings")


def _role_path(template_id: str, role: str, method: str) -> str:
    # `.` and `..` survive percent-encoding and a URL layer resolves them: DELETE .../roles/..
    # would become DELETE /templates/{id}. Validation refuses such names; this is the backstop.
    if role in (".", "..") or not role:
        where = f"/templates/{quote(template_id, safe='')}/roles/{role}"
        raise ApiError(
            method,
            where,
            None,
            "this role name cannot travel in a URL path",
            (),
            "rename the role in the dashboard",
        )
    return f"/templates/{quote(template_id, safe='')}/roles/{quote(role, safe='')}"
