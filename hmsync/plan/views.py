"""The two sides a diff compares: for one object, the live view and the desired view, by the
rules in normalize.py's docstring (what a file sets, what it leaves at a default, what is
left alone). Pure: values in, values out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from ..model import ABSENT
from ..paths import get_path
from .concealment import WRITE_ONLY, SecretFn, credentials_readable
from .normalize import (
    _CHILDREN,
    CREDENTIALS,
    HINTS,
    LIST,
    MAP,
    REMOVED_WHEN_LEFT_OUT,
    SET_FIELDS,
    UNMANAGED_WHEN_LEFT_OUT,
    Json,
    _as_set,
    _each,
    _named,
    _obj,
    _properties,
    is_v2,
    kind_of,
    server_owned,
)


@dataclass
class ViewContext:
    """What a comparison of settings needs beyond the two values, and what it found out."""

    secret: SecretFn | None = None
    write_credentials: bool = False  # compare (and so write) credentials reads do not tell


@dataclass(frozen=True)
class _Field:
    """One property of a definition, with what views() asks of it worked out once."""

    key: str
    prop: Json
    child: str | None
    credentials: bool
    marker: str
    sub: str
    is_set: bool  # compared as a set (SET_FIELDS)
    boolean: bool
    has_default: bool
    default: Any


@cache
def _fields(definition: str) -> tuple[_Field, ...]:
    out = []
    for key, prop in _properties(definition).items():
        if key in HINTS:
            continue
        child = _CHILDREN.get(definition, {}).get(key)
        marker, sub = _each(child) if child is not None else ("", "")
        out.append(
            _Field(
                key,
                prop,
                child,
                child is not None and kind_of(child) == "credentials",
                marker,
                sub,
                key in SET_FIELDS,
                prop.get("type") == "boolean",
                "default" in prop,
                prop.get("default"),
            )
        )
    return tuple(out)


def views(
    live: Any, file: Any, definition: str, ctx: ViewContext | None = None
) -> tuple[Json, Json]:
    """(live view, desired view) of one object: the fields compared, on each side."""
    ctx = ctx or ViewContext()
    live_obj, file_obj = _obj(live), _obj(file)
    lv: Json = {}
    dv: Json = {}
    v2 = is_v2(definition)
    for field in _fields(definition):
        key, child = field.key, field.child
        f = file_obj.get(key)
        f = ABSENT if f is None else f
        v = live_obj.get(key)
        v = ABSENT if v is None else v
        if field.credentials:
            _credential_views(v, f, live, lv, dv, ctx)
        elif child is not None:
            if f is ABSENT and key in UNMANAGED_WHEN_LEFT_OUT:
                continue
            marker, sub = field.marker, field.sub
            if marker == MAP:
                # Given a file's parent object, a map it leaves out is empty.
                lv[key], dv[key] = _map_views(key, v, {} if f is ABSENT else f, sub, ctx)
                continue
            if marker == LIST:
                if f is not ABSENT:  # no default: a list the file leaves out is not compared
                    items_live, dv[key] = list_views(v, f, sub, ctx)
                    if v is not ABSENT:
                        lv[key] = items_live
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
            dv[key] = _as_set(key, f) if field.is_set else f
            if v is not ABSENT:
                lv[key] = _as_set(key, v) if field.is_set else v
            elif isinstance(f, list):
                lv[key] = []  # answers may leave out empty lists (Go's omitempty)
            elif field.boolean:
                # Answers may leave out false values (Go's omitempty; no v2 example shows a
                # false permission), so an absent flag reads as false, whatever its default:
                # a default-true flag the file leaves out is then written once, explicitly.
                lv[key] = False
            elif v2 and field.has_default:
                lv[key] = field.default  # v2 answers leave out what is at its default
        elif field.has_default and v is not ABSENT:
            dv[key] = field.default
            lv[key] = _as_set(key, v) if field.is_set else v
        elif field.default is True and field.boolean:
            dv[key], lv[key] = True, False  # absent reads as false (see above): managed at true
    return lv, dv


def _map_views(key: str, live: Any, file: Any, item: str, ctx: ViewContext) -> tuple[Json, Json]:
    """A map of named objects: each compared by name; one the file does not name goes,
    unless the server made it for itself."""
    live_map, file_map = _obj(live), _obj(file)
    lv: Json = {}
    dv: Json = {}
    for name in sorted(live_map.keys() | file_map.keys()):
        v, f = live_map.get(name, ABSENT), file_map.get(name, ABSENT)
        if f is ABSENT:
            if not server_owned(key, v):
                lv[name] = views(v, v, item, ctx)[0]
        elif v is ABSENT:
            dv[name] = views(ABSENT, f, item, ctx)[1]
        else:
            lv[name], dv[name] = views(v, f, item, ctx)
    return lv, dv


def list_views(
    live: Any, file: Any, item: str, ctx: ViewContext | None = None
) -> tuple[list[Any], list[Any]]:
    """An ordered list of objects, item by item; items one side has beyond the other whole."""
    live_list = live if isinstance(live, list) else []
    file_list = file if isinstance(file, list) else []
    pairs = [views(v, f, item, ctx) for v, f in zip(live_list, file_list, strict=False)]
    lv = [p[0] for p in pairs] + [views(v, v, item, ctx)[0] for v in live_list[len(pairs) :]]
    dv = [p[1] for p in pairs] + [views(ABSENT, f, item, ctx)[1] for f in file_list[len(pairs) :]]
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


def role_views(live: Any, file: Any, api: str = "v1") -> tuple[Json, Json]:
    return views(live, file, _named("roleObject", api))


def settings_views(live: Any, file: Any, ctx: ViewContext, api: str = "v1") -> tuple[Json, Json]:
    return views(live, file, _named("settings", api), ctx)
