// The pull request's hmsync comments, kept by the hmsync action: one plan comment and one
// apply comment per environment, each found by its hidden marker *and* its author (the
// workflow's own identity: a person's comment that happens to hold the marker is never
// touched). Each has the whole of GitHub's size limit, so one environment's long plan never
// hides another's; a plan cut to fit closes what it opened and links to the full plan. A failed
// plan replaces the old one, so a stale plan never stays on the pull request looking current.
'use strict';

const { whoAmI, ours } = require('./pulls.js');

const MARKER = '<!-- hmsync-plan -->';
const DELETE_LABEL = 'hmsync-allow-delete';
const LIMIT = 65000; // GitHub refuses comments over 65,536 characters
const STATUS = /<!-- hmsync-status:([a-z-]+) -->/;
// The plan labels, least to most to look at; a failed plan claims none of them.
const LABELS = ['hmsync:no-changes', 'hmsync:changes', 'hmsync:deletes'];
// hmsync's Markdown plan says first, behind this marker, that the change edits its guardrails.
const GUARDRAILS_MARKER = '<!-- hmsync-guardrails -->';
const GUARDRAILS_LABEL = 'hmsync:guardrails';

const planMarker = (environment) => (environment ? `<!-- hmsync-plan:${environment} -->` : MARKER);
const applyMarker = (environment) => `<!-- hmsync-apply${environment ? `:${environment}` : ''} -->`;
const fenced = (text, limit) => String(text || '').replaceAll('```', "'''").slice(0, limit);

function planStatus(exitCode, report) {
  const code = String(exitCode);
  if (code === '0') return 'no-changes';
  if (code !== '2') return 'failed';
  return /role\(s\) will be deleted/.test(String(report || '')) ? 'deletes' : 'changes';
}

function planBody({ exitCode, report, errors, environment = '' }) {
  const status = planStatus(exitCode, report);
  const tag = `<!-- hmsync-status:${status} -->`;
  // hmsync's own Markdown names the environment; a failed plan has only its errors.
  const where = environment ? ` (\`${environment}\`)` : '';
  if (status === 'failed') {
    return [
      tag,
      `### hmsync plan failed${where}`,
      '',
      `The plan could not be made (exit ${exitCode}); the plan shown here before was removed,`,
      'since it may no longer hold. Fix the problem and push again.',
      '',
      '```',
      fenced(errors, 20000),
      '```',
    ].join('\n');
  }
  let body = String(report || '');
  if (status === 'deletes') {
    body = [
      `> [!WARNING]`,
      `> **This plan deletes roles.** Apply on merge deletes them only if this pull request has`,
      `> the label \`${DELETE_LABEL}\`; add it once the deletes are reviewed.`,
      '',
      body,
    ].join('\n');
  }
  return `${tag}\n${body}`;
}

