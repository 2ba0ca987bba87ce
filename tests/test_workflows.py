from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import Run, Write

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.exists() else shutil.which("actionlint")


@pytest.mark.skipif(actionlint() is None, reason="no actionlint wheel for this platform")
def test_every_workflow_passes_actionlint() -> None:
    assert [w.name for w in WORKFLOWS] == [
        "ci.yml",
        "hmsync-apply.yml",
        "hmsync-drift.yml",
        "hmsync-plan.yml",
    ]
    proc = subprocess.run(
        [str(actionlint()), "-no-color", *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def load(name: str) -> dict:
    data: dict = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return data


def test_plan_workflow_comments_once_with_least_privilege() -> None:
    plan = load("hmsync-plan.yml")
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = plan["jobs"]["plan"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "hmsync validate templates --format github" in runs
    assert "--format markdown --detailed-exitcode" in runs and "GITHUB_STEP_SUMMARY" in runs
    script = next(s["with"]["script"] for s in steps if "github-script" in s.get("uses", ""))
    assert "updateComment" in script and "<!-- hmsync-plan -->" in script


def test_apply_workflow_never_overlaps_and_fails_on_3_or_4() -> None:
    apply = load("hmsync-apply.yml")
    assert apply["concurrency"] == {"group": "hmsync-apply", "cancel-in-progress": False}
    assert apply["permissions"] == {"contents": "read"}
    assert apply[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as True
    run = apply["jobs"]["apply"]["steps"][-1]["run"]
    assert "hmsync apply templates --auto-approve" in run and 'exit "$code"' in run


def test_drift_workflow_keeps_one_issue() -> None:
    drift = load("hmsync-drift.yml")
    assert drift["permissions"] == {"contents": "read", "issues": "write"}
    assert "schedule" in drift[True] and "workflow_dispatch" in drift[True]
    script = drift["jobs"]["drift"]["steps"][-1]["with"]["script"]
    for call in ("labels: 'drift'", "issues.update", "issues.create", "state: 'closed'"):
        assert call in script


def test_composite_action_installs_hmsync() -> None:
    action = yaml.safe_load((ROOT / ".github" / "actions" / "hmsync" / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert (
        'pip install --quiet --disable-pip-version-check "$PACKAGE"'
        in action["runs"]["steps"][1]["run"]
    )


def test_pre_commit_hook_runs_validate(run: Run, write: Write) -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "hmsync-validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
    args = hook["entry"].split()[1:]
    write("templates/a.yaml", "name: a\nroles: {host: {priority: high}}\n")
    result = run(*args)
    assert result.code == 1
    assert "roles.host.priority: 'high' is not of type 'integer'" in result.out
