// node --test .github/scripts/: the workflows' JavaScript against a fake GitHub client.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  MARKER, planMarker, applyMarker, planBody, upsertComment, syncLabels, applyBody, fit, LIMIT,
} = require('./comment.js');
const drift = require('./drift.js');
const { deletesApproved } = require('./deletes.js');
const { findReviewedPlan } = require('./reviewed.js');
const { fakeGithub, context } = require('./fake-github.js');

const BOT = { login: 'github-actions[bot]', type: 'Bot' };

test('a first plan creates one comment; the next one updates it in place', async () => {
  const github = fakeGithub();
  await upsertComment({ github, context, body: 'plan one' });
  await upsertComment({ github, context, body: 'plan two' });
  assert.deepEqual(github.calls.map((c) => c[0]).filter((n) => n !== 'getAuthenticated'), ['createComment', 'updateComment']);
  assert.equal(github.state.comments.length, 1);
  assert.equal(github.state.comments[0].body, `${MARKER}\nplan two`);
});

test("a person's comment that starts with the marker is left alone", async () => {
  const person = { id: 1, body: `${MARKER}\nI quote the bot`, user: { login: 'alice', type: 'User' } };
  const github = fakeGithub({ comments: [person] });
  await upsertComment({ github, context, body: 'the plan' });
  assert.deepEqual(github.calls.map((c) => c[0]).filter((n) => n !== 'getAuthenticated'), ['createComment']);
  assert.equal(person.body, `${MARKER}\nI quote the bot`);
});

test("a GitHub App's token keeps its one comment too (not only github-actions[bot])", async () => {
  const github = fakeGithub();
  github.state.actor = { login: 'hmsync-app[bot]', type: 'Bot' };
  await upsertComment({ github, context, body: 'one' });
  await upsertComment({ github, context, body: 'two' });
  assert.equal(github.state.comments.length, 1);
  assert.equal(github.state.comments[0].user.login, 'hmsync-app[bot]');
});

test('a personal token keeps its own comment, and only its own', async () => {
  const otherBot = { id: 2, body: `${MARKER}\nanother bot`, user: BOT };
  const github = fakeGithub({ comments: [otherBot] });
  github.state.actor = { login: 'ci-user', type: 'User' };
  github.state.canAskWhoAmI = true;
  await upsertComment({ github, context, body: 'one' });
  await upsertComment({ github, context, body: 'two' });
  assert.equal(otherBot.body, `${MARKER}\nanother bot`);
  assert.deepEqual(github.state.comments.map((c) => c.body), [`${MARKER}\nanother bot`, `${MARKER}\ntwo`]);
});

test('a failed plan replaces the old plan', async () => {
  const old = { id: 5, body: `${MARKER}\n### hmsync plan\nold`, user: BOT };
  const github = fakeGithub({ comments: [old] });
  const body = planBody({ exitCode: 1, report: '', errors: 'hmsync: 1 error in the template files' });
  await upsertComment({ github, context, body });
  assert.match(old.body, /### hmsync plan failed/);
  assert.match(old.body, /hmsync: 1 error in the template files/);
  assert.doesNotMatch(old.body, /\nold/);
});

test('a plan with deletes says at the top how to approve them', () => {
  const body = planBody({ exitCode: 2, report: '> **1 role(s) will be deleted:** x' });
  assert.ok(body.startsWith('<!-- hmsync-status:deletes -->\n> [!WARNING]\n> **This plan deletes roles.**'));
  assert.match(body, /hmsync-allow-delete/);
  assert.equal(planBody({ exitCode: 0, report: 'no changes' }), '<!-- hmsync-status:no-changes -->\nno changes');
  assert.match(
    planBody({ exitCode: 1, errors: 'x', environment: 'staging' }),
    /^<!-- hmsync-status:failed -->\n### hmsync plan failed \(`staging`\)\n/,
  );
});

test("one environment's long plan never hides another's", async () => {
  const github = fakeGithub();
  const long = `### hmsync plan\n\`\`\`diff\n${'~ roles.host.priority: 1 -> 2\n'.repeat(2240)}`;
  assert.ok(long.length > 64960);
  const staging = planBody({ exitCode: 2, report: long, environment: 'staging' });
  const production = planBody({ exitCode: 2, report: '> **1 role(s) will be deleted:** room/guest', environment: 'production' });
  await upsertComment({ github, context, body: staging, marker: planMarker('staging') });
  await upsertComment({ github, context, body: production, marker: planMarker('production') });
  await upsertComment({ github, context, body: staging, marker: planMarker('staging') });
  const [first, second] = github.state.comments;
  assert.equal(github.state.comments.length, 2);
  assert.ok(first.body.length <= LIMIT);
  assert.ok(first.body.startsWith('<!-- hmsync-plan:staging -->\n'));
  assert.match(first.body, /```\n\n> \[!NOTE\]\n> Cut to fit a comment: the whole of it is in \[the run's summary\]\(https:\/\/github.com\/acme\/templates\/actions\/runs\/42\)\.$/);
  assert.equal((first.body.match(/```/g) || []).length % 2, 0);
  assert.match(second.body, /1 role\(s\) will be deleted:\*\* room\/guest/);
});

