"""Live values written into an existing template file in place, as `terraform apply
-refresh-only` accepts live into state: each value the plan would set back is replaced where the
file states it literally; comments, layout, anchors, variables and every other line stay as
they are. Pure: text in, text out.

A value the file does not state literally cannot be refreshed without changing what the file
means, so it is a refusal, said with the path: a `${vars.*}` (each environment sets its own: the
live value of one would become every environment's), an `${HMSYNC_*}` (a secret), a key the file
leaves out (a default), a list in block style, a whole object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from ..model import ABSENT
from ..paths import FieldPath


@dataclass(frozen=True)
class Edit:
    path: FieldPath  # from the file's top: ("roles", "host", "priority")
    value: Any  # the live value to write


def _token(value: Any) -> str:
    """value as one YAML flow token: `in`, `2`, `true`, `"a: b"`, `[audio, video]`."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000, sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def _nodes(root: yaml.Node, path: FieldPath) -> list[yaml.Node]:
    """The nodes from the root down along path (the last the value's), or [] if it is not
    there."""
    node: yaml.Node | None = root
    out = [root]
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if 0 <= part < len(node.value) else None
        else:
            return []
        if node is None:
            return []
        out.append(node)
    return out


def _shared(root: yaml.Node | None) -> set[int]:
    """The nodes reached more than once (an anchor and its aliases): one text for several
    places, so an edit there would change them all."""
    seen: set[int] = set()
    twice: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            twice.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [v for _, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += list(node.value)
    return twice


def refreshed(text: str, edits: Sequence[Edit]) -> tuple[str, list[str]]:
    """text with every edit made in place, and why any edit could not be (a path each). No
    edit is made where any is refused: a file half refreshed says neither state."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    shared = _shared(root)
    spans: list[tuple[int, int, str]] = []
    refused: list[str] = []
    for edit in edits:
        where = ".".join(str(p) for p in edit.path)
        along = _nodes(root, edit.path) if root is not None else []
        node = along[-1] if along else None
        if any(id(n) in shared for n in along):
            refused.append(f"{where}: an anchor states it for several places; change it by hand")
            continue
        if edit.value is ABSENT:
            refused.append(f"{where}: live has no value here; remove it from the file by hand")
            continue
        if node is None:
            refused.append(
                f"{where}: the file leaves it out (a default); live has {_token(edit.value)}; "
                "add it by hand"
            )
            continue
        raw = text[node.start_mark.index : node.end_mark.index]
        if "${" in raw:
            refused.append(
                f"{where}: the file reads {raw.strip()}, and live has {_token(edit.value)}; a "
                "variable is each environment's own (or a secret): change its value where it "
                "is set, not the file"
            )
            continue
        flow_list = isinstance(node, yaml.SequenceNode) and node.flow_style
        if not isinstance(node, yaml.ScalarNode) and not flow_list:
            refused.append(f"{where}: not a single value in the file; change it by hand")
            continue
        spans.append((node.start_mark.index, node.end_mark.index, _token(edit.value)))
    if refused:
        return text, refused
    for start, end, token in sorted(spans, reverse=True):  # from the end: indexes hold
        text = text[:start] + token + text[end:]
    return text, []
