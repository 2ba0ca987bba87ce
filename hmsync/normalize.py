"""What is compared, and what a write sends. Pure: values in, values out.

The rules are the DECISIONS of the README (and api-notes.md):
- a field the file sets is compared with live;
- a field the file leaves out is managed at its documented default, but only where live has
  the field too: a field neither side has is left alone, never written;
- a field with no documented default (`priority`, `allowed`, `subscribeToRoles`,
  `maxSubsBitRate`, `region`) is compared only when the file sets it;
- `subscribeDegradation` is a setting by its presence (present, even `{}`, it enables screen
  simulcast): compared only when the file has it, and never added or removed otherwise;
- `upload` left out of a file means "store recordings with 100ms": a live upload is removed;
- `allowed` and `subscribeToRoles` are sets; fields the schema does not know are not compared;
- recording credentials are compared through a keyed hash, and only when reads return them in
  clear; otherwise they are write-only (see `credentials_readable`).

A write sends the live object as read with exactly the plan's changes applied (`patched`), so
nothing the plan does not show can change, whatever the server does with fields it is not sent.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .model import ABSENT, Change
from .schema import schema

Json = dict[str, Any]
FieldPath = tuple[str, ...]
SENSITIVE = "(sensitive value)"
WRITE_ONLY = "(write-only)"
SECRET_PREFIX = "hmac-sha256:"
SET_FIELDS = frozenset({"allowed", "subscribeToRoles"})
HINTS = frozenset({"renamedFrom"})  # hmsync's own keys, never sent or compared
# Objects compared only when the file has them (their presence is itself a setting).
UNMANAGED_WHEN_LEFT_OUT = frozenset({"subscribeDegradation"})
# Objects a file removes by leaving them out.
REMOVED_WHEN_LEFT_OUT = frozenset({"upload"})
OPTIONAL_OBJECTS = UNMANAGED_WHEN_LEFT_OUT | REMOVED_WHEN_LEFT_OUT
CREDENTIALS: FieldPath = ("recording", "upload", "credentials")  # within settings
SecretFn = Callable[[str], str]

# Which schema object each known nested field is.
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


def masked(value: Any, sensitive: bool) -> Any:
    """What may be shown of a value: a sensitive scalar only as SENSITIVE. Objects were
    concealed inside when the change was made (see `conceal`); ABSENT stays absent."""
    if sensitive and value is not ABSENT and not isinstance(value, dict):
        return SENSITIVE
    return value


@cache
def defaults(definition: str) -> Json:
    """The documented defaults of one schema object, read from the schema itself."""
    props = schema()["$defs"][definition]["properties"]
    return {k: v["default"] for k, v in props.items() if "default" in v}


@cache
def _properties(definition: str) -> Json:
    props: Json = schema()["$defs"][definition]["properties"]
    return props


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
    values = [credentials.get("key"), credentials.get("secret")]
    return all(isinstance(v, str) and v.strip("*") and "***" not in v for v in values)


def _obj(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _given(obj: Json, key: str) -> Any:
    value = obj.get(key, ABSENT)
    return ABSENT if value is None else value


def _as_set(key: str, value: Any) -> Any:
    if key in SET_FIELDS and isinstance(value, list):
        try:
            return sorted(set(value))
        except TypeError:  # unhashable or mixed items: keep them for the diff to show
            return value
    return value


# -- complete objects: what a creation sends, and what export starts from -----------------------


def complete(value: Any, definition: str) -> Json:
    """Every field the value sets, and the documented defaults of every object it has.

    Optional objects (`subscribeDegradation`, `upload`, `credentials`) are there only if the
    value has them."""
    given = _obj(value)
    out: Json = {}
    for key, prop in _properties(definition).items():
        if key in HINTS:
            continue
        child = _CHILDREN.get(definition, {}).get(key)
        item = _given(given, key)
        if child is not None:
            if item is ABSENT and (key in OPTIONAL_OBJECTS or child == "credentials"):
                continue
            out[key] = complete(item, child)
        elif item is not ABSENT:
            out[key] = _as_set(key, item)
        elif "default" in prop:
            out[key] = prop["default"]
    return out


def complete_role(role: Any) -> Json:
    return complete(role, "roleObject")


def complete_settings(settings: Any) -> Json:
    return complete(settings, "settings")


def file_form(value: Any, definition: str) -> Json:
    """A live object as a file would say it: the fields the schema knows, documented defaults
    left out (a file that leaves them out means the same), `subscribeDegradation` kept where
    present (its presence is a setting). Credentials are the caller's to replace."""
    out: Json = {}
    for key, prop in _properties(definition).items():
        item = _given(_obj(value), key)
        child = _CHILDREN.get(definition, {}).get(key)
        if item is ABSENT or key in HINTS:
            continue
        if child is not None and isinstance(item, dict):
            form = file_form(item, child) if child != "credentials" else dict(item)
            if form or key in OPTIONAL_OBJECTS:
                out[key] = form
        elif "default" not in prop or item != prop["default"]:
            out[key] = _as_set(key, item)
    # Plain values first (`priority: 5` before the objects), as people write them.
    return dict(sorted(out.items(), key=lambda kv: isinstance(kv[1], dict)))


