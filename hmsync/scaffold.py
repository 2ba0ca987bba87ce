"""What `hmsync init` writes: a starting hmsync.yaml, and the three workflows, for the project's
environments and the files its plans read. Pure: text out. The workflows in .github/workflows
are these, for no environments (a test holds them equal)."""

from __future__ import annotations

from collections.abc import Sequence

from . import __version__
from .config import Environment

PLACEHOLDER = f"OWNER/hmsync@{'0' * 40} # v{__version__}"
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
UPLOAD = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0"
# What a plan reads in the project `init` starts (templates: templates).
DEFAULT_INPUTS = ("hmsync.yaml", "templates/**", "rooms/**", "schemas/**")
WORKFLOW_FILES = ".github/workflows/hmsync-*.yml"
ON_DEFAULT_BRANCH = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
KEEP = "steps.plan.outputs.exit-code == '0' || steps.plan.outputs.exit-code == '2'"

PROJECT = """\
# yaml-language-server: $schema=schemas/project.schema.json
# hmsync project file: where the templates are, fields left to the dashboard, and the 100ms
# apps (environments) they go to. See hmsync's docs/environments.md.
templates: templates
# ignore:                            # fields left to the dashboard
#   - roles.*.permissions.mute
# environments:
#   staging:
#     access_key_env: HMS_STAGING_ACCESS_KEY
#     secret_env: HMS_STAGING_SECRET
#     vars: {region: in}
#   production:
#     access_key_env: HMS_PROD_ACCESS_KEY
#     secret_env: HMS_PROD_SECRET
#     vars: {region: us}
#     overlays: overlays/production
"""


def _secrets(envs: Sequence[Environment], variables: Sequence[str] = ()) -> str:
    """The job's env: each environment's credential variables, and every ${HMSYNC_*} variable
    the templates read (each a secret of the GitHub environment); an example where none."""
    names = sorted({v for e in envs for v in e.credentials.values()})
    names = names or ["HMS_ACCESS_KEY", "HMS_SECRET"]
    lines = [f"      {n}: ${{{{ secrets.{n} }}}}" for n in names]
    if variables:
        lines.append("      # What the templates read (${HMSYNC_*}): secrets of the environment")
        lines += [f"      {n}: ${{{{ secrets.{n} }}}}" for n in sorted(set(variables))]
    else:
        lines += [
            "      # Recording storage credentials, named as hmsync export names them:",
            "      # HMSYNC_CLASSROOM_STORAGE_KEY: ${{ secrets.HMSYNC_CLASSROOM_STORAGE_KEY }}",
            "      # HMSYNC_CLASSROOM_STORAGE_SECRET: ${{ secrets.HMSYNC_CLASSROOM_STORAGE_SECRET }}",
        ]
    return "\n".join(lines)


def _checkout(history: bool = False) -> str:
    """history: every branch, so a plan can read the pull request's base (--base-ref)."""
    depth = "\n          fetch-depth: 0 # the base branch too, for --base-ref" if history else ""
    return f"""\
      - uses: {CHECKOUT}
        with:
          persist-credentials: false{depth}"""


def _paths(inputs: Sequence[str]) -> str:
    return "\n".join(f'      - "{p}"' for p in inputs)


def _per_environment(
    envs: Sequence[Environment], prefix: str, comment: str = "", independent: bool = False
) -> tuple[str, str, str]:
    """A job over every environment: its strategy, its GitHub environment, the action's input.
    independent: one environment failing never cancels the others (fail-fast: false)."""
    if not envs:
        return "", prefix, ""
    serial = f"      max-parallel: 1 # {comment}\n" if comment else ""
    if independent:
        serial += "      fail-fast: false # one environment failing never hides the others\n"
    strategy = (
        f"    strategy:\n{serial}      matrix:\n        env: [{', '.join(e.name for e in envs)}]\n"
    )
    return strategy, f"{prefix}-${{{{ matrix.env }}}}", "          environment: ${{ matrix.env }}\n"


def _saved(envs: Sequence[Environment], sha: str) -> str:
    """The artifact of one environment's plan, named for the commit it was made from."""
    return f"hmsync-plan{'-${{ matrix.env }}' if envs else ''}-${{{{ {sha} }}}}"


