"""What is compared, and what a write sends. Pure: values in, values out.

The rules are the DECISIONS of docs/decisions.md (and api-notes.md):
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

On the v2 API (definitions named `v2.*`, from the v2 schema) also:
- a field live leaves out is at its documented default (v2 answers drop `enabled: false`);
- `destinations`, `recordings`, `plugins` and `simulcast` are compared only when the file has
  them; given, a destinations map is the whole truth (a destination it does not name goes),
  except an HLS destination the server made for itself (role `__internal_recorder`);
- ordered lists of objects (layers, recordings, sections) are compared item by item.

A write sends the live object as read with exactly the plan's changes applied (`patched`), so
nothing the plan does not show can change, whatever the server does with fields it is not sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

# Re-exported, so that `normalize` stays the one name for what is compared and written.
from .concealment import SENSITIVE as SENSITIVE
from .concealment import WRITE_ONLY as WRITE_ONLY
from .concealment import SecretFn as SecretFn
from .concealment import conceal as conceal
from .concealment import credentials_readable as credentials_readable
from .concealment import masked as masked
from .concealment import secret_hasher as secret_hasher
from .model import ABSENT
from .paths import FieldPath as FieldPath
from .paths import get_path as get_path
from .paths import patched as patched
from .paths import remove_path as remove_path
from .schema import schema

Json = dict[str, Any]
SET_FIELDS = frozenset(
    {
        "allowed",
        "subscribeToRoles",
        # v2: transcription modes and words, plugin permission levels
        "modes",
        "outputModes",
        "customVocabulary",
        "admin",
        "writer",
        "reader",
    }
)
HINTS = frozenset({"renamedFrom"})  # hmsync's own keys, never sent or compared
# Objects compared only when the file has them (their presence is itself a setting).
UNMANAGED_WHEN_LEFT_OUT = frozenset(
    {"subscribeDegradation", "destinations", "recordings", "plugins", "simulcast"}
)
INTERNAL_RECORDER = "__internal_recorder"  # the role of an HLS destination the server made
SERVER_ROLE_PREFIX = "__internal"
MAP, LIST = "map:", "list:"  # _CHILDREN markers: a map of named objects, a list of objects
# Objects a file removes by leaving them out.
REMOVED_WHEN_LEFT_OUT = frozenset({"upload"})
OPTIONAL_OBJECTS = UNMANAGED_WHEN_LEFT_OUT | REMOVED_WHEN_LEFT_OUT
CREDENTIALS: FieldPath = ("recording", "upload", "credentials")  # within settings

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
    # v2
    "v2.template": {
        "roles": MAP + "v2.roleObject",
        "settings": "v2.settings",
        "destinations": "v2.destinations",
        "recordings": LIST + "v2.recordingConfig",
        "plugins": "v2.plugins",
    },
    "v2.roleObject": {
        "publishParams": "v2.publishParams",
        "subscribeParams": "v2.subscribeParams",
        "permissions": "v2.permissions",
    },
    "v2.publishParams": {
        "audio": "v2.audio",
        "video": "v2.video",
        "screen": "v2.screen",
        "simulcast": "v2.simulcast",
    },
    "v2.simulcast": {"video": "v2.simulcastTrack", "screen": "v2.simulcastTrack"},
    "v2.simulcastTrack": {"layers": LIST + "v2.simulcastLayer"},
    "v2.subscribeParams": {"subscribeDegradation": "v2.subscribeDegradation"},
    "v2.settings": {"recording": "v2.recording", "roomState": "v2.roomState"},
    "v2.recording": {"upload": "v2.upload"},
    "v2.upload": {"options": "v2.options", "credentials": "v2.credentials"},
    "v2.destinations": {
        "rtmpDestinations": MAP + "v2.rtmpDestination",
        "hlsDestinations": MAP + "v2.hlsDestination",
        "transcriptions": MAP + "v2.transcription",
    },
    "v2.hlsDestination": {"layers": LIST + "v2.hlsLayer", "recording": "v2.hlsRecording"},
    "v2.hlsRecording": {"layers": LIST + "v2.hlsLayer", "thumbnails": "v2.thumbnails"},
    "v2.transcription": {"summary": "v2.summary", "translation": "v2.translation"},
    "v2.summary": {"sections": LIST + "v2.summarySection"},
    "v2.recordingConfig": {
        "thumbnails": "v2.thumbnails",
        "compositeRecording": "v2.compositeRecording",
        "trackRecording": "v2.enabledOnly",
        "streamRecording": "v2.streamRecording",
    },
    "v2.compositeRecording": {
        "browserComposite": "v2.browserComposite",
        "customComposite": "v2.enabledOnly",
    },
    "v2.plugins": {"whiteboard": "v2.whiteboard", "transcriptions": "v2.transcriptionPlugin"},
    "v2.whiteboard": {"permissions": "v2.whiteboardPermissions"},
    "v2.transcriptionPlugin": {"permissions": "v2.transcriptionPermissions"},
}


def _definition(name: str) -> Json:
    """A schema object by name: `roleObject` in the v1 schema, `v2.roleObject` in the v2 one."""
    api, _, plain = name.rpartition(".")
    if plain == "template":
        whole: Json = schema(api or "v1")
        return whole
    found: Json = schema(api or "v1")["$defs"][plain]
    return found


def is_v2(definition: str) -> bool:
    return definition.startswith("v2.")


def kind_of(child: str) -> str:
    """`credentials` for `credentials` and `v2.credentials`."""
    return child.rpartition(".")[2]


@cache
def _properties(definition: str) -> Json:
    props: Json = _definition(definition)["properties"]
    return props


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


def _each(child: str) -> tuple[str, str]:
    """A child's marker (MAP, LIST or "") and the definition of it, or of each of its items."""
    for marker in (MAP, LIST):
        if child.startswith(marker):
            return marker, child[len(marker) :]
    return "", child


