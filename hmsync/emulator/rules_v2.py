"""The emulator's reading of the v2 pages' body rules (seeds-v2), and what the server fills in.

Like rules.py, written from the documentation alone and sharing nothing with hmsync's schema,
normalizer or diff. Problems are "path: what is wrong" strings; those with a range phrase
(rules.RANGE_PHRASES) are refused only in the out_of_range=refuse reading.
"""

from __future__ import annotations

import copy
from typing import Any

from .rules import (
    DEGRADATION_RULES,
    NAME_RE,
    REGIONS,
    TRACK_RULES,
    Rule,
    _check,
    _fields,
    _object,
    booleans,
    strings,
)
from .rules_destinations import check_destinations, check_plugins, has_storage

PERMISSIONS = (
    "endRoom",
    "removeOthers",
    "mute",
    "unmute",
    "changeRole",
    "sendRoomState",
    "pollRead",
    "pollWrite",
    "browserRecording",
    "rtmpStreaming",
    "hlsStreaming",
)
# The three permissions whose documented default is true: every create answer shows them,
# though no request sends them.
TRUE_PERMISSIONS = ("rtmpStreaming", "hlsStreaming", "browserRecording")
ALLOWED = ("audio", "video", "screen", "simulcast")
STORAGE_TYPES = ("s3", "gs", "oss", "azure")
RIDS = ("f", "h", "q")
# What a fresh template's settings answer shows (Retrieve Settings example).
ROOM_STATE = {
    "messageInterval": 5,
    "sendPeerList": False,
    "stopRoomStateOnJoin": True,
    "enabled": False,
}
# DECISION: the v2 pages have no literal answer for an empty role, so the field tables'
# defaults fill whatever a role leaves out at the top level.
EMPTY_ROLE: dict[str, Any] = {
    "publishParams": {
        "allowed": ["audio", "video", "screen"],
        "audio": {"bitRate": 32, "codec": "opus"},
        "video": {"bitRate": 256, "codec": "vp8", "frameRate": 25, "width": 320, "height": 180},
        "screen": {"bitRate": 1024, "codec": "vp8", "frameRate": 10, "width": 1280, "height": 720},
    },
    "subscribeParams": {"subscribeToRoles": [], "maxSubsBitRate": 3200},
    "permissions": {},
    "priority": 1,
    "maxPeerCount": 0,
}
LAYER_RULES: dict[str, Rule] = {
    "maxBitrate": (int, 0, 2000, None),
    "maxFramerate": (int, 1, 30, None),
}


def fill_role(role: dict[str, Any], name: str) -> dict[str, Any]:
    """The role as a v2 write stores it: the true-by-default permissions, and the table
    defaults for whatever top-level part the body leaves out."""
    filled = copy.deepcopy(role)
    for key, value in EMPTY_ROLE.items():
        filled.setdefault(key, copy.deepcopy(value))
    permissions = filled["permissions"]
    if isinstance(permissions, dict):
        for key in TRUE_PERMISSIONS:
            permissions.setdefault(key, True)
    return {"name": name, **{k: v for k, v in filled.items() if k != "name"}}


def check_role(role: Any, path: str) -> list[str]:
    problems: list[str] = []
    body = _object(role, path, problems)
    if body is None:
        return problems
    if "name" in body and not isinstance(body["name"], str):
        problems.append(f"{path}.name: must be a string")
    if "priority" in body:
        problems += _check(body["priority"], (int, 1, 5, None), f"{path}.priority")
    if "maxPeerCount" in body:
        problems += _check(body["maxPeerCount"], (int, -1, None, None), f"{path}.maxPeerCount")
    if "publishParams" in body:
        publish = _object(body["publishParams"], f"{path}.publishParams", problems)
        if publish is not None:
            problems += _publish(publish, f"{path}.publishParams")
    if "subscribeParams" in body:
        subscribe = _object(body["subscribeParams"], f"{path}.subscribeParams", problems)
        if subscribe is not None:
            problems += _subscribe(subscribe, f"{path}.subscribeParams")
    if "permissions" in body:
        permissions = _object(body["permissions"], f"{path}.permissions", problems)
        if permissions is not None:
            problems += booleans(permissions, PERMISSIONS, f"{path}.permissions")
    return problems


