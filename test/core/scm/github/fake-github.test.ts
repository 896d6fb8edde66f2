// The fake GitHub enforces the real API's rules: if it accepted what GitHub rejects, the reporter
// tests would prove nothing. Driven with a plain Octokit, independent of Warden's client.
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_GITHUB_TOKENS, parseUnifiedDiff, startFakeGithub, type FakeGithub } from '../../../helpers/fake-github.js';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const DIFF = [
  'diff --git a/src/chat.ts b/src/chat.ts',
  'index 1111111..2222222 100644',
  '--- a/src/chat.ts',
  '+++ b/src/chat.ts',
  '@@ -10,6 +10,8 @@ export function chat() {',
  ' const a = 1;',
  ' const b = 2;',
  ' const c = 3;',
  '+const d = 4;',
  '+const e = 5;',
  ' const f = 6;',
  ' const g = 7;',
  ' const h = 8;',
  '@@ -40,3 +42,4 @@',
  ' x();',
  '-old();',
  '+y();',
  '+z();',
  ' w();',
  '',
].join('\n');

let fake: FakeGithub;
afterEach(async () => {
  await fake?.close();
});

/** `null`: no token at all. */
function client(token: string | null = FAKE_GITHUB_TOKENS.write): Octokit {
  return new Octokit({ baseUrl: fake.apiUrl, ...(token !== null ? { auth: token } : {}), log: { debug() {}, info() {}, warn() {}, error() {} } });
}

async function status(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
    return { status: 200, message: '' };
  } catch (err) {
    const e = err as { status: number; message: string };
    return { status: e.status, message: e.message };
  }
}

const repo = { owner: 'acme', repo: 'widgets' };
const annotation = (i: number) => ({ path: 'src/chat.ts', start_line: i, end_line: i, annotation_level: 'warning' as const, message: `m${i}` });

