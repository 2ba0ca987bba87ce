// Which plan apply runs. On merge: the plan file the plan workflow saved for the merged pull
// request's last commit (an artifact named for that commit), or nothing when there is none.
// By hand: the plan this run's plan job made. A push with no pull request: none, and apply
// plans afresh. apply PLAN.json itself refuses a plan the files or live no longer match, so
// the artifact is checked by hmsync, not trusted.
'use strict';

const { mergedPull, whoAmI, ours } = require('./pulls.js');

const ACCEPT_LIVE = 'hmsync/accept-live';

function planArtifact(environment, sha) {
  return `hmsync-plan${environment ? `-${environment}` : ''}-${sha}`;
}

async function findReviewedPlan({ github, context, environment = '' }) {
  const none = { source: 'none', runId: '', artifact: '', pr: '' };
  if (context.eventName === 'workflow_dispatch') {
    return {
      ...none,
      source: 'dispatch',
      runId: String(context.runId),
      artifact: planArtifact(environment, context.sha),
      reason: "applying the plan this run made by hand, approved in the GitHub environment",
    };
  }
  const pull = await mergedPull({ github, context });
  if (!pull) {
    return {
      ...none,
      reason: 'no pull request brought this commit: planned and applied afresh, unreviewed',
    };
  }
  // The drift workflow's own accept-live pull request (its branch, and its author the
  // workflow's identity: a person cannot open one as it): the files now say what live does,
  // so there is nothing to apply here; another environment that should follow is planned
  // and applied by hand, and drift says so meanwhile.
  const branch = (pull.head && pull.head.ref) || '';
  if (branch.startsWith(ACCEPT_LIVE) && ours(pull.user, await whoAmI(github))) {
    return {
      ...none,
      source: 'accepted',
      pr: String(pull.number),
      reason: `pull request #${pull.number} accepted live into the files, so nothing was `
        + 'applied; if another environment should follow, run the hmsync apply workflow by hand',
    };
  }
  const head = pull.head.sha;
  const name = planArtifact(environment, head);
  const { owner, repo } = context.repo;
  const artifacts = await github.paginate(github.rest.actions.listArtifactsForRepo, {
    owner, repo, name, per_page: 100,
  });
  const [found] = artifacts
    .filter((a) => a.name === name && !a.expired && a.workflow_run && a.workflow_run.head_sha === head)
    .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const where = environment ? ` for ${environment}` : '';
  if (!found) {
    return {
      ...none,
      source: 'missing',
      pr: String(pull.number),
      reason: `pull request #${pull.number} has no saved plan${where} for its last commit `
        + `${head.slice(0, 7)} (its plan failed or did not run), so nothing was applied`,
    };
  }
  return {
    source: 'pull',
    runId: String(found.workflow_run.id),
    artifact: name,
    pr: String(pull.number),
    reason: `applying the plan${where} reviewed on pull request #${pull.number} (commit ${head.slice(0, 7)})`,
  };
}

module.exports = { findReviewedPlan, planArtifact };
