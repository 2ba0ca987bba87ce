"""JSON Schema validation and the checks a schema cannot express, as located problems."""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from .fastcheck import Check, compiled
from .filecache import FileCache, context_key, load_cached, problems_entry, problems_of
from .loader import Document, find_files
from .overlay import by_name, overlaid
from .semantic import CREDENTIALS_PATH, semantic_problems

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError
from ..model import Others
from ..problems import Path, Problem, did_you_mean, dotted, shorten, unknown_key

SCHEMA_RESOURCES = {"v1": "schemas/template.schema.json", "v2": "schemas/template.v2.schema.json"}
APIS = tuple(SCHEMA_RESOURCES)
# Another kind's schema (hmsync.kinds) is named by the kind's `schema`: "room".
SCHEMA_RESOURCES["room"] = "schemas/room.schema.json"
NAME_CHARS = "a-z A-Z 0-9, space, hyphen, dot, underscore and colon"
SENSITIVE = "(sensitive value)"


@cache
def schema_text(api: str = "v1") -> str:
    """The template schema of one API version (v1 or v2)."""
    resource = SCHEMA_RESOURCES[api]
    # Beside this module, as the package installs them (importlib.resources: +5 ms a start)
    return (pathlib.Path(__file__).parent.parent / resource).read_text(encoding="utf-8")


@cache
def schema(api: str = "v1") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(api))
    return loaded


@cache
def _inlined(api: str = "v1") -> dict[str, Any]:
    """The schema with its $refs inlined: it is not recursive, and validating against it
    resolves no references, which makes a thousand files about twice as fast to check."""
    inlined: dict[str, Any] = _inline(schema(api), schema(api)["$defs"])
    return inlined


@cache
def _validator(api: str = "v1") -> Draft202012Validator:
    # Imported here: only files with a problem need jsonschema's messages (see is_valid).
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_inlined(api))


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@dataclass(frozen=True)
class Checked:
    """The outcome of validating a set of files."""

    documents: list[Document]
    problems: list[Problem]
    files: int
    matched: Mapping[str, list[str]] = field(default_factory=dict)  # rule id: what it selected
    others: Others = field(default_factory=Others)  # the files of the other kinds (rooms)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def out_of_range(self) -> list[Problem]:
        """Values outside a documented range: fine while live already has them, refused
        where a plan would write them (unless --allow-out-of-range)."""
        return [p for p in self.problems if p.code == "range" and p.severity == "warning"]


def check_paths(
    paths: Iterable[str],
    environ: Mapping[str, str] = os.environ,
    strict: bool = False,
    require_env: bool = True,
    variables: Mapping[str, Any] | None = None,
    overlays: str | None = None,
    api: str = "v1",
    cache_root: pathlib.Path | None = None,
) -> Checked:
    """Load and check every template file under paths (each with its environment's overlay
    on top, if any) against the schema of the API version; every problem is gathered.
    cache_root: the cache folder that keeps what unchanged files gave (filecache.place)."""
    files = find_files(paths)
    problems: list[Problem] = []
    cache = None
    if cache_root is not None:
        cache = FileCache(cache_root, context_key(api, schema_text(api), variables, require_env))

    def load_all(found: list[pathlib.Path]) -> list[Document]:
        documents = []
        for path in found:
            doc, file_problems = load_cached(path, environ, require_env, variables, cache)
            problems.extend(file_problems)
            if doc is not None:
                documents.append(doc)
        return documents

    documents = load_all(files)
    if overlays:
        documents = _with_overlays(documents, load_all(find_files([overlays])), problems)
    for doc in documents:
        problems.extend(_schema_cached(doc, api, cache))
        if doc.floats:
            coerce_integers(doc.data, api=api)
    if cache is not None:
        cache.save()
    problems.extend(semantic_problems(documents, api))
    if strict:
        problems = [
            replace(p, severity="error") if p.severity == "warning" else p for p in problems
        ]
    return Checked(documents, sorted(set(problems)), len(files))


def check_kind_files(
    paths: Iterable[str],
    schema_name: str,
    environ: Mapping[str, str],
    require_env: bool = True,
    variables: Mapping[str, Any] | None = None,
) -> tuple[list[Document], list[Problem], int]:
    """The files of another kind (rooms) under paths, each against that kind's schema; their
    ${vars.*} from the environment as a template's. No overlays, no cache (they are few)."""
    files = find_files(paths)
    documents, problems = [], []
    for path in files:
        doc, file_problems = load_cached(path, environ, require_env, variables, None)
        problems.extend(file_problems)
        if doc is not None:
            problems.extend(schema_problems(doc, schema_name))
            documents.append(doc)
    return documents, problems, len(files)


