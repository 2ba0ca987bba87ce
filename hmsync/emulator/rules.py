"""The emulator's own reading of the documented body rules (seed 004), and its role fill.

Written from the API documentation alone; it shares no code with hmsync's schema, normalizer
or diff, so that the two check each other.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NAME_RE = re.compile(r"^[a-zA-Z0-9 ._:-]+$")

# What the seed's create-template example answers for an empty role `{}`: the only literal
# server output we have, so missing fields are filled from it (not from the field tables).
EXAMPLE_ROLE: dict[str, Any] = {
    "publishParams": {
        "allowed": ["video", "screen", "audio"],
        "audio": {"bitRate": 32, "codec": "opus"},
        "video": {"bitRate": 250, "codec": "vp8", "frameRate": 30, "width": 480, "height": 270},
        "screen": {"codec": "vp8", "frameRate": 10, "width": 1920, "height": 1080},
    },
    "subscribeParams": {
        "subscribeToRoles": ["guest"],
        "maxSubsBitRate": 3200,
        "subscribeDegradation": {},
    },
    "permissions": {},
}

# (type, minimum, maximum, choices) per documented field; None where the docs give nothing.
Rule = tuple[type, int | None, int | None, tuple[str, ...] | None]
TRACK_RULES: dict[str, dict[str, Rule]] = {
    "audio": {"bitRate": (int, 16, 128, None), "codec": (str, None, None, ("opus",))},
    "video": {
        "bitRate": (int, 30, 2000, None),
        "codec": (str, None, None, ("vp8",)),
        "frameRate": (int, 1, 30, None),
        "height": (int, 50, 1080, None),
        "width": (int, 50, 1920, None),
    },
    "screen": {
        "bitRate": (int, 500, None, None),
        "codec": (str, None, None, ("vp8",)),
        "frameRate": (int, 1, 30, None),
        "height": (int, 270, 1080, None),
        "width": (int, 480, 1920, None),
    },
}
DEGRADATION_RULES: dict[str, Rule] = {
    "packetLossThreshold": (int, 1, 100, None),
    "degradeGracePeriodSeconds": (int, 1, 10, None),
    "recoverGracePeriodSeconds": (int, 1, 10, None),
}
PERMISSIONS = ("endRoom", "removeOthers", "mute", "unmute", "changeRole")
TRACKS = ("audio", "video", "screen")
REGIONS = ("in", "us", "eu", "auto")


# The phrases of a value of the right type outside a documented range or enum: refused only in
# the reading that refuses them (the seed's own example stores screen height 1086).
RANGE_PHRASES = ("must be between", "must be at least", "must be one of")


def is_range_problem(problem: str) -> bool:
    return any(phrase in problem for phrase in RANGE_PHRASES)


def is_enum_problem(problem: str) -> bool:
    return "must be one of" in problem


def fill_role(role: dict[str, Any], name: str) -> dict[str, Any]:
    """The role as the server stores it: the example's values wherever the body is silent."""
    filled = _fill(role, EXAMPLE_ROLE)
    filled["name"] = name
    return filled


