// A fake of the parts of the GitHub client (octokit, as github-script hands it) the scripts use:
// comments, issues, labels, pull requests and artifacts in memory, every call recorded. Its
// state is plain JSON, so the workflow harness (tests/github_harness.py) keeps one GitHub
// across many steps and runs: load(path) before a step, save(path) after it.
'use strict';

const fs = require('fs');

function emptyState() {
  return {
    comments: [], issues: [], pulls: [], artifacts: [], next: 1000, timeline: {}, permissions: {},
    // The git data API: commits made through it (a tree: its base and the files it changes),
    // and branch refs. A commit of the repository itself is known by its sha only.
    git: { commits: {}, trees: {}, refs: {} },
    labels: [], // the repository's labels: a new repository has none of hmsync's
    // Who the token is: the workflow's GITHUB_TOKEN by default, which cannot ask who it is.
    actor: { login: 'github-actions[bot]', type: 'Bot' },
    canAskWhoAmI: false,
  };
}

// What each call needs of the token (a job's `permissions:`), as GitHub's REST docs say: any
// one of the listed scope:level pairs. A label that does not exist yet is created by addLabels,
// which needs issues: write.
const NEEDS = {
  listComments: ['issues:read', 'pull-requests:read'],
  createComment: ['issues:write', 'pull-requests:write'],
  updateComment: ['issues:write', 'pull-requests:write'],
  listForRepo: ['issues:read'],
  create: ['issues:write'],
  update: ['issues:write'],
  addLabels: ['issues:write', 'pull-requests:write'],
  removeLabel: ['issues:write', 'pull-requests:write'],
  listEventsForTimeline: ['issues:read', 'pull-requests:read'],
  listPullRequestsAssociatedWithCommit: ['contents:read', 'pull-requests:read'],
  listArtifactsForRepo: ['actions:read'],
  'pulls.list': ['pull-requests:read'],
  'pulls.create': ['pull-requests:write'],
  'pulls.update': ['pull-requests:write'],
  'git.getRef': ['contents:read'],
  'git.getCommit': ['contents:read'],
  'git.createTree': ['contents:write'],
  'git.createCommit': ['contents:write'],
  'git.createRef': ['contents:write'],
  'git.updateRef': ['contents:write'],
  'git.deleteRef': ['contents:write'],
};
const LEVEL = { none: 0, read: 1, write: 2 };

function forbidden() {
  const error = new Error('Resource not accessible by integration');
  error.status = 403;
  return error;
}

function granted(scopes, needs) {
  if (scopes === null || scopes === undefined) return true; // the repository default
  return needs.some((need) => {
    const [scope, level] = need.split(':');
    return (LEVEL[scopes[scope]] || 0) >= LEVEL[level];
  });
}

function notFound(what) {
  const error = new Error(`Not Found: ${what}`);
  error.status = 404;
  return error;
}

