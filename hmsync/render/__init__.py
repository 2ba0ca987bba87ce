"""Rendering: results to text, JSON, Markdown and GitHub annotations. Pure functions."""

from .apply import apply_counts, apply_json, apply_text
from .drift import IN_SYNC, drift_json, drift_markdown, drift_text
from .escape import MARKDOWN_LIMIT, lines_safe, md, safe
from .markdown import plan_markdown
from .plan import (
    NO_CHANGES,
    action_title,
    ignored_note,
    plan_json,
    plan_text,
    summary_line,
    template_lines,
    write_only_note,
)
from .validation import validation_github, validation_json, validation_text

__all__ = [
    "IN_SYNC",
    "MARKDOWN_LIMIT",
    "NO_CHANGES",
    "action_title",
    "apply_counts",
    "apply_json",
    "apply_text",
    "drift_json",
    "drift_markdown",
    "drift_text",
    "ignored_note",
    "lines_safe",
    "md",
    "plan_json",
    "plan_markdown",
    "plan_text",
    "safe",
    "summary_line",
    "template_lines",
    "validation_github",
    "validation_json",
    "validation_text",
    "write_only_note",
]
