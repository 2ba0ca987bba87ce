"""Names and values made safe for each output: terminals and Markdown. Pure."""

from __future__ import annotations

import re

from ..problems import shorten

# Characters a terminal acts on (newlines, escapes) or reorders (bidi controls): never raw.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_COMMAND = re.compile(r"^(\s*):(?=:)")
# Characters Markdown or HTML act on, and @ (a mention pings a person): numeric entities.
_MARKUP = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>&@~\"':]")
MD_NAME = 60  # characters of a name a comment shows
MARKDOWN_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters


def safe(text: str) -> str:
    """Text for a terminal: control characters shown as escapes, so a name cannot forge or
    hide a line; and no line that starts with `::` (after spaces), which GitHub's job log
    would run as a workflow command (`::error`, `::add-mask::`, `::stop-commands::`)."""
    text = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))
    return _COMMAND.sub(lambda m: m.group(1) + "\\u003a", text)


def lines_safe(lines: list[str]) -> str:
    return "\n".join(safe(line) for line in lines) + "\n"


def md(name: str, limit: int = MD_NAME) -> str:
    """A name in Markdown, outside code: shortened, every markup character an entity, as code."""
    return "<code>" + md_text(name, limit) + "</code>"


def md_text(name: str, limit: int = MD_NAME) -> str:
    """A name in Markdown as plain text (a table header): shortened, markup as entities."""
    return _MARKUP.sub(lambda m: f"&#{ord(m.group())};", shorten(safe(name), limit))


def counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def md_list(names: list[str] | tuple[str, ...], most: int = 20) -> str:
    shown = ", ".join(md(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def capped(text: str, limit: int) -> str:
    """The last guard of GitHub's limit, whatever the input: cut, and say so."""
    if len(text) <= limit:
        return text
    note = "\n\n> [!NOTE]\n> **Cut to stay under GitHub's comment limit.** Run `hmsync` locally.\n"
    return text[: limit - len(note)] + note
