"""The v2 API backend (`https://api.100ms.live/v2`): the shared calls (shared.Templates) on
the one transport, with v2's paths and shapes.

What differs from v1, and how this maps it into hmsync's internal form:
- templates are known by `id` (`_id` in the internal form); a template is read by path and
  replaced by `POST /templates/{id}`; the list takes 100 a page and has no filters;
- the storage secret is `secretKey` in requests; answers say `secretKey` or `secret`: both
  become `secret` (the file format's one name);
- a settings answer says `recording: null` for "no storage of your own": left out;
- recordings are an endpoint of their own, read for the templates whose files manage them.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from ..paths import get_path
from .answers import checked_recordings, checked_template
from .shared import Templates
from .transport import Json

# What the internal form keeps of a v2 template; the rest (customerId, times, the deprecated
# duplicates) is the server's and never compared.
KEPT = ("name", "roles", "settings", "destinations", "plugins", "recordings")
PAGE_LIMIT = 100  # v2's maximum


def settings_in(settings: Any) -> Any:
    """Settings as answered, in the internal form."""
    out = _secret_named(settings, "secretKey", "secret")
    if isinstance(out, dict) and out.get("recording", {}) is None:
        del out["recording"]
    return out


def settings_out(settings: Any) -> Any:
    """Settings in the internal form, as a v2 request says them."""
    return _secret_named(settings, "secret", "secretKey")


def _secret_named(settings: Any, old: str, new: str) -> Any:
    """A copy of settings with the credentials' secret called `new`, not `old`."""
    if not isinstance(settings, dict):
        return settings
    out = copy.deepcopy(settings)
    credentials = get_path(out, ("recording", "upload", "credentials"))
    if isinstance(credentials, dict) and old in credentials:
        credentials[new] = credentials.pop(old)
    return out


class V2Client(Templates):
    """Typed calls for the v2 API's template endpoints."""

    api = "v2"
    page_limit = PAGE_LIMIT

    def internal(self, template: Json) -> Json:
        out = {k: template[k] for k in KEPT if k in template}
        out["_id"] = template.get("id") or template.get("_id")
        if "settings" in out:
            out["settings"] = settings_in(out["settings"])
        return out

    def template_url(self, template_id: str) -> str:
        return self._url(self._template(template_id))

    def _template(self, template_id: str) -> str:
        return f"/templates/{quote(template_id, safe='')}"

    def list_templates(self, **filters: str) -> list[Json]:
        if filters:  # v2 has no list filters; a filter it ignored would read as a match
            raise ValueError("the v2 list takes no filters")
        return super().list_templates()

    def get_template(self, template_id: str, recordings: bool = True) -> Json:
        """One template by path, with its recordings (a call of their own) if asked."""
        path = self._template(template_id)
        answer = checked_template(self._call("GET", path), "GET", self._url(path))
        template = self.internal(answer)
        if recordings:
            template["recordings"] = self.get_recordings(template_id)
        return template

    def find_template(self, name: str) -> Json | None:
        """The template of that name, or None. v2's list has no name filter: every page.

        Called right before each create (a create with a taken name overwrites): so a
        create costs ceil(N/100) reads more, and the window in which a template of that
        name can appear unseen is this listing and the create, not the whole apply."""
        return next((t for t in self.list_templates() if t["name"] == name), None)

    def read_parts(self, live: list[Json], names: set[str]) -> None:
        """The recordings of the named templates, read in parallel."""
        wanted = [t for t in live if t.get("name") in names]
        if not wanted:
            return

        def read(t: Json) -> list[Any]:
            return self.get_recordings(str(t["_id"]))

        with ThreadPoolExecutor(max_workers=min(self.parallelism, len(wanted))) as pool:
            for template, recordings in zip(wanted, pool.map(read, wanted), strict=True):
                template["recordings"] = recordings

    def create_template(self, body: Json) -> Json:
        """Create (an upsert by name); its answer's `id` is where the recordings go next."""
        answer = self._call("POST", "/templates", json=_request(body))
        return self.internal(checked_template(answer, "POST", self._url("/templates")))

    def modify_template(self, template_id: str, body: Json) -> Json:
        """Update Template: the whole template (roles and settings required)."""
        answer = self._call("POST", self._template(template_id), json=_request(body))
        return self.internal(answer)

    def get_settings(self, template_id: str) -> Json:
        answer: Json = settings_in(super().get_settings(template_id))
        return answer

    def update_settings(self, template_id: str, body: Json) -> Json:
        path = self._template(template_id) + "/settings"
        answer: Json = settings_in(self._call("POST", path, json=settings_out(body)))
        return answer

    def update_destinations(self, template_id: str, body: Json) -> Json:
        return self._call("POST", self._template(template_id) + "/destinations", json=body)

    def get_recordings(self, template_id: str) -> list[Any]:
        path = self._template(template_id) + "/recordings"
        return checked_recordings(self._call_list("GET", path), self._url(path))

    def update_recordings(self, template_id: str, body: list[Any]) -> list[Any]:
        path = self._template(template_id) + "/recordings"
        return self._call_list("POST", path, json=body)


def _request(body: Json) -> Json:
    """A template body in the internal form, as a v2 request says it."""
    out = {k: v for k, v in body.items() if k != "recordings"}
    if "settings" in out:
        out["settings"] = settings_out(out["settings"])
    return out
