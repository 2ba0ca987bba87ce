// Deletes through review: apply on merge passes --allow-delete only when the merged pull
// request that brought the commit carries the approval label.
'use strict';

const { DELETE_LABEL } = require('./comment.js');
const { mergedPull } = require('./pulls.js');

async function deletesApproved({ github, context, label = DELETE_LABEL }) {
  const merged = await mergedPull({ github, context });
  if (!merged) return { approved: false, reason: 'no merged pull request brought this commit' };
  const approved = (merged.labels || []).some((l) => l.name === label);
  return {
    approved,
    reason: approved
      ? `pull request #${merged.number} has the label ${label}`
      : `pull request #${merged.number} does not have the label ${label}`,
  };
}

module.exports = { deletesApproved };
