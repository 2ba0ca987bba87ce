"""The emulator's reading of the v2 pages' rules for destinations (RTMP, HLS, transcriptions),
recording configurations and plugins. See rules_v2.py for roles, settings and templates.
"""

from __future__ import annotations

from typing import Any

from .rules import Rule, _check, _fields, _object, booleans, strings

HLS_RULES: dict[str, Rule] = {
    "maxDuration": (int, 0, None, None),
    "playlistType": (str, None, None, ("event", "live")),
    "numPlaylistSegments": (int, 3, 150, None),
    "videoFrameRate": (int, 1, None, None),
    "autoStopTimeout": (int, 0, None, None),
}
RTMP_RULES: dict[str, Rule] = {
    "width": (int, 0, None, None),
    "height": (int, 0, None, None),
    "maxDuration": (int, 0, None, None),
    "autoStopTimeout": (int, 0, None, None),
}
BOOLEANS = {
    "rtmp": ("recordingEnabled",),
    "hls": ("enableMetadataInsertion", "enableStaticUrl"),
    "hls_recording": ("hlsVod", "singleFilePerLayer", "enableZipUpload"),
}


def _named_map(value: Any, path: str, check: Any) -> list[str]:
    problems: list[str] = []
    items = _object(value, path, problems)
    for key, item in (items or {}).items():
        where = f"{path}.{key}"
        obj = _object(item, where, problems)
        if obj is None:
            continue
        if not isinstance(obj.get("name"), str):
            problems.append(f"{where}.name: is required and must be a string")
        problems += check(obj, where)
    return problems


def check_destinations(
    destinations: Any, has_storage: bool, path: str = "destinations"
) -> list[str]:
    problems: list[str] = []
    body = _object(destinations, path, problems)
    if body is None:
        return problems
    if "rtmpDestinations" in body:
        problems += _named_map(body["rtmpDestinations"], f"{path}.rtmpDestinations", _rtmp)
    if "hlsDestinations" in body:
        problems += _named_map(
            body["hlsDestinations"], f"{path}.hlsDestinations", lambda o, p: _hls(o, p, has_storage)
        )
    if "transcriptions" in body:
        problems += _named_map(body["transcriptions"], f"{path}.transcriptions", _transcription)
    if "browserRecordings" in body:  # deprecated, still taken
        problems += _named_map(body["browserRecordings"], f"{path}.browserRecordings", _role_named)
    return problems


def _role_named(obj: dict[str, Any], path: str) -> list[str]:
    return (
        []
        if isinstance(obj.get("role"), str)
        else [f"{path}.role: is required and must be a string"]
    )


def _rtmp(obj: dict[str, Any], path: str) -> list[str]:
    problems = _fields(obj, RTMP_RULES, path) + booleans(obj, BOOLEANS["rtmp"], path)
    if "rtmpUrls" in obj:
        found = strings(obj["rtmpUrls"], f"{path}.rtmpUrls")
        if not found and len(obj["rtmpUrls"]) > 3:
            found = [f"{path}.rtmpUrls: at most 3 URLs"]
        problems += found
    return problems


