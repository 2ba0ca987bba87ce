"""The digests a saved plan is checked against before apply carries it out: of each live
template as read (its secrets keyed, never in clear) and of every file the plan was made from.
Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from ..redact import SECRET_KEYS
from .normalize import SENSITIVE, Json, fingerprint, secret_hasher


def live_fingerprint(template: Json, key: str | None) -> str:
    """A digest of a live template as read, its secrets keyed first (or left out with no
    key): a plan file's fingerprint never digests a secret in clear."""
    hasher = secret_hasher(key) if key else None

    def keyed(value: Any, secret: bool = False) -> Any:
        if isinstance(value, dict):
            return {k: keyed(v, secret or k in SECRET_KEYS) for k, v in value.items()}
        if isinstance(value, list):
            return [keyed(v, secret) for v in value]
        if secret and isinstance(value, str):
            return hasher(value) if hasher else SENSITIVE
        return value

    return fingerprint(keyed(template))


def files_digest(digests: Iterable[tuple[str, str]]) -> str:
    """One digest of every file a plan was made from: (path, sha256 of its bytes) pairs."""
    h = hashlib.sha256()
    for path, digest in sorted(digests):
        h.update(f"{path}\0{digest}\n".encode())
    return "sha256:" + h.hexdigest()
