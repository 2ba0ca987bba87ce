"""Rendering: results to text, JSON, Markdown and GitHub annotations, and live templates as
template files (export). Pure functions: takes plans, outcomes, problems and live templates;
gives text. Imports the plan stage and the shared vocabulary, nothing above.

Its names load on first use (PEP 562), so `safe` for an error line costs no plan renderer."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers (`X as X`: re-exported on purpose)
    from .apply import apply_counts as apply_counts
    from .apply import apply_json as apply_json
    from .apply import apply_text as apply_text
    from .drift import IN_SYNC as IN_SYNC
    from .drift import drift_json as drift_json
    from .drift import drift_markdown as drift_markdown
    from .drift import drift_text as drift_text
    from .escape import MARKDOWN_LIMIT as MARKDOWN_LIMIT
    from .escape import lines_safe as lines_safe
    from .escape import md as md
    from .escape import safe as safe
    from .markdown import plan_markdown as plan_markdown
    from .plan import NO_CHANGES as NO_CHANGES
    from .plan import action_title as action_title
    from .plan import ignored_note as ignored_note
    from .plan import plan_json as plan_json
    from .plan import plan_text as plan_text
    from .plan import summary_line as summary_line
    from .plan import template_lines as template_lines
    from .plan import write_only_note as write_only_note
    from .validation import validation_github as validation_github
    from .validation import validation_json as validation_json
    from .validation import validation_text as validation_text

_WHERE = {
    **dict.fromkeys(("apply_counts", "apply_json", "apply_text"), ".apply"),
    **dict.fromkeys(("IN_SYNC", "drift_json", "drift_markdown", "drift_text"), ".drift"),
    **dict.fromkeys(("MARKDOWN_LIMIT", "lines_safe", "md", "safe"), ".escape"),
    "plan_markdown": ".markdown",
    **dict.fromkeys(
        (
            "NO_CHANGES",
            "action_title",
            "ignored_note",
            "plan_json",
            "plan_text",
            "summary_line",
            "template_lines",
            "write_only_note",
        ),
        ".plan",
    ),
    **dict.fromkeys(("validation_github", "validation_json", "validation_text"), ".validation"),
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)
