"""hmsync.yaml, the project file: where the templates are, fields left to the dashboard, and the
100ms apps (environments) the templates go to. Without one, hmsync works as it always did."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .errors import InputError
from .files.loader import Document, load_bytes, load_file
from .plan.guardrails import Guardrails
from .plan.rules import Protect, Rule
from .plan.rules import parse as parse_rules
from .problems import Problem, did_you_mean, dotted, shorten, unknown_key
from .redact import remember

PROJECT_FILE = "hmsync.yaml"
SCHEMA_RESOURCE = "schemas/project.schema.json"
# The standard variables a client reads, and the environment fields that name their stand-ins.
CREDENTIAL_FIELDS = (
    ("HMS_ACCESS_KEY", "access_key_env"),
    ("HMS_SECRET", "secret_env"),
    ("HMS_MANAGEMENT_TOKEN", "management_token_env"),
)


@dataclass(frozen=True)
class Environment:
    """One 100ms app."""

    name: str
    api_base: str | None = None
    credentials: Mapping[str, str] = field(default_factory=dict)  # HMS_* -> the variable's name
    vars: Mapping[str, Any] = field(default_factory=dict)
    overlays: str | None = None
    ignore: tuple[str, ...] = ()
    api: str | None = None  # v1 or v2; None: the project's


@dataclass(frozen=True)
class Project:
    file: str
    templates: tuple[str, ...]  # relative to the working directory, as messages show them
    ignore: tuple[str, ...]
    environments: Mapping[str, Environment]
    api: str | None = None  # v1 or v2; None: v1
    digest: str = ""  # sha256 of the file's bytes: a saved plan was made from this project file
    rules: tuple[Rule, ...] = ()  # the team's state rules
    protect: Protect | None = None  # the team's change rules
    # rules and protect as the file wrote them: what a saved plan records of its guardrails
    guardrail_data: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # Folders of the other kinds (hmsync.kinds), by the kind's plural: {"rooms": (...)}.
    # A kind the file does not name has its default folder, used if it exists.
    folders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Where drift is told (drift --notify): {"url": "${HMSYNC_...}", "format": "slack"}.
    notify: Mapping[str, Any] = field(default_factory=dict)

    def folder(self, plural: str) -> tuple[tuple[str, ...], bool]:
        """A kind's folders, and whether the file named them (else the default, if there)."""
        if plural in self.folders:
            return self.folders[plural], True
        return (_relative(Path(self.file).parent, plural),), False

    def inputs(self) -> list[str]:
        """Every file or folder a plan reads, as workflow path filters relative to the project
        file's folder (the repository): the project file, the templates, every environment's
        overlays, and the schemas copy `init` writes."""
        home = Path(self.file).parent
        folders = [*self.templates, *(e.overlays for e in self.environments.values() if e.overlays)]
        folders += self.folder("rooms")[0]  # named, or the default (a filter costs nothing)
        out = [Path(self.file).name]
        for folder in dict.fromkeys(Path(os.path.relpath(f, home)).as_posix() for f in folders):
            out.append(folder if folder.endswith((".yaml", ".yml")) else f"{folder}/**")
        return [*out, "schemas/**"]


def schema_text() -> str:
    return (Path(__file__).parent / SCHEMA_RESOURCE).read_text(encoding="utf-8")


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_text()))


