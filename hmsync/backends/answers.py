"""What a 100ms answer must look like before hmsync uses it: JSON of the expected kind, a page
of templates, a template. Anything else is an error naming the URL, never "empty"."""

from __future__ import annotations

from typing import Any

import httpx

from .. import jsontext
from ..errors import ApiError
from ..redact import remember, secrets_in

Json = dict[str, Any]


def json_answer(response: httpx.Response, method: str, url: str, shape: type = dict) -> Any:
    if response.status_code == 204 or not response.content:
        return shape()
    try:
        body = jsontext.loads(response.content)
    except jsontext.TooDeep as exc:
        raise ApiError(
            method, url, response.status_code, f"the answer is {exc}", hint="check --api-base"
        ) from None
    except ValueError:
        raise ApiError(method, url, response.status_code, "the answer is not JSON") from None
    remember(secrets_in(body))  # hidden from every output from now on, wherever echoed
    if not isinstance(body, shape):
        what = "a JSON object" if shape is dict else "a JSON array"
        raise ApiError(method, url, response.status_code, f"the answer is not {what}")
    return body


def page_of_templates(
    body: Json, url: str, api: str = "v1", continued: bool = False
) -> tuple[list[Json], str]:
    """A page of templates, checked for its documented shape: anything else is an error, never
    an empty account (an empty account read wrongly would turn every file into a create).

    continued: a page asked for after a full one. There `data: null` or no `data` ends the
    list, as a server whose full last page names its last id may answer the next (the
    official Node SDK stops on a missing `data`); on a first page it stays an error."""
    if continued and body.get("data") is None:
        return [], ""
    identity = "_id" if api == "v1" else "id"

    def wrong(what: str) -> ApiError:
        return wrong_shape(
            "GET",
            url,
            f"the answer is not a page of templates ({what}); expected "
            '{"limit": N, "data": [template, ...], "last": "<id>"}',
        )

    data = body.get("data")
    if not isinstance(data, list):
        raise wrong("no 'data' list")
    for i, template in enumerate(data):
        problem = template_problem(template, identity)
        if problem:
            raise wrong(f"data[{i}]{problem}")
    last = body.get("last")
    if last is not None and not isinstance(last, str):
        raise wrong("'last' is not a string")
    return data, last or ""


def template_problem(template: Any, identity: str = "_id") -> str:
    """What is wrong with the shape of a template as answered ("" if nothing), for messages
    that start with where it was: `data[3] has no 'name' string`."""
    if not isinstance(template, dict):
        return " is not an object"
    for key in (identity, "name"):
        if not isinstance(template.get(key), str) or not template[key]:
            return f" has no {key!r} string"
    for key in ("roles", "settings", "destinations", "plugins"):
        if template.get(key) is not None and not isinstance(template[key], dict):
            return f".{key} is not an object"
    for role_name, role in (template.get("roles") or {}).items():
        if not isinstance(role, dict):
            return f".roles.{role_name} is not an object"
    return ""


def checked_template(answer: Json, method: str, url: str) -> Json:
    """A v2 template answer, checked for its shape."""
    problem = template_problem(answer, "id")
    if problem:
        raise wrong_shape(
            method,
            url,
            f"the answer is not a template (it{problem}); expected "
            '{"id": "...", "name": "...", "roles": {...}, "settings": {...}}',
        )
    return answer


def checked_recordings(answer: list[Any], url: str) -> list[Any]:
    """A v2 recordings answer, checked for its shape: a list of objects."""
    if not all(isinstance(r, dict) for r in answer):
        raise wrong_shape(
            "GET", url, "the answer is not a list of recording configurations (objects)"
        )
    return answer


def wrong_shape(method: str, url: str, message: str) -> ApiError:
    """A 200 answer hmsync cannot use: an error, with where to look."""
    return ApiError(method, url, 200, message, hint="check --api-base")
