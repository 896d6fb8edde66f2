// github-review against the fake GitHub: one review per run on the head commit with inline comments for
// new findings only (deduplicated by fingerprint marker across runs), at most 30 of them, fixed findings'
// comments marked resolved, one sticky summary comment, and the fallback to workflow-command annotations
// when the token is read-only (fork pull requests).
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding, RuleMeta } from '../../../../src/core/analysis/types.js';
import { FIXED_MARKER, createGithubReviewReporter } from '../../../../src/core/scm/github/review.js';
import { SUMMARY_MARKER, fingerprintMarker, markerFingerprint, type CiReport, type DiffInfo, type FileChange, type ReporterContext } from '../../../../src/core/scm/types.js';
import { FAKE_GITHUB_TOKENS, parseUnifiedDiff, startFakeGithub, type FakeGithub } from '../../../helpers/fake-github.js';

const HEAD = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
const BASE = '0123456789abcdef0123456789abcdef01234567';
const CHAT = 'src/chat.ts';
const BIG = 'src/tools/runner.py';
const DIFF = [
  `diff --git a/${CHAT} b/${CHAT}`,
  'index 1111111..2222222 100644',
  `--- a/${CHAT}`,
  `+++ b/${CHAT}`,
  '@@ -10,6 +10,8 @@ export function chat() {',
  ' const a = 1;',
  ' const b = 2;',
  ' const c = 3;',
  '+const reply = await llm(prompt);',
  '+eval(reply);',
  ' const f = 6;',
  ' const g = 7;',
  ' const h = 8;',
  '@@ -40,3 +42,4 @@',
  ' x();',
  '-old();',
  '+run(reply);',
  '+exec(reply);',
  ' w();',
  `diff --git a/${BIG} b/${BIG}`,
  'new file mode 100644',
  '--- /dev/null',
  `+++ b/${BIG}`,
  '@@ -0,0 +1,100 @@',
  ...Array.from({ length: 100 }, (_, i) => `+subprocess.run(cmd_${i + 1}, shell=True)`),
  '',
].join('\n');
const fast = { client: { timing: { secondMs: 2, writeIntervalMs: 0, notificationIntervalMs: 0 } } };

const RULE: RuleMeta = {
  id: 'llm-output-to-eval',
  message: 'Model output reaches eval()',
  severity: 'high',
  language: 'typescript',
  note: 'Never evaluate model output; parse it as data.',
  cwe: ['CWE-94'],
  source: 'policies/rules/typescript/llm.yml',
};

function fp(n: number | string): string {
  return createHash('sha256').update(String(n)).digest('hex');
}

function finding(id: string, line: number, over: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'llm-output-to-eval',
    severity: 'high',
    message: `Model output reaches eval() [${id}]`,
    path: CHAT,
    start: { line, column: 1 },
    end: { line, column: 12 },
    snippet: 'eval(reply)',
    fingerprint: fp(id),
    cwe: ['CWE-94'],
    ...over,
  };
}

function bigFindings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) =>
    finding(`big-${i}`, i + 1, { path: BIG, ruleId: 'py-shell-true', severity: i < 5 ? 'critical' : 'medium', message: `shell=True with model-controlled command ${i}` }),
  );
}

function diffInfo(text: string): DiffInfo {
  const files = new Map<string, FileChange>();
  for (const f of parseUnifiedDiff(text)) {
    files.set(f.path, { path: f.path, oldPath: f.oldPath, status: f.status, added: new Set(f.added), context: new Set(f.context.map(([n]) => n)), oldLineOf: new Map(f.context) });
  }
  return { mergeBase: BASE, head: HEAD, files };
}

function makeReport(inline: Finding[], o: { summary?: string; diffText?: string } = {}): CiReport {
  return {
    tool: { name: 'warden', version: '0.1.0' },
    root: '/repo',
    filterMode: 'added',
    diff: diffInfo(o.diffText ?? DIFF),
    findings: inline,
    inline,
    outside: [],
    rules: [RULE],
    decision: { verdict: 'allow', violations: [], mutations: [], monitored_mutations: [], errors: [], policies: [], duration_us: 0 },
    verdict: { conclusion: inline.length > 0 ? 'failure' : 'success', pass: inline.length === 0, failOn: 'high', failingFindings: inline.length, headline: `${inline.length} findings` },
    summaryMarkdown: o.summary ?? `## Warden\n\n${inline.length} findings.`,
  };
}

