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


def _wrapped(child: str, value: dict[str, Any]) -> Any:
    """value as a child of that kind stands in its parent: itself, in a map, in a list."""
    if child.startswith(MAP):
        return {"one": {"name": "one", **value}}
    if child.startswith(LIST):
        return [{"name": "one", **value}]
    return value


def _reach(definition: str, depth: int = 4) -> tuple[list[tuple[str, str]], str, Any, Any] | None:
    """A way down from definition to a scalar default: the (key, child) steps through the
    table, the field, its default, another value."""
    found = _a_default(definition)
    if found is not None:
        return [], *found
    if depth == 0:
        return None
    for key, child in sorted(_CHILDREN.get(definition, {}).items()):
        below = _reach(child.removeprefix(MAP).removeprefix(LIST), depth - 1)
        if below is not None:
            steps, field, default, other = below
            return [(key, child), *steps], field, default, other
    return None


def _nested(steps: list[tuple[str, str]], leaf: dict[str, Any]) -> dict[str, Any]:
    value = leaf
    for key, child in reversed(steps):
        value = {key: _wrapped(child, value)}
    return value


def _at(view: Any, steps: list[tuple[str, str]], field: str) -> Any:
    for key, child in steps:
        view = view[key]
        view = view["one"] if child.startswith(MAP) else view[0] if child.startswith(LIST) else view
    return view.get(field)


ENTRIES = [
    (parent, key, child)
    for parent, children in _CHILDREN.items()
    for key, child in children.items()
    if _reach(child.removeprefix(MAP).removeprefix(LIST)) is not None
]


@pytest.mark.parametrize(("parent", "key", "child"), ENTRIES, ids=lambda v: str(v))
def test_a_nested_default_left_out_is_compared(parent: str, key: str, child: str) -> None:
    found = _reach(child.removeprefix(MAP).removeprefix(LIST))
    assert found is not None
    below, field, default, other = found
    steps = [(key, child), *below]
    file = _nested(steps, {})
    # Live at another value: a difference. Live at the default: none (the default is filled
    # in on the file's side; compared raw, `{}` and `{field: default}` would differ).
    live_view, file_view = views(_nested(steps, {field: other}), file, parent)
    assert live_view != file_view, (parent, steps, field, default, other)
    live_view, file_view = views(_nested(steps, {field: default}), file, parent)
    assert _at(live_view, steps, field) == _at(file_view, steps, field) == default


def test_the_table_is_covered_where_a_child_has_a_scalar_default() -> None:
    assert len(ENTRIES) >= 30
