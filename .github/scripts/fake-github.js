// A fake of the parts of the GitHub client (octokit, as github-script hands it) the scripts use:
// issues and comments in memory, every call recorded.
'use strict';

function fakeGithub({ comments = [], issues = [], pulls = [] } = {}) {
  const calls = [];
  let next = 1000;
  const state = { comments: [...comments], issues: [...issues] };
  const rest = {
    issues: {
      listComments: async () => ({ data: state.comments }),
      createComment: async (args) => {
        calls.push(['createComment', args]);
        const made = { id: next++, body: args.body, user: { login: 'github-actions[bot]' } };
        if (args.issue_number !== undefined && !state.issues.some((i) => i.number === args.issue_number)) {
          state.comments.push(made);
        }
        return { data: made };
      },
      updateComment: async (args) => {
        calls.push(['updateComment', args]);
        const c = state.comments.find((x) => x.id === args.comment_id);
        c.body = args.body;
        return { data: c };
      },
      listForRepo: async () => ({ data: state.issues.filter((i) => i.state === 'open') }),
      create: async (args) => {
        calls.push(['create', args]);
        const made = { number: next++, body: args.body, title: args.title, state: 'open' };
        state.issues.push(made);
        return { data: made };
      },
      update: async (args) => {
        calls.push(['update', args]);
        const i = state.issues.find((x) => x.number === args.issue_number);
        Object.assign(i, args.body !== undefined ? { body: args.body } : {}, args.state ? { state: args.state } : {});
        return { data: i };
      },
    },
    repos: {
      listPullRequestsAssociatedWithCommit: async () => ({ data: pulls }),
    },
  };
  return {
    rest,
    calls,
    state,
    paginate: async (method, args) => (await method(args)).data,
  };
}

const context = {
  repo: { owner: 'acme', repo: 'templates' },
  issue: { number: 7 },
  sha: 'abc123',
  serverUrl: 'https://github.com',
  runId: 42,
};

module.exports = { fakeGithub, context };
