"""The literal request/answer examples of the v2 pages (../shared/seeds-v2), as golden data.

`python -m tests.golden_v2` writes tests/golden/v2_examples.json from the pages; a test checks
that the file is still what the pages give. The pages' examples have typos and placeholders;
each fix below is applied to the page's text (or, where the two halves of one example disagree,
to the parsed value) and listed in the file's header.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds-v2"
GOLDEN = Path(__file__).resolve().parent / "golden" / "v2_examples.json"
REQUEST = re.compile(r"--data-raw '(.*?)'\n```", re.S)
ANSWER = re.compile(r'<ResponseBox id="res-0" status="(\d+)[^"]*">\s*(?:```json\n(.*?)```)?', re.S)

# (page, "request"|"answer", old text, new text, why)
TEXT_FIXES: list[tuple[str, str, str, str, str]] = [
    (
        "create-template-via-api",
        "request",
        "{{$timestamp}}",
        "1663329820",
        "a Postman variable; the answer shows the name it became",
    ),
    (
        "create-template-via-api",
        "request",
        '    }\n    "plugins"',
        '    },\n    "plugins"',
        "a missing comma before plugins",
    ),
    (
        "create-template-via-api",
        "answer",
        '        }\n    "plugins"',
        '        }\n    },\n    "plugins"',
        "a missing brace and comma: plugins is a top-level key, as in the request, not one of the destinations",
    ),
    (
        "create-template-via-api",
        "answer",
        '    }\n    },\n    "createdAt"',
        '    },\n    "createdAt"',
        "the brace that closed destinations after plugins, moved with the fix above",
    ),
    (
        "create-template-via-api",
        "request",
        "<upload type: supported are s3, gs, oss, azure>",
        "gs",
        "a placeholder for the storage type; gs chosen",
    ),
    (
        "create-template-via-api",
        "answer",
        "<upload type: Supported are s3, gs, oss, azure>",
        "gs",
        "the same placeholder in the answer",
    ),
    (
        "create-template-via-api",
        "request",
        "<rtmp destination name>",
        "<destination name>",
        "the request and the answer name the RTMP destination differently; the answer's name used",
    ),
    (
        "create-template-via-api",
        "request",
        "<hlsdestination name>",
        "<destination name>",
        "the HLS destination's key differs from its name and from the answer's; the answer's used",
    ),
    (
        "create-template-via-api",
        "request",
        "<hls destination name>",
        "<destination name>",
        "as above, for the HLS destination's name",
    ),
    (
        "create-template-via-api",
        "request",
        "<transcription destination name>",
        "<destination name>",
        "as above, for the transcription destination's key",
    ),
    (
        "create-template-via-api",
        "request",
        '["<rtmp URL>", "<rtmp URL>"]',
        '["url", "ashdas", "ddsfsdf"]',
        "the request's RTMP URL placeholders; the answer's three URLs used",
    ),
    (
        "update-a-template",
        "request",
        '"destinations": {},\n}',
        '"destinations": {}\n}',
        "a trailing comma",
    ),
    (
        "update-settings",
        "request",
        "<upload type: supported are s3, gs, oss>",
        "oss",
        "a placeholder for the storage type; oss chosen",
    ),
    (
        "update-settings",
        "answer",
        "<upload type: supported are s3, gs, oss>",
        "oss",
        "the same placeholder in the answer",
    ),
    (
        "list-templates",
        "answer",
        "        .....\n" * 5,
        "",
        "an elision of further templates; the page is replayed with the two it shows",
    ),
]


def _transcription_as_requested(example: dict[str, Any]) -> None:
    asked = example["request"]["destinations"]["transcriptions"]["<destination name>"]
    answer = example["answer"]["destinations"]["transcriptions"]["<destination name>"]
    answer["modes"] = asked["modes"]
    answer["translation"] = asked["translation"]


def _name_as_answered(example: dict[str, Any]) -> None:
    example["request"]["name"] = example["answer"]["name"]


# (page, fix, why): where an example's request and answer disagree on a value.
VALUE_FIXES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "create-template-via-api",
        _transcription_as_requested,
        "the answer's transcription lacks the request's caption mode and translation; the request's used",
    ),
    (
        "update-a-template",
        _name_as_answered,
        "the request renames to new-template-1662552998, the answer says ...988; the answer's used",
    ),
]
# The Configure Recordings page has two examples; its second (the GET) is replayed by
# writing its own answer back and reading it.
PAGES = [
    "create-template-via-api",
    "retrieve-a-template",
    "list-templates",
    "update-a-template",
    "create-update-role",
    "retrieve-a-role",
    "delete-a-role",
    "retrieve-settings",
    "update-settings",
    "update-destinations",
    "configure-recordings",
]
NOT_LITERAL = {
    "retrieve-destinations": "its answer is `{ ... }` for each kind: a shape, no values",
    "make-api-calls": "its one example is the 401 error body, replayed by the error test",
}


def _page(name: str, text: str) -> list[dict[str, Any]]:
    requests = [m.group(1) for m in REQUEST.finditer(text)]
    answers = [(int(m.group(1)), m.group(2)) for m in ANSWER.finditer(text)]
    for _, kind, old, new, _why in (f for f in TEXT_FIXES if f[0] == name):
        if kind == "request":
            assert any(old in r for r in requests), (name, old)
            requests = [r.replace(old, new) for r in requests]
        else:
            assert any(a and old in a for _, a in answers), (name, old)
            answers = [(s, a.replace(old, new) if a else a) for s, a in answers]
    examples = []
    for i, (status, answer) in enumerate(answers):
        example: dict[str, Any] = {"status": status}
        if i < len(requests):
            example["request"] = json.loads(requests[i])
        if answer is not None:
            example["answer"] = json.loads(answer)
        examples.append(example)
    return examples


def extract(seeds: Path = SEEDS) -> dict[str, Any]:
    examples = {}
    for name in PAGES:
        examples[name] = _page(name, (seeds / f"{name}.md").read_text(encoding="utf-8"))
        for page, fix, _why in VALUE_FIXES:
            if page == name:
                fix(examples[name][0])
    fixes = [f"{page} ({kind}): {why}" for page, kind, _o, _n, why in TEXT_FIXES]
    fixes += [f"{page}: {why}" for page, _f, why in VALUE_FIXES]
    return {
        "source": "../shared/seeds-v2/*.md, 100ms's v2 documentation (MIT licence, "
        "LICENSE.100ms-docs), as of its commit of 2026-08-20",
        "fixes": fixes,
        "not_replayed": NOT_LITERAL,
        "examples": examples,
    }


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(extract(), indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {GOLDEN}\n")