def _fill(given: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(given)
    for key, value in example.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and value and isinstance(out[key], dict):
            out[key] = _fill(out[key], value)
    return out


def _check(value: Any, rule: Rule, path: str) -> list[str]:
    kind, low, high, choices = rule
    # bool is an int in Python; the API wants a JSON number.
    if not isinstance(value, kind) or isinstance(value, bool):
        return [f"{path}: must be {'an integer' if kind is int else 'a string'}"]
    if choices is not None and value not in choices:
        return [f"{path}: must be one of {', '.join(choices)}"]
    if not isinstance(value, int):
        return []
    if low is not None and high is not None and not low <= value <= high:
        return [f"{path}: must be between {low} and {high}, got {value}"]
    if low is not None and value < low:
        return [f"{path}: must be at least {low}, got {value}"]
    return []


def _object(value: Any, path: str, problems: list[str]) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    problems.append(f"{path}: must be an object")
    return None


def _fields(obj: dict[str, Any], rules: dict[str, Rule], path: str) -> list[str]:
    problems: list[str] = []
    for key, rule in rules.items():
        if key in obj:
            problems += _check(obj[key], rule, f"{path}.{key}")
    return problems


Check = Callable[[dict[str, Any], str], list[str]]


def _none(obj: dict[str, Any], path: str) -> list[str]:
    return []


@dataclass(frozen=True)
class Dialect:
    """What differs between the API versions' rules for the same objects; v1's by default.
    The *_more checks add a version's own fields to an object that passed the shared ones."""

    max_priority: int = 10
    permissions: tuple[str, ...] = PERMISSIONS
    tracks: tuple[str, ...] = TRACKS
    storage: tuple[str, ...] = ("s3",)
    secret: tuple[str, ...] = ("secret",)  # the secret's names, the documented one first
    default_flag: bool = True  # v1's `default` on a template
    recording_may_be_null: bool = False  # v2 answers (and takes) `recording: null`
    role_more: Check = _none
    publish_more: Check = _none
    settings_more: Check = _none
    template_more: Check = _none


V1 = Dialect()


def check_role(role: Any, path: str, dialect: Dialect = V1) -> list[str]:
    problems: list[str] = []
    body = _object(role, path, problems)
    if body is None:
        return problems
    if "name" in body and not isinstance(body["name"], str):
        problems.append(f"{path}.name: must be a string")
    if "priority" in body:
        rule: Rule = (int, 1, dialect.max_priority, None)
        problems += _check(body["priority"], rule, f"{path}.priority")
    if "publishParams" in body:
        publish = _object(body["publishParams"], f"{path}.publishParams", problems)
        if publish is not None:
            problems += _publish(publish, f"{path}.publishParams", dialect)
    if "subscribeParams" in body:
        subscribe = _object(body["subscribeParams"], f"{path}.subscribeParams", problems)
        if subscribe is not None:
            problems += _subscribe(subscribe, f"{path}.subscribeParams")
    if "permissions" in body:
        permissions = _object(body["permissions"], f"{path}.permissions", problems)
        if permissions is not None:
            problems += booleans(permissions, dialect.permissions, f"{path}.permissions")
    return problems + dialect.role_more(body, path)


def _publish(publish: dict[str, Any], path: str, dialect: Dialect) -> list[str]:
    problems: list[str] = []
    if "allowed" in publish:
        allowed = publish["allowed"]
        if not isinstance(allowed, list) or any(t not in dialect.tracks for t in allowed):
            problems.append(f"{path}.allowed: must be a subarray of [{', '.join(dialect.tracks)}]")
    for track, rules in TRACK_RULES.items():
        if track in publish:
            params = _object(publish[track], f"{path}.{track}", problems)
            if params is not None:
                problems += _fields(params, rules, f"{path}.{track}")
    return problems + dialect.publish_more(publish, path)


def _subscribe(subscribe: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "maxSubsBitRate" in subscribe:
        problems += _check(
            subscribe["maxSubsBitRate"], (int, 0, None, None), f"{path}.maxSubsBitRate"
        )
    if "subscribeToRoles" in subscribe:
        roles = subscribe["subscribeToRoles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            problems.append(f"{path}.subscribeToRoles: must be an array of role names")
    if "subscribeDegradation" in subscribe:
        degradation = _object(
            subscribe["subscribeDegradation"], f"{path}.subscribeDegradation", problems
        )
        if degradation is not None:
            problems += _fields(degradation, DEGRADATION_RULES, f"{path}.subscribeDegradation")
    return problems


def check_settings(settings: Any, path: str = "settings", dialect: Dialect = V1) -> list[str]:
    problems: list[str] = []
    body = _object(settings, path, problems)
    if body is None:
        return problems
    if "region" in body:
        problems += _check(body["region"], (str, None, None, REGIONS), f"{path}.region")
    more = dialect.settings_more(body, path)
    recording = body.get("recording")
    if "recording" not in body or (recording is None and dialect.recording_may_be_null):
        return problems + more
    recording = _object(recording, f"{path}.recording", problems)
    if recording is None:
        return problems + more
    problems += booleans(recording, ("enabled",), f"{path}.recording")
    if "upload" in recording:
        upload = _object(recording["upload"], f"{path}.recording.upload", problems)
        if upload is not None:
            problems += _upload(upload, f"{path}.recording.upload", dialect)
    return problems + more


def _upload(upload: dict[str, Any], path: str, dialect: Dialect) -> list[str]:
    problems: list[str] = []
    if "type" not in upload:
        problems.append(f"{path}.type: is required")
    else:
        problems += _check(upload["type"], (str, None, None, dialect.storage), f"{path}.type")
    for key in ("location", "prefix"):
        if key not in upload:
            problems.append(f"{path}.{key}: is required")
        elif not isinstance(upload[key], str):
            problems.append(f"{path}.{key}: must be a string")
    if "options" in upload:
        options = _object(upload["options"], f"{path}.options", problems)
        if options is not None and "region" in options and not isinstance(options["region"], str):
            problems.append(f"{path}.options.region: must be a string")
    if "credentials" in upload:
        credentials = _object(upload["credentials"], f"{path}.credentials", problems)
        if credentials is not None:
            # The key, and the secret by any of its names (v2 answers say `secret` too, and an
            # answer written back must be a valid request).
            secret = next((credentials[k] for k in dialect.secret if k in credentials), None)
            for key, value in (("key", credentials.get("key")), (dialect.secret[0], secret)):
                if not isinstance(value, str):
                    problems.append(f"{path}.credentials.{key}: is required and must be a string")
    return problems


def undocumented_names(body: Any, api: str, path: str = "settings") -> list[str]:
    """The `names: strict` reading: a settings body (or a template's) naming the storage
    secret as the other API does (v2 requests say `secretKey`, v1's say `secret`)."""
    settings = body.get("settings") if isinstance(body, dict) and path == "body" else body
    upload = settings.get("recording") if isinstance(settings, dict) else None
    upload = upload.get("upload") if isinstance(upload, dict) else None
    credentials = upload.get("credentials") if isinstance(upload, dict) else None
    if not isinstance(credentials, dict):
        return []
    documented, other = ("secretKey", "secret") if api == "v2" else ("secret", "secretKey")
    if other not in credentials:
        return []
    where = "settings" if path == "body" else path
    return [
        f"{where}.recording.upload.credentials.{other}: not a field of a {api} request; "
        f"the {api} API names the storage secret {documented}"
    ]


def check_template(body: Any, require_whole: bool, dialect: Dialect = V1) -> list[str]:
    """A create (require_whole False) or modify (True: roles and settings required) body."""
    problems: list[str] = []
    if not isinstance(body, dict):
        return ["body: must be a JSON object"]
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not NAME_RE.match(name):
            problems.append(
                "name: accepted characters are a-z, A-Z, 0-9, space, hyphen -, dot ., "
                "underscore _ and colon :"
            )
    if dialect.default_flag and "default" in body and not isinstance(body["default"], bool):
        problems.append("default: must be a boolean")
    for key in ("roles", "settings"):
        if require_whole and key not in body:
            problems.append(f"{key}: is required")
    if "roles" in body:
        roles = _object(body["roles"], "roles", problems)
        for role_name, role in (roles or {}).items():
            problems += check_role(role, f"roles.{role_name}", dialect)
    if "settings" in body:
        problems += check_settings(body["settings"], "settings", dialect)
    return problems + dialect.template_more(body, "")


def booleans(obj: dict[str, Any], keys: tuple[str, ...] | list[str], path: str) -> list[str]:
    return [
        f"{path}.{k}: must be a boolean" for k in keys if k in obj and not isinstance(obj[k], bool)
    ]


def strings(value: Any, path: str, choices: tuple[str, ...] | None = None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [f"{path}: must be an array of strings"]
    if choices is not None and any(v not in choices for v in value):
        return [f"{path}: must be one of {', '.join(choices)}"]
    return []
