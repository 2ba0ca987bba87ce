// What the scripts share: the merged pull request that brought a commit, and whether a
// comment or an issue is the workflow's own (its author) rather than a person's.
'use strict';

async function mergedPull({ github, context }) {
  const { owner, repo } = context.repo;
  const { data: pulls } = await github.rest.repos.listPullRequestsAssociatedWithCommit({
    owner, repo, commit_sha: context.sha,
  });
  return pulls.find((p) => p.merged_at && p.merge_commit_sha === context.sha)
    || pulls.find((p) => p.merged_at) || null;
}

// Who the token is. A personal token can ask; the workflow's GITHUB_TOKEN and a GitHub App's
// installation token cannot (403), and then post as a bot: any bot's login will do, never a
// person's, so a person's comment holding the marker is never taken for ours.
async function whoAmI(github) {
  try {
    const { data } = await github.rest.users.getAuthenticated();
    return data && data.login ? data.login : null;
  } catch (error) {
    return null;
  }
}

function ours(user, me) {
  if (!user) return false;
  return me ? user.login === me : user.type === 'Bot';
}

module.exports = { mergedPull, whoAmI, ours };