def _layers(value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{path}: must be an array"]
    problems: list[str] = []
    for i, layer in enumerate(value):
        where = f"{path}[{i}]"
        item = _object(layer, where, problems)
        if item is None:
            continue
        rules: dict[str, Rule] = {
            key: (int, 0, None, None) for key in ("width", "height", "videoBitrate", "audioBitrate")
        }
        found = _fields(item, rules, where)
        problems += found
        width, height = item.get("width"), item.get("height")
        if found or not isinstance(width, int) or not isinstance(height, int):
            continue
        problems += [
            f"{where}.{k}: must be an even number" for k in ("width", "height") if item[k] % 2
        ]
        low, high = sorted((width, height))
        if not 144 <= low <= 1080:
            problems.append(
                f"{where}: the smaller of width and height must be between 144 and 1080, got {low}"
            )
        if not 192 <= high <= 1920:
            problems.append(
                f"{where}: the larger of width and height must be between 192 and 1920, got {high}"
            )
    return problems


def _hls(obj: dict[str, Any], path: str, has_storage: bool) -> list[str]:
    problems = _fields(obj, HLS_RULES, path) + booleans(obj, BOOLEANS["hls"], path)
    if "layers" in obj:
        problems += _layers(obj["layers"], f"{path}.layers")
    if "recording" in obj:
        recording = _object(obj["recording"], f"{path}.recording", problems)
        if recording is not None:
            where = f"{path}.recording"
            problems += booleans(recording, BOOLEANS["hls_recording"], where)
            if "layers" in recording:
                problems += _layers(recording["layers"], f"{where}.layers")
            if "thumbnails" in recording:
                problems += _thumbnails(recording["thumbnails"], f"{where}.thumbnails")
            if "presignDuration" in recording:
                problems += _check(
                    recording["presignDuration"], (int, 0, None, None), f"{where}.presignDuration"
                )
            if recording.get("enableZipUpload") is True and not has_storage:
                problems.append(
                    f"{where}.enableZipUpload: needs your own storage (settings.recording.upload)"
                )
    return problems


def _thumbnails(value: Any, path: str) -> list[str]:
    problems: list[str] = []
    obj = _object(value, path, problems)
    if obj is None:
        return problems
    problems += booleans(obj, ("enabled",), path)
    rules: dict[str, Rule] = {key: (int, 0, None, None) for key in ("width", "height", "fps")}
    problems += _fields(obj, rules, path)
    if "offsets" in obj:
        offsets = obj["offsets"]
        if not isinstance(offsets, list) or not all(
            isinstance(o, int) and not isinstance(o, bool) for o in offsets
        ):
            problems.append(f"{path}.offsets: must be an array of integers")
    return problems


def _transcription(obj: dict[str, Any], path: str) -> list[str]:
    problems = _role_named(obj, path)
    modes = obj.get("modes", [])
    if "modes" in obj:
        problems += strings(modes, f"{path}.modes", ("recorded", "live", "caption"))
    if "outputModes" in obj:
        problems += strings(obj["outputModes"], f"{path}.outputModes", ("txt", "srt", "json"))
    if "customVocabulary" in obj:
        problems += strings(obj["customVocabulary"], f"{path}.customVocabulary")
    if "summary" in obj:
        problems += _summary(obj["summary"], f"{path}.summary")
    if "translation" in obj:
        translation = _object(obj["translation"], f"{path}.translation", problems)
        if translation is not None:
            problems += booleans(translation, ("enabled",), f"{path}.translation")
            languages = translation.get("roleLanguages", {})
            if not isinstance(languages, dict) or not all(
                isinstance(v, str) for v in languages.values()
            ):
                problems.append(
                    f"{path}.translation.roleLanguages: must map role names to language codes"
                )
            if (
                translation.get("enabled") is True
                and isinstance(modes, list)
                and "caption" not in modes
            ):
                problems.append(f"{path}.translation: is supported only in caption mode")
    return problems


def _summary(value: Any, path: str) -> list[str]:
    problems: list[str] = []
    obj = _object(value, path, problems)
    if obj is None:
        return problems
    problems += booleans(obj, ("enabled", "enable"), path)
    if "context" in obj:
        context = obj["context"]
        if not isinstance(context, str):
            problems.append(f"{path}.context: must be a string")
        elif len(context) > 300:
            problems.append(f"{path}.context: must be at most 300 characters, got {len(context)}")
    if "temperature" in obj:
        temperature = obj["temperature"]
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            problems.append(f"{path}.temperature: must be a number")
        elif not 0.1 <= temperature <= 1.0:
            problems.append(f"{path}.temperature: must be between 0.1 and 1.0, got {temperature}")
    sections = obj.get("sections", [])
    if not isinstance(sections, list):
        return [*problems, f"{path}.sections: must be an array"]
    if len(sections) > 6:
        problems.append(f"{path}.sections: at most 6 sections, got {len(sections)}")
    for i, section in enumerate(sections):
        where = f"{path}.sections[{i}]"
        item = _object(section, where, problems)
        if item is None:
            continue
        title = item.get("title")
        if not isinstance(title, str):
            problems.append(f"{where}.title: is required and must be a string")
        elif len(title) > 100:
            problems.append(f"{where}.title: must be at most 100 characters, got {len(title)}")
        if "format" not in item:
            problems.append(f"{where}.format: is required")
        else:
            problems += _check(
                item["format"], (str, None, None, ("bullets", "paragraph")), f"{where}.format"
            )
    return problems


def check_plugins(plugins: Any, path: str = "plugins") -> list[str]:
    problems: list[str] = []
    body = _object(plugins, path, problems)
    if body is None:
        return problems
    levels = {"whiteboard": ("admin", "writer", "reader"), "transcriptions": ("admin",)}
    noise = body.get("noiseCancellation")
    if noise is not None:
        obj = _object(noise, f"{path}.noiseCancellation", problems)
        if obj is not None and "enabled" in obj and not isinstance(obj["enabled"], bool):
            problems.append(f"{path}.noiseCancellation.enabled: must be a boolean")
    for plugin, names in levels.items():
        if plugin not in body:
            continue
        obj = _object(body[plugin], f"{path}.{plugin}", problems)
        if obj is None:
            continue
        permissions = _object(obj.get("permissions", {}), f"{path}.{plugin}.permissions", problems)
        for level in names:
            if permissions is not None and level in permissions:
                problems += strings(permissions[level], f"{path}.{plugin}.permissions.{level}")
        if plugin == "transcriptions" and "mode" in obj:
            problems += _check(
                obj["mode"], (str, None, None, ("caption",)), f"{path}.{plugin}.mode"
            )
    return problems


def check_recordings(configs: Any, roles: dict[str, Any]) -> list[str]:
    if not isinstance(configs, list):
        return ["body: must be an array of recording configurations"]
    if len(configs) > 1:
        return ["body: only one recording configuration is allowed for now"]
    problems: list[str] = []
    for i, config in enumerate(configs):
        where = f"[{i}]"
        obj = _object(config, where, problems)
        if obj is None:
            continue
        if not isinstance(obj.get("name"), str):
            problems.append(f"{where}.name: is required and must be a string")
        role = obj.get("role")
        if not isinstance(role, str):
            problems.append(f"{where}.role: is required and must be a string")
        elif role not in roles:
            problems.append(f"{where}.role: {role} is not a role of this template")
        rules: dict[str, Rule] = {
            k: (int, 0, None, None) for k in ("maxDuration", "presignDuration")
        }
        problems += _fields(obj, rules, where)
        if "thumbnails" in obj:
            problems += _thumbnails(obj["thumbnails"], f"{where}.thumbnails")
        problems += _recording_kinds(obj, where)
    return problems


def _recording_kinds(obj: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    size: dict[str, Rule] = {
        k: (int, 0, None, None) for k in ("width", "height", "autoStopTimeout")
    }
    composite = _object(obj.get("compositeRecording", {}), f"{path}.compositeRecording", problems)
    if composite is not None:
        if "browserComposite" in composite:
            where = f"{path}.compositeRecording.browserComposite"
            browser = _object(composite["browserComposite"], where, problems)
            if browser is not None:
                problems += booleans(browser, ("autoStart", "enabled"), where) + _fields(
                    browser, size, where
                )
        if "customComposite" in composite:
            where = f"{path}.compositeRecording.customComposite"
            custom = _object(composite["customComposite"], where, problems)
            if custom is not None:
                problems += booleans(custom, ("enabled",), where)
    for kind in ("trackRecording", "streamRecording"):
        if kind in obj:
            item = _object(obj[kind], f"{path}.{kind}", problems)
            if item is not None:
                problems += booleans(item, ("enabled",), f"{path}.{kind}") + _fields(
                    item, size, f"{path}.{kind}"
                )
    return problems


def has_storage(settings: Any) -> bool:
    recording = settings.get("recording") if isinstance(settings, dict) else None
    return isinstance(recording, dict) and isinstance(recording.get("upload"), dict)
