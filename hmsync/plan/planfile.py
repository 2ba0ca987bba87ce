"""The plan as JSON: `plan --format json`, the `-o PLAN.json` file, and reading it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import jsontext, kinds, release
from ..errors import InputError
from ..model import ABSENT, APPLY_ORDER, FORMAT_VERSION, Action, Change, Plan, TemplatePlan
from . import origin
from .normalize import masked


def change_to_dict(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {"path": change.path}
    if change.old is not ABSENT:
        out["old"] = masked(change.old, change.sensitive)
    if change.new is not ABSENT:
        out["new"] = masked(change.new, change.sensitive)
    if change.sensitive:
        out["sensitive"] = True
    return out


def action_to_dict(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": action.kind}
    if action.role is not None:
        out["role"] = action.role
    if action.old_name is not None:
        out["from"] = action.old_name
    out["changes"] = [change_to_dict(c) for c in action.changes]
    return out


V2_KINDS = ("update_destinations", "update_recordings", "update_plugins")
V1_KINDS = ("set_default",)


def summary(plan: Plan) -> dict[str, int]:
    """Actions per kind: every kind of the plan's API, none of the other's; another kind's
    (rooms') where the plan has entries of that kind."""
    other = V1_KINDS if plan.api == "v2" else V2_KINDS
    counts: dict[str, int] = dict.fromkeys((k for k in APPLY_ORDER if k not in other), 0)
    for kind in kinds.kinds():
        if plan.of_kind(kind.name):
            counts.update(dict.fromkeys(kind.actions, 0))
    for action in plan.actions:
        counts[action.kind] = counts.get(action.kind, 0) + 1
    return counts


def entry_to_dict(entry: TemplatePlan) -> dict[str, Any]:
    """Another kind's entry (a room's): no secret hashes, its changes as a template's."""
    return {
        "name": entry.name,
        "file": entry.file,
        "id": entry.template_id,
        "actions": [action_to_dict(a) for a in entry.actions],
        "write_only": entry.write_only,
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The versioned JSON form (format_version 1). Keys in a fixed order; no secret in clear."""
    # `api` only for v2: a v1 plan file is as it was before v2 (a reader takes v1 then).
    return {
        "format_version": FORMAT_VERSION,
        "hmsync_version": release.version(),
        **({"api": plan.api} if plan.api != "v1" else {}),
        "api_base": plan.api_base,
        "environment": plan.environment,
        "files": list(plan.files),
        "files_digest": plan.files_digest,
        "secret_salt": plan.secret_salt,
        "write_credentials": plan.write_credentials,
        "allow_out_of_range": plan.allow_out_of_range,
        "summary": summary(plan),
        "templates": [
            {
                "name": t.name,
                "file": t.file,
                "id": t.template_id,
                "actions": [action_to_dict(a) for a in t.actions],
                "secret_hashes": dict(t.secret_hashes),
                "write_only": t.write_only,
            }
            for t in plan.templates
        ],
        # Each other kind's entries under its plural (`rooms`), where the plan has any.
        **{
            k.plural: [entry_to_dict(e) for e in plan.of_kind(k.name)]
            for k in kinds.kinds()
            if plan.of_kind(k.name)
        },
        "unmanaged": list(plan.unmanaged),
        "live_fingerprints": dict(plan.fingerprints),
        **origin.to_json(plan),
        "guardrails": dict(plan.guardrails),
        "guardrails_changed": list(plan.guardrails_changed),
    }


def dumps(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2) + "\n"


def read(path: str) -> dict[str, Any]:
    """A saved plan, checked for shape; what is in it is compared, not trusted."""
    try:
        data = jsontext.loads(Path(path).read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read the plan file: {exc.strerror}") from None
    except ValueError as exc:  # not JSON, not UTF-8, or nested too deep
        raise InputError(
            f"{path}: not a plan file (not JSON: {exc}); make one with hmsync plan -o"
        ) from None
    if (
        not isinstance(data, dict)
        or type(data.get("format_version")) is not int
        or (data["format_version"] != FORMAT_VERSION)
    ):
        raise InputError(
            f"{path}: not a plan file of format_version {FORMAT_VERSION}; "
            "make one with hmsync plan -o"
        )
    for key, kind in (
        ("api_base", str),
        ("files", list),
        ("templates", list),
        ("live_fingerprints", dict),
        ("files_digest", str),
        ("secret_salt", str),
        ("write_credentials", bool),
        ("allow_out_of_range", bool),
    ):
        if not isinstance(data.get(key), kind):
            raise _tampered(path, key)
    if data.get("environment") is not None and not isinstance(data["environment"], str):
        raise _tampered(path, "environment")
    data.setdefault("guardrails", {})  # plans saved before guardrails were recorded
    data.setdefault("guardrails_changed", [])
    if not isinstance(data["guardrails"], dict):
        raise _tampered(path, "guardrails")
    if not isinstance(data["guardrails_changed"], list) or not all(
        isinstance(line, str) for line in data["guardrails_changed"]
    ):
        raise _tampered(path, "guardrails_changed")
    data.setdefault("environment", None)
    data.setdefault("api", "v1")  # plans saved before v2 were v1's
    if data["api"] not in ("v1", "v2"):
        raise _tampered(path, "api")
    if not all(isinstance(f, str) for f in data["files"]):
        raise _tampered(path, "files")
    if not all(isinstance(v, str) for v in data["live_fingerprints"].values()):
        raise _tampered(path, "live_fingerprints")
    # The other kinds' entries (rooms), each list checked, gathered with their kind.
    data["others"] = []
    for other in kinds.kinds():
        entries = data.setdefault(other.plural, [])  # plans saved before rooms had none
        if not isinstance(entries, list):
            raise _tampered(path, other.plural)
        for i, entry in enumerate(entries):
            shape = {"name": str, "file": str, "actions": list, "write_only": bool}
            if (
                not isinstance(entry, dict)
                or not all(isinstance(entry.get(k), t) for k, t in shape.items())
                or not all(
                    isinstance(a, dict) and a.get("kind") in other.actions for a in entry["actions"]
                )
            ):
                raise _tampered(path, f"{other.plural}[{i}]")
            data["others"].append({**entry, "kind": other.name})
    for i, template in enumerate(data["templates"]):
        shape = {
            "name": str,
            "file": str,
            "actions": list,
            "secret_hashes": dict,
            "write_only": bool,
        }
        if not isinstance(template, dict) or not all(
            isinstance(template.get(k), t) for k, t in shape.items()
        ):
            raise _tampered(path, f"templates[{i}]")
    return data


def plan_from_dict(data: dict[str, Any], path: str) -> Plan:
    """A saved plan (as `read` checked it) as a Plan again, for showing it: its changes as
    they were saved (secrets masked), no live roles (the pictures need a live read)."""
    try:
        templates = tuple(
            TemplatePlan(
                str(t["name"]),
                str(t["file"]),
                t.get("id") if isinstance(t.get("id"), str) else None,
                tuple(_action(a, str(t["name"])) for a in t["actions"]),
                tuple(sorted(t["secret_hashes"].items())),
                bool(t["write_only"]),
            )
            for t in data["templates"]
        )
        outside = tuple(
            (str(o["template"]), str(o["kind"]), str(o.get("role") or ""), str(o.get("path") or ""))
            for o in data.get("reverts_outside", [])
        )
        others = tuple(
            TemplatePlan(
                str(e["name"]),
                str(e["file"]),
                e.get("id") if isinstance(e.get("id"), str) else None,
                tuple(
                    _action(a, str(e["name"]), kinds.kind(e["kind"]).actions) for a in e["actions"]
                ),
                write_only=bool(e["write_only"]),
                kind=str(e["kind"]),
            )
            for e in data.get("others", [])
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _tampered(path, "templates") from None
    return Plan(
        templates,
        tuple(str(n) for n in data.get("unmanaged", [])),
        tuple(sorted(data["live_fingerprints"].items())),
        data["files_digest"],
        data["secret_salt"],
        data["api_base"],
        tuple(data["files"]),
        data["write_credentials"],
        data["allow_out_of_range"],
        data["environment"],
        ignored=tuple(str(i) for i in data["guardrails"].get("ignore", [])),
        api=data["api"],
        base_ref=data.get("base_ref") if isinstance(data.get("base_ref"), str) else None,
        outside=outside,
        guardrails=dict(data["guardrails"]),
        guardrails_changed=tuple(data["guardrails_changed"]),
        others=others,
    )


def _action(data: Any, template: str, known: tuple[str, ...] = APPLY_ORDER) -> Action:
    if not isinstance(data, dict) or data.get("kind") not in known:
        raise ValueError("not an action")
    changes = tuple(
        Change(str(c["path"]), c.get("old", ABSENT), c.get("new", ABSENT), bool(c.get("sensitive")))
        for c in data.get("changes", [])
    )
    role = data.get("role")
    old = data.get("from")
    return Action(
        data["kind"],
        template,
        None if role is None else str(role),
        None if old is None else str(old),
        changes,
    )


def _tampered(path: str, key: str) -> InputError:
    return InputError(
        f"{path}: the plan file has no valid {key!r}; make it anew with hmsync plan -o"
    )
