// Deletes through review: apply on merge passes --allow-delete only when the merged pull
// request that brought the commit carries the approval label, put there by someone who may
// merge (write, maintain or admin), and approved in a review after it was put there. Anyone
// who can triage can add a label; a label added after the last approval was never reviewed.
'use strict';

const { DELETE_LABEL } = require('./comment.js');
const { mergedPull } = require('./pulls.js');

const MAY_MERGE = new Set(['admin', 'maintain', 'write']);

async function permission(github, repo, username) {
  try {
    const { data } = await github.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    // role_name tells maintain and triage apart; permission folds them into write and read.
    return data.role_name || data.permission || 'none';
  } catch (error) {
    if (error.status === 404) return 'none'; // not a collaborator
    throw error;
  }
}

const when = (event) => Date.parse(event.created_at || event.submitted_at || '') || 0;

async function deletesApproved({ github, context, label = DELETE_LABEL }) {
  const merged = await mergedPull({ github, context });
  if (!merged) return { approved: false, reason: 'no merged pull request brought this commit' };
  const pr = `pull request #${merged.number}`;
  if (!(merged.labels || []).some((l) => l.name === label)) {
    return { approved: false, reason: `${pr} does not have the label ${label}` };
  }
  const repo = context.repo;
  const events = await github.paginate(github.rest.issues.listEventsForTimeline, {
    ...repo, issue_number: merged.number, per_page: 100,
  });
  const added = events.filter((e) => e.event === 'labeled' && e.label && e.label.name === label);
  const last = added[added.length - 1];
  if (!last || !last.actor) return { approved: false, reason: `${pr}: who added the label ${label} is not known` };
  const who = last.actor.login;
  const role = await permission(github, repo, who);
  if (!MAY_MERGE.has(role)) {
    return { approved: false, reason: `${pr}: the label ${label} was added by @${who}, who has ${role} permission, not write` };
  }
  const approvals = [];
  for (const review of events.filter((e) => e.event === 'reviewed' && String(e.state).toLowerCase() === 'approved')) {
    const reviewer = review.user && review.user.login;
    if (reviewer && when(review) > when(last) && MAY_MERGE.has(await permission(github, repo, reviewer))) {
      approvals.push(reviewer);
    }
  }
  if (!approvals.length) {
    return { approved: false, reason: `${pr}: the label ${label} (added by @${who}) came after the last approving review; approve the pull request again` };
  }
  return {
    approved: true,
    reason: `${pr}: the label ${label} added by @${who} and approved in review by @${approvals[approvals.length - 1]}`,
  };
}

module.exports = { deletesApproved };
