"""How rooms are shown: each action's headline, and a table of the rooms a plan changes, before
and after (template, region, size, enabled, codes per role: counts and states, never a code).
Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...model import Action, TemplatePlan
from ...render.escape import md_text, safe

SYMBOLS = {
    "create_room": "+",
    "enable_room": "~",
    "update_room": "~",
    "enable_codes": "~",
    "disable_codes": "-",
    "disable_room": "-",
}
SUMMARY_WORDS = {
    "create_room": "{n} room{s} to create",
    "enable_room": "{n} room{s} to enable",
    "update_room": "{n} room{s} to update",
    "enable_codes": "room codes of {n} role{s} to enable",
    "disable_codes": "room codes of {n} role{s} to disable",
    "disable_room": "{n} room{s} to retire (disable)",
}
COLUMNS = ("template", "region", "size", "enabled", "codes")


def headline(action: Action) -> str:
    room = f"room {action.template}"
    return {
        "create_room": f"{room} will be created",
        "enable_room": f"{room} will be enabled",
        "update_room": f"{room} will be updated",
        "enable_codes": f"{room}: room codes of role {action.role} will be enabled "
        "(one created if none is)",
        "disable_codes": f"{room}: every room code of role {action.role} will be DISABLED",
        "disable_room": f"{room} will be DISABLED (retired: nobody can join it after its "
        "current session)",
    }[action.kind]


def row(room: Mapping[str, Any] | None, codes: Mapping[str, Any] | None) -> dict[str, str]:
    """A room's cells: `-` where it has no value (a room to create has no before)."""
    if room is None:
        return dict.fromkeys(COLUMNS, "-")
    shown = []
    for role in sorted(codes or {}):
        state = codes[role]  # type: ignore[index]
        if isinstance(state, dict):
            shown.append(
                f"{role}: {state.get('enabled', 0)} enabled, {state.get('disabled', 0)} disabled"
            )
        else:
            shown.append(f"{role}: {state}")
    return {
        "template": str(room.get("template") or "-"),
        "region": str(room.get("region") or "auto"),
        "size": str(room.get("size", "-")),
        "enabled": "yes" if room.get("enabled", True) is not False else "no",
        "codes": "; ".join(shown) or ("(room disabled)" if codes is None else "-"),
    }


def _rows(entries: list[TemplatePlan]) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    out = []
    for entry in entries:
        if not entry.actions or not entry.live_roles:
            continue  # a saved plan holds no live read: its changes say it all
        pictures = entry.live_roles
        out.append(
            (
                entry.name,
                pictures.get("before") or row(None, None),
                pictures.get("after") or row(None, None),
            )
        )
    return out


def _cell(before: str, after: str) -> str:
    return after if before == after else f"{before} -> {after}"


def text(entries: list[TemplatePlan]) -> list[str]:
    rows = _rows(entries)
    if not rows:
        return []
    lines = ["Rooms (before -> after):"]
    for name, before, after in rows:
        new = all(v == "-" for v in before.values())  # a room to create: what it will be
        cells = ", ".join(f"{c} {after[c] if new else _cell(before[c], after[c])}" for c in COLUMNS)
        lines.append(safe(f"    {name}: {cells}"))
    return [*lines, ""]


def markdown(entries: list[TemplatePlan]) -> str:
    rows = _rows(entries)
    if not rows:
        return ""
    lines = [
        "#### Rooms",
        "",
        "| room | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for name, before, after in rows:
        cells = " | ".join(
            md_text(after[c], 200)
            if before[c] == after[c]
            else f"{md_text(before[c], 200)} → {md_text(after[c], 200)}"
            for c in COLUMNS
        )
        lines.append(f"| {md_text(name)} | {cells} |")
    return "\n".join(lines) + "\n"
