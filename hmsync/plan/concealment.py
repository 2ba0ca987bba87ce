"""Secrets and hidden values: keyed hashes of credentials, values concealed wherever they land
(those from ${HMSYNC_*} variables), what may be shown of them, and whether read credentials are
the real ones. Pure."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from ..model import ABSENT

SENSITIVE = "(sensitive value)"
WRITE_ONLY = "(write-only)"
SECRET_PREFIX = "hmac-sha256:"
SecretFn = Callable[[str], str]


def masked(value: Any, sensitive: bool) -> Any:
    """What may be shown of a value: a sensitive scalar only as SENSITIVE. Objects were
    concealed inside when the change was made (see `conceal`); ABSENT stays absent."""
    if sensitive and value is not ABSENT and not isinstance(value, dict):
        return SENSITIVE
    return value


def secret_hasher(salt: str) -> SecretFn:
    """A keyed hash: equal secrets compare equal, and the plan file holds no secret in clear."""

    def hash_secret(value: str) -> str:
        digest = hmac.new(salt.encode(), str(value).encode(), hashlib.sha256).hexdigest()
        return SECRET_PREFIX + digest

    return hash_secret


def conceal(value: Any, hidden: frozenset[str] = frozenset()) -> tuple[Any, bool]:
    """value with every keyed hash, and every string holding a hidden value (one that came from
    an ${HMSYNC_*} variable), replaced by SENSITIVE; and whether there was one."""
    if isinstance(value, str):
        # A short value (`us`) is hidden only where it is the whole string.
        if value.startswith(SECRET_PREFIX) or any(
            value == h or (len(h) >= 6 and h in value) for h in hidden
        ):
            return SENSITIVE, True
        return value, value == WRITE_ONLY
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        out: Any = {} if isinstance(value, dict) else [None] * len(value)
        found = False
        for k, v in items:
            out[k], hit = conceal(v, hidden)
            found = found or hit
        return out, found
    return value, False


def credentials_readable(credentials: Any) -> bool:
    """Whether credentials read from the API are the real values: both present, and neither
    masked (`****`, `AKIA****1234`). Otherwise reads do not tell them, and they are write-only."""
    if not isinstance(credentials, dict):
        return False
    return all(unmasked(credentials.get(k)) for k in ("key", "secret"))


def unmasked(value: Any) -> bool:
    """Whether a secret read from the API is the real value: a string, not `****` nor
    `AKIA****1234`."""
    return isinstance(value, str) and bool(value.strip("*")) and "***" not in value


def plan_key(app_secret: str | None, salt: str) -> str | None:
    """The key of a saved plan's hashes: from the app secret, which the plan file does not
    hold, so the file alone cannot test guesses of a credential. None without an app secret
    (a ready-made token): then the file holds no credential hash at all."""
    if not app_secret:
        return None
    return hmac.new(app_secret.encode(), b"hmsync plan file:" + salt.encode(), "sha256").hexdigest()
