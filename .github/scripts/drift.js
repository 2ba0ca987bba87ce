// The one drift issue, kept by the hmsync action: found by a hidden marker in its body (not by
// a label anyone can put on any issue) and by its author, the workflow's own identity (an issue
// a person opens with the marker in it is never taken over), updated while live differs,
// closed once in sync.
'use strict';

const { whoAmI, ours } = require('./pulls.js');

const MARKER = '<!-- hmsync-drift -->';
const TITLE = 'hmsync: live templates differ from the files';

async function findIssue({ github, owner, repo, marker }) {
  const me = await whoAmI(github);
  const open = await github.paginate(github.rest.issues.listForRepo, {
    owner, repo, state: 'open', per_page: 100,
  });
  return open.find((i) => !i.pull_request && ours(i.user, me)
    && typeof i.body === 'string' && i.body.includes(marker));
}

async function syncDriftIssue({ github, context, exitCode, report, environment = '' }) {
  // One issue per environment: its own marker and title.
  const marker = environment ? `<!-- hmsync-drift:${environment} -->` : MARKER;
  const title = environment ? `${TITLE} (${environment})` : TITLE;
  const { owner, repo } = context.repo;
  const existing = await findIssue({ github, owner, repo, marker });
  const run = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  if (String(exitCode) === '2') {
    const body = `${marker}\n${report}\n\n_Found by ${run}_`.slice(0, 65000);
    if (existing) {
      await github.rest.issues.update({ owner, repo, issue_number: existing.number, body });
      return { updated: existing.number };
    }
    const made = await github.rest.issues.create({ owner, repo, title, body });
    return { created: made.data.number };
  }
  if (String(exitCode) === '0' && existing) {
    await github.rest.issues.createComment({
      owner, repo, issue_number: existing.number, body: `In sync again (${run}); closing.`,
    });
    await github.rest.issues.update({ owner, repo, issue_number: existing.number, state: 'closed' });
    return { closed: existing.number };
  }
  return {}; // an error (exit 1) changes nothing: the job itself fails and says why
}

module.exports = { MARKER, TITLE, syncDriftIssue };
