// The one drift issue, kept by the hmsync action: found by a hidden marker in its body (not by
// a label anyone can put on any issue) and by its author, the workflow's own identity (an issue
// a person opens with the marker in it is never taken over), updated while live differs,
// closed once in sync. A check that failed (credentials, the API) says so in the issue: drift
// is then unknown, which is never silence.
//
// The issue also keeps what `hmsync drift --notify` last sent (its digest, in a hidden line),
// so a daily run tells the team once per new drift: readDriftState writes it to the file hmsync
// reads, and syncDriftIssue puts hmsync's new one back.
'use strict';

const { whoAmI, ours } = require('./pulls.js');

const MARKER = '<!-- hmsync-drift -->';
const TITLE = 'hmsync: live templates differ from the files';
const STATE = /^<!-- hmsync-notify-state (\{[^\n]*\}) -->$/m;

function markerOf(environment) {
  return environment ? `<!-- hmsync-drift:${environment} -->` : MARKER;
}

async function findIssue({ github, owner, repo, marker }) {
  const me = await whoAmI(github);
  const open = await github.paginate(github.rest.issues.listForRepo, {
    owner, repo, state: 'open', per_page: 100,
  });
  return open.find((i) => !i.pull_request && ours(i.user, me)
    && typeof i.body === 'string' && i.body.includes(marker));
}

function issueUrl(context, number) {
  const { owner, repo } = context.repo;
  return `${context.serverUrl}/${owner}/${repo}/issues/${number}`;
}

// The notify state the open drift issue keeps (only ours: a person's issue says nothing), as
// the JSON text hmsync's --notify-state reads; and the issue's address for the summary.
async function readDriftState({ github, context, environment = '' }) {
  const { owner, repo } = context.repo;
  const existing = await findIssue({ github, owner, repo, marker: markerOf(environment) });
  const found = existing ? STATE.exec(existing.body) : null;
  let state = {};
  if (found) {
    try {
      const parsed = JSON.parse(found[1]);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) state = parsed;
    } catch (error) {
      state = {};
    }
  }
  return { state: JSON.stringify(state), url: existing ? issueUrl(context, existing.number) : '' };
}

function stateLine(state) {
  // Digests and event names only; anything else is dropped, so the line holds no `-->`.
  const kept = {};
  for (const [env, value] of Object.entries(state || {})) {
    if (value && /^[0-9a-f]{64}$/.test(value.digest || '') && /^(drift|failed)$/.test(value.event || '')) {
      kept[env] = { digest: value.digest, event: value.event };
    }
  }
  return `<!-- hmsync-notify-state ${JSON.stringify(kept)} -->`;
}

function failedReport(errors) {
  const shown = String(errors || '').trim().replace(/```/g, "'''").slice(0, 20000);
  return [
    '### hmsync drift: the check FAILED',
    '',
    'Drift is unknown until it runs again: hmsync could not read this environment.',
    '',
    '```',
    shown || '(no message)',
    '```',
  ].join('\n');
}

async function syncDriftIssue({
  github, context, exitCode, report, environment = '', errors = '', state = null, pullUrl = '',
  refused = '',
}) {
  // One issue per environment: its own marker and title.
  const marker = markerOf(environment);
  const title = environment ? `${TITLE} (${environment})` : TITLE;
  const { owner, repo } = context.repo;
  const existing = await findIssue({ github, owner, repo, marker });
  const run = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  const code = String(exitCode);
  if (code === '2' || code === '1') {
    const shown = code === '2' ? report : failedReport(errors);
    let fix = '';
    if (code === '2' && pullUrl) {
      fix = `\n\nTo accept live into the files, review and merge ${pullUrl}; to set live back, close it and run the hmsync apply workflow.`;
    } else if (code === '2' && refused) {
      const why = String(refused).trim().replace(/```/g, "'''").slice(0, 5000);
      fix = '\n\nNo accept-live pull request: live cannot be written into the files without changing what they mean (change them by hand, or run the hmsync apply workflow to set live back):'
        + `\n\n\`\`\`\n${why}\n\`\`\``;
    }
    const kept = state ? `\n${stateLine(state)}` : '';
    const body = `${marker}${kept}\n${shown}${fix}\n\n_Found by ${run}_`.slice(0, 65000);
    if (existing) {
      await github.rest.issues.update({ owner, repo, issue_number: existing.number, body });
      return { updated: existing.number };
    }
    const made = await github.rest.issues.create({ owner, repo, title, body });
    return { created: made.data.number };
  }
  if (code === '0' && existing) {
    await github.rest.issues.createComment({
      owner, repo, issue_number: existing.number, body: `In sync again (${run}); closing.`,
    });
    await github.rest.issues.update({ owner, repo, issue_number: existing.number, state: 'closed' });
    return { closed: existing.number };
  }
  return {}; // exit 3 or 4 (not drift's): the job itself fails and says why
}

module.exports = { MARKER, TITLE, STATE, readDriftState, stateLine, syncDriftIssue };