def plan(
    envs: Sequence[Environment],
    action: str = PLACEHOLDER,
    inputs: Sequence[str] = DEFAULT_INPUTS,
    branch: str = "main",
    variables: Sequence[str] = (),
) -> str:
    matrix, environment, env_input = _per_environment(
        envs, "hmsync-plan", "one at a time: the labels sum up every environment's plan"
    )
    return f"""\
# hmsync: plan every pull request that touches what a plan reads: one sticky comment per
# environment, hmsync:* labels, and the plan file kept for the merge, which applies exactly it.
# Written by `hmsync init` from hmsync.yaml; after changing its folders or environments, run
# `hmsync init --force` (it keeps the action's pin). Replace OWNER and the commit with the
# hmsync release you reviewed. Secrets (HMS_* credentials and your HMSYNC_* variables) live in
# the GitHub environment "{environment}", never repository-wide.
name: hmsync plan
on:
  pull_request:
    paths:
{_paths([*inputs, WORKFLOW_FILES])}
permissions: {{}}
concurrency:
  group: hmsync-plan-${{{{ github.event.pull_request.number }}}}
  cancel-in-progress: true
jobs:
  skipped:
    # Forks and Dependabot get no secrets: a notice, not a red failure.
    if: github.event.pull_request.head.repo.full_name != github.repository || github.event.pull_request.user.login == 'dependabot[bot]'
    runs-on: ubuntu-latest
    steps:
      - run: echo "::notice::hmsync plan skipped - pull requests from forks and Dependabot get no 100ms secrets; a maintainer can plan the change from a branch of this repository."
  plan:
    if: github.event.pull_request.head.repo.full_name == github.repository && github.event.pull_request.user.login != 'dependabot[bot]'
    runs-on: ubuntu-latest
{matrix}    environment: {environment}
    permissions:
      contents: read
      issues: write # the hmsync:* labels: GitHub creates a missing label only with this
      pull-requests: write # the sticky plan comment and the hmsync:* labels
    env:
{_secrets(envs, variables)}
    steps:
{_checkout(history=True)}
      - name: Plan, into its sticky comment (a failed plan replaces the old one)
        id: plan
        uses: {action}
        with:
          command: plan
          # --base-ref: what this pull request changes, apart from what it sets back
          args: --format markdown --detailed-exitcode --base-ref origin/${{{{ github.base_ref }}}}
          pr-comment: "true"
{env_input}      - name: Problems annotated on their lines
        if: always()
        uses: {action}
        with:
          command: validate
          args: --format github --require-env
{env_input}      - name: The workflows still match hmsync.yaml and the templates
        if: always()
        env:
          DEFAULT_BRANCH: ${{{{ github.event.repository.default_branch }}}}
        run: hmsync init --check --branch "$DEFAULT_BRANCH"
      - name: Keep the plan file for the merge (apply on merge runs exactly this plan)
        if: always() && ({KEEP})
        uses: {UPLOAD}
        with:
          name: {_saved(envs, "github.event.pull_request.head.sha")}
          path: ${{{{ steps.plan.outputs.plan }}}}
          if-no-files-found: error
"""


def _dispatch_plan(envs: Sequence[Environment], action: str, variables: Sequence[str]) -> str:
    matrix, environment, env_input = _per_environment(envs, "hmsync-plan")
    return f"""\
  plan:
    # By hand: a fresh plan, in this run's summary; each apply job below applies exactly it,
    # once its GitHub environment's required reviewers approve.
    if: github.event_name == 'workflow_dispatch' && {ON_DEFAULT_BRANCH}
    runs-on: ubuntu-latest
{matrix}    environment: {environment}
    permissions:
      contents: read
    env:
{_secrets(envs, variables)}
    steps:
{_checkout()}
      - name: Plan (review it in this run's summary before approving the apply)
        id: plan
        uses: {action}
        with:
          command: plan
          args: --format markdown --detailed-exitcode
{env_input}      - name: Keep the plan file for the apply jobs
        if: always() && ({KEEP})
        uses: {UPLOAD}
        with:
          name: {_saved(envs, "github.sha")}
          path: ${{{{ steps.plan.outputs.plan }}}}
          if-no-files-found: error
"""


def _apply_job(
    name: str, env: Environment | None, previous: str | None, action: str, variables: Sequence[str]
) -> str:
    environment = f"hmsync-apply-{env.name}" if env else "hmsync-apply"
    env_input = f"          environment: {env.name}\n" if env else ""
    backup = f"hmsync-backup-{env.name}" if env else "hmsync-backup"
    needs = f"[plan, {previous}]" if previous else "plan"
    after = f" && needs.{previous}.result == 'success'" if previous else ""
    return f"""\
  {name}:
    # On merge: the plan reviewed on the pull request, or nothing. By hand: the plan job's.
    if: ${{{{ !cancelled() && {ON_DEFAULT_BRANCH} && needs.plan.result != 'failure'{after} }}}}
    needs: {needs}
    runs-on: ubuntu-latest
    environment: {environment}
    permissions:
      actions: read # the reviewed plan: an artifact of the plan run
      contents: read
      pull-requests: write # the result on the merged pull request, and its labels
    env:
{_secrets([env] if env else [], variables)}
    steps:
{_checkout()}
      - name: Apply the reviewed plan (the result goes to the pull request and the job summary)
        uses: {action}
        with:
          command: apply
          args: --auto-approve --no-color --max-deletes 10 --backup {backup}
          reviewed-plan: "true"
          deletes-by-label: "true"
          pr-comment: "true"
{env_input}      - name: Keep the backup (hmsync apply {backup}/ restores it)
        if: always()
        uses: {UPLOAD}
        with:
          name: {backup}
          path: {backup}
          if-no-files-found: ignore
"""