def find(explicit: str | None) -> Project | None:
    """The project file: --config FILE, else hmsync.yaml in the working directory, else none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise InputError(f"--config {explicit}: no such file")
        return load(path)
    path = Path(PROJECT_FILE)
    return load(path) if path.is_file() else None


def load(path: Path, at: str | None = None) -> Project:
    """The project file, checked against its schema; problems are located like a template's.
    at: a git ref the file was read from (path is then a copy): messages name `REF:FILE`."""
    if at is None:
        doc, problems = load_file(path, {}, require_env=False)
    else:
        doc, problems = load_bytes(f"{at}:{PROJECT_FILE}", path.read_bytes(), {}, False)
    problems = [p for p in problems if p.severity == "error"]
    if doc is not None and not problems:
        problems = [p for e in _validator().iter_errors(doc.data) for p in _located(doc, e)]
    if doc is not None and not problems:
        from .files.schema import _inlined  # the template schemas, for the rules' paths

        parsed, protect, problems = parse_rules(
            doc, {api: _inlined(api) for api in ("v1", "v2", "room")}
        )
    if problems or doc is None:
        n = len(problems)
        raise InputError(
            f"{n} error{'s' if n != 1 else ''} in the project file "
            f"{path if at is None else f'{at}:{PROJECT_FILE}'}; fix them first",
            tuple(str(p) for p in sorted(problems)),
        )
    data = doc.data
    base = path.parent
    templates = data.get("templates", "templates")
    paths = [templates] if isinstance(templates, str) else list(templates)
    environments = {
        name: Environment(
            name,
            env.get("api_base"),
            {std: env[key] for std, key in CREDENTIAL_FIELDS if key in env},
            dict(env.get("vars") or {}),
            _relative(base, env["overlays"]) if "overlays" in env else None,
            tuple(data.get("ignore", ())) + tuple(env.get("ignore", ())),
            env.get("api", data.get("api")),
        )
        for name, env in (data.get("environments") or {}).items()
    }
    return Project(
        str(path),
        tuple(_relative(base, p) for p in paths),
        tuple(data.get("ignore", ())),
        environments,
        data.get("api"),
        hashlib.sha256(path.read_bytes()).hexdigest(),
        tuple(parsed),
        protect,
        {key: data[key] for key in ("rules", "protect") if key in data},
        {
            key: tuple(
                _relative(base, p)
                for p in ([data[key]] if isinstance(data[key], str) else data[key])
            )
            for key in ("rooms",)
            if key in data
        },
        dict(data.get("notify") or {}),
    )


def guardrails(project: Project | None, env: Environment | None) -> Guardrails:
    """The rules, protect and ignore this project file sets for env (or none)."""
    if project is None:
        return Guardrails()
    ignore = env.ignore if env else project.ignore
    raw = {**project.guardrail_data, "ignore": list(ignore)}
    return Guardrails(project.rules, project.protect, ignore, raw)


def recorded_guardrails(raw: Mapping[str, Any], where: str) -> Guardrails:
    """The guardrails a saved plan recorded (guardrails' raw form), parsed as a project file's
    are; where: what to name in an error."""
    import yaml

    text = yaml.safe_dump({k: raw[k] for k in ("rules", "protect") if k in raw})
    doc, problems = load_bytes(f"{where} (its guardrails)", text.encode(), {}, False)
    if doc is not None and not problems:
        problems = [p for e in _validator().iter_errors(doc.data) for p in _located(doc, e)]
    if doc is not None and not problems:
        from .files.schema import _inlined

        parsed, protect, problems = parse_rules(
            doc, {api: _inlined(api) for api in ("v1", "v2", "room")}
        )
    ignore = raw.get("ignore", [])
    if problems or doc is None or not all(isinstance(i, str) for i in ignore):
        raise InputError(
            f"{where}: the guardrails it records do not read as hmsync.yaml's; make the plan "
            "again with hmsync plan -o"
        )
    return Guardrails(tuple(parsed), protect, tuple(ignore), dict(raw))


def _located(doc: Document, error: Any) -> list[Problem]:
    """A schema error of the project file as template files have them: an unknown key at the
    key, with the key most likely meant."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(schema.get("properties", {}))
        return [
            Problem(doc.where_key((*path, key)), dotted((*path, key)), unknown_key(key, known))
            for key in sorted(set(error.instance) - set(known))
        ]
    if error.validator == "enum" and isinstance(error.instance, str):
        choices = [str(c) for c in schema.get("enum", ())]
        close = did_you_mean(error.instance, choices)
        hint = f"did you mean {close!r}?" if close else f"use one of: {', '.join(choices)}"
        message = f"{shorten(error.instance, 60)!r} is not allowed here; {hint}"
        return [Problem(doc.where(path), dotted(path), message)]
    return [Problem(doc.where(path), dotted(path), shorten(error.message, 200))]


def _relative(base: Path, path: str) -> str:
    return os.path.relpath(base / path) if not Path(path).is_absolute() else path


def pick(project: Project | None, name: str | None) -> Environment | None:
    """The environment a command works on: --env NAME, required where there are some."""
    if project is None:
        if name:
            raise InputError(
                f"--env {name}: no {PROJECT_FILE} here to define it (or --config FILE)"
            )
        return None
    known = ", ".join(project.environments) or "none"
    if name is None:
        if project.environments:
            raise InputError(
                f"{project.file} defines environments ({known}); pick one with --env NAME"
            )
        return None
    if name not in project.environments:
        raise InputError(f"--env {name}: unknown environment; {project.file} defines: {known}")
    return project.environments[name]


def credentials(env: Environment | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The standard credential variables, read for this environment only: one app's
    credentials never reach a command for another."""
    if env is None:
        return {k: environ[k] for k, _ in CREDENTIAL_FIELDS if k in environ}
    if not env.credentials:
        raise InputError(
            f"environment {env.name} names no credentials; give it access_key_env and "
            "secret_env (or management_token_env) in the project file"
        )
    out = {}
    for standard, variable in env.credentials.items():
        if not environ.get(variable):
            raise InputError(
                f"{variable} is not set; environment {env.name} reads its {standard} from it"
            )
        out[standard] = environ[variable]
    # The app secret and a token, whatever variable an environment names for them.
    remember(v for k, v in out.items() if k != "HMS_ACCESS_KEY")
    return out