test('a cut closes every fence and <details> it opened, at a whole line', () => {
  const text = `<details><summary>a</summary>\n\n\`\`\`diff\n${'+ x\n'.repeat(100)}`;
  const cut = fit(text, 200, 'see the run.');
  assert.ok(cut.length <= 200);
  assert.match(cut, /\+ x\n```\n<\/details>\n\n> \[!NOTE\]\n> Cut to fit a comment: see the run\.$/);
  assert.equal(fit('short', 200, 'x'), 'short');
});

test('one hmsync label sums up every environment, and a failed plan claims none', async () => {
  const github = fakeGithub({ pulls: [{ number: 7, labels: [{ name: 'hmsync:changes' }, { name: 'bug' }] }] });
  const post = (environment, exitCode, report) => upsertComment({
    github, context, body: planBody({ exitCode, report, environment }), marker: planMarker(environment),
  });
  await post('staging', 0, 'nothing');
  assert.equal(await syncLabels({ github, context }), 'hmsync:no-changes');
  await post('production', 2, '> **1 role(s) will be deleted:** x');
  assert.equal(await syncLabels({ github, context }), 'hmsync:deletes');
  assert.deepEqual(github.state.pulls[0].labels.map((l) => l.name), ['bug', 'hmsync:deletes']);
  await post('staging', 1, '');
  assert.equal(await syncLabels({ github, context }), null);
  assert.deepEqual(github.state.pulls[0].labels.map((l) => l.name), ['bug']);
  // A plan that says the guardrails changed: their label beside the plan's, gone with it.
  await post('staging', 2, '### hmsync plan\n\n<!-- hmsync-guardrails -->\n> [!WARNING]\n');
  await post('production', 0, 'nothing');
  assert.equal(await syncLabels({ github, context }), 'hmsync:changes');
  assert.deepEqual(github.state.pulls[0].labels.map((l) => l.name), ['bug', 'hmsync:changes', 'hmsync:guardrails']);
  await post('staging', 0, 'nothing');
  await syncLabels({ github, context });
  assert.deepEqual(github.state.pulls[0].labels.map((l) => l.name), ['bug', 'hmsync:no-changes']);
});

test('the apply result names who approved the role deletes', () => {
  const body = applyBody({
    exitCode: 0, report: 'x', url: 'u',
    deletes: 'allowed: pull request #9: the label hmsync-allow-delete added by @alice and approved in review by @bob',
  });
  assert.match(body, /\nRole deletes: allowed: pull request #9: the label hmsync-allow-delete added by @alice and approved in review by @bob\.\n/);
});

test('the apply result: applied, or nothing and how to go on', () => {
  const url = 'https://github.com/acme/templates/actions/runs/42';
  const done = applyBody({ exitCode: 0, report: 'Applied 1 action(s).', environment: 'staging', reason: 'applying the plan reviewed on pull request #7 (commit abc1234)', url });
  assert.ok(done.startsWith('### hmsync applied to `staging`\n\nApplying the plan reviewed on pull request #7 (commit abc1234). [The run](https://github.com/acme/templates/actions/runs/42).\n'));
  assert.match(done, /```\nApplied 1 action\(s\)\.\n```$/);
  const refused = applyBody({ exitCode: 4, errors: 'hmsync: live template changed since plan.json was made: room; ...', environment: 'production', url });
  assert.ok(refused.startsWith('### hmsync applied nothing to `production`\n'));
  assert.match(refused, /run the \*\*hmsync apply\*\* workflow by hand/);
  assert.match(refused, /`hmsync plan --env production`/);
  assert.match(refused, /```\nhmsync: live template changed since plan\.json was made: room; \.\.\.\n```/);
});

test('each refusal says its own reason and fix', () => {
  const said = (errors, exitCode = 4) => applyBody({ exitCode, errors, environment: 'production', url: 'u' });
  const reasons = {
    'hmsync: refusing to delete 1 role without --allow-delete: room/guest. Nothing was changed': /the label `hmsync-allow-delete` did not approve them[\s\S]*add the label, approve the pull request again/,
    'hmsync: 3 role deletes exceed --max-deletes 2: a/b. Nothing was changed': /more roles than the workflow allows/,
    "hmsync: refused by hmsync.yaml's protect (1 reason): the plan deletes role room/host": /`protect` refused this plan[\s\S]*a pull request of its own/,
    'hmsync: the recording credentials (HMSYNC_* variables) of room are not the ones p.json was made with': /Set the GitHub environment's secrets as they were/,
    'hmsync: p.json was made for environment staging, not production; apply it with': /made for another environment, API or base URL/,
    "hmsync: GET x: template 'room' exists now, though the plan read none": /was created by someone else meanwhile/,
    'hmsync: live template changed since p.json was made: room; run': /no longer holds \(the files, `hmsync.yaml` or live changed since\)/,
  };
  for (const [errors, expected] of Object.entries(reasons)) {
    const body = said(errors);
    assert.match(body, expected, errors);
    assert.equal((body.match(/no longer holds/g) || []).length, expected.source.includes('no longer holds') ? 1 : 0, errors);
  }
  const conflict = said('', 3).replace(/^/, '');
  assert.doesNotMatch(conflict, /no longer holds/);
  const stopped = applyBody({ exitCode: 3, report: 'GET x: someone else changed what this plan changes, since it was planned', url: 'u' });
  assert.match(stopped, /Someone else changed, in the dashboard or another run, a field this plan changes/);
});

test('a second drift run updates the same issue, found by its marker; in sync closes it', async () => {
  const labelled = { number: 3, state: 'open', body: 'someone else labelled this drift', labels: ['drift'], user: BOT };
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
  assert.deepEqual(await drift.syncDriftIssue({ github, context, exitCode: 3, report: '' }), {});
});

test("an issue a person opens with the drift marker is never taken over", async () => {
  const person = { number: 4, state: 'open', body: `${drift.MARKER}\nplease close me`, user: { login: 'mallory', type: 'User' } };
  const github = fakeGithub({ issues: [person] });
  const made = await drift.syncDriftIssue({ github, context, exitCode: 2, report: 'drift' });
  assert.ok(made.created && made.created !== 4);
  assert.equal(person.body, `${drift.MARKER}\nplease close me`);
  await drift.syncDriftIssue({ github, context, exitCode: 0, report: '' });
  assert.equal(person.state, 'open');
});

test('deletes are approved only by the label on the merged pull request', async () => {
  const labelled = { number: 9, merged_at: 'now', merge_commit_sha: 'abc123', labels: [{ name: 'hmsync-allow-delete' }] };
  const added = (login, at) => ({ event: 'labeled', label: { name: 'hmsync-allow-delete' }, actor: { login }, created_at: at });
  const approved = (login, at) => ({ event: 'reviewed', state: 'approved', user: { login }, submitted_at: at });
  const permissions = { alice: 'write', bob: 'maintain', tom: 'triage', admin: 'admin' };
  const check = (timeline) => deletesApproved({
    github: fakeGithub({ pulls: [labelled], timeline: { 9: timeline }, permissions }), context,
  });
  assert.deepEqual(await check([added('alice', '2026-12-01T10:00:00Z'), approved('bob', '2026-12-01T11:00:00Z')]), {
    approved: true,
    reason: 'pull request #9: the label hmsync-allow-delete added by @alice and approved in review by @bob',
  });
  // Added by someone who can label but not merge (triage): not an approval.
  assert.deepEqual(await check([added('tom', '2026-12-01T10:00:00Z'), approved('bob', '2026-12-01T11:00:00Z')]), {
    approved: false,
    reason: 'pull request #9: the label hmsync-allow-delete was added by @tom, who has triage permission, not write',
  });
  // Added after the last approving review: never reviewed.
  assert.deepEqual(await check([approved('bob', '2026-12-01T09:00:00Z'), added('admin', '2026-12-01T10:00:00Z')]), {
    approved: false,
    reason: 'pull request #9: the label hmsync-allow-delete (added by @admin) came after the last approving review; approve the pull request again',
  });
  // An approval by someone who may not merge does not count; nor does a stranger's label.
  assert.equal((await check([added('alice', '2026-12-01T10:00:00Z'), approved('tom', '2026-12-01T11:00:00Z')])).approved, false);
  assert.equal((await check([added('mallory', '2026-12-01T10:00:00Z'), approved('bob', '2026-12-01T11:00:00Z')])).approved, false);
  // The last time the label was put on is what counts (removed and added again by triage).
  assert.equal((await check([
    added('alice', '2026-12-01T08:00:00Z'), approved('bob', '2026-12-01T09:00:00Z'), added('tom', '2026-12-01T10:00:00Z'),
  ])).approved, false);
  const plain = { ...labelled, labels: [{ name: 'other' }] };
  assert.equal((await deletesApproved({ github: fakeGithub({ pulls: [plain] }), context })).approved, false);
  const open = { ...labelled, merged_at: null };
  assert.deepEqual(await deletesApproved({ github: fakeGithub({ pulls: [open] }), context }), {
    approved: false,
    reason: 'no merged pull request brought this commit',
  });
});

test('the reviewed plan: the merged pull request\'s, for its last commit, or nothing', async () => {
  const pull = { number: 9, merged_at: 'now', merge_commit_sha: 'abc123', head: { sha: 'feed5678aa' } };
  const artifact = (id, sha, extra = {}) => ({
    name: `hmsync-plan-production-${sha}`, created_at: `2026-11-0${id}`, expired: false,
    workflow_run: { id, head_sha: sha }, ...extra,
  });
  const found = await findReviewedPlan({
    github: fakeGithub({ pulls: [pull], artifacts: [artifact(1, 'feed5678aa'), artifact(3, 'feed5678aa'), artifact(4, 'feed5678aa', { expired: true })] }),
    context, environment: 'production',
  });
  assert.deepEqual(found, {
    source: 'pull', runId: '3', artifact: 'hmsync-plan-production-feed5678aa', pr: '9',
    reason: 'applying the plan for production reviewed on pull request #9 (commit feed567)',
  });
  // An artifact of that name made from another commit is not this pull request's plan.
  const forged = { ...artifact(5, 'feed5678aa'), workflow_run: { id: 5, head_sha: 'other' } };
  const missing = await findReviewedPlan({ github: fakeGithub({ pulls: [pull], artifacts: [forged] }), context, environment: 'production' });
  assert.deepEqual(missing, {
    source: 'missing', runId: '', artifact: '', pr: '9',
    reason: 'pull request #9 has no saved plan for production for its last commit feed567 (its plan failed or did not run), so nothing was applied',
  });
  const direct = await findReviewedPlan({ github: fakeGithub(), context });
  assert.equal(direct.source, 'none');
  assert.equal(direct.reason, 'no pull request brought this commit: planned and applied afresh, unreviewed');
  const byHand = await findReviewedPlan({ github: fakeGithub(), context: { ...context, eventName: 'workflow_dispatch' } });
  assert.deepEqual([byHand.source, byHand.runId, byHand.artifact], ['dispatch', '42', 'hmsync-plan-abc123']);
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

test('the apply comment is its own, per environment', () => {
  assert.equal(applyMarker('staging'), '<!-- hmsync-apply:staging -->');
  assert.equal(applyMarker(''), '<!-- hmsync-apply -->');
});

const acceptLive = require('./acceptlive.js');

test('the accept-live pull request: opened, updated in place, closed with its branch', async () => {
  const github = fakeGithub();
  const ctx = { ...context, sha: 'base1' };
  const files = { 'rooms/a.yaml': 'name: a\nsize: 42\n' };
  const made = await acceptLive.syncAcceptLive({ github, context: ctx, exitCode: '2', files, environment: 'prod' });
  assert.ok(made.created);
  const [pull] = github.state.pulls;
  assert.equal(pull.head.ref, 'hmsync/accept-live-prod');
  assert.ok(pull.body.startsWith(acceptLive.MARKER));
  assert.ok(pull.body.includes('- `rooms/a.yaml`'));
  const again = await acceptLive.syncAcceptLive({ github, context: ctx, exitCode: '2', files, environment: 'prod' });
  assert.equal(again.updated, pull.number);
  assert.equal(github.state.pulls.length, 1);
  const done = await acceptLive.syncAcceptLive({ github, context: ctx, exitCode: '0', files: {}, environment: 'prod' });
  assert.equal(done.closed, pull.number);
  assert.equal(pull.state, 'closed');
  assert.deepEqual(github.state.git.refs, {});
});

test("a person's commit on the accept-live branch is never overwritten", async () => {
  const github = fakeGithub();
  const ctx = { ...context, sha: 'base1' };
  const files = { 'templates/t.yaml': 'name: t\n' };
  await acceptLive.syncAcceptLive({ github, context: ctx, exitCode: '2', files });
  const sha = 'f'.repeat(40);
  github.state.git.commits[sha] = { tree: { sha: 'x' }, parents: [], message: 'my own fix', author: { login: 'alice' } };
  github.state.git.refs['heads/hmsync/accept-live'] = sha;
  const kept = await acceptLive.syncAcceptLive({ github, context: ctx, exitCode: '2', files });
  assert.match(kept.skipped, /not hmsync's; left alone/);
  assert.equal(github.state.git.refs['heads/hmsync/accept-live'], sha);
});

test("a pull request a person opens on the accept-live branch is never taken over", async () => {
  const person = {
    number: 5, state: 'open', merged_at: null, body: `${acceptLive.MARKER}\nmine`,
    user: { login: 'alice', type: 'User' }, head: { ref: 'hmsync/accept-live', sha: 'x' },
  };
  const github = fakeGithub({ pulls: [person] });
  const made = await acceptLive.syncAcceptLive({
    github, context: { ...context, sha: 'base1' }, exitCode: '2', files: { 'a.yaml': 'a: 1\n' },
  });
  assert.ok(made.created && made.created !== 5);
  assert.equal(person.body, `${acceptLive.MARKER}\nmine`);
});

test('the drift issue keeps what was last told; a person\'s issue tells nothing', async () => {
  const github = fakeGithub();
  const state = { '': { digest: 'a'.repeat(64), event: 'drift' }, evil: { digest: '--> <b>', event: 'drift' } };
  await drift.syncDriftIssue({ github, context, exitCode: '2', report: 'drifted', state });
  const [issue] = github.state.issues;
  assert.ok(issue.body.includes(`<!-- hmsync-notify-state {"":{"digest":"${'a'.repeat(64)}","event":"drift"}} -->`));
  const read = await drift.readDriftState({ github, context });
  assert.deepEqual(JSON.parse(read.state), { '': { digest: 'a'.repeat(64), event: 'drift' } });
  assert.equal(read.url, `https://github.com/acme/templates/issues/${issue.number}`);
  const planted = {
    number: 9, state: 'open', user: { login: 'mallory', type: 'User' },
    body: `${drift.MARKER}\n<!-- hmsync-notify-state {"":{"digest":"${'b'.repeat(64)}","event":"drift"}} -->`,
  };
  const other = fakeGithub({ issues: [planted] });
  assert.deepEqual(await drift.readDriftState({ github: other, context }), { state: '{}', url: '' });
});

test('a failed drift check says so in the issue, and is not silence', async () => {
  const github = fakeGithub();
  const done = await drift.syncDriftIssue({
    github, context, exitCode: '1', report: '', errors: 'hmsync: GET https://api/v2/templates: 401 ```x```', environment: 'prod',
  });
  assert.ok(done.created);
  const [issue] = github.state.issues;
  assert.ok(issue.body.includes('### hmsync drift: the check FAILED'));
  assert.ok(issue.body.includes("401 '''x'''"));
});

test('a merged accept-live pull request is applied as nothing, only when it is ours', async () => {
  const merged = (user) => ({
    number: 8, merged_at: '2026-12-01T00:00:00Z', merge_commit_sha: 'm1', user,
    head: { ref: 'hmsync/accept-live-prod', sha: 'h1' },
  });
  const ctx = { ...context, sha: 'm1' };
  const ours = await findReviewedPlan({ github: fakeGithub({ pulls: [merged(BOT)] }), context: ctx, environment: 'prod' });
  assert.equal(ours.source, 'accepted');
  const person = merged({ login: 'mallory', type: 'User' });
  const theirs = await findReviewedPlan({ github: fakeGithub({ pulls: [person] }), context: ctx, environment: 'prod' });
  assert.equal(theirs.source, 'missing');
});

test('a drift the files cannot take as they are says why there is no pull request', async () => {
  const github = fakeGithub();
  await drift.syncDriftIssue({
    github, context, exitCode: '2', report: 'drifted',
    refused: 'hmsync: refusing to refresh: 1 live value(s)\n  templates/t.yaml: region: a variable',
  });
  const [issue] = github.state.issues;
  assert.ok(issue.body.includes('No accept-live pull request: live cannot be written into the files'));
  assert.ok(issue.body.includes('templates/t.yaml: region: a variable'));
});
