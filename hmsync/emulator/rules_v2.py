"""The emulator's reading of the v2 pages' body rules (seeds-v2), and what the server fills in.

Like rules.py, written from the documentation alone and sharing nothing with hmsync's schema,
normalizer or diff. Problems are "path: what is wrong" strings; those with a range phrase
(rules.RANGE_PHRASES) are refused only in the out_of_range=refuse reading.
"""

from __future__ import annotations

import copy
from typing import Any

from . import rules
from .rules import Dialect, Rule, _check, _fields, _object, booleans
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


def _role_more(role: dict[str, Any], path: str) -> list[str]:
    if "maxPeerCount" not in role:
        return []
    return _check(role["maxPeerCount"], (int, -1, None, None), f"{path}.maxPeerCount")


def _publish_more(publish: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "simulcast" in publish:
        simulcast = _object(publish["simulcast"], f"{path}.simulcast", problems)
        for kind in ("video", "screen"):
            if simulcast is not None and kind in simulcast:
                problems += _simulcast(simulcast[kind], f"{path}.simulcast.{kind}")
    return problems


def _settings_more(settings: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "roomState" in settings:
        room = _object(settings["roomState"], f"{path}.roomState", problems)
        if room is not None:
            flags = ("sendPeerList", "enabled", "stopRoomStateOnJoin")
            problems += booleans(room, flags, f"{path}.roomState")
            if "messageInterval" in room:
                interval = room["messageInterval"]
                found = _check(interval, (int, 5, 3600, None), f"{path}.roomState.messageInterval")
                if not found and interval % 5:
                    found = [f"{path}.roomState.messageInterval: must be a multiple of 5"]
                problems += found
    return problems


def _template_more(body: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "destinations" in body:
        problems += check_destinations(body["destinations"], has_storage(body.get("settings")))
    if "plugins" in body:
        problems += check_plugins(body["plugins"])
    return problems


V2 = Dialect(
    max_priority=5,
    permissions=PERMISSIONS,
    tracks=ALLOWED,
    storage=STORAGE_TYPES,
    secret=("secretKey", "secret"),
    default_flag=False,  # gone from v2's pages: a v2 body's `default` is ignored
    recording_may_be_null=True,
    role_more=_role_more,
    publish_more=_publish_more,
    settings_more=_settings_more,
    template_more=_template_more,
)


def check_role(role: Any, path: str) -> list[str]:
    return rules.check_role(role, path, V2)


def check_settings(settings: Any, path: str = "settings") -> list[str]:
    return rules.check_settings(settings, path, V2)


def check_template(body: Any, require_whole: bool) -> list[str]:
    """A create (require_whole False) or update (True: roles and settings required) body."""
    return rules.check_template(body, require_whole, V2)
