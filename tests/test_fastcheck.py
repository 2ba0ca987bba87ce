"""The compiled fast check gives jsonschema's verdict keyword by keyword, at every
boundary, on the shapes it has checks of its own for and on the generic one. jsonschema
itself is the oracle: no expected value here is written by hand."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from hmsync.files.fastcheck import compiled

CASES: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "string", "minLength": 2, "maxLength": 4}, ["", "a", "ab", "abcd", "abcde", 5]),
    ({"type": "string", "pattern": "^[a-z]+$"}, ["abc", "ab1", "", 3, None]),
    ({"type": "string", "enum": ["in", "us"]}, ["in", "eu", "", 1, None, ["in"]]),
    ({"type": "string", "enum": ["in", "usa"], "maxLength": 2}, ["in", "usa", "us"]),
    ({"type": "string", "enum": ["in", "usa"], "maxLength": 3}, ["in", "usa", "xyz"]),
    ({"type": "string", "enum": ["in", "usa"], "minLength": 3}, ["in", "usa"]),
    ({"type": "string", "enum": ["in", "usa"], "minLength": 2}, ["in", "usa", "x"]),
    ({"type": "string", "enum": ["in", "us"], "pattern": "^i"}, ["in", "us"]),
    ({"type": "string", "enum": ["in", 1]}, ["in", 1, "1"]),
    ({"type": "integer", "enum": ["a", 1]}, ["a", 1]),
    ({"enum": ["in", "us"]}, ["in", "eu", 1]),
    ({"enum": [1, True, "1"]}, [1, True, "1", 1.0, False, 2, None]),
    ({"enum": [1.5, False, None]}, [1.5, 1, 0, False, None, "None"]),
    ({"type": "integer", "minimum": 1, "maximum": 10}, [0, 1, 10, 11, 3.0, 3.5, True, "3", 0.0]),
    ({"type": "integer", "minimum": 1}, [0, 1, 10**6]),
    ({"type": "integer", "maximum": 10}, [-(10**6), 10, 11]),
    ({"type": "integer", "multipleOf": 5}, [10, 12, 10.0, 12.0, 0]),
    ({"type": "integer", "enum": [1, 2]}, [1, 3, True, 1.0]),
    ({"type": "number", "minimum": 0.5, "maximum": 2}, [0.4, 0.5, 2, 2.1, True, 1, "1", None]),
    ({"type": "number"}, [1, 1.5, True, "x", None, []]),
    ({"type": "boolean"}, [True, False, 0, 1, None, "true"]),
    (
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        [{"a": 1, "b": "x"}, {"a": "x"}, {}, [], "x"],
    ),
    (
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
        [{"a": 1}, {"b": 1}, {}],
    ),
    ({"type": "object", "additionalProperties": {"type": "string"}}, [{"x": "y"}, {"x": 1}, {}]),
    ({"type": "object", "additionalProperties": True}, [{"x": 1}]),
    ({"type": "object", "required": ["a"], "properties": {"a": {}}}, [{}, {"a": 1}, {"b": 1}]),
    ({"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}}, [{"ab": 1}, {"A": 1}, {}]),
    (
        {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": True},
        [[], ["a"], ["a", "a"], ["a", "b"], ["a", "b", "c"], [1], "a"],
    ),
    (
        {"type": "array", "uniqueItems": True},
        [
            [1, 1.0],
            [1, True],
            [0, False],
            [{"a": 1}, {"a": 1}],
            [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
            [[1], [1]],
            [1, "a"],
            [1.5, 1.5],
            [1.5, 2.5],
            ["a", "b"],
        ],
    ),
    ({"type": "array", "maxItems": 0}, [[], [1]]),
    ({"minimum": 3}, [2, 3, "x", None]),
    ({"maximum": 3}, [3, 4, True]),
    ({"maxLength": 2}, ["ab", "abc", 5]),
    ({"minLength": 1}, ["", "a", 0]),
    ({"multipleOf": 2}, [4, 5, "x"]),
    ({}, [1, "x", None, {}, []]),
]


@pytest.mark.parametrize(("rule", "values"), CASES)
def test_the_fast_check_is_jsonschema_keyword_by_keyword(
    rule: dict[str, Any], values: list[Any]
) -> None:
    check, oracle = compiled(rule), Draft202012Validator(rule)
    assert [check(v) for v in values] == [oracle.is_valid(v) for v in values]


def test_nested_rules_are_checked_below_every_shape() -> None:
    rule = {
        "type": "object",
        "properties": {
            "roles": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "priority": {"type": "integer", "minimum": 1},
                        "allowed": {"type": "array", "items": {"enum": ["audio", "video"]}},
                        "on": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                },
            }
        },
    }
    check, oracle = compiled(rule), Draft202012Validator(rule)
    values = [
        {"roles": {"r": {"priority": 1, "allowed": ["audio"], "on": True}}},
        {"roles": {"r": {"priority": 0}}},
        {"roles": {"r": {"allowed": ["screen"]}}},
        {"roles": {"r": {"on": 1}}},
        {"roles": {"r": {"x": 1}}},
        {"roles": {"r": []}},
    ]
    assert [check(v) for v in values] == [oracle.is_valid(v) for v in values]
    assert [check(v) for v in values] == [True, False, False, False, False, False]
