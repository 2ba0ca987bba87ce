"""Live templates as template files: documented defaults left out, secrets as placeholders. Pure."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .diff import ignored_paths
from .normalize import Json, file_form, get_path, remove_path

SCHEMA_COMMENT = "# yaml-language-server: $schema={schema}\n"
MAX_STEM = 100  # file systems refuse names over 255 bytes; a template name can be longer


def file_name(template_name: str, taken: set[str]) -> str:
    """A safe file name for a template: [A-Za-z0-9._-] only, no leading dot, unique in taken."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", template_name).strip("-.")[:MAX_STEM] or "template"
    name, n = f"{stem}.yaml", 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}.yaml"
    taken.add(name.lower())
    return name


def env_stem(template_name: str, taken: set[str]) -> str:
    """The variable name stem of a template's credentials, unique in taken: `rec-a` and
    `rec.a` must not share variables, or one template would get the other's credentials."""
    base = re.sub(r"[^A-Za-z0-9]+", "_", template_name).strip("_").upper()[:MAX_STEM]
    stem, n = f"HMSYNC_{base or 'TEMPLATE'}", 1
    while stem in taken:
        n += 1
        stem = f"HMSYNC_{base or 'TEMPLATE'}_{n}"
    taken.add(stem)
    return stem


def escaped(value: Any) -> Any:
    """Every `$` of a live string as `$$`: a file's `${...}` is read from the environment, and
    a live value must come back as itself, never as some variable's value."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escaped(v) for v in value]
    return value


def role_file(live: Any) -> Json:
    """A live role as the file would say it: what differs from the documented defaults."""
    return file_form(live, "roleObject")


def settings_file(stem: str, live: Any) -> tuple[Json, list[str]]:
    """Live settings as the file would say them, and the environment variables they need."""
    out = escaped(file_form(live, "settings"))
    variables: list[str] = []
    upload = get_path(out, ("recording", "upload"))
    if isinstance(upload, dict) and "credentials" in upload:
        # The secret values are never written: placeholders, filled from the environment.
        names = {k: f"{stem}_S3_{k.upper()}" for k in ("key", "secret")}
        upload["credentials"] = {k: "${" + v + "}" for k, v in names.items()}
        variables += names.values()
    return out, variables


def template_file(
    live: Json, taken: set[str] | None = None, ignore: tuple[str, ...] = ()
) -> tuple[Json, list[str]]:
    """A live template as file data (name, default, settings, roles) and the variables it needs.

    taken: the variable stems other templates of this export use; ignore: hmsync.yaml's fields
    left to the dashboard, which a file does not hold."""
    name = str(live.get("name"))
    data: Json = {"name": name}
    if live.get("default") is True:
        data["default"] = True
    settings, variables = settings_file(
        env_stem(name, set() if taken is None else taken), live.get("settings")
    )
    if settings:
        data["settings"] = settings
    data["roles"] = {r: escaped(role_file(role)) for r, role in (live.get("roles") or {}).items()}
    for role_name, role in data["roles"].items():
        for path in ignored_paths(ignore, role_name):
            remove_path(role, path)
    if isinstance(data.get("settings"), dict):
        for path in ignored_paths(ignore, None):
            remove_path(data["settings"], path)
        if not data["settings"]:
            del data["settings"]
    return data, variables


class _Dumper(yaml.SafeDumper):
    pass


def _flow_lists(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(list, _flow_lists)


def dump(data: Json, schema_path: str) -> str:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return SCHEMA_COMMENT.format(schema=schema_path) + body