def _publish(publish: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "allowed" in publish:
        allowed = publish["allowed"]
        if not isinstance(allowed, list) or any(t not in ALLOWED for t in allowed):
            problems.append(f"{path}.allowed: must be a subarray of [{', '.join(ALLOWED)}]")
    for track, rules in TRACK_RULES.items():
        if track in publish:
            params = _object(publish[track], f"{path}.{track}", problems)
            if params is not None:
                problems += _fields(params, rules, f"{path}.{track}")
    if "simulcast" in publish:
        simulcast = _object(publish["simulcast"], f"{path}.simulcast", problems)
        for kind in ("video", "screen"):
            if simulcast is not None and kind in simulcast:
                problems += _simulcast(simulcast[kind], f"{path}.simulcast.{kind}")
    return problems


def _simulcast(value: Any, path: str) -> list[str]:
    problems: list[str] = []
    obj = _object(value, path, problems)
    # DECISION: `{}` is accepted (every example sends `"screen": {}`); `layers` is required
    # only in an object that says anything.
    if obj is None or not obj:
        return problems
    layers = obj.get("layers")
    if not isinstance(layers, list):
        return [f"{path}.layers: is required and must be an array"]
    if len(layers) > 3:
        problems.append(f"{path}.layers: at most 3 layers")
    previous: dict[str, Any] | None = None
    for i, layer in enumerate(layers):
        where = f"{path}.layers[{i}]"
        item = _object(layer, where, problems)
        if item is None:
            continue
        for key in ("rid", "scaleResolutionDownBy", "maxFramerate"):
            if key not in item:
                problems.append(f"{where}.{key}: is required")
        problems += _fields(item, LAYER_RULES, where)
        rid, scale = item.get("rid"), item.get("scaleResolutionDownBy")
        if "rid" in item and rid not in RIDS:
            problems.append(f"{where}.rid: must be f, h or q")
        if "scaleResolutionDownBy" in item:
            if isinstance(scale, bool) or not isinstance(scale, int | float):
                problems.append(f"{where}.scaleResolutionDownBy: must be a number")
                scale = None
            elif not 1 <= scale <= 12:
                problems.append(
                    f"{where}.scaleResolutionDownBy: must be between 1 and 12, got {scale}"
                )
        if i == 0 and (rid != "f" or scale != 1):
            problems.append(f"{where}: the first layer must be rid f with scaleResolutionDownBy 1")
        if previous is not None:
            before = previous.get("rid")
            if rid in RIDS and before in RIDS and RIDS.index(rid) <= RIDS.index(before):
                problems.append(f"{where}.rid: must come after {before} in the order f, h, q")
            low = previous.get("scaleResolutionDownBy")
            if isinstance(scale, int | float) and isinstance(low, int | float) and scale <= low:
                problems.append(
                    f"{where}.scaleResolutionDownBy: must be greater than the previous layer's"
                )
        previous = item
    return problems


def _subscribe(subscribe: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "maxSubsBitRate" in subscribe:
        problems += _check(
            subscribe["maxSubsBitRate"], (int, 0, None, None), f"{path}.maxSubsBitRate"
        )
    if "subscribeToRoles" in subscribe:
        problems += strings(subscribe["subscribeToRoles"], f"{path}.subscribeToRoles")
    if "subscribeDegradation" in subscribe:
        degradation = _object(
            subscribe["subscribeDegradation"], f"{path}.subscribeDegradation", problems
        )
        if degradation is not None:
            problems += _fields(degradation, DEGRADATION_RULES, f"{path}.subscribeDegradation")
    return problems


def check_settings(settings: Any, path: str = "settings") -> list[str]:
    problems: list[str] = []
    body = _object(settings, path, problems)
    if body is None:
        return problems
    if "region" in body:
        problems += _check(body["region"], (str, None, None, REGIONS), f"{path}.region")
    recording = body.get("recording")
    if recording is not None:  # `null` is what a template without storage answers, and takes
        recording = _object(recording, f"{path}.recording", problems)
    if recording is not None:
        problems += booleans(recording, ("enabled",), f"{path}.recording")
        if "upload" in recording:
            upload = _object(recording["upload"], f"{path}.recording.upload", problems)
            if upload is not None:
                problems += _upload(upload, f"{path}.recording.upload")
    if "roomState" in body:
        room = _object(body["roomState"], f"{path}.roomState", problems)
        if room is not None:
            problems += booleans(
                room, ("sendPeerList", "enabled", "stopRoomStateOnJoin"), f"{path}.roomState"
            )
            if "messageInterval" in room:
                interval = room["messageInterval"]
                found = _check(interval, (int, 5, 3600, None), f"{path}.roomState.messageInterval")
                if not found and interval % 5:
                    found = [f"{path}.roomState.messageInterval: must be a multiple of 5"]
                problems += found
    return problems


def _upload(upload: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "type" not in upload:
        problems.append(f"{path}.type: is required")
    else:
        problems += _check(upload["type"], (str, None, None, STORAGE_TYPES), f"{path}.type")
    for key in ("location", "prefix"):
        if key not in upload:
            problems.append(f"{path}.{key}: is required")
        elif not isinstance(upload[key], str):
            problems.append(f"{path}.{key}: must be a string")
    if "options" in upload:
        options = _object(upload["options"], f"{path}.options", problems)
        if options is not None and not isinstance(options.get("region", ""), str):
            problems.append(f"{path}.options.region: must be a string")
    if "credentials" in upload:
        credentials = _object(upload["credentials"], f"{path}.credentials", problems)
        if credentials is not None:
            if not isinstance(credentials.get("key"), str):
                problems.append(f"{path}.credentials.key: is required and must be a string")
            # DECISION: `secretKey` is the documented name; `secret` (what one answer shows)
            # is taken too, so that an answer written back is a valid request.
            secret = credentials.get("secretKey", credentials.get("secret"))
            if not isinstance(secret, str):
                problems.append(f"{path}.credentials.secretKey: is required and must be a string")
    return problems


def check_template(body: Any, require_whole: bool) -> list[str]:
    """A create (require_whole False) or update (True: roles and settings required) body."""
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
    for key in ("roles", "settings"):
        if require_whole and key not in body:
            problems.append(f"{key}: is required")
    if "roles" in body:
        roles = _object(body["roles"], "roles", problems)
        for role_name, role in (roles or {}).items():
            problems += check_role(role, f"roles.{role_name}")
    if "settings" in body:
        problems += check_settings(body["settings"])
    if "destinations" in body:
        problems += check_destinations(body["destinations"], has_storage(body.get("settings")))
    if "plugins" in body:
        problems += check_plugins(body["plugins"])
    return problems
