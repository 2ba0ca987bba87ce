"""Workflows run as GitHub runs them, on this machine: the trigger and its path filters against
the changed files, jobs in the order of `needs` with their matrix and `if`, GitHub
environments (their secrets, and required reviewers as an approval callback), `run:` steps in
bash with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_ENV, the hmsync action's composite steps
from this checkout, github-script steps under node against the fake GitHub client (its state
kept in one JSON file across steps and runs), and artifacts passed from run to run.

What it does not do: containers, services, caches, reusable workflows, and a pull request's
merge ref (it checks out the head; the story's base does not move while a pull request is
open). Installing hmsync is the one step replaced: hmsync is already installed in this
virtual environment from this checkout, which is what the step installs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .expressions import condition, interpolate

ROOT = Path(__file__).resolve().parents[2]
RUN_SCRIPT = Path(__file__).with_name("run-script.js")
OWNER, NAME = "acme", "templates"


def _glob(pattern: str) -> re.Pattern[str]:
    """A path filter: ** any characters, * any but a slash (GitHub's filter pattern)."""
    out = ""
    for part in re.split(r"(\*\*|\*)", pattern):
        out += {"**": ".*", "*": "[^/]*"}.get(part, re.escape(part))
    return re.compile(out + r"\Z")


def matches(patterns: list[str], files: list[str]) -> bool:
    return any(_glob(p).match(f) for p in patterns for f in files)


def _outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT and GITHUB_ENV: key=value lines and key<<DELIMITER blocks."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            out[key] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
        i += 1
    return out


class Repo:
    """The template repository: a git repository on disk."""

    def __init__(self, path: Path, default: str = "main"):
        self.path = path
        self.default = default  # the default branch, as the repository's settings name it
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", default)

    def git(self, *args: str) -> str:
        environ = {
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=environ, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit(self, message: str, files: Mapping[str, str]) -> str:
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def changed(self, base: str, head: str) -> list[str]:
        return self.git("diff", "--name-only", base, head).splitlines()

    def export(self, sha: str, dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha], cwd=self.path, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


@dataclass
class Job:
    name: str
    matrix: dict[str, Any]
    result: str  # success, failure or skipped
    environment: str | None = None
    summary: str = ""
    log: str = ""
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The GITHUB_TOKEN's scopes (the job's `permissions:`, else the workflow's); None: GitHub's
    # repository default, which the harness does not restrict.
    scopes: dict[str, str] | None = None


@dataclass
class Run:
    id: int
    workflow: str
    event: str
    triggered: bool
    jobs: list[Job] = field(default_factory=list)

    def result(self, name: str, **matrix: Any) -> str:
        legs = [
            j
            for j in self.jobs
            if j.name == name and all(j.matrix.get(k) == v for k, v in matrix.items())
        ]
        results = {j.result for j in legs}
        if "failure" in results:
            return "failure"
        return "success" if results == {"success"} else "skipped"

    @property
    def summary(self) -> str:
        return "\n".join(j.summary for j in self.jobs if j.summary)

    @property
    def log(self) -> str:
        return "\n".join(j.log for j in self.jobs)


class GitHub:
    """One repository's GitHub: its runs, artifacts, environments, and API state."""

    def __init__(
        self,
        repo: Repo,
        work: Path,
        secrets: Mapping[str, Mapping[str, str]],
        protected: set[str],
        approve: Callable[[str, Run], bool],
    ):
        self.repo = repo
        self.work = work
        self.secrets = secrets
        self.protected = protected
        self.approve = approve
        self.state_path = work / "github-state.json"
        self.artifacts: dict[tuple[int, str], Path] = {}
        self.next_run = 100
        self.approvals: list[tuple[int, str]] = []
        self._edit(lambda s: None)

    # -- the API's state ---------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        if not self.state_path.exists():
            done = subprocess.run(
                ["node", "-e", "console.log(JSON.stringify(require(process.argv[1]).emptyState()))",
                 str(ROOT / ".github/scripts/fake-github.js")],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            return dict(json.loads(done.stdout))
        return dict(json.loads(self.state_path.read_text()))

    def _edit(self, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        state = self.state()
        change(state)
        self.state_path.write_text(json.dumps(state, indent=2))
        return state

    def open_pull(self, number: int, branch: str) -> dict[str, Any]:
        head = self.repo.git("rev-parse", branch)
        pull = {"number": number, "head": {"sha": head, "ref": branch}, "merged_at": None,
                "merge_commit_sha": None, "labels": [], "branch": branch}  # fmt: skip
        self._edit(lambda s: s["pulls"].append(pull))
        return pull

    def label(self, number: int, name: str, by: str, at: str) -> None:
        """Someone puts a label on a pull request: on it, and in its timeline."""

        def labelled(state: dict[str, Any]) -> None:
            pull = next(p for p in state["pulls"] if p["number"] == number)
            if not any(label["name"] == name for label in pull["labels"]):
                pull["labels"].append({"name": name})
            event = {"event": "labeled", "label": {"name": name}, "actor": {"login": by},
                     "created_at": at}  # fmt: skip
            state.setdefault("timeline", {}).setdefault(str(number), []).append(event)

        self._edit(labelled)

    def review(self, number: int, by: str, at: str, state_: str = "approved") -> None:
        event = {"event": "reviewed", "state": state_, "user": {"login": by}, "submitted_at": at}
        self._edit(lambda s: s.setdefault("timeline", {}).setdefault(str(number), []).append(event))

    def collaborators(self, roles: Mapping[str, str]) -> None:
        """Who has which role on the repository (admin, maintain, write, triage, read)."""
        self._edit(lambda s: s.setdefault("permissions", {}).update(roles))

    def pull(self, number: int) -> dict[str, Any]:
        return next(p for p in self.state()["pulls"] if p["number"] == number)

    def comments(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.state()["comments"] if c.get("issue_number") == number]

    def merge_pull(self, number: int) -> str:
        """Merge a pull request: a branch of the repository, or one a workflow made through the
        git data API (its commit's files written onto the default branch)."""
        pull = self.pull(number)
        self.repo.git("checkout", "-q", self.repo.default)
        if "branch" in pull:
            message = f"Merge pull request #{number}"
            self.repo.git("merge", "-q", "--no-ff", "-m", message, pull["branch"])
        else:
            self.repo.commit(f"Merge pull request #{number}", self.api_files(pull["head"]["sha"]))
        sha = self.repo.git("rev-parse", "HEAD")

        def merged(state: dict[str, Any]) -> None:
            pull = next(p for p in state["pulls"] if p["number"] == number)
            pull.update(merged_at="2026-11-29T00:00:00Z", merge_commit_sha=sha)

        self._edit(merged)
        return sha

    def api_files(self, sha: str) -> dict[str, str]:
        """The files a commit made through the git data API changes (its tree's, and its
        parents' of the same kind)."""
        git = self.state().get("git") or {}
        files: dict[str, str] = {}
        chain = []
        while sha in (git.get("commits") or {}):
            chain.append(git["commits"][sha])
            parents = chain[-1].get("parents") or []
            sha = parents[0]["sha"] if parents else ""
        for commit in reversed(chain):
            files.update(git["trees"][commit["tree"]["sha"]]["files"])
        return files

    # -- events ------------------------------------------------------------------------------

    def pull_request(self, number: int, fork: str | None = None) -> Run:
        """A pull request's run; fork: the OWNER/NAME it comes from, when not this repository
        (GitHub gives such a run no secrets)."""
        pull = self.pull(number)
        head = pull["head"]["sha"]
        base = self.repo.git("merge-base", self.repo.default, head)
        event = {
            "pull_request": {
                "number": number,
                "head": {"sha": head, "repo": {"full_name": fork or f"{OWNER}/{NAME}"}},
                "user": {"login": "alice"},
            },
            "number": number,
        }
        return self.run(
            "hmsync-plan.yml", "pull_request", event, sha=head, ref=f"refs/pull/{number}/merge",
            changed=self.repo.changed(base, head), pr=number,
        )  # fmt: skip

    def push(self, before: str | None = None) -> Run:
        sha = self.repo.git("rev-parse", self.repo.default)
        changed = (
            self.repo.changed(before, sha)
            if before
            else self.repo.git("ls-tree", "-r", "--name-only", sha).splitlines()
        )
        return self.run(
            "hmsync-apply.yml",
            "push",
            {},
            sha=sha,
            ref=f"refs/heads/{self.repo.default}",
            changed=changed,
        )

    def dispatch(self, workflow: str) -> Run:
        sha = self.repo.git("rev-parse", self.repo.default)
        ref = f"refs/heads/{self.repo.default}"
        return self.run(workflow, "workflow_dispatch", {}, sha=sha, ref=ref)

    def schedule(self, workflow: str) -> Run:
        sha = self.repo.git("rev-parse", self.repo.default)
        ref = f"refs/heads/{self.repo.default}"
        return self.run(workflow, "schedule", {}, sha=sha, ref=ref)

    # -- a run -------------------------------------------------------------------------------

    def run(
        self,
        workflow: str,
        event_name: str,
        event: dict[str, Any],
        *,
        sha: str,
        ref: str,
        changed: list[str] | None = None,
        pr: int | None = None,
    ) -> Run:
        ws = self.work / f"read-{self.next_run}"
        self.repo.export(sha, ws)
        data = yaml.safe_load((ws / ".github" / "workflows" / workflow).read_text())
        shutil.rmtree(ws)
        run = Run(self.next_run, workflow, event_name, False)
        self.next_run += 1
        on = data.get("on", data.get(True))
        trigger = on.get(event_name, False) if isinstance(on, dict) else None
        if trigger is False:
            return run
        trigger = trigger or {}
        if "branches" in trigger and ref.removeprefix("refs/heads/") not in trigger["branches"]:
            return run
        if "paths" in trigger and not matches(trigger["paths"], changed or []):
            return run
        run.triggered = True
        event = {
            **event,
            "repository": {"default_branch": self.repo.default, "full_name": f"{OWNER}/{NAME}"},
        }
        github = {
            "event_name": event_name, "event": event, "sha": sha, "ref": ref,
            "base_ref": self.repo.default if event_name == "pull_request" else "",
            "repository": f"{OWNER}/{NAME}", "run_id": str(run.id),
            "server_url": "https://github.com",
        }  # fmt: skip
        head_sha = event.get("pull_request", {}).get("head", {}).get("sha", sha)
        results: dict[str, str] = {}
        for name in _order(data["jobs"]):
            job = data["jobs"][name]
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else list(needs)
            matrix = ((job.get("strategy") or {}).get("matrix")) or {}
            legs = [{"env": e} for e in matrix["env"]] if "env" in matrix else [{}]
            scopes = job.get("permissions", data.get("permissions"))
            job = {**job, "permissions": scopes}
            # GitHub cancels a matrix's other legs when one fails, unless fail-fast: false.
            fail_fast = (job.get("strategy") or {}).get("fail-fast", True) is not False
            for leg in legs:
                if fail_fast and any(j.name == name and j.result == "failure" for j in run.jobs):
                    run.jobs.append(Job(name, leg, "cancelled", scopes=job.get("permissions")))
                    continue
                run.jobs.append(
                    self._job(
                        run, name, job, leg, github, {n: results[n] for n in needs}, head_sha, pr
                    )
                )
            results[name] = run.result(name)
        return run

    def _job(
        self,
        run: Run,
        name: str,
        job: dict[str, Any],
        matrix: dict[str, Any],
        github: dict[str, Any],
        needs: dict[str, str],
        head_sha: str,
        pr: int | None,
    ) -> Job:
        contexts: dict[str, Any] = {
            "github": github,
            "matrix": matrix,
            "needs": {n: {"result": r, "outputs": {}} for n, r in needs.items()},
            "inputs": {},
            "steps": {},
            "env": {},
            "secrets": {},
        }
        ok = all(r == "success" for r in needs.values())
        status = {"success": ok, "failure": "failure" in needs.values(), "always": True,
                  "cancelled": False}  # fmt: skip
        result = Job(name, matrix, "skipped", scopes=job.get("permissions"))
        if not condition(job.get("if"), contexts, status):
            return result
        environment = interpolate(job.get("environment"), contexts, status) or None
        result.environment = environment
        if environment in self.protected:
            self.approvals.append((run.id, str(environment)))
            if not self.approve(str(environment), run):
                result.result = "failure"  # rejected by a reviewer
                return result
        contexts["secrets"] = dict(self.secrets.get(str(environment), {}))
        home = self.work / f"run-{run.id}-{name}-{'-'.join(map(str, matrix.values())) or 'job'}"
        temp, workspace = home / "temp", home / "workspace"
        temp.mkdir(parents=True)
        workspace.mkdir()
        contexts["runner"] = {"temp": str(temp)}
        env = {k: str(v) for k, v in interpolate(job.get("env") or {}, contexts, status).items()}
        step_run = _StepRunner(self, run, result, contexts, env, temp, workspace, head_sha, pr)
        failed = step_run.steps(job["steps"], contexts)
        result.result = "failure" if failed else "success"
        return result


class _StepRunner:
    """The steps of one job (and of the composite action it uses), in order."""

    def __init__(
        self,
        hub: GitHub,
        run: Run,
        job: Job,
        contexts: dict[str, Any],
        env: dict[str, str],
        temp: Path,
        workspace: Path,
        head_sha: str,
        pr: int | None,
    ):
        self.hub, self.run, self.job = hub, run, job
        self.job_contexts = contexts
        self.env = env
        self.temp, self.workspace = temp, workspace
        self.head_sha, self.pr = head_sha, pr
        self.count = 0

    def steps(self, steps: list[dict[str, Any]], contexts: dict[str, Any]) -> bool:
        failed = False
        for step in steps:
            status = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
            if not condition(step.get("if"), contexts, status):
                if "id" in step:
                    contexts["steps"][step["id"]] = {"outputs": {}, "outcome": "skipped"}
                continue
            ok, outputs = self.step(step, contexts, status)
            if "id" in step:
                contexts["steps"][step["id"]] = {
                    "outputs": outputs,
                    "outcome": "success" if ok else "failure",
                }
            failed = failed or not ok
        return failed

    def _files(self) -> tuple[Path, Path, Path]:
        self.count += 1
        return tuple(self.temp / f"{kind}-{self.count}" for kind in ("output", "summary", "env"))  # type: ignore[return-value]

    def step(
        self, step: dict[str, Any], contexts: dict[str, Any], status: dict[str, bool]
    ) -> tuple[bool, dict[str, str]]:
        env = {
            **self.env,
            **{k: str(v) for k, v in interpolate(step.get("env") or {}, contexts, status).items()},
        }
        if "run" in step:
            script = interpolate(step["run"], contexts, status)
            if "pip install" in script:
                script = "command -v hmsync"  # installed here already, from this checkout
            cwd = self.workspace / interpolate(step.get("working-directory", "."), contexts, status)
            return self.shell(script, env, cwd)
        uses = str(step["uses"])
        given = interpolate(step.get("with") or {}, contexts, status)
        action = uses.split("@")[0]
        if action == "actions/checkout":
            # A clone, as checkout makes: origin/<branch> is there for --base-ref.
            sha = str(contexts["github"]["sha"])
            git = ["git", "-c", "advice.detachedHead=false"]
            subprocess.run(
                [
                    *git,
                    "clone",
                    "-q",
                    "--no-checkout",
                    str(self.hub.repo.path),
                    str(self.workspace),
                ],
                check=True,
            )
            subprocess.run([*git, "-C", str(self.workspace), "checkout", "-q", sha], check=True)
            return True, {}
        if action == "actions/setup-python":
            return True, {}
        if action == "actions/upload-artifact":
            return self.upload(given), {}
        if action == "actions/download-artifact":
            return self.download(given), {}
        if action == "actions/github-script":
            return self.script(given["script"], env, contexts)
        return self.composite(given, env, contexts)

    def shell(self, script: str, env: dict[str, str], cwd: Path) -> tuple[bool, dict[str, str]]:
        output, summary, env_file = self._files()
        for f in (output, summary, env_file):
            f.touch()
        path = self.temp / f"step-{self.count}.sh"
        path.write_text(script)
        environ = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(self.temp),
            "CI": "true",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ENV": str(env_file),
            "GITHUB_ACTION_PATH": str(ROOT),
            # What GitHub sets for every step: the run and the repository.
            "GITHUB_RUN_ID": str(self.run.id),
            "GITHUB_REPOSITORY": f"{OWNER}/{NAME}",
            "GITHUB_SERVER_URL": "https://github.com",
            **env,
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
            cwd=cwd, env=environ, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        self.job.log += done.stdout + done.stderr
        self.job.summary += summary.read_text()
        self.env.update(_outputs(env_file))
        return done.returncode == 0, _outputs(output)

    def script(
        self, script: str, env: dict[str, str], contexts: dict[str, Any]
    ) -> tuple[bool, dict[str, str]]:
        output, _, _ = self._files()
        output.touch()
        path = self.temp / f"script-{self.count}.js"
        path.write_text(script)
        github = contexts["github"]
        context = {
            "repo": {"owner": OWNER, "repo": NAME},
            "issue": {"number": self.pr},
            "sha": github["sha"],
            "serverUrl": github["server_url"],
            "runId": self.run.id,
            "eventName": github["event_name"],
            "payload": github["event"],
        }
        environ = {
            "PATH": os.environ["PATH"],
            "GITHUB_OUTPUT": str(output),
            "HARNESS_STATE": str(self.hub.state_path),
            "HARNESS_CONTEXT": json.dumps(context),
            "HARNESS_SCRIPT": str(path),
            "HARNESS_SCOPES": json.dumps(self.job.scopes),
            **env,
        }
        done = subprocess.run(
            ["node", str(RUN_SCRIPT)], cwd=self.workspace, env=environ,
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        self.job.log += done.stdout + done.stderr
        return done.returncode == 0, _outputs(output)

    def upload(self, given: dict[str, str]) -> bool:
        source = self.workspace / given["path"]
        if not source.exists():
            return given.get("if-no-files-found", "warn") != "error"
        store = self.hub.work / "artifacts" / f"{self.run.id}-{given['name']}"
        store.mkdir(parents=True)
        if source.is_dir():
            shutil.copytree(source, store, dirs_exist_ok=True)
        else:
            shutil.copy(source, store / source.name)
        self.hub.artifacts[(self.run.id, given["name"])] = store
        made = {
            "id": len(self.hub.artifacts), "name": given["name"], "expired": False,
            "created_at": f"2026-11-29T00:{len(self.hub.artifacts):02d}:00Z",
            "workflow_run": {"id": self.run.id, "head_sha": self.head_sha},
        }  # fmt: skip
        self.hub._edit(lambda s: s["artifacts"].append(made))
        return True

    def download(self, given: dict[str, str]) -> bool:
        run_id = int(given.get("run-id") or self.run.id)
        store = self.hub.artifacts.get((run_id, given["name"]))
        if store is None:
            self.job.log += f"download-artifact: no artifact {given['name']} in run {run_id}\n"
            return False
        shutil.copytree(store, self.workspace / given.get("path", "."), dirs_exist_ok=True)
        return True

    def composite(
        self, given: dict[str, str], env: dict[str, str], outer: dict[str, Any]
    ) -> tuple[bool, dict[str, str]]:
        action = yaml.safe_load((ROOT / "action.yml").read_text())
        inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
        for key, value in given.items():
            assert key in inputs, f"the action has no input {key!r}"
            inputs[key] = value
        contexts = {
            **outer,
            "github": {**outer["github"], "action_path": str(ROOT), "token": "fake-token"},
            "inputs": inputs,
            "steps": {},
        }
        saved = dict(self.env)
        self.env.update(env)
        try:
            failed = self.steps(action["runs"]["steps"], contexts)
        finally:
            self.env = saved
        status = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
        outputs = {
            k: str(interpolate(v["value"], contexts, status)) for k, v in action["outputs"].items()
        }
        return not failed, outputs


def _order(jobs: Mapping[str, Any]) -> list[str]:
    """Jobs in an order that respects `needs`."""
    done: list[str] = []
    while len(done) < len(jobs):
        for name, job in jobs.items():
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if name not in done and all(n in done for n in needs):
                done.append(name)
    return done