let fake: FakeGithub;
afterEach(async () => {
  await fake?.close();
});

async function setup(o: { fakeDiff?: string } = {}): Promise<void> {
  fake = await startFakeGithub({ pulls: [{ number: 7, headSha: HEAD, baseSha: BASE, diff: o.fakeDiff ?? DIFF }] });
}

function context(over: { token?: string; dryRun?: boolean; fromFork?: boolean; pullNumber?: number | null } = {}) {
  const logs: string[] = [];
  const out: string[] = [];
  const ctx: ReporterContext = {
    ci: {
      provider: 'github',
      github: {
        apiUrl: fake.apiUrl,
        serverUrl: fake.serverUrl,
        owner: 'acme',
        repo: 'widgets',
        token: over.token ?? FAKE_GITHUB_TOKENS.write,
        eventName: 'pull_request',
        ...(over.pullNumber === null ? {} : { pullNumber: over.pullNumber ?? 7 }),
        headSha: HEAD,
        baseSha: BASE,
        fromFork: over.fromFork ?? false,
      },
    },
    dryRun: over.dryRun ?? false,
    log: (m) => logs.push(m),
    out: (l) => out.push(l),
    writeFile: () => {},
    env: () => undefined,
    outputDir: '/repo',
    timeoutMs: 5000,
  };
  return { ctx, logs, out };
}

type ReviewBody = { commit_id: string; event: string; body: string; comments: { path: string; line: number; side: string; start_line?: number; start_side?: string; body: string }[] };
const reviewPosts = () => fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/reviews')).map((c) => c.body as ReviewBody);
const reporter = () => createGithubReviewReporter(fast);

