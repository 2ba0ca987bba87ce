"""A team's first week on GitHub: the workflows init writes follow the repository's default
branch (a `git init` that made `master` included), pass the secrets the templates read,
keep a team's edits on `init --force`, and say when they no longer match (`init --check`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hmsync.cli import main
from hmsync.emulator import Emulator

from .conftest import PROD_SECRET, STAGING_SECRET, Run, Write
from .harness.github import GitHub, Repo
from .situations import git
from .test_github_story import PIN, secrets

ROOM = "name: room\nroles:\n  host:\n    priority: 1\n  guest:\n    priority: 2\n"


def _push_branches(root: Path) -> list[str]:
    workflow = yaml.safe_load((root / ".github/workflows/hmsync-apply.yml").read_text())
    return list(workflow[True]["push"]["branches"])


def test_init_writes_the_current_branch_when_there_is_no_remote(run: Run, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "master")  # what `git init` gives on many machines
    made = run("init")
    assert made.code == 0, made.err
    assert _push_branches(tmp_path) == ["master"]
    assert "apply runs on pushes to master (the current branch; --branch to name another)" in (
        made.out
    )


def test_init_writes_the_remotes_default_branch(run: Run, tmp_path: Path) -> None:
    remote = tmp_path.parent / f"{tmp_path.name}-remote.git"
    git(tmp_path.parent, "init", "-q", "--bare", "-b", "trunk", str(remote))
    git(tmp_path, "init", "-q", "-b", "feature")
    git(tmp_path, "remote", "add", "origin", str(remote))
    git(tmp_path, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    made = run("init")
    assert _push_branches(tmp_path) == ["trunk"]
    assert "apply runs on pushes to trunk (the remote's default branch)" in made.out
    assert run("init", "--force", "--branch", "release").code == 0
    assert _push_branches(tmp_path) == ["release"]
    bad = run("init", "--branch=-x")
    assert (bad.code, bad.err) == (1, "hmsync: --branch '-x': not a branch name\n")


def test_init_passes_the_secrets_the_templates_read(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "templates/telehealth.yaml",
        ROOM + "# ${HMSYNC_TELEHEALTH_STORAGE_KEY}, and $${HMSYNC_LITERAL} is text\n",
    )
    assert run("init").code == 0
    plan = (tmp_path / ".github/workflows/hmsync-plan.yml").read_text()
    assert "HMSYNC_TELEHEALTH_STORAGE_KEY: ${{ secrets.HMSYNC_TELEHEALTH_STORAGE_KEY }}" in plan
    assert "HMSYNC_LITERAL" not in plan  # `$$` is a literal `$`: no variable is read
    assert "HMSYNC_CLASSROOM" not in plan  # no example for a variable nobody uses


def test_init_force_keeps_a_teams_edits_or_says_what_it_would_drop(
    run: Run, write: Write, tmp_path: Path
) -> None:
    assert run("init").code == 0
    flows = tmp_path / ".github/workflows"
    apply = flows / "hmsync-apply.yml"
    # Untouched since init: --force writes it anew without a word.
    assert run("init", "--force").code == 0
    # A team adds a line: --force refuses, naming it, and writes nothing.
    edited = apply.read_text().replace(
        "      HMS_SECRET: ${{ secrets.HMS_SECRET }}\n",
        "      HMS_SECRET: ${{ secrets.HMS_SECRET }}\n      EXTRA_TOKEN: ${{ secrets.EXTRA }}\n",
        1,
    )
    apply.write_text(edited)
    refused = run("init", "--force")
    assert refused.code == 4
    assert refused.err.endswith(
        "  .github/workflows/hmsync-apply.yml: - EXTRA_TOKEN: ${{ secrets.EXTRA }}\n"
    )
    assert apply.read_text() == edited
    assert run("init", "--force", "--discard-edits").code == 0
    assert "EXTRA_TOKEN" not in apply.read_text()


def test_init_check_says_when_the_workflows_no_longer_match(
    run: Run, write: Write, tmp_path: Path
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    assert run("init").code == 0
    ok = run("init", "--check")
    assert (ok.code, ok.out) == (0, "The workflows match hmsync.yaml and the templates.\n")
    write("hmsync.yaml", "environments:\n  staging: {access_key_env: A, secret_env: B}\n")
    write("templates/t.yaml", ROOM + "# ${HMSYNC_T_KEY}\n")
    stale = run("init", "--check", "--branch", "master")
    assert stale.code == 1
    assert (
        "hmsync-apply.yml: on.push.branches is [main], but hmsync.yaml and the templates ask "
        "for [master]"
    ) in stale.out
    assert "hmsync-plan.yml: environments is [hmsync-plan], but" in stale.out
    assert "hmsync-plan.yml: secrets is [HMS_ACCESS_KEY, HMS_SECRET], but" in stale.out
    assert stale.out.endswith(
        "The workflows no longer match (apply runs on master); run hmsync init --force\n"
    )
    assert not (tmp_path / ".github/workflows/hmsync-plan.yml").read_text().count("staging")
    plan = tmp_path / ".github/workflows/hmsync-plan.yml"
    plan.write_text(
        plan.read_text().replace("  pull_request:\n", "  pull_request:\n    branches: [main]\n", 1)
    )
    narrowed = run("init", "--check")
    assert (
        "hmsync-plan.yml: on.pull_request.branches is [main], but hmsync.yaml and the templates "
        "ask for (none)"
    ) in narrowed.out


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_merge_on_master_applies(apps: tuple[Emulator, Emulator], tmp_path: Path) -> None:
    """As GitHub runs it, on a repository whose default branch is `master`: the workflows
    `init` writes apply on merge (before, they listened to `main` and nothing ran)."""
    staging, production = apps
    repo = Repo(tmp_path / "repo", default="master")
    envs = "".join(
        f"  {n}:\n    api_base: {e.api_base}\n    access_key_env: {k}\n    secret_env: {s}\n"
        for n, e, k, s in (
            ("staging", staging, "HMS_STAGING_ACCESS_KEY", "HMS_STAGING_SECRET"),
            ("production", production, "HMS_PROD_ACCESS_KEY", "HMS_PROD_SECRET"),
        )
    )
    (repo.path / "hmsync.yaml").write_text("templates: templates\nenvironments:\n" + envs)
    assert main(["init", "--dir", str(repo.path), "--action", PIN], {}) == 0
    assert _push_branches(repo.path) == ["master"]
    first = repo.commit("templates", {"templates/room.yaml": ROOM})
    hub = GitHub(repo, tmp_path, secrets(), set(), lambda environment, run: True)
    assert hub.push().result("apply-staging") == "success"
    repo.git("checkout", "-q", "-b", "more")
    repo.commit("guest 3", {"templates/room.yaml": ROOM.replace("priority: 2", "priority: 3")})
    hub.open_pull(1, "more")
    planned = hub.pull_request(1)
    assert planned.result("plan", env="staging") == "success"
    hub.merge_pull(1)
    applied = hub.push(before=first)
    assert applied.triggered and applied.result("apply-staging") == "success"
    assert staging.store.dump()[0]["roles"]["guest"]["priority"] == 3
    # A pull request from a fork: no secrets on GitHub, so no plan; a notice says why.
    repo.git("checkout", "-q", "-b", "from-a-fork")
    repo.commit("a stranger's change", {"templates/room.yaml": ROOM.replace("1\n", "5\n", 1)})
    hub.open_pull(2, "from-a-fork")
    forked = hub.pull_request(2, fork="stranger/templates")
    assert forked.result("plan", env="staging") == "skipped"
    assert forked.result("skipped") == "success"
    assert "hmsync plan skipped - pull requests from forks" in forked.log
    repo.git("checkout", "-q", "master")
    # The old workflows' `branches: [main]` on the same repository: a merge runs nothing.
    flow = repo.path / ".github/workflows/hmsync-apply.yml"
    flow.write_text(flow.read_text().replace("branches: [master]", "branches: [main]"))
    subprocess.run(["git", "-C", str(repo.path), "commit", "-qam", "old"], check=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert not hub.push().triggered


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_fake_github_holds_each_call_to_the_jobs_permissions() -> None:
    """GitHub's rule, as the harness plays it: a call the job's `permissions:` do not grant is
    refused with GitHub's 403, and a label that does not exist yet needs issues: write."""
    script = """
const { fakeGithub, context } = require('./.github/scripts/fake-github.js');
(async () => {
  const pulls = [{ number: 7, labels: [] }];
  const out = [];
  for (const scopes of [{ 'pull-requests': 'write' }, { 'pull-requests': 'write', issues: 'write' }]) {
    const github = fakeGithub({ pulls: JSON.parse(JSON.stringify(pulls)), scopes, labels: [] });
    try {
      await github.rest.issues.addLabels({ issue_number: 7, labels: ['hmsync:changes'] });
      out.push('added');
    } catch (error) { out.push(`${error.status} ${error.message}`); }
    try {
      await github.rest.issues.create({ title: 't', body: 'b' });
      out.push('created');
    } catch (error) { out.push(`${error.status} ${error.message}`); }
  }
  console.log(JSON.stringify(out));
})();
"""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["node", "-e", script], cwd=root, capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == (
        '["403 Resource not accessible by integration","403 Resource not accessible by '
        'integration","added","created"]'
    )


