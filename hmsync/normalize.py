"""One canonical form for desired and live templates, and the complete bodies apply sends. Pure.

The rules are the DECISIONS of api-notes.md:
- a field with a documented default is managed at that default when the file leaves it out;
- a field with no documented default (OPTIONAL_*) is compared only when the file sets it, and a
  write carries the live value over so that it does not change behind the plan's back;
- `allowed` and `subscribeToRoles` are sets; `subscribeDegradation` absent and `{}` are the same;
- server-generated fields and fields the schema does not know take no part in a comparison,
  and are carried over on writes;
- recording credentials are compared through a keyed hash, never in clear.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from .model import ABSENT
from .schema import schema

Json = dict[str, Any]
FieldPath = tuple[str, ...]
SENSITIVE = "(sensitive value)"
SECRET_PREFIX = "hmac-sha256:"
OPTIONAL_ROLE_FIELDS: tuple[FieldPath, ...] = (
    ("priority",),
    ("publishParams", "allowed"),
    ("subscribeParams", "subscribeToRoles"),
    ("subscribeParams", "maxSubsBitRate"),
)
OPTIONAL_SETTINGS_FIELDS: tuple[FieldPath, ...] = (("region",),)
SET_FIELDS = frozenset({"allowed", "subscribeToRoles"})
TRACKS = ("audio", "video", "screen")
SecretFn = Callable[[str], str]


def masked(value: Any, sensitive: bool) -> Any:
    """What may be shown of a value: a sensitive one only as SENSITIVE (ABSENT stays absent)."""
    return SENSITIVE if sensitive and value is not ABSENT else value


@cache
def defaults(definition: str) -> Json:
    """The documented defaults of one schema object, read from the schema itself."""
    props = schema()["$defs"][definition]["properties"]
    return {k: v["default"] for k, v in props.items() if "default" in v}


@cache
def _known(definition: str) -> frozenset[str]:
    return frozenset(schema()["$defs"][definition]["properties"])


def secret_hasher(salt: str) -> SecretFn:
    """A keyed hash: equal secrets compare equal, and the plan file holds no secret in clear."""

    def hash_secret(value: str) -> str:
        digest = hmac.new(salt.encode(), str(value).encode(), hashlib.sha256).hexdigest()
        return SECRET_PREFIX + digest

    return hash_secret


def _obj(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _pick(value: Any, definition: str) -> Json:
    """The fields of a mapping that the schema knows for that object, minus nulls."""
    known = _known(definition)
    return {k: v for k, v in _obj(value).items() if k in known and v is not None}


def _with_defaults(value: Any, definition: str) -> Json:
    return {**defaults(definition), **_pick(value, definition)}


def _as_set(value: Any) -> Any:
    if isinstance(value, list):
        try:
            return sorted(set(value))
        except TypeError:  # unhashable or mixed items: keep them for the diff to show
            return value
    return value


def complete_role(role: Any) -> Json:
    """Every known field of a role, documented defaults filled in, sets sorted."""
    given = _obj(role)
    publish = _obj(given.get("publishParams"))
    out_publish: Json = {}
    if publish.get("allowed") is not None:
        out_publish["allowed"] = _as_set(publish["allowed"])
    for track in TRACKS:
        out_publish[track] = _with_defaults(publish.get(track), track)
    subscribe = _obj(given.get("subscribeParams"))
    out_subscribe: Json = {}
    if subscribe.get("subscribeToRoles") is not None:
        out_subscribe["subscribeToRoles"] = _as_set(subscribe["subscribeToRoles"])
    if subscribe.get("maxSubsBitRate") is not None:
        out_subscribe["maxSubsBitRate"] = subscribe["maxSubsBitRate"]
    degradation = _pick(subscribe.get("subscribeDegradation"), "subscribeDegradation")
    # Present at all, it enables screen simulcast; absent and {} are the same to the API.
    out_subscribe["subscribeDegradation"] = (
        _with_defaults(degradation, "subscribeDegradation") if degradation else {}
    )
    out: Json = {
        "publishParams": out_publish,
        "subscribeParams": out_subscribe,
        "permissions": _with_defaults(given.get("permissions"), "permissions"),
    }
    if given.get("priority") is not None:
        out["priority"] = given["priority"]
    return out


def complete_settings(settings: Any, secret: SecretFn | None = None) -> Json:
    """Every known settings field, defaults filled; credentials passed through `secret`."""
    given = _obj(settings)
    out: Json = {}
    if given.get("region") is not None:
        out["region"] = given["region"]
    recording = _obj(given.get("recording"))
    out_recording: Json = {"enabled": recording.get("enabled", defaults("recording")["enabled"])}
    upload = _pick(recording.get("upload"), "upload")
    if upload:
        out_upload = {k: v for k, v in upload.items() if k not in ("options", "credentials")}
        out_upload["options"] = _with_defaults(upload.get("options"), "options")
        if "credentials" in upload:
            credentials = _pick(upload["credentials"], "credentials")
            out_upload["credentials"] = {
                k: (secret(v) if secret else v) for k, v in credentials.items()
            }
        out_recording["upload"] = out_upload
    out["recording"] = out_recording
    return out


def comparable(live: Json, desired: Json, optional: tuple[FieldPath, ...]) -> Json:
    """live without the optional fields that desired leaves out: those are not compared.

    Takes a fresh canonical object (from complete_*) and edits it in place: no copy needed.
    """
    for path in optional:
        if get_path(desired, path) is ABSENT:
            _remove(live, path)
    return live


def role_body(desired: Any, live: Any = None) -> Json:
    """The complete role a write sends: defaults filled, live-only fields carried over."""
    body = complete_role(desired)
    _carry_optional(body, _obj(live), OPTIONAL_ROLE_FIELDS)
    return _carry_unknown(_obj(live), body, "roleObject")


def settings_body(desired: Any, live: Any = None) -> Json:
    body = complete_settings(desired)
    _carry_optional(body, _obj(live), OPTIONAL_SETTINGS_FIELDS)
    return _carry_unknown(_obj(live), body, "settings")


def fingerprint(value: Any) -> str:
    """A digest of a live object exactly as read, to notice any change since."""
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()


# -- helpers -----------------------------------------------------------------------------------

# Which schema object each known nested field is, to find unknown fields at every level.
_CHILDREN: dict[str, dict[str, str]] = {
    "roleObject": {
        "publishParams": "publishParams",
        "subscribeParams": "subscribeParams",
        "permissions": "permissions",
    },
    "publishParams": {"audio": "audio", "video": "video", "screen": "screen"},
    "subscribeParams": {"subscribeDegradation": "subscribeDegradation"},
    "settings": {"recording": "recording"},
    "recording": {"upload": "upload"},
    "upload": {"options": "options", "credentials": "credentials"},
}


def get_path(obj: Any, path: FieldPath) -> Any:
    """The value at path in nested mappings, or ABSENT."""
    node: Any = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return ABSENT
        node = node[part]
    return node


def _remove(obj: Json, path: FieldPath) -> None:
    parent = get_path(obj, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def _carry_optional(body: Json, live: Json, optional: tuple[FieldPath, ...]) -> None:
    for path in optional:
        value = get_path(live, path)
        if get_path(body, path) is ABSENT and value is not ABSENT and value is not None:
            parent = get_path(body, path[:-1])
            if isinstance(parent, dict):
                parent[path[-1]] = copy.deepcopy(value)


def _carry_unknown(live: Json, body: Json, definition: str) -> Json:
    known = _known(definition)
    children = _CHILDREN.get(definition, {})
    for key, value in live.items():
        if key not in known and key not in ("name",):
            body.setdefault(key, copy.deepcopy(value))
        elif key in children and isinstance(value, dict) and isinstance(body.get(key), dict):
            _carry_unknown(value, body[key], children[key])
    return body