def _items(value: Any, marker: str) -> list[tuple[Any, Any]]:
    """(name or index, item) pairs of a map or list; none for anything else."""
    if marker == MAP:
        return list(value.items()) if isinstance(value, dict) else []
    return list(enumerate(value)) if isinstance(value, list) else []


def _collect(pairs: Iterable[tuple[Any, Any]], marker: str) -> Any:
    return dict(pairs) if marker == MAP else [v for _, v in pairs]


def server_role(name: str) -> bool:
    """A role the server made for itself (`__internal_recorder`, which an HLS destination names
    as its role): left alone unless a file names it, never exported."""
    return name.startswith(SERVER_ROLE_PREFIX)


def server_owned(key: str, item: Any) -> bool:
    """An HLS destination the server made for its own recorder: not the file's to manage."""
    return key == "hlsDestinations" and _obj(item).get("role") == INTERNAL_RECORDER


def complete(value: Any, definition: str) -> Json:
    """Every field the value sets, and the documented defaults of every object it has.

    Optional objects (`subscribeDegradation`, `upload`, `credentials`, v2's destinations and
    the like) are there only if the value has them."""
    given = _obj(value)
    out: Json = {}
    for key, prop in _properties(definition).items():
        if key in HINTS:
            continue
        child = _CHILDREN.get(definition, {}).get(key)
        item = _given(given, key)
        if child is not None:
            marker, sub = _each(child)
            if marker:
                if item is not ABSENT:
                    out[key] = _collect(
                        ((k, complete(v, sub)) for k, v in _items(item, marker)), marker
                    )
                continue
            if item is ABSENT and (key in OPTIONAL_OBJECTS or kind_of(child) == "credentials"):
                continue
            out[key] = complete(item, child)
        elif item is not ABSENT:
            out[key] = _as_set(key, item)
        elif "default" in prop:
            out[key] = prop["default"]
    return out


def complete_role(role: Any, api: str = "v1") -> Json:
    return complete(role, _named("roleObject", api))


def complete_settings(settings: Any, api: str = "v1") -> Json:
    return complete(settings, _named("settings", api))


def _named(definition: str, api: str) -> str:
    return definition if api == "v1" else f"{api}.{definition}"


def file_form(value: Any, definition: str) -> Json:
    """A live object as a file would say it: the fields the schema knows, documented defaults
    left out (a file that leaves them out means the same), `subscribeDegradation` kept where
    present (its presence is a setting). Credentials are the caller's to replace."""
    out: Json = {}
    for key, prop in _properties(definition).items():
        item = _given(_obj(value), key)
        child = _CHILDREN.get(definition, {}).get(key)
        if item is ABSENT and prop.get("default") is True and isinstance(value, dict):
            out[key] = False  # an absent flag reads as false (see views), so say so
            continue
        if item is ABSENT or key in HINTS:
            continue
        marker, sub = _each(child or "")
        if child is not None and marker:
            pairs = _items(item, marker)
            kept = ((k, file_form(v, sub)) for k, v in pairs if not server_owned(key, v))
            out[key] = _collect(kept, marker)
        elif child is not None and isinstance(item, dict):
            form = file_form(item, child) if kind_of(child) != "credentials" else dict(item)
            if form or key in OPTIONAL_OBJECTS:
                out[key] = form
        elif "default" not in prop or item != prop["default"]:
            out[key] = _as_set(key, item)
    # Plain values first (`priority: 5` before the objects), as people write them.
    return dict(sorted(out.items(), key=lambda kv: isinstance(kv[1], dict | list)))


# -- views: what is compared -------------------------------------------------------------------


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


def fingerprint(value: Any) -> str:
    """A digest of a live object exactly as read, to notice any change since."""
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()
