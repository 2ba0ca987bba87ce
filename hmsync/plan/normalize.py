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

This module holds the definitions, complete objects and the file form; views.py makes the two
sides of each comparison by the rules above.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from ..files.schema import schema
from ..model import ABSENT
from ..paths import FieldPath as FieldPath
from ..paths import get_path as get_path
from ..paths import patched as patched
from ..paths import remove_path as remove_path

# Re-exported, so that `normalize` stays the one name for what is compared and written.
from .concealment import SENSITIVE as SENSITIVE
from .concealment import WRITE_ONLY as WRITE_ONLY
from .concealment import SecretFn as SecretFn
from .concealment import conceal as conceal
from .concealment import credentials_readable as credentials_readable
from .concealment import masked as masked
from .concealment import secret_hasher as secret_hasher

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
    "v2.plugins": {
        "whiteboard": "v2.whiteboard",
        "transcriptions": "v2.transcriptionPlugin",
        "noiseCancellation": "v2.noiseCancellation",
    },
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


def fingerprint(value: Any) -> str:
    """A digest of a live object exactly as read, to notice any change since."""
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()