// Text cut to limit at a line, with every code fence and <details> it opened closed, and a note
// saying where the rest is.
function fit(text, limit, rest) {
  if (text.length <= limit) return text;
  const note = `\n> [!NOTE]\n> Cut to fit a comment: ${rest}`; // after a whole line
  const closing = (kept) => {
    const fence = ((kept.match(/^\s*```/gm) || []).length) % 2 ? '```\n' : '';
    const open = (kept.match(/<details>/g) || []).length - (kept.match(/<\/details>/g) || []).length;
    return fence + '</details>\n'.repeat(Math.max(0, open));
  };
  let kept = text.slice(0, Math.max(0, limit - note.length));
  kept = kept.slice(0, kept.lastIndexOf('\n') + 1);
  while (kept && kept.length + closing(kept).length + note.length > limit) {
    kept = kept.slice(0, kept.lastIndexOf('\n', kept.length - 2) + 1); // one whole line less
  }
  return kept + closing(kept) + note;
}

function runUrl(context) {
  const { owner, repo } = context.repo;
  return `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
}

async function ourComments({ github, context, issue_number }) {
  const { owner, repo } = context.repo;
  const me = await whoAmI(github);
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number, per_page: 100,
  });
  return comments.filter((c) => ours(c.user, me) && typeof c.body === 'string');
}

async function upsertComment({ github, context, body, marker = MARKER, issueNumber = null }) {
  const { owner, repo } = context.repo;
  const issue_number = issueNumber || context.issue.number;
  const mine = (await ourComments({ github, context, issue_number }))
    .find((c) => c.body.startsWith(`${marker}\n`));
  const rest = `the whole of it is in [the run's summary](${runUrl(context)}).`;
  const text = `${marker}\n${fit(body, LIMIT - marker.length - 1, rest)}`;
  if (mine) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text });
    return { updated: mine.id };
  }
  const made = await github.rest.issues.createComment({ owner, repo, issue_number, body: text });
  return { created: made.data.id };
}

// One hmsync:* label on the pull request, summing up every environment's plan comment.
async function syncLabels({ github, context, issueNumber = null }) {
  const { owner, repo } = context.repo;
  const issue_number = issueNumber || context.issue.number;
  const plans = (await ourComments({ github, context, issue_number }))
    .filter((c) => c.body.startsWith('<!-- hmsync-plan'));
  const statuses = plans.map((c) => (STATUS.exec(c.body) || [])[1] || 'failed');
  const want = statuses.length && !statuses.includes('failed')
    ? LABELS[Math.max(...statuses.map((s) => LABELS.indexOf(`hmsync:${s}`)))]
    : null;
  // A pull request that changes the guardrails judging it carries a label of its own too.
  const guardrails = plans.some((c) => c.body.includes(GUARDRAILS_MARKER));
  const wanted = [want, guardrails ? GUARDRAILS_LABEL : null].filter(Boolean);
  for (const name of [...LABELS, GUARDRAILS_LABEL].filter((l) => !wanted.includes(l))) {
    try {
      await github.rest.issues.removeLabel({ owner, repo, issue_number, name });
    } catch (error) {
      if (error.status !== 404) throw error; // not there: nothing to remove
    }
  }
  if (wanted.length) await github.rest.issues.addLabels({ owner, repo, issue_number, labels: wanted });
  return want;
}

// Why apply wrote nothing (exit 4) or stopped a template (exit 3), and what fixes it: each
// refusal its own reason, read from hmsync's own words (the errors and the report).
const BY_HAND = 'run the **hmsync apply** workflow by hand (Actions > hmsync apply > Run workflow, on the default branch): it plans afresh, shows the plan in its summary, and applies it once the GitHub environment\'s reviewers approve';
const REFUSALS = [
  [/refusing to delete \d+ roles? without --allow-delete/, () => [
    `This plan deletes roles, and the label \`${DELETE_LABEL}\` did not approve them (it counts when someone who may merge adds it before an approving review), so nothing was written.`,
    `To apply it: add the label, approve the pull request again, then ${BY_HAND}.`,
  ]],
  [/exceed --max-deletes/, () => [
    'This plan deletes more roles than the workflow allows (`--max-deletes`), so nothing was written.',
    'Split the deletes over several pull requests, or raise `--max-deletes` in the apply workflow in a pull request of its own.',
  ]],
  [/refused by hmsync\.yaml's protect/, () => [
    "`hmsync.yaml`'s `protect` refused this plan (a protected role, or too many roles changed at once), so nothing was written.",
    `Change the templates, or change \`protect\` in a pull request of its own (it judges the next one); a hand run with \`--force\` passes the percentage, never a protected role.`,
  ]],
  [/recording credentials \(HMSYNC_\* variables\)/, (env) => [
    'The recording credentials (the `HMSYNC_*` secrets) are not the ones the plan was made with, so nothing was written.',
    `Set the GitHub environment's secrets as they were, or ${BY_HAND}${env}.`,
  ]],
  [/was made for (the \S+ API|environment)|was made against/, () => [
    'The plan reviewed here was made for another environment, API or base URL than this job has, so nothing was written.',
    `Check the workflow's environment and \`hmsync.yaml\`, then ${BY_HAND}.`,
  ]],
  [/exists now, though the plan read none/, () => [
    'A template this plan creates was created by someone else meanwhile; a create would overwrite it, so nothing was written to it.',
    `Export it (\`hmsync export --only NAME\`) to see what it holds, then ${BY_HAND}.`,
  ]],
  [/someone else changed what this plan changes/, () => [
    'Someone else changed, in the dashboard or another run, a field this plan changes; hmsync stopped that template rather than overwrite their change.',
    `Decide which value is right (the report names each field), then ${BY_HAND}.`,
  ]],
];

function refusal(code, said, environment) {
  const env = environment ? ` (\`hmsync plan --env ${environment}\` shows it first)` : '';
  for (const [pattern, lines] of REFUSALS) {
    if (pattern.test(said)) return lines(env);
  }
  if (code === '3') return [];
  return [
    'The plan reviewed here no longer holds (the files, `hmsync.yaml` or live changed since), so nothing was written.',
    `To apply this change, ${BY_HAND}. To see the new plan first: \`hmsync plan${environment ? ` --env ${environment}` : ''}\`.`,
  ];
}

function applyBody({ exitCode, report, errors, environment = '', reason = '', url = '', deletes = '' }) {
  const code = String(exitCode);
  const where = environment ? ` to \`${environment}\`` : '';
  const head = {
    0: `### hmsync applied${where}`,
    3: `### hmsync applied${where} only in part`,
    4: `### hmsync applied nothing${where}`,
  }[code] || `### hmsync apply${where} failed (exit ${code})`;
  const lines = [head, '', `${reason ? `${reason[0].toUpperCase()}${reason.slice(1)}. ` : ''}[The run](${url}).`, ''];
  // Who let role deletes through (the label and the review after it), or why they were not.
  if (deletes) lines.push(`Role deletes: ${fenced(deletes, 500).replaceAll('\n', ' ')}.`, '');
  if (code === '4' || code === '3') lines.push(...refusal(code, String(errors || '') + String(report || ''), environment), '');
  if (String(errors || '').trim()) lines.push('```', fenced(errors, 20000), '```', '');
  if (String(report || '').trim()) lines.push('```', fenced(report, 40000), '```');
  return lines.join('\n');
}

module.exports = {
  MARKER, DELETE_LABEL, LABELS, LIMIT, planMarker, applyMarker, planBody, planStatus, fit,
  upsertComment, syncLabels, applyBody, runUrl,
};
