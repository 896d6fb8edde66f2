// github-check against the fake GitHub: one "Warden" check run on the head commit, annotations sent in
// chunks of 50 (create, then updates GitHub appends), output bounded to 65,535 characters with a note.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding, ScanSeverity } from '../../../../src/core/analysis/types.js';
import { createGithubCheckReporter } from '../../../../src/core/scm/github/check.js';
import type { CiReport, Conclusion, DiffInfo, FileChange, ReporterContext } from '../../../../src/core/scm/types.js';
import { FAKE_GITHUB_TOKENS, parseUnifiedDiff, startFakeGithub, type FakeGithub } from '../../../helpers/fake-github.js';

const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const MERGE = 'f'.repeat(40);
const FILE = 'src/agent/chat.ts';
const DIFF = `diff --git a/${FILE} b/${FILE}\nnew file mode 100644\n--- /dev/null\n+++ b/${FILE}\n@@ -0,0 +1,300 @@\n${Array.from({ length: 300 }, (_, i) => `+line ${i + 1}`).join('\n')}\n`;
const fast = { client: { timing: { secondMs: 2, writeIntervalMs: 0, notificationIntervalMs: 0 } } };

function fp(n: number | string): string {
  return createHash('sha256').update(String(n)).digest('hex');
}

function finding(i: number, over: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'llm-output-to-eval',
    severity: 'high',
    message: `Model output reaches eval() (${i})`,
    path: FILE,
    start: { line: i, column: 5 },
    end: { line: i, column: 30 },
    snippet: 'eval(completion.choices[0].message.content)',
    fingerprint: fp(i),
    cwe: ['CWE-94'],
    ...over,
  };
}

function diffInfo(text: string): DiffInfo {
  const files = new Map<string, FileChange>();
  for (const f of parseUnifiedDiff(text)) {
    files.set(f.path, {
      path: f.path,
      oldPath: f.oldPath,
      status: f.status,
      added: new Set(f.added),
      context: new Set(f.context.map(([n]) => n)),
      oldLineOf: new Map(f.context),
    });
  }
  return { mergeBase: 'b'.repeat(40), head: HEAD, files };
}

function makeReport(o: { inline?: Finding[]; outside?: Finding[]; conclusion?: Conclusion; summary?: string; headline?: string } = {}): CiReport {
  const inline = o.inline ?? [];
  const outside = o.outside ?? [];
  const conclusion = o.conclusion ?? 'failure';
  return {
    tool: { name: 'warden', version: '0.1.0' },
    root: '/repo',
    filterMode: 'added',
    diff: diffInfo(DIFF),
    findings: [...inline, ...outside],
    inline,
    outside,
    rules: [],
    decision: { verdict: 'allow', violations: [], mutations: [], monitored_mutations: [], errors: [], policies: [], duration_us: 0 },
    verdict: { conclusion, pass: conclusion !== 'failure', failOn: 'high', failingFindings: inline.length, headline: o.headline ?? `${inline.length} findings at or above high` },
    summaryMarkdown: o.summary ?? '## Warden\n\nSome findings.',
  };
}

let fake: FakeGithub;
afterEach(async () => {
  await fake?.close();
});

async function setup(): Promise<void> {
  fake = await startFakeGithub({ pulls: [{ number: 12, headSha: HEAD, diff: DIFF }] });
}

function context(over: { token?: string | null; dryRun?: boolean } = {}) {
  const logs: string[] = [];
  const ctx: ReporterContext = {
    ci: {
      provider: 'github',
      github: {
        apiUrl: fake.apiUrl,
        serverUrl: fake.serverUrl,
        owner: 'acme',
        repo: 'widgets',
        ...(over.token === null ? {} : { token: over.token ?? FAKE_GITHUB_TOKENS.write }),
        eventName: 'pull_request',
        pullNumber: 12,
        headSha: HEAD,
        fromFork: false,
        runId: '4242',
      },
    },
    dryRun: over.dryRun ?? false,
    log: (m) => logs.push(m),
    out: () => {},
    writeFile: () => {},
    env: () => undefined,
    outputDir: '/repo',
    timeoutMs: 5000,
  };
  return { ctx, logs };
}

