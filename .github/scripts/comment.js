// The pull request's one hmsync plan comment, kept by the hmsync action.
// Found by its hidden marker *and* its author (the workflow's bot): a person's comment that
// happens to start with the marker is never touched. A failed plan replaces the old one, so a
// stale plan never stays on the pull request looking current.
'use strict';

const MARKER = '<!-- hmsync-plan -->';
const BOT = 'github-actions[bot]';
const DELETE_LABEL = 'hmsync-allow-delete';
const LIMIT = 65000; // GitHub refuses comments over 65,536 characters

function planBody({ exitCode, report, errors }) {
  if (String(exitCode) !== '0' && String(exitCode) !== '2') {
    return [
      '### hmsync plan failed',
      '',
      `The plan could not be made (exit ${exitCode}); the plan shown here before was removed,`,
      'since it may no longer hold. Fix the problem and push again.',
      '',
      '```',
      String(errors || '').replaceAll('```', "'''").slice(0, 20000),
      '```',
    ].join('\n');
  }
  let body = String(report || '');
  if (/role\(s\) will be deleted/.test(body)) {
    body = [
      `> [!WARNING]`,
      `> **This plan deletes roles.** Apply on merge deletes them only if this pull request has`,
      `> the label \`${DELETE_LABEL}\`; add it once the deletes are reviewed.`,
      '',
      body,
    ].join('\n');
  }
  return body;
}

// One section per environment in the one comment: <!-- hmsync-env:NAME --> ... <!-- /hmsync-env -->.
// The jobs of a matrix run one at a time (max-parallel: 1), so no section is lost to a race.
function withSection(previous, name, body) {
  const sections = new Map();
  const found = /<!-- hmsync-env:([^ ]+) -->\n([\s\S]*?)\n<!-- \/hmsync-env -->/g;
  for (const m of String(previous || '').matchAll(found)) sections.set(m[1], m[2]);
  sections.set(name, body);
  return [...sections.keys()].sort()
    .map((key) => `<!-- hmsync-env:${key} -->\n${sections.get(key)}\n<!-- /hmsync-env -->`)
    .join('\n\n');
}

async function upsertComment({ github, context, body, marker = MARKER, bot = BOT, section = null }) {
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number, per_page: 100,
  });
  const mine = comments.find(
    (c) => c.user && c.user.login === bot && typeof c.body === 'string' && c.body.startsWith(marker),
  );
  const old = mine ? mine.body.slice(marker.length + 1) : '';
  const text = `${marker}\n${section ? withSection(old, section, body) : body}`.slice(0, LIMIT);
  if (mine) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text });
    return { updated: mine.id };
  }
  const made = await github.rest.issues.createComment({ owner, repo, issue_number, body: text });
  return { created: made.data.id };
}

module.exports = { MARKER, BOT, DELETE_LABEL, planBody, upsertComment, withSection };
