"""Every entry of normalize's table of nested definitions (which schema object a nested field
is) matters: through it a child's documented defaults are filled in before comparing. For each
entry whose child has a scalar default: a file leaving it out differs from live at another
value, and matches live at the default (without the entry, `{}` would be compared raw)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hmsync.plan.normalize import _CHILDREN, LIST, MAP
from hmsync.plan.views import views

SCHEMAS = Path(__file__).resolve().parent.parent / "hmsync" / "schemas"


def _defs(definition: str) -> dict[str, Any]:
    name = "template.v2.schema.json" if definition.startswith("v2.") else "template.schema.json"
    data: dict[str, Any] = json.loads((SCHEMAS / name).read_text())["$defs"]
    return data


def _resolved(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _a_default(definition: str) -> tuple[str, Any, Any] | None:
    """A scalar field of definition with a documented default: (key, default, another value)."""
    defs = _defs(definition)
    schema = _resolved(defs.get(definition.removeprefix("v2."), {}), defs)
    for key, prop in sorted((schema.get("properties") or {}).items()):
        prop = _resolved(prop, defs)
        if "default" not in prop or isinstance(prop["default"], dict | list):
            continue
        default = prop["default"]
        if isinstance(default, bool):
            return key, default, not default
        if isinstance(default, int):
            return key, default, default + 1
        if isinstance(default, str) and prop.get("enum"):
            other = [v for v in prop["enum"] if v != default]
            if other:
                return key, default, other[0]
    return None


def _field(view: Any, child: str, field: str) -> Any:
    inner = view["one"] if child.startswith(MAP) else view[0] if child.startswith(LIST) else view
    return inner.get(field)


ENTRIES = [
    (parent, key, child)
    for parent, children in _CHILDREN.items()
    for key, child in children.items()
    if _a_default(child.removeprefix(MAP).removeprefix(LIST)) is not None
]


@pytest.mark.parametrize(("parent", "key", "child"), ENTRIES, ids=lambda v: str(v))
def test_a_nested_default_left_out_is_compared(parent: str, key: str, child: str) -> None:
    inner = child.removeprefix(MAP).removeprefix(LIST)
    found = _a_default(inner)
    assert found is not None
    field, default, other = found

    def wrapped(value: dict[str, Any]) -> Any:
        if child.startswith(MAP):
            return {"one": {"name": "one", **value}}
        if child.startswith(LIST):
            return [{"name": "one", **value}]
        return value

    file = {key: wrapped({})}
    # Live at another value: a difference. Live at the default: none (the default is filled
    # in on the file's side; compared raw, `{}` and `{field: default}` would differ).
    live_view, file_view = views({key: wrapped({field: other})}, file, parent)
    assert live_view != file_view, (parent, key, field, default, other)
    live_view, file_view = views({key: wrapped({field: default})}, file, parent)
    assert _field(live_view[key], child, field) == _field(file_view[key], child, field) == default


def test_the_table_is_covered_where_a_child_has_a_scalar_default() -> None:
    assert len(ENTRIES) >= 20
