"""`.hmsync-cache/`: what reading and checking a template file found, by the file's content.

A thousand files cost seconds of YAML parsing and schema checks; unchanged files, which are
nearly all of them from one run to the next, need neither. An entry is found by a hash of
everything its result depends on: hmsync's version, the API's schema, the environment's vars,
whether missing variables are errors, and the bytes themselves (for a document with an
overlay: both files' bytes). So a stale entry is never found: it is only unused, and dropped
at the next save.

What is never cached: a file that reads the process environment (`${HMSYNC_*}`), whose
values are secrets and may change without the file changing. `apply` does not read the
cache at all: what it writes never depends on a file outside the repository's own.

The folder is safe to delete; it holds its own `.gitignore`, so git never sees it, and a
CACHEDIR.TAG, so backup tools skip it. An unreadable or foreign cache file is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .loader import Document, load_bytes, read_file
from .problems import Location, Problem

FOLDER = ".hmsync-cache"
FORMAT = 1
_READS_ENVIRONMENT = re.compile(rb"\$\{(?!vars\.)")
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# hmsync's cache; see hmsync/filecache.py\n"


def context_key(api: str, schema_text: str, variables: Mapping[str, Any] | None,
                require_env: bool) -> str:  # fmt: skip
    """What every entry of one run depends on besides the files' bytes."""
    parts = [__version__, str(FORMAT), api, schema_text, json.dumps(variables, sort_keys=True,
             default=repr), str(require_env)]  # fmt: skip
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def cacheable(raw: bytes) -> bool:
    """Whether a file's result depends on its bytes and the run's context alone."""
    return _READS_ENVIRONMENT.search(raw) is None


class FileCache:
    """The entries of one context, read at the start of a run and written back at its end
    with exactly the entries this run used (so entries of removed files do not pile up).

    The file is one line per entry, `KEY JSON`, after a header line: an entry is decoded only
    when a run asks for it, and every ask gets fresh objects (a caller may change them)."""

    def __init__(self, root: Path, context: str) -> None:
        self.folder = root / FOLDER
        self.context = context
        self.path = self.folder / f"files-{context[:20]}.txt"
        self.found: dict[str, str] = self._read()
        self.used: dict[str, str] = {}

    def key(self, *parts: str) -> str:
        return hashlib.sha256("\0".join((self.context, *parts)).encode()).hexdigest()

    def get(self, key: str) -> Any | None:
        body = self.found.get(key, "")
        try:
            entry = json.loads(body) if body else None
        except ValueError:  # a damaged line: read the file afresh
            entry = None
        if entry is not None:
            self.used[key] = body
        return entry

    def put(self, key: str, entry: Any) -> None:
        """Keep entry for the next run; one JSON cannot say (a date, say) is not kept."""
        with contextlib.suppress(TypeError, ValueError):
            self.used[key] = json.dumps(entry, separators=(",", ":"))

    def _header(self) -> str:
        return f"hmsync-cache {FORMAT} {self.context}"

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
        lines = text.split("\n")
        if lines[0] != self._header():
            return {}
        found = {}
        for line in lines[1:]:
            key, _, body = line.partition(" ")
            if body:  # a line cut short is no entry; a key nobody asks for is never read
                found[key] = body
        return found

    def save(self) -> None:
        """Write the used entries back, if they differ from what was read. A cache that
        cannot be written (a read-only checkout) is no error: the next run reads afresh."""
        if self.used.keys() == self.found.keys():
            return
        import tempfile  # only when there is something to write

        try:
            self.folder.mkdir(exist_ok=True)
            for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", _TAG)):
                if not (self.folder / name).exists():
                    (self.folder / name).write_text(text, encoding="utf-8")
            fd, tmp = tempfile.mkstemp(prefix=".files-", dir=self.folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(self._header() + "\n")
                    f.writelines(f"{k} {v}\n" for k, v in self.used.items())
                os.replace(tmp, self.path)  # a second run meanwhile reads the old or the new
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass


def load_cached(
    path: Path,
    environ: Mapping[str, str],
    require_env: bool,
    variables: Mapping[str, Any] | None,
    cache: FileCache | None,
) -> tuple[Document | None, list[Problem]]:
    """loader.load_file, through the cache when the file allows it."""
    raw, problems = read_file(path)
    if raw is None:
        return None, problems
    name = str(path)
    if cache is None or not cacheable(raw):
        return load_bytes(name, raw, environ, require_env, variables)
    digest = hashlib.sha256(raw).hexdigest()
    key = cache.key("load", name, digest)
    found = _restored(cache.get(key), name, raw, digest)
    if found is not None:
        return found
    doc, problems = load_bytes(name, raw, environ, require_env, variables)
    if doc is not None and not doc.interpolated:
        cache.put(key, {"data": doc.data, "unresolved": sorted(doc.unresolved, key=repr),
                        "floats": doc.floats, "problems": problems_entry(problems)})  # fmt: skip
    return doc, problems


def _restored(
    entry: Any, name: str, raw: bytes, digest: str
) -> tuple[Document, list[Problem]] | None:
    """The document and problems an entry holds, or None if it is not the shape put made
    (a damaged cache is read afresh, never trusted into an error)."""
    ok = (
        isinstance(entry, dict)
        and isinstance(entry.get("data"), dict)
        and isinstance(entry.get("unresolved"), list)
        and all(isinstance(p, list) for p in entry["unresolved"])
        and isinstance(entry.get("floats"), bool)
    )
    problems = problems_of(entry.get("problems")) if ok else None
    if problems is None:
        return None
    unresolved = {tuple(p) for p in entry["unresolved"]}
    text = raw.decode("utf-8-sig")
    return Document(name, entry["data"], text, set(), digest, unresolved, entry["floats"]), problems


def problems_entry(problems: list[Problem]) -> list[list[Any]]:
    return [
        [p.location.file, p.location.line, p.location.col, p.path, p.message, p.severity, p.code]
        for p in problems
    ]


def problems_of(entry: Any) -> list[Problem] | None:
    """The problems problems_entry wrote, or None if entry is not that shape."""
    if not isinstance(entry, list):
        return None
    out = []
    for item in entry:
        if not (
            isinstance(item, list)
            and len(item) == 7
            and [type(v) for v in item] == [str, int, int, str, str, str, str]
            and item[5] in ("error", "warning", "note")
        ):
            return None
        f, line, col, path, message, severity, code = item
        out.append(Problem(Location(f, line, col), path, message, severity, code))
    return out
