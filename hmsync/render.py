"""Rendering: results to text, JSON, Markdown and GitHub annotations. Pure functions."""

from __future__ import annotations

import json
from typing import Any

from .problems import Problem


def _counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def validation_text(problems: list[Problem], files: int) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    lines = [str(p) for p in problems]
    checked = f"{_counted(files, 'file')} checked"
    if not problems:
        lines.append(f"{checked}: no problems.")
    else:
        lines.append(f"{checked}: {_counted(errors, 'error')}, {_counted(warnings, 'warning')}.")
    return "\n".join(lines) + "\n"


def validation_json(problems: list[Problem], files: int) -> str:
    body: dict[str, Any] = {
        "format_version": 1,
        "files": files,
        "errors": sum(p.severity == "error" for p in problems),
        "warnings": sum(p.severity == "warning" for p in problems),
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
        props = f"file={_escape_property(loc.file)},line={loc.line},col={loc.col}"
        what = f"{p.path}: {p.message}" if p.path else p.message
        lines.append(f"::{p.severity} {props}::{_escape_data(what)}")
    return "\n".join([*lines, validation_text(problems, files).splitlines()[-1]]) + "\n"
