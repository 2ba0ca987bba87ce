// node --test .github/scripts/: the workflows' JavaScript against a fake GitHub client.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { MARKER, planBody, upsertComment } = require('./comment.js');
const drift = require('./drift.js');
const { deletesApproved } = require('./deletes.js');
const { fakeGithub, context } = require('./fake-github.js');

test('a first plan creates one comment; the next one updates it in place', async () => {
  const github = fakeGithub();
  await upsertComment({ github, context, body: 'plan one' });
  await upsertComment({ github, context, body: 'plan two' });
  assert.deepEqual(github.calls.map((c) => c[0]), ['createComment', 'updateComment']);
  assert.equal(github.state.comments.length, 1);
  assert.equal(github.state.comments[0].body, `${MARKER}\nplan two`);
});

test("a person's comment that starts with the marker is left alone", async () => {
  const person = { id: 1, body: `${MARKER}\nI quote the bot`, user: { login: 'alice' } };
  const github = fakeGithub({ comments: [person] });
  await upsertComment({ github, context, body: 'the plan' });
  assert.deepEqual(github.calls.map((c) => c[0]), ['createComment']);
  assert.equal(person.body, `${MARKER}\nI quote the bot`);
});

test('a failed plan replaces the old plan', async () => {
  const old = { id: 5, body: `${MARKER}\n### hmsync plan\nold`, user: { login: 'github-actions[bot]' } };
  const github = fakeGithub({ comments: [old] });
  const body = planBody({ exitCode: 1, report: '', errors: 'hmsync: 1 error in the template files' });
  await upsertComment({ github, context, body });
  assert.match(old.body, /### hmsync plan failed/);
  assert.match(old.body, /hmsync: 1 error in the template files/);
  assert.doesNotMatch(old.body, /\nold/);
});

test('a plan with deletes says at the top how to approve them', () => {
  const body = planBody({ exitCode: 2, report: '> **1 role(s) will be deleted:** x' });
  assert.ok(body.startsWith('> [!WARNING]\n> **This plan deletes roles.**'));
  assert.match(body, /hmsync-allow-delete/);
  assert.equal(planBody({ exitCode: 0, report: 'no changes' }), 'no changes');
});

test('a second drift run updates the same issue, found by its marker; in sync closes it', async () => {
  const labelled = { number: 3, state: 'open', body: 'someone else labelled this drift', labels: ['drift'] };
  const github = fakeGithub({ issues: [labelled] });
  const first = await drift.syncDriftIssue({ github, context, exitCode: 2, report: 'drift one' });
  const second = await drift.syncDriftIssue({ github, context, exitCode: 2, report: 'drift two' });
  assert.ok(first.created);
  assert.deepEqual(second, { updated: first.created });
  assert.equal(labelled.body, 'someone else labelled this drift');
  const mine = github.state.issues.find((i) => i.number === first.created);
  assert.match(mine.body, /drift two/);
  assert.deepEqual(await drift.syncDriftIssue({ github, context, exitCode: 0, report: '' }), {
    closed: first.created,
  });
  assert.equal(mine.state, 'closed');
  assert.deepEqual(await drift.syncDriftIssue({ github, context, exitCode: 1, report: '' }), {});
});

test('deletes are approved only by the label on the merged pull request', async () => {
  const labelled = { number: 9, merged_at: 'now', merge_commit_sha: 'abc123', labels: [{ name: 'hmsync-allow-delete' }] };
  assert.deepEqual(await deletesApproved({ github: fakeGithub({ pulls: [labelled] }), context }), {
    approved: true,
    reason: 'pull request #9 has the label hmsync-allow-delete',
  });
  const plain = { ...labelled, labels: [{ name: 'other' }] };
  assert.equal((await deletesApproved({ github: fakeGithub({ pulls: [plain] }), context })).approved, false);
  const open = { ...labelled, merged_at: null };
  assert.deepEqual(await deletesApproved({ github: fakeGithub({ pulls: [open] }), context }), {
    approved: false,
    reason: 'no merged pull request brought this commit',
  });
});

test('each environment keeps its own section of the one comment', async () => {
  const github = fakeGithub();
  await upsertComment({ github, context, body: 'staging plan', section: 'staging' });
  await upsertComment({ github, context, body: 'production plan', section: 'production' });
  await upsertComment({ github, context, body: 'staging plan 2', section: 'staging' });
  assert.equal(github.state.comments.length, 1);
  assert.equal(
    github.state.comments[0].body,
    `${MARKER}\n<!-- hmsync-env:production -->\nproduction plan\n<!-- /hmsync-env -->\n\n`
      + '<!-- hmsync-env:staging -->\nstaging plan 2\n<!-- /hmsync-env -->',
  );
});

test('each environment keeps its own drift issue', async () => {
  const github = fakeGithub();
  const staging = await drift.syncDriftIssue({ github, context, exitCode: 2, report: 's', environment: 'staging' });
  const production = await drift.syncDriftIssue({ github, context, exitCode: 2, report: 'p', environment: 'production' });
  assert.notEqual(staging.created, production.created);
  assert.deepEqual(
    await drift.syncDriftIssue({ github, context, exitCode: 0, report: '', environment: 'staging' }),
    { closed: staging.created },
  );
  const open = github.state.issues.filter((i) => i.state === 'open');
  assert.deepEqual(open.map((i) => i.title), ['hmsync: live templates differ from the files (production)']);
});
