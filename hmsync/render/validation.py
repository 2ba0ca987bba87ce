"""validate's report: text, JSON and GitHub annotations. Pure."""

from __future__ import annotations

import json
from typing import Any

from ..problems import Problem
from .escape import counted, lines_safe, visible


def validation_text(problems: list[Problem], files: int) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    notes = len(problems) - errors - warnings
    lines = [str(p) for p in problems]
    checked = f"{counted(files, 'file')} checked"
    if not problems:
        lines.append(f"{checked}: no problems.")
    else:
        also = f", {counted(notes, 'note')}" if notes else ""
        lines.append(
            f"{checked}: {counted(errors, 'error')}, {counted(warnings, 'warning')}{also}."
        )
    return lines_safe(lines)


def validation_json(problems: list[Problem], files: int) -> str:
    body: dict[str, Any] = {
        "format_version": 1,
        "files": files,
        "errors": sum(p.severity == "error" for p in problems),
        "warnings": sum(p.severity == "warning" for p in problems),
        "notes": sum(p.severity == "note" for p in problems),
        "problems": [
            {
                "file": p.location.file,
                "line": p.location.line,
                "col": p.location.col,
                "path": p.path,
                "severity": p.severity,
                "message": p.message,
            }
            for p in problems
        ],
    }
    return json.dumps(body, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def validation_github(problems: list[Problem], files: int) -> str:
    """GitHub workflow commands, so each problem shows on its line of the pull request."""
    lines = []
    for p in problems:
        loc = p.location
        props = f"file={_escape_property(visible(loc.file))},line={loc.line},col={loc.col}"
        what = f"{p.path}: {p.message}" if p.path else p.message
        level = "notice" if p.severity == "note" else p.severity
        lines.append(f"::{level} {props}::{_escape_data(visible(what))}")
    return "\n".join([*lines, validation_text(problems, files).splitlines()[-1]]) + "\n"