# -- views: what is compared -------------------------------------------------------------------


@dataclass
class ViewContext:
    """What a comparison of settings needs beyond the two values, and what it found out."""

    secret: SecretFn | None = None
    write_credentials: bool = False  # compare (and so write) credentials reads do not tell


def views(
    live: Any, file: Any, definition: str, ctx: ViewContext | None = None
) -> tuple[Json, Json]:
    """(live view, desired view) of one object: the fields compared, on each side."""
    ctx = ctx or ViewContext()
    live_obj, file_obj = _obj(live), _obj(file)
    lv: Json = {}
    dv: Json = {}
    for key, prop in _properties(definition).items():
        if key in HINTS:
            continue
        child = _CHILDREN.get(definition, {}).get(key)
        f, v = _given(file_obj, key), _given(live_obj, key)
        if child == "credentials":
            _credential_views(v, f, live, lv, dv, ctx)
        elif child is not None:
            if f is ABSENT and key in UNMANAGED_WHEN_LEFT_OUT:
                continue
            if f is ABSENT and key in REMOVED_WHEN_LEFT_OUT:
                if v is not ABSENT:
                    lv[key] = views(v, v, child, ctx)[0] if isinstance(v, dict) else v
                continue
            sub_live, sub_desired = views(v, f, child, ctx)
            if isinstance(v, dict):
                lv[key] = sub_live
            elif v is not ABSENT:
                lv[key] = v  # not an object: shown as it is, and replaced
            if f is not ABSENT or isinstance(v, dict):
                dv[key] = sub_desired
        elif f is not ABSENT:
            dv[key] = _as_set(key, f)
            if v is not ABSENT:
                lv[key] = _as_set(key, v)
        elif "default" in prop and v is not ABSENT:
            dv[key] = prop["default"]
            lv[key] = _as_set(key, v)
    return lv, dv


def _credential_views(
    live: Any, file: Any, live_upload: Any, lv: Json, dv: Json, ctx: ViewContext
) -> None:
    def hashed(credentials: Any) -> Json:
        return {
            k: (ctx.secret(str(v)) if ctx.secret else v)
            for k, v in _obj(credentials).items()
            if k in ("key", "secret")
        }

    readable = credentials_readable(live)
    if readable:
        lv["credentials"] = hashed(live)
    if file is ABSENT:
        return  # a removal shows only where reads tell that there is something to remove
    if readable or not isinstance(live_upload, dict):
        dv["credentials"] = hashed(file)  # compared, or written with a new upload
    elif ctx.write_credentials:
        lv["credentials"] = {"key": WRITE_ONLY, "secret": WRITE_ONLY}
        dv["credentials"] = hashed(file)


def credentials_write_only(desired_settings: Any, live_settings: Any) -> bool:
    """Whether the file's credentials go to a live upload whose reads do not tell them."""
    live_upload = get_path(live_settings, CREDENTIALS[:-1])
    return (
        isinstance(get_path(desired_settings, CREDENTIALS), dict)
        and isinstance(live_upload, dict)
        and not credentials_readable(live_upload.get("credentials"))
    )


def role_views(live: Any, file: Any) -> tuple[Json, Json]:
    return views(live, file, "roleObject")


def settings_views(live: Any, file: Any, ctx: ViewContext) -> tuple[Json, Json]:
    return views(live, file, "settings", ctx)


# -- what a write sends ------------------------------------------------------------------------


def get_path(obj: Any, path: FieldPath) -> Any:
    """The value at path in nested mappings, or ABSENT."""
    node: Any = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return ABSENT
        node = node[part]
    return node


def _set_path(obj: Json, path: FieldPath, value: Any) -> None:
    node = obj
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if isinstance(value, dict) and isinstance(node.get(path[-1]), dict):
        # Set the object's fields one by one: fields it has and the view omits stay.
        target = node[path[-1]]
        for key, item in value.items():
            _set_path(target, (key,), item)
    else:
        node[path[-1]] = copy.deepcopy(value)


def remove_path(obj: Json, path: FieldPath) -> None:
    """Remove the field at path, if it is there."""
    parent = get_path(obj, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def patched(live: Any, changes: Iterable[Change], prefix: str = "") -> Json:
    """The live object exactly as read, with the plan's changes applied and nothing else.

    prefix: only changes under it apply (`settings.` for a set_default's settings)."""
    out: Json = copy.deepcopy(_obj(live))
    for change in changes:
        if not change.path.startswith(prefix):
            continue
        path = tuple(change.path[len(prefix) :].split("."))
        if change.new is ABSENT:
            remove_path(out, path)
        else:
            _set_path(out, path, change.new)
    return out


def fingerprint(value: Any) -> str:
    """A digest of a live object exactly as read, to notice any change since."""
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()
