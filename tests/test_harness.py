"""The workflow harness reads expressions and path filters as GitHub does (else the story test
would prove nothing about GitHub)."""

from __future__ import annotations

from .harness.expressions import condition, evaluate, interpolate
from .harness.github import matches

OK = {"success": True, "failure": False, "always": True, "cancelled": False}
FAILED = {"success": False, "failure": True, "always": True, "cancelled": False}
CONTEXTS = {
    "steps": {"reviewed": {"outputs": {"run-id": "7", "pr": ""}}, "skipped": {"outputs": {}}},
    "github": {"ref": "refs/heads/main", "event": {"repository": {"default_branch": "main"}}},
    "matrix": {"env": "staging"},
}


def test_expressions_as_github_reads_them() -> None:
    assert evaluate("steps.skipped.outputs.artifact != ''", CONTEXTS, OK) is False  # null == ''
    assert evaluate("steps.reviewed.outputs.run-id == 7", CONTEXTS, OK) is True
    assert evaluate("'Main' == 'main'", CONTEXTS, OK) is True  # strings ignore case
    assert evaluate("'' || 'fallback'", CONTEXTS, OK) == "fallback"
    assert evaluate("'a' && 'b'", CONTEXTS, OK) == "b"
    assert evaluate(
        "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)",
        CONTEXTS,
        OK,
    )
    assert interpolate("hmsync-plan-${{ matrix.env }}", CONTEXTS, OK) == "hmsync-plan-staging"


def test_an_if_without_a_status_function_runs_only_after_success() -> None:
    assert condition(None, CONTEXTS, FAILED) is False
    assert condition("true", CONTEXTS, FAILED) is False
    assert condition("always() && true", CONTEXTS, FAILED) is True
    assert condition("${{ !cancelled() && true }}", CONTEXTS, FAILED) is True
    assert condition("failure()", CONTEXTS, FAILED) is True


def test_path_filters_as_github_matches_them() -> None:
    assert matches(["overlays/production/**"], ["overlays/production/a/room.yaml"])
    assert matches(["hmsync.yaml"], ["hmsync.yaml"])
    assert not matches(["hmsync.yaml"], ["sub/hmsync.yaml"])
    assert not matches(["templates/**"], ["README.md", "templatesx/a.yaml"])
    assert matches([".github/workflows/hmsync-*.yml"], [".github/workflows/hmsync-plan.yml"])
    assert not matches([".github/workflows/hmsync-*.yml"], [".github/workflows/x/hmsync-a.yml"])