describe('fake GitHub', () => {
  it('parses unified diffs into hunks, added and context lines', () => {
    const [file] = parseUnifiedDiff(DIFF);
    expect(file.path).toBe('src/chat.ts');
    expect(file.hunks).toEqual([
      { right: [10, 17], left: [10, 15] },
      { right: [42, 45], left: [40, 42] },
    ]);
    expect(file.added).toEqual([13, 14, 43, 44]);
    expect(file.removed).toEqual([41]);
    expect(file.context.map(([n]) => n)).toEqual([10, 11, 12, 15, 16, 17, 42, 45]);
    expect(file.context.find(([n]) => n === 45)).toEqual([45, 42]);
  });

  it('answers 401 Bad credentials without a token and with an unknown one', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    for (const token of [null, 'ghp_notAKnownToken000000000000000000000']) {
      const r = await status(client(token).rest.issues.listComments({ ...repo, issue_number: 1 }));
      expect(r).toEqual({ status: 401, message: expect.stringContaining('Bad credentials') });
    }
    expect(fake.calls.every((c) => !('authorization' in c.headers))).toBe(true);
  });

  it('lets a read-only token read but answers 403 to its writes', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    const ro = client(FAKE_GITHUB_TOKENS.readOnly);
    expect((await status(ro.rest.issues.listComments({ ...repo, issue_number: 1 }))).status).toBe(200);
    const w = await status(ro.rest.issues.createComment({ ...repo, issue_number: 1, body: 'hi' }));
    expect(w.status).toBe(403);
    expect(w.message).toContain('Resource not accessible by integration');
    expect(fake.issueComments).toHaveLength(0);
  });

  it('paginates with Link rel="next", 30 per page by default and at most 100', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    for (let i = 0; i < 150; i++) fake.seedIssueComment(1, `c${i}`);
    const gh = client();
    const first = await gh.rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(first.data).toHaveLength(30);
    expect(first.headers.link).toMatch(/page=2>; rel="next"/);
    const big = await gh.rest.issues.listComments({ ...repo, issue_number: 1, per_page: 500 });
    expect(big.data).toHaveLength(100);
    const all = await gh.paginate(gh.rest.issues.listComments, { ...repo, issue_number: 1 });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 150 }, (_, i) => `c${i}`));
  });

  it('rejects check runs with more than 50 annotations, missing fields, bad columns, long text or an unknown sha', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    const gh = client();
    const base = { ...repo, name: 'Warden', head_sha: HEAD };
    const output = { title: 't', summary: 's' };
    const tooMany = await status(gh.rest.checks.create({ ...base, output: { ...output, annotations: Array.from({ length: 51 }, (_, i) => annotation(i + 1)) } }));
    expect(tooMany.status).toBe(422);
    expect(tooMany.message).toMatch(/Only 50 annotations/);
    const cols = await status(gh.rest.checks.create({ ...base, output: { ...output, annotations: [{ ...annotation(1), end_line: 2, start_column: 1, end_column: 3 }] } }));
    expect(cols.status).toBe(422);
    const long = await status(gh.rest.checks.create({ ...base, output: { title: 't', summary: 'x'.repeat(65_536) } }));
    expect(long.status).toBe(422);
    const longText = await status(gh.rest.checks.create({ ...base, output: { ...output, text: 'x'.repeat(65_536) } }));
    expect(longText.status).toBe(422);
    const noTitle = await status(gh.rest.checks.create({ ...base, output: { summary: 's' } as never }));
    expect(noTitle.status).toBe(422);
    const level = await status(gh.rest.checks.create({ ...base, output: { ...output, annotations: [{ ...annotation(1), annotation_level: 'error' as never }] } }));
    expect(level.status).toBe(422);
    const sha = await status(gh.rest.checks.create({ ...base, head_sha: 'c'.repeat(40) }));
    expect(sha).toEqual({ status: 422, message: expect.stringContaining('No commit found') });
    expect(fake.checkRuns).toHaveLength(0);
    const ok = await status(gh.rest.checks.create({ ...base, output: { ...output, text: 'x'.repeat(65_535) } }));
    expect(ok.status).toBe(200);
  });

  it('appends annotations across check-run updates', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    const gh = client();
    const run = await gh.rest.checks.create({ ...repo, name: 'Warden', head_sha: HEAD, status: 'in_progress', output: { title: 't', summary: 's', annotations: [annotation(1)] } });
    await gh.rest.checks.update({ ...repo, check_run_id: run.data.id, conclusion: 'failure', output: { title: 't', summary: 's', annotations: [annotation(2), annotation(3)] } });
    expect(fake.checkRuns[0].annotations.map((a) => a.start_line)).toEqual([1, 2, 3]);
    expect(fake.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const listed = await gh.paginate(gh.rest.checks.listAnnotations, { ...repo, check_run_id: run.data.id });
    expect(listed).toHaveLength(3);
  });

  it('accepts review comments only on diff lines of the head commit, multi-line ones within one hunk', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 7, headSha: HEAD, baseSha: BASE, diff: DIFF }] });
    const gh = client();
    const base = { ...repo, pull_number: 7, commit_id: HEAD, event: 'COMMENT' as const, body: 'review' };
    const c = (x: object) => ({ path: 'src/chat.ts', body: 'b', ...x });
    const bad = [
      { comments: [c({ line: 30, side: 'RIGHT' })], err: 'must be part of the diff' },
      { comments: [c({ line: 41, side: 'RIGHT' })], err: 'must be part of the diff' },
      { comments: [c({ start_line: 16, start_side: 'RIGHT', line: 43, side: 'RIGHT' })], err: 'same hunk' },
      { comments: [c({ start_line: 14, line: 13, side: 'RIGHT' })], err: 'precede' },
      { comments: [c({ path: 'nope.ts', line: 13 })], err: 'Path could not be resolved' },
      { comments: [c({ line: 13 }), c({ line: 99 })], err: 'must be part of the diff' },
    ];
    for (const b of bad) {
      const r = await status(gh.rest.pulls.createReview({ ...base, comments: b.comments }));
      expect(r.status, JSON.stringify(b.comments)).toBe(422);
      expect(r.message).toContain(b.err);
    }
    const wrongCommit = await status(gh.rest.pulls.createReview({ ...base, commit_id: BASE, comments: [c({ line: 13 })] }));
    expect(wrongCommit.status).toBe(422);
    expect(fake.reviewComments).toHaveLength(0);

    await gh.rest.pulls.createReview({ ...base, comments: [c({ line: 14, start_line: 13, start_side: 'RIGHT', side: 'RIGHT' }), c({ line: 41, side: 'LEFT' }), c({ line: 45 })] });
    const listed = await gh.paginate(gh.rest.pulls.listReviewComments, { ...repo, pull_number: 7 });
    expect(listed.map((x) => [x.line, x.side, x.start_line, x.commit_id])).toEqual([
      [14, 'RIGHT', 13, HEAD],
      [41, 'LEFT', null, HEAD],
      [45, 'RIGHT', null, HEAD],
    ]);
  });

  it('accepts line sets as the diff: consecutive lines are one hunk', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 2, headSha: HEAD, diff: { 'a.py': { right: [1, 2, 3, 7, 8] } } }] });
    const gh = client();
    const base = { ...repo, pull_number: 2, commit_id: HEAD, event: 'COMMENT' as const, body: 'r' };
    expect((await status(gh.rest.pulls.createReview({ ...base, comments: [{ path: 'a.py', body: 'x', start_line: 1, line: 3 }] }))).status).toBe(200);
    expect((await status(gh.rest.pulls.createReview({ ...base, comments: [{ path: 'a.py', body: 'x', start_line: 3, line: 7 }] }))).status).toBe(422);
  });

  it('bounds comment bodies and commit-status descriptions and checks status states', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    const gh = client();
    expect((await status(gh.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x'.repeat(65_537) }))).status).toBe(422);
    expect((await status(gh.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x'.repeat(65_536) }))).status).toBe(200);
    const long = await status(gh.rest.repos.createCommitStatus({ ...repo, sha: HEAD, state: 'success', description: 'd'.repeat(141) }));
    expect(long.status).toBe(422);
    const state = await status(gh.rest.repos.createCommitStatus({ ...repo, sha: HEAD, state: 'neutral' as never }));
    expect(state.status).toBe(422);
    expect((await status(gh.rest.repos.createCommitStatus({ ...repo, sha: HEAD, state: 'success', description: 'd'.repeat(140) }))).status).toBe(200);
    expect(fake.statuses).toHaveLength(1);
  });

  it('answers 404 Not Found for unknown routes and repositories', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    const gh = client();
    expect(await status(gh.request('GET /repos/{owner}/{repo}/labels', repo))).toEqual({ status: 404, message: expect.stringContaining('Not Found') });
    expect((await status(gh.rest.issues.listComments({ owner: 'other', repo: 'x', issue_number: 1 }))).status).toBe(404);
    expect((await status(gh.rest.issues.listComments({ ...repo, issue_number: 99 }))).status).toBe(404);
  });

  it('serves under a GHES-style /api/v3 prefix', async () => {
    fake = await startFakeGithub({ pathPrefix: '/api/v3', pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    expect(fake.apiUrl).toMatch(/\/api\/v3$/);
    for (let i = 0; i < 40; i++) fake.seedIssueComment(1, `c${i}`);
    const gh = client();
    const all = await gh.paginate(gh.rest.issues.listComments, { ...repo, issue_number: 1 });
    expect(all).toHaveLength(40);
    expect(fake.calls.map((c) => c.path)).toEqual(['/repos/acme/widgets/issues/1/comments', '/repos/acme/widgets/issues/1/comments']);
  });

  it('injects faults for the next requests to a route', async () => {
    fake = await startFakeGithub({ pulls: [{ number: 1, headSha: HEAD, diff: DIFF }] });
    fake.failNext({ method: 'POST', path: '/repos/acme/widgets/statuses/' + HEAD, kind: 'server-error' });
    fake.failNext({ method: 'POST', path: /statuses/, kind: 'secondary-rate-limit', retryAfter: 3 });
    const gh = client();
    const call = () => gh.rest.repos.createCommitStatus({ ...repo, sha: HEAD, state: 'success' });
    expect((await status(call())).status).toBe(502);
    const limited = await status(call());
    expect(limited.status).toBe(403);
    expect(limited.message).toMatch(/secondary rate limit/);
    expect((await status(call())).status).toBe(200);
    expect(fake.calls.map((c) => c.status)).toEqual([502, 403, 201]);
  });
});
