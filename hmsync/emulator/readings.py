"""Readings: where the 100ms docs leave room, the emulator can play each plausible answer.

The default of each is what the seed's own examples show (see the README, DECISIONS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar, cast

T = TypeVar("T")

CHOICES: dict[str, tuple[str, ...]] = {
    # Recording credentials in every answer: as stored, masked, or left out.
    "credentials": ("clear", "masked", "omitted"),
    # A role or settings write: merged into what is stored (a new role filled from the seed's
    # example), stored with the seed example's values for what it leaves out, or as sent.
    "writes": ("merge", "replace", "as-sent"),
    # Whether the `start` template is on the next page too.
    "start": ("exclusive", "inclusive"),
    # A value of the right type outside a documented range: stored as sent (the seed's Modify
    # Template example stores screen height 1086), or refused with 400.
    "out_of_range": ("store", "refuse"),
    # Update Settings: only `region` is documented; anything else is ignored, or the body
    # replaces the whole settings object.
    "update_settings": ("region", "whole"),
    # v2: the credentials' secret in answers. The v2 pages show `secretKey` in a template answer
    # and `secret` in the Update Settings answer ("documented" plays exactly that).
    "secret_name": ("documented", "secretKey", "secret"),
    # v2: the deprecated `_id`/`customer` beside `id`/`customerId`: shown, as every example
    # does, or gone, as the deprecation notice promises.
    "legacy_ids": ("shown", "omitted"),
    # v2: which answers drop `false` booleans: recordings only (as the Configure Recordings
    # example does), destinations too, or none. (Roles and settings keep them in every
    # example, and a dropped `false` of a true-by-default permission could not be told apart.)
    "drop_false": ("recordings", "recordings-and-destinations", "nowhere"),
    # v2: whether the server marks each HLS destination it stores with
    # `role: __internal_recorder`, as the Retrieve Template example shows one.
    "hls_role": ("none", "internal-recorder"),
    # v2: `destinations` and `plugins` left out of an Update Template body: kept, or cleared
    # ("this method overwrites all fields").
    "update_omitted": ("keep", "clear"),
    # Answers leave out empty lists and `false` values (Go's omitempty: the v2 pages' viewer
    # role has no `allowed`, and no example shows a false permission), or keep them.
    "omit_empty": ("kept", "omitted"),
    # A page that ends the list exactly: `last` is "" (the list ends there), or `last` is its
    # last id (make-api-calls.md) and the next page holds `data: []`, `data: null` or no `data`
    # (the official Node SDK stops on a missing `data`).
    "last_page": ("empty-last", "next-empty", "next-null", "next-missing"),
    # How an empty role is filled: each API its own way over the one store (v1 as the seed's
    # example, v2 as its pages), or one way for both, as a single real backend would.
    "fill": ("per-api", "v1", "v2"),
    # v2: a template that never set a region: answered `in`, or without a region.
    "v2_region": ("filled", "absent"),
    # A string outside a documented enum (`region: mars`): stored as sent, or refused with 400
    # (while numbers outside a range follow out_of_range).
    "enum": ("store", "refuse"),
    # Field names in a write's body: only the ones the pages document (a v2 request's storage
    # secret is `secretKey`, v1's `secret`), or either name, as answers use both.
    "names": ("strict", "lenient"),
    # Rooms: creating a name that exists returns that room unchanged ("returns the
    # corresponding room ID"), or applies the body to it (the same page's warning).
    "room_create": ("unchanged", "applied"),
    # Rooms: the list's `name` filter ignores case as names do, or matches exactly.
    "room_name_filter": ("insensitive", "exact"),
    # Rooms: a room whose region is `auto` (or never given) answered as `auto`, or with the
    # template's region (the Create example answers `us` for a body without one).
    "room_region": ("kept", "resolved"),
    # v2: a new template's `plugins.noiseCancellation` ("enabled by default for all new
    # templates"): answered as {enabled: true}, or absent (no server page names the field).
    "noise_cancellation": ("absent", "present"),
}
MASK = "****"


@dataclass
class Readings:
    credentials: str = "clear"
    writes: str = "merge"
    start: str = "exclusive"
    out_of_range: str = "store"
    update_settings: str = "region"
    secret_name: str = "documented"
    legacy_ids: str = "shown"
    drop_false: str = "recordings"
    hls_role: str = "none"
    update_omitted: str = "keep"
    omit_empty: str = "kept"
    last_page: str = "empty-last"
    fill: str = "per-api"
    v2_region: str = "filled"
    enum: str = "store"
    names: str = "strict"
    room_create: str = "unchanged"
    room_name_filter: str = "insensitive"
    room_region: str = "kept"
    noise_cancellation: str = "absent"
    lost_answer_rate: float = 0.0  # share of writes carried out whose answer is then lost

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Readings | None = None) -> Readings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown reading(s): {', '.join(unknown)}")
        merged = {**(base or cls()).as_dict(), **data}
        for name, choices in CHOICES.items():
            if merged[name] not in choices:
                raise ValueError(f"{name}: must be one of {', '.join(choices)}")
        rate = merged["lost_answer_rate"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            # NaN fails 0 <= rate too
            raise ValueError("lost_answer_rate: must be a number from 0 to 1")
        return cls(**merged)


def shown(template: dict[str, Any], readings: Readings) -> dict[str, Any]:
    """A stored template as an answer shows it: credentials per the reading. Edits in place
    (callers pass a copy)."""
    settings = template.get("settings")
    if isinstance(settings, dict):
        shown_settings(settings, readings)
    return omitted_empty(template, readings)


def omitted_empty(value: T, readings: Readings) -> T:
    """value without empty lists and `false` values, in the omit_empty reading."""
    if readings.omit_empty != "omitted":
        return value
    return cast(T, pruned(value, lambda v: v is False or v == []))


def pruned(value: Any, dropped: Callable[[Any], bool]) -> Any:
    """value without the object fields `dropped` says, at every depth."""
    if isinstance(value, dict):
        return {k: pruned(v, dropped) for k, v in value.items() if not dropped(v)}
    if isinstance(value, list):
        return [pruned(v, dropped) for v in value]
    return value


def page_answer(
    page: list[Any], more: bool, limit: int, key: str, continued: bool, readings: Readings
) -> dict[str, Any]:
    """A page of the list, its end said as the last_page reading says it.

    continued: the request named a `start` (a page after another)."""
    # A full page that ends the list says so with "" in the seed's reading; in the others it
    # names its last id, like any page, and the next one is empty.
    ends_full = not more and len(page) == limit and readings.last_page == "empty-last"
    last = page[-1][key] if page and not ends_full else ""
    answer: dict[str, Any] = {"limit": limit, "data": page, "last": last}
    if not page and continued and readings.last_page == "next-null":
        answer["data"] = None
    elif not page and continued and readings.last_page == "next-missing":
        del answer["data"]
    return answer


def shown_settings(settings: dict[str, Any], readings: Readings) -> dict[str, Any]:
    recording = settings.get("recording")
    upload = recording.get("upload") if isinstance(recording, dict) else None
    if isinstance(upload, dict) and "credentials" in upload:
        if readings.credentials == "omitted":
            del upload["credentials"]
        elif readings.credentials == "masked" and isinstance(upload["credentials"], dict):
            upload["credentials"] = dict.fromkeys(upload["credentials"], MASK)
    return settings


def merged(stored: Any, body: Any) -> Any:
    """body merged into stored: objects key by key, anything else replaced."""
    if not isinstance(stored, dict) or not isinstance(body, dict):
        return body
    out = dict(stored)
    for key, value in body.items():
        out[key] = merged(stored.get(key), value)
    return out
