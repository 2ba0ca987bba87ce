"""hmsync's cache: what reading and checking a template file found, by the file's content.

A thousand files cost seconds of YAML parsing and schema checks; unchanged files, which are
nearly all of them from one run to the next, need neither. An entry is found by a hash of
everything its result depends on: hmsync's version, the API's schema, the environment's vars,
whether missing variables are errors, the file's name and its bytes (for a document with an
overlay: both files'). So a stale entry is never found: it is only unused, and dropped at the
next save.

A cache is only as good as who can write it. It lives outside the work tree, in the user's
cache folder (XDG_CACHE_HOME, else ~/.cache; ~/Library/Caches on macOS, %LOCALAPPDATA% on
Windows), a folder per project; every line carries an HMAC under a random key made on this
machine and kept beside it, so an entry nobody here wrote (a pull request cannot reach that
folder, and cannot sign for it if it could) fails its check and the cache is ignored, with one
warning. A cache folder that git tracks is ignored too. With CI set there is no cache unless
asked for (--cache): a runner's cache is shared with whatever ran before.

What is never cached: a file that reads the process environment (`${HMSYNC_*}`), whose
values are secrets and may change without the file changing. `apply` does not read the
cache at all: what it writes never depends on a file outside the repository's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import __version__, jsontext
from ..problems import Location, Problem
from .loader import Document, load_bytes, read_file

LEGACY_FOLDER = ".hmsync-cache"  # where versions before 0.4 kept it: in the work tree
FORMAT = 2
_READS_ENVIRONMENT = re.compile(rb"\$\{(?!vars\.)")
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n# hmsync's cache; see hmsync/files/filecache.py\n"
)


def context_key(api: str, schema_text: str, variables: Mapping[str, Any] | None,
                require_env: bool) -> str:  # fmt: skip
    """What every entry of one run depends on besides the files' bytes."""
    parts = [__version__, str(FORMAT), api, schema_text, json.dumps(variables, sort_keys=True,
             default=repr), str(require_env)]  # fmt: skip
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def cacheable(raw: bytes) -> bool:
    """Whether a file's result depends on its bytes and the run's context alone."""
    return _READS_ENVIRONMENT.search(raw) is None


def _truthy(value: str | None) -> bool:
    return bool(value) and str(value).strip().lower() not in ("0", "false", "no", "off")


def user_cache_home(environ: Mapping[str, str]) -> Path | None:
    """The platform's folder for a user's caches, as environ names it; None without one."""
    xdg = environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the spec: a relative path is invalid and ignored
        return Path(xdg) / "hmsync"
    if sys.platform == "win32" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "hmsync" / "Cache"
    home = environ.get("HOME", "")
    if not os.path.isabs(home):
        return None
    if sys.platform == "darwin":
        return Path(home) / "Library" / "Caches" / "hmsync"
    return Path(home) / ".cache" / "hmsync"


def place(
    project: Path, environ: Mapping[str, str], asked: bool = False, warn: Any = None
) -> Path | None:
    """The cache folder of the project at `project`, or None for no cache: with CI set
    unless asked, without a user cache folder, or where git tracks the folder. warn(text)
    says why a cache is not used where that is a surprise."""
    say = warn or (lambda text: print(f"hmsync: warning: {text}", file=sys.stderr))
    project = project.resolve()
    if (project / LEGACY_FOLDER).is_dir():
        say(
            f"{LEGACY_FOLDER}/ in the work tree is not read (the cache lives outside the "
            "repository now, so no commit can fill it); delete that folder"
        )
    if _truthy(environ.get("CI")) and not asked:
        return None
    home = user_cache_home(environ)
    if home is None:
        return None
    folder = home / "projects" / hashlib.sha256(str(project).encode()).hexdigest()[:24]
    if folder.is_relative_to(project) and _tracked(folder, project):
        say(f"the cache folder {folder} is tracked by git; it is not used (untrack it)")
        return None
    return folder


def _tracked(folder: Path, project: Path) -> bool:
    """Whether git tracks anything under folder (only asked where it lies inside the work
    tree, so the usual run starts no git)."""
    import subprocess

    top = folder.parent.parent  # the hmsync folder of the user cache: its key lives below
    try:
        done = subprocess.run(
            ["git", "-C", str(project), "ls-files", "--", str(top)],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


class FileCache:
    """The entries of one context, read at the start of a run and written back at its end
    with exactly the entries this run used (so entries of removed files do not pile up).

    The file is one line per entry, `KEY MAC JSON`, after a header line; MAC is an HMAC of
    `KEY JSON` under the folder's key. An entry is checked and decoded only when a run asks
    for it, and every ask gets fresh objects (a caller may change them). One line that fails
    its check drops every entry: whoever wrote it may have written others."""

    def __init__(self, folder: Path, context: str, warn: Any = None) -> None:
        self.folder = folder
        self.context = context
        self.path = self.folder / f"files-{context[:20]}.txt"
        self.warn = warn or (lambda text: print(f"hmsync: warning: {text}", file=sys.stderr))
        self.secret = self._key()
        self.found: dict[str, tuple[str, str]] = self._read() if self.secret else {}
        self.used: dict[str, str] = {}

    def _key(self) -> bytes | None:
        """This folder's random key, made on first use, readable by this user only. None
        (no cache) where it can be neither read nor made."""
        path = self.folder / "key"
        try:
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            pass
        except (OSError, ValueError):
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another run made it meanwhile: read theirs
        except OSError:
            return None
        with contextlib.suppress(OSError, ValueError):
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        return None

    def key(self, *parts: str) -> str:
        return hashlib.sha256("\0".join((self.context, *parts)).encode()).hexdigest()

    def _mac(self, key: str, body: str) -> str:
        assert self.secret is not None
        return hmac.new(self.secret, f"{key} {body}".encode(), hashlib.sha256).hexdigest()

    def get(self, key: str) -> Any | None:
        mac, body = self.found.get(key, ("", ""))
        if not body:
            return None
        if not hmac.compare_digest(mac, self._mac(key, body)):
            self.warn(
                f"the cache in {self.folder} failed its check (something other than hmsync "
                "wrote it); it is ignored and written afresh"
            )
            self.found = {}
            return None
        try:
            entry = jsontext.loads(body)
        except ValueError:
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

    def _read(self) -> dict[str, tuple[str, str]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
        lines = text.split("\n")
        if lines[0] != self._header():
            return {}
        found = {}
        for line in lines[1:]:
            key, _, rest = line.partition(" ")
            mac, _, body = rest.partition(" ")
            if body:  # a line cut short is no entry; a key nobody asks for is never read
                found[key] = (mac, body)
        return found

    def save(self) -> None:
        """Write the used entries back, if they differ from what was read. A cache that
        cannot be written (a read-only home) is no error: the next run reads afresh."""
        if self.secret is None or self.used.keys() == self.found.keys():
            return
        import tempfile  # only when there is something to write

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", _TAG)):
                if not (self.folder / name).exists():
                    (self.folder / name).write_text(text, encoding="utf-8")
            fd, tmp = tempfile.mkstemp(prefix=".files-", dir=self.folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(self._header() + "\n")
                    f.writelines(f"{k} {self._mac(k, v)} {v}\n" for k, v in self.used.items())
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