def _region_by_variable(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> tuple[str, dict[str, str]]:
    """Two environments whose region is ${vars.region}, the room applied to staging: the
    file's text and the credentials of both."""
    staging, production = apps
    write(
        "hmsync.yaml",
        "environments:\n"
        f"  staging: {{api_base: {staging.api_base}, access_key_env: SK, secret_env: SS, "
        "vars: {region: in}}\n"
        f"  production: {{api_base: {production.api_base}, access_key_env: PK, secret_env: PS, "
        "vars: {region: us}}\n",
    )
    text = "name: room\nsettings:\n  region: ${vars.region}\nroles:\n  host: {priority: 1}\n"
    write("templates/room.yaml", text)
    creds = {"SK": "staging-key", "SS": STAGING_SECRET, "PK": "prod-key", "PS": PROD_SECRET}
    assert run("apply", "--env", "staging", "--auto-approve", env=creds).code == 0
    return text, creds


def test_export_force_never_flattens_a_variable_into_one_environments_value(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    """`export --env staging --force` over a file that reads ${vars.region}: writing staging's
    `in` would set production's region too at its next plan; refused, naming the variable."""
    text, creds = _region_by_variable(apps, run, write)
    refused = run("export", "--env", "staging", "--out", "templates", "--force", env=creds)
    assert refused.code == 4
    assert refused.err == (
        "hmsync: refusing to overwrite 1 file(s) that read variables: the live values of one "
        "environment would replace a value each environment sets (or a secret); nothing was "
        "written. Export to another folder (--out) and carry the change over by hand\n"
        "  templates/room.yaml: ${vars.region}\n"
    )
    assert (Path("templates/room.yaml")).read_text() == text


ROOM_COMMENTED = """\
# Our room. Keep the host first.
name: room
roles:
  host:
    priority: 1 # the host speaks first
    publishParams: {allowed: [audio, video]}
  guest:
    priority: 2
"""


def test_export_refresh_accepts_live_into_the_files_in_place(
    emu: Emulator, run: Run, write: Write
) -> None:
    """Someone changed the dashboard on purpose: `export --refresh` writes live's values where
    the file states them, keeping comments and layout; the plan is then empty."""
    write("templates/room.yaml", ROOM_COMMENTED)
    assert run("apply", "--auto-approve", env=emu.env()).code == 0
    emu.server.interleavings.clear()
    emu.interleave(after_request=0, template="room", set={"roles.host.priority": 4,
                   "roles.host.publishParams.allowed": ["audio"]})  # fmt: skip
    refreshed = run("export", "--refresh", env=emu.env())
    assert refreshed.code == 0, refreshed.err
    assert Path("templates/room.yaml").read_text() == ROOM_COMMENTED.replace(
        "priority: 1 # the host", "priority: 4 # the host"
    ).replace("allowed: [audio, video]", "allowed: [audio]")
    assert run("plan", "--detailed-exitcode", env=emu.env()).code == 0


def test_export_refresh_never_writes_one_environments_value_into_a_variable(
    apps: tuple[Emulator, Emulator], run: Run, write: Write
) -> None:
    text, creds = _region_by_variable(apps, run, write)
    staging = apps[0]
    staging.server.interleavings.clear()
    staging.interleave(after_request=0, template="room", set={"settings.region": "eu"})
    refused = run("export", "--env", "staging", "--refresh", env=creds)
    assert (refused.code, refused.err) == (
        4,
        "hmsync: refusing to refresh: 1 live value(s) cannot be written into the files without "
        "changing what they mean; nothing was written\n"
        "  templates/room.yaml: settings.region: the file reads ${vars.region}, and live has eu; "
        "a variable is each environment's own (or a secret): change its value where it is set, "
        "not the file\n",
    )
    assert Path("templates/room.yaml").read_text() == text


def test_refreshed_edits_only_what_a_file_states_once_and_literally() -> None:
    from hmsync.model import ABSENT
    from hmsync.render.refresh import Edit, refreshed

    text = (
        "base: &b {priority: 1}\nroles:\n  a: *b\n  c:\n    priority: 3  # kept\n"
        "    allowed:\n      - audio\n  d: {name: 'x: y'}\n"
    )
    new, problems = refreshed(text, [Edit(("roles", "c", "priority"), 5),
                                     Edit(("roles", "d", "name"), "p: q")])  # fmt: skip
    assert problems == []
    assert new == text.replace("priority: 3  # kept", "priority: 5  # kept").replace(
        "'x: y'", "'p: q'"
    )
    _, refused = refreshed(
        text,
        [
            Edit(("roles", "a", "priority"), 2),  # an anchor's, shared
            Edit(("roles", "c", "allowed"), ["video"]),  # a block list
            Edit(("roles", "c", "maxPeerCount"), 4),  # left out by the file
            Edit(("roles", "c", "priority"), ABSENT),  # gone live
        ],
    )
    assert refused == [
        "roles.a.priority: an anchor states it for several places; change it by hand",
        "roles.c.allowed: not a single value in the file; change it by hand",
        "roles.c.maxPeerCount: the file leaves it out (a default); live has 4; add it by hand",
        "roles.c.priority: live has no value here; remove it from the file by hand",
    ]