def _with_overlays(
    documents: list[Document], tops: list[Document], problems: list[Problem]
) -> list[Document]:
    """Each template with the overlay of its name on top; an overlay matching none is a
    problem of its own."""
    names = {d.data.get("name") for d in documents}
    for top in tops:
        name = top.data.get("name")
        if name not in names:
            problems.append(
                Problem(
                    top.where(("name",)),
                    "name",
                    f"no template named {shorten(str(name), 60)!r} to overlay; an overlay "
                    "is matched to a template by its name",
                )
            )
    matched = by_name(tops)
    return [overlaid(d, matched[d.data["name"]]) if d.data.get("name") in matched else d
            for d in documents]  # fmt: skip


def _schema_cached(doc: Document, api: str, cache: FileCache | None) -> list[Problem]:
    """schema_problems, remembered by the document's content (both files', if overlaid)."""
    if cache is None or doc.interpolated:
        return list(schema_problems(doc, api))
    overlay = getattr(doc, "overlay", None)  # an Overlaid: its problems may name either file
    key = cache.key("schema", doc.file, overlay.file if overlay else "", doc.digest)
    found = problems_of(cache.get(key))
    if found is not None:
        return found
    problems = list(schema_problems(doc, api))
    cache.put(key, problems_entry(problems))
    return problems


def data_errors(data: Any, api: str = "v1") -> list[str]:
    """What validate would refuse in data (not a file): `path: message`, ranges aside."""
    if is_valid(data, api):
        return []
    return [
        f"{dotted(tuple(e.absolute_path)) or '(top)'}: {e.message}"
        for e in _validator(api).iter_errors(data)
        if not (e.validator in RANGE_KEYWORDS and _fits_type(e))
    ]


def undocumented_values(data: Any, api: str = "v1") -> list[str]:
    """Strings outside a documented enum in data (not a file): `path: message`. Export
    writes them as live has them and says so: validate will refuse them until corrected."""
    if is_valid(data, api):
        return []
    return [
        f"{dotted(tuple(e.absolute_path))}: {_not_documented(str(e.instance), rule['enum'])}"
        for e in _validator(api).iter_errors(data)
        if e.validator == "enum" and _fits_type(e) and isinstance(rule := e.schema, dict)
    ]


def schema_problems(doc: Document, api: str = "v1") -> Iterator[Problem]:
    if is_valid(doc.data, api):  # the usual case, ~10x cheaper than collecting errors
        return
    for error in _validator(api).iter_errors(doc.data):
        yield from _translate(doc, error, api)


def is_valid(instance: Any, api: str = "v1") -> bool:
    """Whether jsonschema would find no error: the same verdict, without building errors."""
    return _fast(api)(instance)


@cache
def _fast(api: str) -> Check:
    return compiled(_inlined(api))


def _translate(doc: Document, error: ValidationError, api: str = "v1") -> Iterator[Problem]:
    path: Path = tuple(error.absolute_path)
    if path in doc.unresolved:
        return  # the placeholder's own problem says it; its type is no news
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        properties = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        known = sorted(properties)
        for key in sorted(set(error.instance) - set(known)):
            message = _other_api(path, key, api) or unknown_key(key, known)
            yield Problem(doc.where_key((*path, key)), dotted((*path, key)), message)
        return
    if error.validator == "propertyNames" or "propertyNames" in error.relative_schema_path:
        # The error's path is the mapping; the offending key is the failing instance.
        key = str(error.instance)
        where = doc.where_key((*path, key))
        yield Problem(
            where,
            dotted(path),
            f"{shorten(key, 60)!r} is not a valid role name: it must not be `.` or `..` nor hold "
            "/ ? # % \\ or control characters (it travels in a URL path)",
        )
        return
    hidden = is_secret_path(path) or _from_environment(doc, path)
    if error.validator == "enum" and _fits_type(error):
        # A string outside an enum is a typo, not a tuning: an error, with the closest value.
        assert isinstance(error.schema, dict)  # _fits_type checked
        message = _not_documented(str(error.instance), error.schema["enum"], hidden)
        yield Problem(doc.where(path), dotted(path), message, "error", "enum")
        return
    if error.validator in RANGE_KEYWORDS and _fits_type(error):
        message = _out_of_range(error)
        if hidden:
            shown = shorten(str(error.instance), 60)
            message = message.replace(shown, SENSITIVE)  # a number, in the message as is
        yield Problem(doc.where(path), dotted(path), message, "warning", "range")
        return
    if error.validator == "minLength":
        # Worded here: jsonschema's own words changed between releases ("is too short").
        shown = SENSITIVE if hidden else repr(shorten(str(error.instance), 60))
        limit = error.validator_value
        message = (
            f"{shown} should be non-empty"
            if limit == 1
            else f"{shown} is shorter than {limit} characters"
        )
    elif error.validator == "pattern" and path == ("name",):
        message = f"{error.instance!r} has characters the API does not accept; use {NAME_CHARS}"
    elif error.validator == "required":
        message = f"missing required key {error.message.split(chr(39))[1]!r}"
    elif hidden:
        # jsonschema quotes the instance; a credential, or any value from an ${HMSYNC_*}
        # variable, must never be echoed.
        message = error.message.replace(repr(error.instance), "(sensitive value)")
        if "(sensitive value)" not in message:
            message = f"(sensitive value) is not valid here ({error.validator})"
    else:
        message = error.message
    yield Problem(doc.where(path), dotted(path), shorten(message, 200))


