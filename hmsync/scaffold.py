"""What `hmsync init` writes: a starting hmsync.yaml, and the three workflows, for the project's
environments. Pure: text out. The workflows in .github/workflows are these, for no environments
(a test holds them equal)."""

from __future__ import annotations

from collections.abc import Sequence

from .config import Environment

PLACEHOLDER = "OWNER/hmsync@0000000000000000000000000000000000000000 # v0.3.0"
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
UPLOAD = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0"

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


def _secrets(envs: Sequence[Environment]) -> str:
    names = sorted({v for e in envs for v in e.credentials.values()})
    names = names or ["HMS_ACCESS_KEY", "HMS_SECRET"]
    lines = [f"      {n}: ${{{{ secrets.{n} }}}}" for n in names]
    lines += [
        "      # Recording storage credentials, named as hmsync export names them:",
        "      # HMSYNC_CLASSROOM_STORAGE_KEY: ${{ secrets.HMSYNC_CLASSROOM_STORAGE_KEY }}",
        "      # HMSYNC_CLASSROOM_STORAGE_SECRET: ${{ secrets.HMSYNC_CLASSROOM_STORAGE_SECRET }}",
    ]
    return "\n".join(lines)


def _checkout() -> str:
    return f"""\
      - uses: {CHECKOUT}
        with:
          persist-credentials: false"""


def _per_environment(envs: Sequence[Environment], one_at_a_time: bool) -> tuple[str, str, str]:
    """A job over every environment: its strategy, its GitHub environment, the action's input."""
    if not envs:
        return "", "hmsync-plan", ""
    serial = (
        "      max-parallel: 1 # one at a time: each keeps its section of the one comment\n"
        if one_at_a_time
        else ""
    )
    strategy = (
        f"    strategy:\n{serial}      matrix:\n        env: [{', '.join(e.name for e in envs)}]\n"
    )
    return strategy, "hmsync-plan-${{ matrix.env }}", "          environment: ${{ matrix.env }}\n"


def plan(envs: Sequence[Environment], action: str = PLACEHOLDER) -> str:
    matrix, environment, env_input = _per_environment(envs, one_at_a_time=True)
    artifact = "hmsync-plan-${{ matrix.env }}" if envs else "hmsync-plan"
    return f"""\
# hmsync: plan on every pull request that touches the templates, as one sticky comment.
# Written by `hmsync init`. Replace OWNER and the commit with the hmsync release you reviewed.
# Secrets (HMS_* credentials and your HMSYNC_* variables) live in the GitHub environment
# "{environment}", never repository-wide.
name: hmsync plan
on:
  pull_request:
    paths:
      - "templates/**"
      - ".github/workflows/hmsync-*.yml"
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
      pull-requests: write # the sticky plan comment
    env:
{_secrets(envs)}
    steps:
{_checkout()}
      - name: Plan, into one sticky comment (a failed plan replaces the old one)
        id: plan
        uses: {action}
        with:
          command: plan
          args: --format markdown --detailed-exitcode
          pr-comment: "true"
{env_input}      - name: Problems annotated on their lines
        if: always()
        uses: {action}
        with:
          command: validate
          args: --format github --require-env
{env_input}      - name: Keep the plan file
        if: always() && steps.plan.outputs.exit-code == '2'
        uses: {UPLOAD}
        with:
          name: {artifact}
          path: ${{{{ steps.plan.outputs.plan }}}}
"""


def _apply_job(name: str, env: Environment | None, needs: str | None, action: str) -> str:
    environment = f"hmsync-apply-{env.name}" if env else "hmsync-apply"
    env_input = f"          environment: {env.name}\n" if env else ""
    backup = f"hmsync-backup-{env.name}" if env else "hmsync-backup"
    needs_line = f"    needs: {needs}\n" if needs else ""
    return f"""\
  {name}:
    # By hand too, only from the default branch.
    if: github.ref == format('refs/heads/{{0}}', github.event.repository.default_branch)
{needs_line}    runs-on: ubuntu-latest
    environment: {environment}
    permissions:
      contents: read
      pull-requests: read # the merged pull request's labels
    env:
{_secrets([env] if env else [])}
    steps:
{_checkout()}
      - name: Apply (the report and any refusal go to the job summary)
        uses: {action}
        with:
          command: apply
          args: --auto-approve --no-color --max-deletes 10 --backup {backup}
          deletes-by-label: "true"
{env_input}      - name: Keep the backup (hmsync apply {backup}/ restores it)
        if: always()
        uses: {UPLOAD}
        with:
          name: {backup}
          path: {backup}
          if-no-files-found: ignore
"""


def apply(envs: Sequence[Environment], action: str = PLACEHOLDER) -> str:
    if envs:
        jobs, previous = [], None
        for env in envs:
            job = f"apply-{env.name}"
            jobs.append(_apply_job(job, env, previous, action))
            previous = job
        where = (
            "one GitHub environment each (hmsync-apply-NAME), in order: the first on merge, "
            "each next one after its environment's required reviewers approve"
        )
    else:
        jobs, where = (
            [_apply_job("apply", None, None, action)],
            'the GitHub environment "hmsync-apply"',
        )
    return f"""\
# hmsync: apply the templates when they change on the default branch.
# Written by `hmsync init`. Replace OWNER and the commit with the hmsync release you reviewed.
# Secrets in {where}, protected: deployment branches limited to the default branch
# (Settings > Environments), so no other branch can reach production.
# Role deletes: apply passes --allow-delete only when the merged pull request has the label
# hmsync-allow-delete, added after review.
name: hmsync apply
on:
  push:
    branches: [main]
    paths:
      - "templates/**"
  workflow_dispatch:
permissions: {{}}
concurrency:
  group: hmsync-apply # two applies never overlap; a queued one waits
  cancel-in-progress: false
jobs:
{"".join(jobs)}"""


def drift(envs: Sequence[Environment], action: str = PLACEHOLDER) -> str:
    many = bool(envs)
    matrix, environment, env_input = _per_environment(envs, one_at_a_time=False)
    return f"""\
# hmsync: check for drift (changes made outside the repository) on a schedule.
# One issue{" per environment" if many else ""}, found by a hidden marker, is opened or updated while live differs, and
# closed when in sync. Written by `hmsync init`; replace OWNER and the commit.
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
{matrix}    environment: {environment} # read-only use of the plan's secrets
    permissions:
      contents: read
      issues: write # the drift issue
    env:
{_secrets(envs)}
    steps:
{_checkout()}
      - name: Only where templates exist
        id: check
        run: if [ -d templates ]; then echo "run=true" >> "$GITHUB_OUTPUT"; fi
      - name: Drift, kept in one issue
        if: steps.check.outputs.run == 'true'
        uses: {action}
        with:
          command: drift
          args: --format markdown
          drift-issue: "true"
{env_input}"""


WORKFLOWS = {"hmsync-plan.yml": plan, "hmsync-apply.yml": apply, "hmsync-drift.yml": drift}