function fakeGithub({
  comments = [], issues = [], pulls = [], artifacts = [], timeline = {}, permissions = {}, state = null,
  scopes = null, labels = null,
} = {}) {
  const calls = [];
  const s = state || {
    ...emptyState(), comments: [...comments], issues: [...issues], pulls, artifacts, timeline, permissions,
  };
  if (labels !== null) s.labels = labels; // the repository's labels; null: every name exists
  const labelled = (number) => s.pulls.find((p) => p.number === number)
    || s.issues.find((i) => i.number === number);
  const git = () => {
    s.git = s.git || { commits: {}, trees: {}, refs: {} }; // states saved before the git API
    return s.git;
  };
  const rest = {
    users: {
      getAuthenticated: async () => {
        calls.push(['getAuthenticated', {}]);
        if (!s.canAskWhoAmI) {
          const error = new Error('Resource not accessible by integration');
          error.status = 403;
          throw error;
        }
        return { data: { ...s.actor } };
      },
    },
    issues: {
      listComments: async (args) => ({
        data: s.comments.filter((c) => c.issue_number === undefined || c.issue_number === args.issue_number),
      }),
      createComment: async (args) => {
        calls.push(['createComment', args]);
        const made = { id: s.next++, issue_number: args.issue_number, body: args.body, user: { ...s.actor } };
        s.comments.push(made);
        return { data: made };
      },
      updateComment: async (args) => {
        calls.push(['updateComment', args]);
        const c = s.comments.find((x) => x.id === args.comment_id);
        if (!c) throw notFound(`comment ${args.comment_id}`);
        c.body = args.body;
        return { data: c };
      },
      listForRepo: async () => ({ data: s.issues.filter((i) => i.state === 'open') }),
      // Label, unlabel and review events of a pull request, oldest first, as GitHub's timeline.
      listEventsForTimeline: async (args) => ({ data: (s.timeline || {})[args.issue_number] || [] }),
      create: async (args) => {
        calls.push(['create', args]);
        const made = {
          number: s.next++, body: args.body, title: args.title, state: 'open', user: { ...s.actor }, labels: [],
        };
        s.issues.push(made);
        return { data: made };
      },
      update: async (args) => {
        calls.push(['update', args]);
        const i = s.issues.find((x) => x.number === args.issue_number);
        if (args.body !== undefined) i.body = args.body;
        if (args.state) i.state = args.state;
        return { data: i };
      },
      addLabels: async (args) => {
        calls.push(['addLabels', args]);
        const target = labelled(args.issue_number);
        target.labels = target.labels || [];
        for (const name of args.labels) {
          if (!target.labels.some((l) => l.name === name)) target.labels.push({ name });
        }
        return { data: target.labels };
      },
      removeLabel: async (args) => {
        calls.push(['removeLabel', args]);
        const target = labelled(args.issue_number);
        const before = (target.labels || []).length;
        target.labels = (target.labels || []).filter((l) => l.name !== args.name);
        if (target.labels.length === before) throw notFound(`label ${args.name}`);
        return { data: target.labels };
      },
    },
    repos: {
      // A person's role on the repository; someone not listed is no collaborator (404).
      getCollaboratorPermissionLevel: async (args) => {
        calls.push(['getCollaboratorPermissionLevel', args]);
        const role = (s.permissions || {})[args.username];
        if (!role) throw notFound(`collaborator ${args.username}`);
        const folded = { maintain: 'write', triage: 'read' }[role] || role;
        return { data: { permission: folded, role_name: role, user: { login: args.username } } };
      },
      listPullRequestsAssociatedWithCommit: async (args) => ({
        data: s.pulls.filter((p) => p.merge_commit_sha === args.commit_sha
          || (p.head && p.head.sha === args.commit_sha) || (p.commits || []).includes(args.commit_sha)),
      }),
    },
    actions: {
      listArtifactsForRepo: async (args) => ({
        data: s.artifacts.filter((a) => !args.name || a.name === args.name),
      }),
    },
    pulls: {
      list: async (args) => {
        const branch = args.head ? args.head.split(':').pop() : null;
        return {
          data: s.pulls.filter((p) => (args.state !== 'open' || !p.state || p.state === 'open')
            && !p.merged_at && (!branch || (p.head && p.head.ref === branch))),
        };
      },
      create: async (args) => {
        calls.push(['pulls.create', args]);
        const sha = git().refs[`heads/${args.head}`];
        if (!sha) throw notFound(`branch ${args.head}`);
        const number = s.next++;
        const made = {
          number, title: args.title, body: args.body, state: 'open', user: { ...s.actor },
          head: { ref: args.head, sha }, base: { ref: args.base }, labels: [], merged_at: null,
          merge_commit_sha: null, html_url: `https://github.com/acme/templates/pull/${number}`,
        };
        s.pulls.push(made);
        return { data: made };
      },
      update: async (args) => {
        calls.push(['pulls.update', args]);
        const p = s.pulls.find((x) => x.number === args.pull_number);
        if (!p) throw notFound(`pull ${args.pull_number}`);
        if (args.body !== undefined) p.body = args.body;
        if (args.state) p.state = args.state;
        return { data: p };
      },
    },
    git: {
      getRef: async (args) => {
        const sha = git().refs[args.ref];
        if (!sha) throw notFound(`ref ${args.ref}`);
        return { data: { ref: `refs/${args.ref}`, object: { sha, type: 'commit' } } };
      },
      getCommit: async (args) => {
        const made = git().commits[args.commit_sha];
        if (made) return { data: { sha: args.commit_sha, ...made } };
        // A commit of the repository: its tree is named after it.
        return { data: { sha: args.commit_sha, tree: { sha: `tree-of-${args.commit_sha}` }, message: '' } };
      },
      createTree: async (args) => {
        calls.push(['git.createTree', args]);
        const sha = `tree${s.next++}`;
        const files = {};
        for (const entry of args.tree) files[entry.path] = entry.content;
        git().trees[sha] = { base: args.base_tree, files };
        return { data: { sha } };
      },
      createCommit: async (args) => {
        calls.push(['git.createCommit', args]);
        const sha = `c0ffee${String(s.next++).padStart(34, '0')}`;
        git().commits[sha] = {
          tree: { sha: args.tree }, parents: args.parents.map((p) => ({ sha: p })),
          message: args.message, author: { ...s.actor },
        };
        return { data: { sha } };
      },
      createRef: async (args) => {
        calls.push(['git.createRef', args]);
        const ref = args.ref.replace(/^refs\//, '');
        if (git().refs[ref]) {
          const error = new Error('Reference already exists');
          error.status = 422;
          throw error;
        }
        git().refs[ref] = args.sha;
        return { data: { ref: args.ref, object: { sha: args.sha } } };
      },
      updateRef: async (args) => {
        calls.push(['git.updateRef', args]);
        if (!git().refs[args.ref]) throw notFound(`ref ${args.ref}`);
        git().refs[args.ref] = args.sha;
        return { data: { ref: `refs/${args.ref}`, object: { sha: args.sha } } };
      },
      deleteRef: async (args) => {
        calls.push(['git.deleteRef', args]);
        delete git().refs[args.ref];
        return { data: {} };
      },
    },
  };
  for (const [groupName, group] of Object.entries(rest)) {
    for (const [name, method] of Object.entries(group)) {
      const needs = NEEDS[`${groupName}.${name}`] || NEEDS[name];
      if (!needs) continue;
      group[name] = async (args) => {
        if (!granted(scopes, needs)) throw forbidden();
        if (name === 'addLabels' && Array.isArray(s.labels)) {
          const missing = args.labels.filter((l) => !s.labels.includes(l));
          if (missing.length && !granted(scopes, ['issues:write'])) throw forbidden();
          s.labels.push(...missing); // created, as GitHub creates a label addLabels names
        }
        return method(args);
      };
    }
  }
  return {
    rest,
    calls,
    state: s,
    paginate: async (method, args) => (await method(args)).data,
  };
}

function load(path, scopes = null) {
  const state = fs.existsSync(path) ? JSON.parse(fs.readFileSync(path, 'utf8')) : emptyState();
  return fakeGithub({ state, scopes });
}

function save(path, github) {
  fs.writeFileSync(path, `${JSON.stringify(github.state, null, 2)}\n`);
}

const context = {
  repo: { owner: 'acme', repo: 'templates' },
  issue: { number: 7 },
  sha: 'abc123',
  serverUrl: 'https://github.com',
  runId: 42,
  eventName: 'push',
};

module.exports = { fakeGithub, context, load, save, emptyState };