def _from_environment(doc: Document, path: Path) -> bool:
    return any(path[: len(p)] == p for p in doc.interpolated)


RANGE_KEYWORDS = frozenset({"minimum", "maximum", "enum"})


def _fits_type(error: ValidationError) -> bool:
    """A number outside a range, or a string outside an enum of strings: the right type."""
    value, rule = error.instance, error.schema
    if not isinstance(rule, dict):
        return False
    if error.validator == "enum":
        return isinstance(value, str) and all(isinstance(e, str) for e in rule["enum"])
    return isinstance(value, int | float) and not isinstance(value, bool)


def _not_documented(value: str, choices: list[str], hidden: bool = False) -> str:
    documented = ", ".join(choices)
    shown = SENSITIVE if hidden else repr(shorten(value, 60))
    close = None if hidden else did_you_mean(value, choices)
    if close:
        advice = f"did you mean {close!r}?"
    else:
        advice = f"use {choices[0]!r}" if len(choices) == 1 else "use one of them"
    return f"{shown} is not a documented value ({documented}); {advice}"


def _out_of_range(error: ValidationError) -> str:
    value, rule = error.instance, error.schema
    assert isinstance(rule, dict)  # _fits_type checked
    low, high = rule.get("minimum"), rule.get("maximum")
    if low is not None and high is not None:
        bounds = f"the documented range {low}-{high}"
    elif low is not None:
        bounds = f"the documented minimum {low}"
    else:
        bounds = f"the documented maximum {high}"
    return f"{value} is outside {bounds}; the API may refuse it"


def coerce_integers(value: Any, rule: dict[str, Any] | None = None, api: str = "v1") -> Any:
    """Whole-number floats (`300.0`) as integers wherever the schema wants an integer: the
    schema accepts them, and an API may not ("must be an integer"). Edits value in place."""
    rule = _inlined(api) if rule is None else rule
    if rule.get("type") == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        props, extra = rule.get("properties", {}), rule.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                value[key] = coerce_integers(item, sub)
    elif isinstance(value, list) and isinstance(rule.get("items"), dict):
        value[:] = [coerce_integers(v, rule["items"]) for v in value]
    return value


def is_secret_path(path: Path) -> bool:
    return tuple(path[:4]) == CREDENTIALS_PATH


def _rule_at(rule: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """The inlined schema's rule for the object at path, or None."""
    for part in path:
        if isinstance(part, int):
            rule = rule.get("items", {})
        elif part in rule.get("properties", {}):
            rule = rule["properties"][part]
        elif isinstance(rule.get("additionalProperties"), dict):
            rule = rule["additionalProperties"]
        else:
            return None
    return rule


def _other_api(path: Path, key: str, api: str) -> str:
    """Whether key, unknown at path to this API's schema, is known to the other's."""
    if api not in APIS:  # another kind's schema: no other API's to compare with
        return ""
    other = "v2" if api == "v1" else "v1"
    rule = _rule_at(_inlined(other), path)
    if rule is None or key not in rule.get("properties", {}):
        return ""
    return (
        f"{key!r} is {other} only: this project uses the {api} API; set `api: {other}` in "
        f"hmsync.yaml (or --api {other}) to manage it, or remove it"
    )
