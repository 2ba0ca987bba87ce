"""Names and values made safe for each output: terminals and Markdown. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ..problems import shorten

# Never raw: characters a terminal acts on (newlines, escapes) or reorders (bidi controls),
# and every character a reader cannot see, so `zw\u200bsp` never passes for `zwsp`: Unicode's
# control, format (zero-width, joiners, bidi marks, tags) and line/paragraph separators, and the
# invisible marks and fillers outside those categories (variation selectors, Hangul fillers).
_INVISIBLE = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd"
    "\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\uffa0\ufe00-\ufe0f"
    "\U000e0100-\U000e01ef"
)
_CONTROL = re.compile(f"[{_INVISIBLE}]")
_COMMAND = re.compile(r"^(\s*):(?=:)")
# Characters Markdown or HTML act on, and @ (a mention pings a person): numeric entities.
_MARKUP = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>&@~\"':]")
MD_NAME = 60  # characters of a name a comment shows
MARKDOWN_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters


def visible(text: str) -> str:
    """Every invisible or controlling character shown as its escape (`\\u200b`)."""
    return _CONTROL.sub(_escaped, str(text))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def safe(text: str) -> str:
    """Text for a terminal: invisible and control characters shown as escapes, so a name
    cannot forge, hide or pass for another; and no line that starts with `::` (after spaces),
    which GitHub's job log would run as a workflow command (`::error`, `::add-mask::`)."""
    return _COMMAND.sub(lambda m: m.group(1) + "\\u003a", visible(text))


def without_invisible(text: str) -> str:
    return _CONTROL.sub("", text)


def lookalikes(names: Iterable[str], managed: Iterable[str]) -> dict[str, str]:
    """Each name that differs from a managed one only by invisible characters, to that one."""
    seen = {without_invisible(m): m for m in managed}
    out = {}
    for name in names:
        twin = seen.get(without_invisible(name))
        if twin is not None and twin != name:
            out[name] = twin
    return out


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


def md_list(names: list[str] | tuple[str, ...], most: int = 20, managed: Iterable[str] = ()) -> str:
    """Names in Markdown; one that passes for a managed name (invisible characters aside) is
    called out as such."""
    twins = lookalikes(names[:most], managed)
    shown = ", ".join(md(n) + _twin(n, twins, md) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def names_text(names: Iterable[str], managed: Iterable[str] = ()) -> str:
    """Names for a terminal, comma-separated, called out as md_list calls them out."""
    names = list(names)
    twins = lookalikes(names, managed)
    return ", ".join(safe(n) + _twin(n, twins, safe) for n in names)


def _twin(name: str, twins: dict[str, str], show: Callable[[str], str]) -> str:
    if name not in twins:
        return ""
    return f" (not {show(twins[name])}: it differs from that managed name by invisible characters)"


def capped(text: str, limit: int) -> str:
    """The last guard of GitHub's limit, whatever the input: cut, and say so."""
    if len(text) <= limit:
        return text
    note = "\n\n> [!NOTE]\n> **Cut to stay under GitHub's comment limit.** Run `hmsync` locally.\n"
    return text[: limit - len(note)] + note