def apply(
    envs: Sequence[Environment],
    action: str = PLACEHOLDER,
    inputs: Sequence[str] = DEFAULT_INPUTS,
    branch: str = "main",
    variables: Sequence[str] = (),
) -> str:
    jobs, previous = [_dispatch_plan(envs, action, variables)], None
    chain: list[Environment | None] = [*envs] or [None]
    for env in chain:
        job = f"apply-{env.name}" if env else "apply"
        jobs.append(_apply_job(job, env, previous, action, variables))
        previous = job
    where = (
        "one GitHub environment each (hmsync-apply-NAME), in order: the first on merge, each "
        "next one after the one before it is applied and its own required reviewers approve"
        if envs
        else 'the GitHub environment "hmsync-apply"'
    )
    return f"""\
# hmsync: apply on merge exactly the plan reviewed on the pull request, or nothing: a plan
# that no longer holds (the files or live changed since) is refused and said on the pull
# request. A push without a pull request plans and applies afresh, and says so. By hand
# (Run workflow): a fresh plan in the summary, applied after the environment's approval.
# Written by `hmsync init`. Replace OWNER and the commit with the hmsync release you reviewed.
# Secrets in {where}, protected: deployment branches limited to the default branch
# (Settings > Environments), so no other branch can reach production.
# Role deletes: apply passes --allow-delete only when the merged pull request has the label
# hmsync-allow-delete, added after review.
name: hmsync apply
on:
  push:
    branches: [{branch}] # the default branch (hmsync init --branch, or the remote's HEAD)
    paths:
{_paths(inputs)}
  workflow_dispatch:
permissions: {{}}
concurrency:
  group: hmsync-apply # two applies never overlap; a queued one waits
  cancel-in-progress: false
jobs:
{"".join(jobs)}"""


def drift(
    envs: Sequence[Environment],
    action: str = PLACEHOLDER,
    inputs: Sequence[str] = DEFAULT_INPUTS,
    branch: str = "main",
    variables: Sequence[str] = (),
    accept_live: bool = False,
) -> str:
    many = bool(envs)
    matrix, environment, env_input = _per_environment(envs, "hmsync-drift", independent=True)
    if accept_live:
        scopes = (
            "      contents: write # the accept-live branch\n"
            "      issues: write # the drift issue\n"
            "      pull-requests: write # the accept-live pull request\n"
        )
        offer = '          accept-live-pr: "true"\n'
        pr_line = (
            "\n# And one pull request per environment that writes live's values into the files:"
            "\n# merge it to accept live, or close it and run apply to set live back."
        )
    else:
        scopes = "      contents: read\n      issues: write # the drift issue\n"
        offer = pr_line = ""
    return f"""\
# hmsync: check for drift (changes made outside the repository) on a schedule.
# One issue{" per environment" if many else ""}, found by a hidden marker and its author, is opened or updated while live
# differs, and closed when in sync; a check that fails says so there, and never stops another
# environment's. No template files to check fails the job: never a silent pass.{pr_line}
# With the secret HMSYNC_DRIFT_WEBHOOK (a Slack, Teams or JSON webhook URL), the team is told
# once per new drift and once when it ends. Written by `hmsync init`; replace OWNER and the
# commit. Secrets in "{environment}": read-only credentials, and no required reviewers (the
# schedule would wait for a person).
name: hmsync drift
on:
  schedule:
    - cron: "17 6 * * *"
  workflow_dispatch:
permissions: {{}}
concurrency:
  group: hmsync-drift
  cancel-in-progress: false
jobs:
  drift:
    runs-on: ubuntu-latest
{matrix}    environment: {environment}
    permissions:
{scopes}    env:
{_secrets(envs, variables)}
    steps:
{_checkout()}
      - name: Drift, kept in one issue
        uses: {action}
        with:
          command: drift
          args: --format markdown
          drift-issue: "true"
          notify-url: ${{{{ secrets.HMSYNC_DRIFT_WEBHOOK }}}}
{offer}{env_input}"""


WORKFLOWS = {"hmsync-plan.yml": plan, "hmsync-apply.yml": apply, "hmsync-drift.yml": drift}