type Body = { head_sha?: string; status?: string; conclusion?: string; output?: { summary: string; text?: string; annotations?: unknown[] } };
const checkCalls = () => fake.calls.filter((c) => c.path.includes('/check-runs')).map((c) => ({ method: c.method, body: c.body as Body }));

describe('github-check', () => {
  it('sends 120 annotations as a create of 50 and updates of 50 and 20, on the head sha, completing with the verdict', async () => {
    await setup();
    const { ctx } = context();
    const report = makeReport({ inline: Array.from({ length: 120 }, (_, i) => finding(i + 1)) });
    const res = await createGithubCheckReporter(fast).report(report, ctx);
    expect(res).toMatchObject({ reporter: 'github-check', ok: true, posted: 120 });
    const calls = checkCalls();
    expect(calls.map((c) => [c.method, c.body.output?.annotations?.length])).toEqual([
      ['POST', 50],
      ['PATCH', 50],
      ['PATCH', 20],
    ]);
    expect(calls[0].body).toMatchObject({ head_sha: HEAD, status: 'in_progress' });
    expect(calls[0].body.conclusion).toBeUndefined();
    expect(calls[2].body).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(JSON.stringify(fake.calls)).not.toContain(MERGE);
    expect(fake.checkRuns).toHaveLength(1);
    expect(fake.checkRuns[0]).toMatchObject({ name: 'Warden', head_sha: HEAD, status: 'completed', conclusion: 'failure', details_url: `${fake.serverUrl}/acme/widgets/actions/runs/4242` });
    expect(fake.checkRuns[0].annotations).toHaveLength(120);
    expect(new Set(fake.checkRuns[0].annotations.map((a) => a.start_line)).size).toBe(120);
  });

  it('creates a completed run in one request when 50 or fewer findings are inline', async () => {
    await setup();
    const { ctx } = context();
    const res = await createGithubCheckReporter(fast).report(makeReport({ inline: Array.from({ length: 50 }, (_, i) => finding(i + 1)), conclusion: 'neutral' }), ctx);
    expect(res.ok).toBe(true);
    const calls = checkCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    expect(fake.checkRuns[0].annotations).toHaveLength(50);
  });

  it('maps severities to levels and gives columns only to single-line findings', async () => {
    await setup();
    const { ctx } = context();
    const sev: ScanSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];
    const inline = sev.map((s, i) => finding(i + 1, { severity: s, ruleId: `rule-${s}` }));
    inline.push(finding(10, { start: { line: 10, column: 3 }, end: { line: 12, column: 4 }, severity: 'medium', message: 'spans lines' }));
    await createGithubCheckReporter(fast).report(makeReport({ inline, conclusion: 'success' }), ctx);
    const ann = fake.checkRuns[0].annotations;
    const byLine = new Map(ann.map((a) => [a.start_line, a]));
    expect([1, 2, 3, 4, 5].map((l) => byLine.get(l)?.annotation_level)).toEqual(['failure', 'failure', 'warning', 'notice', 'notice']);
    expect(byLine.get(1)).toMatchObject({ path: FILE, end_line: 1, start_column: 5, end_column: 30, title: 'rule-critical (critical)', message: 'Model output reaches eval() (1) — CWE-94' });
    expect(byLine.get(1)?.raw_details).toContain('eval(');
    const multi = byLine.get(10);
    expect(multi).toMatchObject({ start_line: 10, end_line: 12, annotation_level: 'warning' });
    expect(multi).not.toHaveProperty('start_column');
    expect(multi).not.toHaveProperty('end_column');
  });

  it('leaves suppressed inline findings unannotated', async () => {
    await setup();
    const { ctx } = context();
    const inline = [finding(1), finding(2, { suppressed: { kind: 'inline', justification: 'test fixture' } })];
    const res = await createGithubCheckReporter(fast).report(makeReport({ inline }), ctx);
    expect(res.posted).toBe(1);
    expect(fake.checkRuns[0].annotations.map((a) => a.start_line)).toEqual([1]);
  });

  it('lists findings outside the diff in output.text', async () => {
    await setup();
    const { ctx } = context();
    const outside = [finding(900, { path: 'src/legacy/old.ts', message: 'Prompt built from user input', ruleId: 'prompt-injection-concat', severity: 'medium' })];
    await createGithubCheckReporter(fast).report(makeReport({ inline: [finding(1)], outside }), ctx);
    const text = fake.checkRuns[0].output.text ?? '';
    expect(text).toContain('Findings outside the diff (1)');
    expect(text).toContain('`src/legacy/old.ts:900`');
    expect(text).toContain('prompt-injection-concat');
    expect(fake.checkRuns[0].annotations.map((a) => a.path)).toEqual([FILE]);
  });

  it('truncates summary and text to 65,535 characters with a note', async () => {
    await setup();
    const { ctx } = context();
    const outside = Array.from({ length: 600 }, (_, i) => finding(1000 + i, { path: 'src/legacy/big.ts', message: `${'long message '.repeat(12)}${i}` }));
    const summary = `## Warden\n\n${'| row | value |\n'.repeat(6000)}`;
    expect(summary.length).toBeGreaterThan(65_535);
    const res = await createGithubCheckReporter(fast).report(makeReport({ inline: [finding(1)], outside, summary }), ctx);
    expect(res.ok).toBe(true);
    const out = fake.checkRuns[0].output;
    expect(out.summary?.length).toBeLessThanOrEqual(65_535);
    expect(out.summary?.length).toBeGreaterThan(65_000);
    expect(out.summary).toMatch(/truncated: this text had [\d,]+ characters and GitHub allows 65,535/);
    expect(out.text?.length).toBeLessThanOrEqual(65_535);
    expect(out.text).toMatch(/truncated/);
    expect(out.summary?.startsWith('## Warden')).toBe(true);
  });

  it('in a dry run sends nothing and says what it would send', async () => {
    await setup();
    const { ctx } = context({ dryRun: true });
    const res = await createGithubCheckReporter(fast).report(makeReport({ inline: Array.from({ length: 120 }, (_, i) => finding(i + 1)) }), ctx);
    expect(res.ok).toBe(true);
    expect(res.detail).toMatch(/would create check run "Warden" on a1b2c3d \(failure\) with 120 annotations in 3 requests/);
    expect(fake.calls).toHaveLength(0);
  });

  it('fails with bad credentials without putting the token in the error', async () => {
    await setup();
    const token = 'ghp_SecretSecretSecret0123456789abcdefgh';
    const { ctx, logs } = context({ token });
    const res = await createGithubCheckReporter(fast).report(makeReport({ inline: [finding(1)] }), ctx);
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/creating the check run failed: GitHub API 401: Bad credentials/);
    expect(JSON.stringify(res)).not.toContain(token);
    expect(logs.join('\n')).not.toContain(token);
  });

  it('fails clearly without a token', async () => {
    await setup();
    const { ctx } = context({ token: null });
    const res = await createGithubCheckReporter(fast).report(makeReport(), ctx);
    expect(res).toMatchObject({ ok: false, error: expect.stringMatching(/no GitHub token/) });
    expect(fake.calls).toHaveLength(0);
  });

  it('completes the run with the verdict when an annotation update fails', async () => {
    await setup();
    const { ctx } = context();
    fake.failNext({ method: 'PATCH', path: /check-runs\/\d+$/, kind: 'server-error', times: 3 });
    const res = await createGithubCheckReporter({ client: { ...fast.client, retries: 2 } }).report(makeReport({ inline: Array.from({ length: 70 }, (_, i) => finding(i + 1)) }), ctx);
    expect(res).toMatchObject({ ok: false, posted: 50, error: expect.stringMatching(/updating the check run failed after 50 annotations: GitHub API 502/) });
    expect(fake.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });
});
