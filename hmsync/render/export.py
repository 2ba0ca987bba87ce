"""Live templates as template files: documented defaults left out, secrets as placeholders. Pure."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..plan.diff import ignored_paths
from ..plan.normalize import Json, file_form, get_path, remove_path, server_role

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


def role_file(live: Any, api: str = "v1") -> Json:
    """A live role as the file would say it: what differs from the documented defaults."""
    return file_form(live, "roleObject" if api == "v1" else "v2.roleObject")


def settings_file(stem: str, live: Any, api: str = "v1") -> tuple[Json, list[str]]:
    """Live settings as the file would say them, and the environment variables they need."""
    out = escaped(file_form(live, "settings" if api == "v1" else "v2.settings"))
    variables: list[str] = []
    upload = get_path(out, ("recording", "upload"))
    if isinstance(upload, dict) and "credentials" in upload:
        # The secret values are never written: placeholders, filled from the environment.
        # One scheme on both APIs: storage, since v2's may be gs, oss or azure, not only s3.
        names = {k: f"{stem}_STORAGE_{k.upper()}" for k in ("key", "secret")}
        upload["credentials"] = {k: "${" + v + "}" for k, v in names.items()}
        variables += names.values()
    return out, variables


def rtmp_placeholders(stem: str, destinations: Any) -> list[str]:
    """RTMP URLs as placeholders, in place: a URL holds its stream key (`.../live2/<key>`), a
    secret that must not land in a repository. The variables they need, in order."""
    rtmp = destinations.get("rtmpDestinations") if isinstance(destinations, dict) else None
    variables: list[str] = []
    taken: set[str] = set()
    for name, destination in (rtmp or {}).items():
        urls = destination.get("rtmpUrls") if isinstance(destination, dict) else None
        if not isinstance(urls, list) or not urls:
            continue
        base = env_stem(str(name), taken).removeprefix("HMSYNC_")
        names = [f"{stem}_RTMP_{base}_URL_{i}" for i in range(1, len(urls) + 1)]
        destination["rtmpUrls"] = ["${" + n + "}" for n in names]
        variables += names
    return variables


def template_file(
    live: Json, taken: set[str] | None = None, ignore: tuple[str, ...] = (), api: str = "v1"
) -> tuple[Json, list[str]]:
    """A live template as file data (name, default, settings, roles; v2's destinations,
    recordings and plugins) and the variables it needs.

    taken: the variable stems other templates of this export use; ignore: hmsync.yaml's fields
    left to the dashboard, which a file does not hold."""
    name = str(live.get("name"))
    data: Json = {"name": name}
    if live.get("default") is True and api == "v1":
        data["default"] = True
    stem = env_stem(name, set() if taken is None else taken)
    settings, variables = settings_file(stem, live.get("settings"), api)
    if settings:
        data["settings"] = settings
    roles = {n: r for n, r in (live.get("roles") or {}).items() if not server_role(n)}
    data["roles"] = {r: escaped(role_file(role, api)) for r, role in roles.items()}
    if api == "v2":
        parts = file_form(live, "v2.template")
        for key in ("destinations", "recordings", "plugins"):
            if key in parts:
                data[key] = escaped(parts[key])
        variables += rtmp_placeholders(stem, data.get("destinations"))
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
