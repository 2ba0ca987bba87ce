"""Live templates as template files: documented defaults left out, secrets as placeholders. Pure."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .normalize import Json, file_form, get_path

SCHEMA_COMMENT = "# yaml-language-server: $schema={schema}\n"


def file_name(template_name: str, taken: set[str]) -> str:
    """A safe file name for a template: [A-Za-z0-9._-] only, no leading dot, unique in taken."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", template_name).strip("-.") or "template"
    name, n = f"{stem}.yaml", 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}.yaml"
    taken.add(name.lower())
    return name


def env_name(template_name: str, field: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "_", template_name).strip("_").upper() or "TEMPLATE"
    return f"HMSYNC_{stem}_S3_{field.upper()}"


def role_file(live: Any) -> Json:
    """A live role as the file would say it: what differs from the documented defaults."""
    return file_form(live, "roleObject")


def settings_file(template_name: str, live: Any) -> tuple[Json, list[str]]:
    """Live settings as the file would say them, and the environment variables they need."""
    out = file_form(live, "settings")
    variables: list[str] = []
    upload = get_path(out, ("recording", "upload"))
    if isinstance(upload, dict) and "credentials" in upload:
        # The secret values are never written: placeholders, filled from the environment.
        names = {k: env_name(template_name, k) for k in ("key", "secret")}
        upload["credentials"] = {k: "${" + v + "}" for k, v in names.items()}
        variables += names.values()
    return out, variables


def template_file(live: Json) -> tuple[Json, list[str]]:
    """A live template as file data (name, default, settings, roles) and the variables it needs."""
    name = str(live.get("name"))
    data: Json = {"name": name}
    if live.get("default") is True:
        data["default"] = True
    settings, variables = settings_file(name, live.get("settings"))
    if settings:
        data["settings"] = settings
    data["roles"] = {r: role_file(role) for r, role in (live.get("roles") or {}).items()}
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