describe('github-review', () => {
  it('posts one review on the head commit with line, side and start_line for multi-line findings in one hunk', async () => {
    await setup();
    const { ctx } = context();
    const inline = [
      finding('single', 14),
      finding('multi', 13, { end: { line: 14, column: 14 } }),
      // Spans the gap between the two hunks: only its end line can carry the comment.
      finding('cross', 16, { end: { line: 43, column: 3 }, severity: 'medium' }),
    ];
    const res = await reporter().report(makeReport(inline), ctx);
    expect(res).toMatchObject({ reporter: 'github-review', ok: true, posted: 3 });
    const posts = reviewPosts();
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ commit_id: HEAD, event: 'COMMENT' });
    const byFp = new Map(posts[0].comments.map((c) => [markerFingerprint(c.body), c]));
    expect(byFp.get(fp('single'))).toMatchObject({ path: CHAT, line: 14, side: 'RIGHT' });
    expect(byFp.get(fp('single'))).not.toHaveProperty('start_line');
    expect(byFp.get(fp('multi'))).toMatchObject({ line: 14, side: 'RIGHT', start_line: 13, start_side: 'RIGHT' });
    expect(byFp.get(fp('cross'))).toMatchObject({ line: 43, side: 'RIGHT' });
    expect(byFp.get(fp('cross'))).not.toHaveProperty('start_line');
    expect(byFp.get(fp('single'))?.body).toContain('Never evaluate model output');
    expect(fake.reviewComments).toHaveLength(3);
    expect(fake.reviewComments.every((c) => c.commit_id === HEAD)).toBe(true);
    expect(fake.issueComments).toHaveLength(1);
    expect(fake.issueComments[0].body.startsWith(SUMMARY_MARKER)).toBe(true);
  });

  it('posts at most 30 comments and lists the overflow in the review body, most severe first', async () => {
    await setup();
    const { ctx } = context();
    const res = await reporter().report(makeReport(bigFindings(42)), ctx);
    expect(res).toMatchObject({ ok: true, posted: 30 });
    expect(res.detail).toMatch(/30 inline comments \(12 more listed in its body\)/);
    const [review] = reviewPosts();
    expect(review.comments).toHaveLength(30);
    // The five critical findings are among those commented inline.
    for (let i = 0; i < 5; i++) expect(review.comments.map((c) => c.line)).toContain(i + 1);
    expect(review.body).toMatch(/12 more findings not commented inline \(at most 30 comments per review/);
    expect(review.body).toContain(`\`${BIG}:42\` \`py-shell-true\` (medium)`);
    expect(review.body).toContain(`\`${BIG}:31\``);
    expect(review.body).not.toContain(`\`${BIG}:30\``);
  });

  it('posts nothing new on a second run and updates the sticky summary in place', async () => {
    await setup();
    const inline = [finding('a', 13), finding('b', 14), finding('c', 43)];
    const first = await reporter().report(makeReport(inline, { summary: 'first summary' }), context().ctx);
    expect(first.ok).toBe(true);
    const second = await reporter().report(makeReport(inline, { summary: 'second summary' }), context().ctx);
    expect(second).toMatchObject({ ok: true, posted: 0 });
    expect(second.detail).toMatch(/no new findings/);
    expect(reviewPosts()).toHaveLength(1);
    expect(fake.reviewComments).toHaveLength(3);
    expect(fake.issueComments).toHaveLength(1);
    expect(fake.issueComments[0].body).toBe(`${SUMMARY_MARKER}\nsecond summary`);
    const summaryWrites = fake.writes().filter((c) => c.path.includes('/issues/'));
    expect(summaryWrites.map((c) => c.method)).toEqual(['POST', 'PATCH']);
    // A third run with the same summary writes nothing at all.
    await reporter().report(makeReport(inline, { summary: 'second summary' }), context().ctx);
    expect(fake.writes()).toHaveLength(3);
  });

  it('comments only on findings that are new since the last run', async () => {
    await setup();
    await reporter().report(makeReport([finding('a', 13)]), context().ctx);
    const res = await reporter().report(makeReport([finding('a', 13), finding('new', 44)]), context().ctx);
    expect(res.posted).toBe(1);
    const posts = reviewPosts();
    expect(posts).toHaveLength(2);
    expect(posts[1].comments.map((c) => markerFingerprint(c.body))).toEqual([fp('new')]);
  });

  it('reads every page of existing comments before deciding what is new', async () => {
    await setup();
    const inline = bigFindings(100).concat(bigFindings(30).map((f, i) => ({ ...f, fingerprint: fp(`extra-${i}`), start: { line: i + 1, column: 2 }, end: { line: i + 1, column: 9 } })));
    for (const f of inline) fake.seedReviewComment(7, { path: f.path, line: f.start.line, body: `earlier\n${fingerprintMarker(f.fingerprint)}` });
    const res = await reporter().report(makeReport(inline), context().ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    expect(reviewPosts()).toHaveLength(0);
    const listCalls = fake.calls.filter((c) => c.method === 'GET' && c.path.endsWith('/pulls/7/comments'));
    expect(listCalls).toHaveLength(2);
  });

  it('marks the comment of a fixed finding resolved once, keeping its marker', async () => {
    await setup();
    await reporter().report(makeReport([finding('stays', 13), finding('fixed', 14)]), context().ctx);
    const fixedComment = fake.reviewComments.find((c) => markerFingerprint(c.body) === fp('fixed'));
    expect(fixedComment).toBeDefined();
    const second = await reporter().report(makeReport([finding('stays', 13)]), context().ctx);
    expect(second.detail).toMatch(/marked 1 comment fixed/);
    expect(fixedComment?.body.startsWith(`✅ **Fixed in ${HEAD.slice(0, 7)}**`)).toBe(true);
    expect(fixedComment?.body).toContain(FIXED_MARKER);
    expect(markerFingerprint(fixedComment?.body)).toBe(fp('fixed'));
    const stays = fake.reviewComments.find((c) => markerFingerprint(c.body) === fp('stays'));
    expect(stays?.body).not.toContain('Fixed in');
    const patches = () => fake.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/pulls/comments/'));
    expect(patches()).toHaveLength(1);
    await reporter().report(makeReport([finding('stays', 13)]), context().ctx);
    expect(patches()).toHaveLength(1);
  });

  it('comments again on a finding that comes back after it was marked fixed', async () => {
    await setup();
    await reporter().report(makeReport([finding('flaky', 13)]), context().ctx);
    await reporter().report(makeReport([]), context().ctx);
    const res = await reporter().report(makeReport([finding('flaky', 13)]), context().ctx);
    expect(res.posted).toBe(1);
    expect(fake.reviewComments).toHaveLength(2);
  });

  it('updates an existing sticky summary comment instead of adding another', async () => {
    await setup();
    fake.seedIssueComment(7, 'LGTM', 'octocat');
    const sticky = fake.seedIssueComment(7, `${SUMMARY_MARKER}\nold summary`);
    const huge = `## Warden\n\n${'x'.repeat(70_000)}`;
    const res = await reporter().report(makeReport([], { summary: huge }), context().ctx);
    expect(res.ok).toBe(true);
    expect(fake.issueComments).toHaveLength(2);
    expect(fake.issueComments[0].body).toBe('LGTM');
    expect(sticky.body.startsWith(`${SUMMARY_MARKER}\n## Warden`)).toBe(true);
    expect(sticky.body.length).toBeLessThanOrEqual(65_536);
    expect(sticky.body).toMatch(/truncated/);
    expect(reviewPosts()).toHaveLength(0);
  });

  it('falls back to workflow-command annotations when the token is read-only', async () => {
    await setup();
    const { ctx, logs, out } = context({ token: FAKE_GITHUB_TOKENS.readOnly });
    const res = await reporter().report(makeReport([finding('a', 13), finding('b', 44, { severity: 'medium' })]), ctx);
    expect(res).toMatchObject({ reporter: 'github-review', ok: true, fellBackTo: 'github-annotations', posted: 2 });
    expect(fake.calls.some((c) => c.method === 'POST' && c.status === 403)).toBe(true);
    expect(fake.reviewComments).toHaveLength(0);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(new RegExp(`^::error file=${CHAT},line=13,endLine=13,`));
    expect(out[1]).toMatch(/^::warning file=/);
    expect(logs.join('\n')).toMatch(/Resource not accessible by integration.*falling back to github-annotations/);
  });

  it('goes straight to annotations on a fork pull request', async () => {
    await setup();
    const { ctx, logs, out } = context({ fromFork: true });
    const res = await reporter().report(makeReport([finding('a', 13)]), ctx);
    expect(res).toMatchObject({ ok: true, fellBackTo: 'github-annotations' });
    expect(fake.calls).toHaveLength(0);
    expect(out).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/fork/);
  });

  it('lists the findings in the review body when GitHub rejects an inline position', async () => {
    // GitHub's diff lacks the second hunk (e.g. the base moved): a comment there fails the whole review.
    await setup({ fakeDiff: DIFF.split('@@ -40,3')[0] });
    const { ctx, logs } = context();
    const res = await reporter().report(makeReport([finding('a', 13), finding('b', 44)]), ctx);
    expect(res.ok).toBe(true);
    const posts = reviewPosts();
    expect(posts).toHaveLength(2);
    expect(posts[1].comments).toEqual([]);
    expect(posts[1].body).toContain(`\`${CHAT}:44\``);
    expect(posts[1].body).toContain(`\`${CHAT}:13\``);
    expect(posts[1].body).toMatch(/2 findings GitHub would not take inline comments on/);
    expect(logs.join('\n')).toMatch(/must be part of the diff/);
  });

  it('needs a pull request number', async () => {
    await setup();
    const res = await reporter().report(makeReport([finding('a', 13)]), context({ pullNumber: null }).ctx);
    expect(res).toMatchObject({ ok: false, error: expect.stringMatching(/no pull request/) });
    expect(fake.calls).toHaveLength(0);
  });

  it('in a dry run sends nothing and says what it would post', async () => {
    await setup();
    const res = await reporter().report(makeReport(bigFindings(35)), context({ dryRun: true }).ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    expect(res.detail).toMatch(/would post one review .* 30 inline comments \(5 more listed in its body\)/);
    expect(fake.calls).toHaveLength(0);
  });

  it('fails without leaking the token when credentials are bad', async () => {
    await setup();
    const token = 'ghp_BadButSecretToken0123456789abcdefXYZ';
    const { ctx, logs } = context({ token });
    const res = await reporter().report(makeReport([finding('a', 13)]), ctx);
    expect(res).toMatchObject({ ok: false, error: expect.stringMatching(/GitHub API 401: Bad credentials/) });
    expect(res.fellBackTo).toBeUndefined();
    expect(JSON.stringify(res) + logs.join('\n')).not.toContain(token);
  });
});
