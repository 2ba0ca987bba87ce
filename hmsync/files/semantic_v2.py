"""The v2 API's rules that JSON Schema cannot express, as located problems: simulcast layer
order, HLS layer sizes, destination names, captions-only translation, storage for zipped
uploads, and the roles that destinations, recordings and plugins name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..paths import get_path
from ..problems import Path, Problem, Severity, dotted, meant, shorten
from .loader import Document

RIDS = ("f", "h", "q")
DESTINATION_KINDS = ("rtmpDestinations", "hlsDestinations", "transcriptions")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _problem(doc: Document, path: Path, message: str, severity: Severity = "error") -> Problem:
    return Problem(doc.where(path), dotted(path), message, severity)


def v2_problems(doc: Document) -> Iterator[Problem]:
    data = doc.data
    roles = _obj(data.get("roles"))
    for name, role in roles.items():
        simulcast = _obj(get_path(role, ("publishParams", "simulcast")))
        for track in ("video", "screen"):
            layers = _obj(simulcast.get(track)).get("layers")
            if isinstance(layers, list):
                base: Path = ("roles", name, "publishParams", "simulcast", track, "layers")
                yield from _layer_order(doc, base, layers)
    destinations = _obj(data.get("destinations"))
    for kind in DESTINATION_KINDS:
        for key, item in _obj(destinations.get(kind)).items():
            where: Path = ("destinations", kind, key)
            yield from _destination(doc, where, _obj(item), roles, data)
    for i, config in enumerate(data.get("recordings") or []):
        yield from _role_named(
            doc, ("recordings", i, "role"), _obj(config).get("role"), roles, "error"
        )
    plugins = _obj(data.get("plugins"))
    for plugin in ("whiteboard", "transcriptions"):
        permissions = _obj(get_path(plugins, (plugin, "permissions")))
        for level, names in permissions.items():
            for i, role in enumerate(names if isinstance(names, list) else []):
                path = ("plugins", plugin, "permissions", level, i)
                yield from _role_named(doc, path, role, roles, "warning")


def _role_named(
    doc: Document, path: Path, role: Any, roles: dict[str, Any], severity: Severity
) -> Iterator[Problem]:
    if isinstance(role, str) and role not in roles:
        what = "the API refuses it" if severity == "error" else "it has no effect"
        message = f"role {shorten(role, 60)!r} is not defined in this template; {what}"
        message += meant(role, roles)
        yield _problem(doc, path, message, severity)


def _layer_order(doc: Document, base: Path, layers: list[Any]) -> Iterator[Problem]:
    previous: dict[str, Any] = {}
    for i, layer in enumerate(layers):
        item = _obj(layer)
        rid, scale = item.get("rid"), item.get("scaleResolutionDownBy")
        if i == 0 and (rid != "f" or scale != 1):
            yield _problem(
                doc, (*base, 0), "the first layer must be rid f with scaleResolutionDownBy 1"
            )
        before = previous.get("rid")
        if i and rid in RIDS and before in RIDS and RIDS.index(rid) <= RIDS.index(before):
            yield _problem(
                doc, (*base, i, "rid"), f"{rid!r} must come after {before!r} (order f, h, q)"
            )
        low = previous.get("scaleResolutionDownBy")
        if i and isinstance(scale, int | float) and isinstance(low, int | float) and scale <= low:
            yield _problem(
                doc,
                (*base, i, "scaleResolutionDownBy"),
                f"must be greater than the previous layer's ({low})",
            )
        previous = item


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _destination(
    doc: Document, base: Path, item: dict[str, Any], roles: dict[str, Any], data: dict[str, Any]
) -> Iterator[Problem]:
    name = item.get("name")
    if isinstance(name, str) and name != base[-1]:
        yield _problem(
            doc,
            (*base, "name"),
            f"{shorten(name, 60)!r} differs from its key {shorten(str(base[-1]), 60)!r}; "
            "hmsync knows a destination by its name, so they must match",
        )
    if base[1] == "hlsDestinations":
        for key in ("layers",):
            yield from _hls_layers(doc, (*base, key), item.get(key))
        recording = _obj(item.get("recording"))
        yield from _hls_layers(doc, (*base, "recording", "layers"), recording.get("layers"))
        upload = _obj(get_path(data, ("settings", "recording", "upload")))
        if recording.get("enableZipUpload") is True and not upload:
            yield _problem(
                doc,
                (*base, "recording", "enableZipUpload"),
                "needs your own storage (settings.recording.upload); with 100ms's storage the "
                "API refuses it",
            )
    if base[1] == "transcriptions":
        yield from _role_named(doc, (*base, "role"), item.get("role"), roles, "warning")
        modes = item.get("modes")
        translation = _obj(item.get("translation"))
        if (
            translation.get("enabled") is True
            and isinstance(modes, list)
            and "caption" not in modes
        ):
            yield _problem(
                doc,
                (*base, "translation"),
                "translation works only in caption mode; add caption to modes",
            )


def _hls_layers(doc: Document, base: Path, layers: Any) -> Iterator[Problem]:
    for i, layer in enumerate(layers if isinstance(layers, list) else []):
        width, height = _obj(layer).get("width"), _obj(layer).get("height")
        if not (isinstance(width, int) and isinstance(height, int)):
            continue
        low, high = sorted((width, height))
        if not 144 <= low <= 1080 or not 192 <= high <= 1920:
            # A documented range: a warning, written only with --allow-out-of-range (as v1's).
            path = (*base, i)
            message = (
                f"{width}x{height} is outside the documented sizes (the smaller side 144-1080, "
                "the larger 192-1920); the API may refuse it"
            )
            yield Problem(doc.where(path), dotted(path), message, "warning", "range")
