"""The APIs hmsync talks to, behind one narrow interface (as octoDNS has providers).

Both backends list every template; create, replace, and upsert, rename or delete a role;
write settings; v2 also destinations, recordings and plugins (through replace). Each hands
live templates to the rest of hmsync in one internal form (see shared.py), so that commands,
plans, apply and the safety rules are one for both.

- v1: v1.V1Client, the policy v1 API (`https://prod-policy.100ms.live/policy/v1`).
- v2: v2.V2Client, the v2 API (`https://api.100ms.live/v2`).

Both make their calls through transport.Transport; neither imports the other. The rest of
this stage is what every call needs: transport (the request loop: deadlines, size caps,
retries), deadline (one deadline for a whole request), auth (the management token), answers
(the shape an answer must have before it is used). Takes: credentials and a base URL. Gives:
live templates in the internal form, and writes. Imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from ..errors import InputError

if TYPE_CHECKING:  # httpx (through transport) only once a command calls the API
    from ..paths import Json
    from .auth import TokenSource
    from .transport import RetryPolicy

APIS = ("v1", "v2")
DEFAULT_BASES = {
    "v1": "https://prod-policy.100ms.live/policy/v1",
    "v2": "https://api.100ms.live/v2",
}


class Backend(Protocol):
    """What plan, apply, drift and export need of an API: nothing more."""

    api: str
    base_url: str
    parallelism: int
    notify: Callable[[str], None] | None

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        timeout: float = ...,
        parallelism: int = ...,
        retry: RetryPolicy | None = ...,
    ) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: object) -> None: ...
    def template_url(self, template_id: str) -> str: ...
    def list_templates(self, **filters: str) -> list[Json]: ...
    def read_parts(self, live: list[Json], names: set[str]) -> None: ...
    def get_template(self, template_id: str, recordings: bool = True) -> Json: ...
    def find_template(self, name: str) -> Json | None: ...
    def create_template(self, body: Json) -> Json: ...
    def modify_template(self, template_id: str, body: Json) -> Json: ...
    def upsert_role(self, template_id: str, role: str, body: Json) -> Json: ...
    def get_role(self, template_id: str, role: str) -> Json: ...
    def delete_role(self, template_id: str, role: str) -> None: ...
    def get_settings(self, template_id: str) -> Json: ...
    def update_settings(self, template_id: str, body: Json) -> Json: ...
    def update_destinations(self, template_id: str, body: Json) -> Json: ...
    def get_recordings(self, template_id: str) -> list[Any]: ...
    def update_recordings(self, template_id: str, body: list[Any]) -> list[Any]: ...


def _check_version(base: str, api: str) -> None:
    """A base URL of the other API version is a mistake to say before any call: each API
    answers the other's paths with errors that would not say why."""
    path = urlsplit(base).path.rstrip("/")
    other = "v1" if path.endswith("/policy/v1") else "v2" if path.endswith("/v2") else None
    if other is not None and other != api:
        raise InputError(
            f"the API base {base} is the {other} API's, but this project uses the {api} API; "
            f"use the {api} base (--api-base, an environment's api_base, or HMS_API_BASE) or "
            f"--api {other}"
        )


def client_from_env(
    environ: Mapping[str, str],
    api_base: str | None = None,
    timeout: float = 30.0,
    parallelism: int = 8,
    retries: int = 5,
    api: str = "v1",
) -> Backend:
    """The backend of that API version (v1 or v2), its base URL and credentials from the
    environment. The backends are imported here, each only when it is the one asked for."""
    from .auth import TokenSource, credentials_from_env
    from .transport import RetryPolicy, check_base_url

    base = api_base or environ.get("HMS_API_BASE") or DEFAULT_BASES[api]
    check_base_url(base)  # before credentials are even read
    _check_version(base, api)
    tokens = TokenSource(credentials_from_env(environ))
    retry = RetryPolicy(attempts=retries + 1)
    kind: type[Backend]
    if api == "v2":
        from .v2 import V2Client as kind
    else:
        from .v1 import V1Client as kind
    return kind(base, tokens, timeout=timeout, parallelism=parallelism, retry=retry)
