// The "accept live" pull request, kept by the hmsync action's drift step (opt-in): one per
// environment, on the branch hmsync/accept-live[-ENV], whose one commit writes live's values
// into the files (`hmsync export --refresh`: variables, secrets, overlays and comments kept).
// A reviewer picks: merge it (accept live), or close it and run apply (set live back). It is
// updated while drift lasts, and closed (its branch deleted) once live matches the files.
//
// Made through the REST git API (a tree on the checked-out commit, a commit, the branch), so
// the job needs no git credentials; only the workflow's own pull request on its own branch is
// ever updated, and never over a commit someone else pushed to that branch.
'use strict';

const { whoAmI, ours } = require('./pulls.js');

const BRANCH = 'hmsync/accept-live';
const MARKER = '<!-- hmsync-accept-live -->';
const MESSAGE = 'hmsync: accept live into the files';
const TITLE = 'hmsync: accept live into the files';

function branchOf(environment) {
  return environment ? `${BRANCH}-${environment}` : BRANCH;
}

async function findPull({ github, owner, repo, branch }) {
  const me = await whoAmI(github);
  const open = await github.paginate(github.rest.pulls.list, {
    owner, repo, state: 'open', head: `${owner}:${branch}`, per_page: 100,
  });
  return open.find((p) => p.head && p.head.ref === branch && ours(p.user, me)
    && typeof p.body === 'string' && p.body.includes(MARKER)) || null;
}

// The branch's head, if the branch exists and its commit is ours (its message): a person's
// commit there is never overwritten.
async function branchHead({ github, owner, repo, branch }) {
  try {
    const { data } = await github.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
    const { data: commit } = await github.rest.git.getCommit({ owner, repo, commit_sha: data.object.sha });
    return { sha: data.object.sha, ours: String(commit.message || '').startsWith(MESSAGE) };
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

function bodyOf({ environment, files, run, issue }) {
  const where = environment ? ` in \`${environment}\`` : '';
  const listed = files.map((f) => `- \`${f.replace(/`/g, "'")}\``).join('\n');
  return [
    MARKER,
    `Someone changed the 100ms account${where} outside the repository. This pull request writes`,
    'live\'s values into the files (variables, secrets, overlays and comments kept):',
    '',
    listed,
    '',
    '**Merge it** to accept live as it is now, or **close it and run the hmsync apply workflow**',
    'to set live back to the files. It is updated while the drift lasts, and closed once live',
    'matches the files again.',
    '',
    `_Made by ${run}${issue ? `; the drift issue: ${issue}` : ''}_`,
  ].join('\n');
}

async function syncAcceptLive({
  github, context, exitCode, files, environment = '', defaultBranch = 'main', issueUrl = '',
}) {
  const { owner, repo } = context.repo;
  const branch = branchOf(environment);
  const run = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  const existing = await findPull({ github, owner, repo, branch });
  const paths = Object.keys(files || {}).sort();
  if (String(exitCode) === '2' && paths.length) {
    const head = await branchHead({ github, owner, repo, branch });
    if (head && !head.ours) {
      return { skipped: `the branch ${branch} holds a commit that is not hmsync's; left alone` };
    }
    const { data: base } = await github.rest.git.getCommit({ owner, repo, commit_sha: context.sha });
    const { data: tree } = await github.rest.git.createTree({
      owner, repo, base_tree: base.tree.sha,
      tree: paths.map((path) => ({ path, mode: '100644', type: 'blob', content: files[path] })),
    });
    const { data: commit } = await github.rest.git.createCommit({
      owner, repo, message: `${MESSAGE}${environment ? ` (${environment})` : ''}`,
      tree: tree.sha, parents: [context.sha],
    });
    if (head) {
      await github.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.sha, force: true });
    } else {
      await github.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.sha });
    }
    const body = bodyOf({ environment, files: paths, run, issue: issueUrl });
    if (existing) {
      await github.rest.pulls.update({ owner, repo, pull_number: existing.number, body });
      return { updated: existing.number, url: existing.html_url };
    }
    const title = environment ? `${TITLE} (${environment})` : TITLE;
    const { data: made } = await github.rest.pulls.create({
      owner, repo, title, head: branch, base: defaultBranch, body,
    });
    return { created: made.number, url: made.html_url };
  }
  if (String(exitCode) === '0' && existing) {
    await github.rest.issues.createComment({
      owner, repo, issue_number: existing.number,
      body: `Live matches the files again (${run}); nothing left to accept. Closing.`,
    });
    await github.rest.pulls.update({ owner, repo, pull_number: existing.number, state: 'closed' });
    const head = await branchHead({ github, owner, repo, branch });
    if (head && head.ours) await github.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
    return { closed: existing.number };
  }
  return existing ? { kept: existing.number, url: existing.html_url } : {};
}

module.exports = { BRANCH, MARKER, branchOf, syncAcceptLive };
