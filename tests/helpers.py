"""Helpers shared by the tests: tokens minted independently of hmsync's own auth code."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET

GOLDEN = json.loads((Path(__file__).parent / "golden" / "seed_examples.json").read_text())


def mint(secret: str = DEFAULT_SECRET, access_key: str = DEFAULT_ACCESS_KEY, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "access_key": access_key,
        "type": "management",
        "version": 2,
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, secret, algorithm="HS256")


def auth(token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or mint()}"}
