"""Overlays: partial template files an environment merges on top of the templates.

Mappings merge key by key, lists and scalars replace, `null` removes a key, and a role the
template does not have is added. A problem in a value the overlay set is located in the overlay.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..problems import Location, Path
from .loader import Document


def merge(base: Any, top: Any, path: Path = (), taken: set[Path] | None = None) -> Any:
    """top merged onto base; taken collects the paths whose value came from top."""
    taken = set() if taken is None else taken
    if not isinstance(base, dict) or not isinstance(top, dict):
        taken.add(path)
        return copy.deepcopy(top)
    out = dict(base)
    for key, value in top.items():
        if value is None:
            out.pop(key, None)
        elif key in base:
            out[key] = merge(base[key], value, (*path, key), taken)
        else:
            taken.add((*path, key))
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class Overlaid(Document):
    """A template with an overlay on top: its data is the merge; each location is the file's
    that set the value."""

    base: Document | None = field(default=None, repr=False)
    overlay: Document | None = field(default=None, repr=False)
    taken: set[Path] = field(default_factory=set, repr=False)

    def _owner(self, path: Path) -> Document:
        assert self.base is not None and self.overlay is not None
        return self.overlay if _under(path, self.taken) else self.base

    def where(self, path: Path) -> Location:
        return self._owner(path).where(path)

    def where_key(self, path: Path) -> Location:
        return self._owner(path).where_key(path)


def overlaid(base: Document, overlay: Document) -> Overlaid:
    taken: set[Path] = set()
    data = merge(base.data, {k: v for k, v in overlay.data.items() if k != "name"}, (), taken)
    digest = hashlib.sha256(f"{base.digest}\0{overlay.digest}".encode()).hexdigest()
    return Overlaid(
        base.file,
        data,
        base.text,
        {p for p in base.interpolated if not _under(p, taken)} | overlay.interpolated,
        digest,
        {p for p in base.unresolved if not _under(p, taken)} | overlay.unresolved,
        base=base,
        overlay=overlay,
        taken=taken,
    )


def _under(path: Path, taken: set[Path]) -> bool:
    return any(path[:end] in taken for end in range(len(path), -1, -1))


def by_name(overlays: list[Document]) -> Mapping[str, Document]:
    return {str(o.data.get("name")): o for o in overlays if isinstance(o.data.get("name"), str)}
