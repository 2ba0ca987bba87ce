"""Template files: finding them, reading their bytes, and the document each one gives.

A document keeps its values and, worked out on first use, where each value and key sits in the
file (yamlfile.py does the YAML).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from ..errors import InputError
from ..problems import Location, Path, Problem

TEMPLATE_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 1024 * 1024  # templates are a few KB; checked before parsing


@dataclass
class Document:
    """One template file: its data, and where each value and key sits in the file.

    Locations are worked out on first use, by reading the text again: most files have no
    problem, and recording a location for every value of a thousand files costs seconds.
    """

    file: str
    data: dict[str, Any]
    text: str = ""
    interpolated: set[Path] = field(default_factory=set)
    digest: str = ""
    unresolved: set[Path] = field(default_factory=set)  # a ${...} that could not be filled
    floats: bool = True  # whether a value may be a float (False: none is; coercion is moot)
    _values: dict[Path, Location] | None = field(default=None, repr=False)
    _keys: dict[Path, Location] = field(default_factory=dict, repr=False)

    def _locate(self) -> dict[Path, Location]:
        if self._values is None:
            from .yamlfile import locate

            self._values, self._keys = locate(self.file, self.text)
        return self._values

    def where(self, path: Path) -> Location:
        """The location of the value at path, or of its nearest located ancestor."""
        values = self._locate()
        for end in range(len(path), -1, -1):
            loc = values.get(path[:end])
            if loc is not None:
                return loc
        return Location(self.file, 1, 1)

    def where_key(self, path: Path) -> Location:
        self._locate()
        return self._keys.get(path) or self.where(path)


def find_files(paths: Iterable[str]) -> list[FsPath]:
    """The template files named by PATHS: files as given, folders searched for *.yaml/*.yml."""
    found: list[FsPath] = []
    for name in paths:
        p = FsPath(name)
        if p.is_dir():
            files = sorted(f for f in _walk(p) if f.suffix in TEMPLATE_SUFFIXES and f.is_file())
            if not files:
                raise InputError(f"{name}: no *.yaml or *.yml files in this folder")
            _inside(p, files)
            found.extend(files)
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(
                f"{name}: no such file or folder; pass the files or folders of your templates"
            )
    # One file named twice (as a file and inside a folder) is still one template.
    return list(dict.fromkeys(found))


def _inside(folder: FsPath, files: list[FsPath]) -> None:
    """Files found in a folder stay in it: a symbolic link out of it (to another repository's
    secrets, to /etc) is refused, so a pull request cannot make hmsync read and echo them."""
    root = folder.resolve()
    for file in files:
        if not file.resolve().is_relative_to(root):
            raise InputError(
                f"{file}:1:1: a symbolic link out of {folder}/; hmsync reads the template "
                "files inside the folder only: replace the link with the file itself"
            )


def _walk(folder: FsPath) -> Iterable[FsPath]:
    """Every file below folder; a folder that cannot be read is an error, never skipped."""

    def refuse(exc: OSError) -> None:
        raise InputError(f"{exc.filename}: cannot read this folder: {exc.strerror}")

    for parent, _, names in os.walk(folder, onerror=refuse):
        yield from (FsPath(parent) / n for n in names)


def load_file(
    path: FsPath,
    environ: Mapping[str, str] = os.environ,
    require_env: bool = True,
    variables: Mapping[str, Any] | None = None,
) -> tuple[Document | None, list[Problem]]:
    """Read one template file. Returns the document (None if unreadable) and its problems."""
    raw, problems = read_file(path)
    if raw is None:
        return None, problems
    return load_bytes(str(path), raw, environ, require_env, variables)


def read_file(path: FsPath) -> tuple[bytes | None, list[Problem]]:
    """A file's bytes, or None and why not (unreadable, or far too large for a template)."""
    name = str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, [Problem(Location(name, 1, 1), "", f"cannot read the file: {exc.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        msg = f"the file is over {MAX_FILE_BYTES // 1024} KiB, far beyond any template; split it"
        return None, [Problem(Location(name, 1, 1), "", msg)]
    return raw, []


def load_bytes(
    name: str,
    raw: bytes,
    environ: Mapping[str, str] = os.environ,
    require_env: bool = True,
    variables: Mapping[str, Any] | None = None,
) -> tuple[Document | None, list[Problem]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        msg = f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return None, [Problem(Location(name, line, col), "", msg)]
    from .yamlfile import parse  # PyYAML: only when a file is parsed

    parsed = parse(name, text, environ, require_env, variables)
    if parsed.data is None:
        return None, parsed.problems
    digest = hashlib.sha256(raw).hexdigest()
    document = Document(
        name, parsed.data, text, parsed.interpolated, digest, parsed.unresolved, parsed.floats
    )
    return document, parsed.problems
