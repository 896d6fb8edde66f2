// github-summary: appends the Markdown summary to $GITHUB_STEP_SUMMARY (keeping what the step wrote
// before), the whole file within GitHub's 1 MiB, cut on a UTF-8 boundary with a note.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STEP_SUMMARY_BYTES, createGithubSummaryReporter } from '../../../../src/core/scm/github/summary.js';
import type { CiReport, ReporterContext } from '../../../../src/core/scm/types.js';

function makeReport(summaryMarkdown: string): CiReport {
  return {
    tool: { name: 'warden', version: '0.1.0' },
    root: '/repo',
    filterMode: 'added',
    diff: { mergeBase: 'b'.repeat(40), head: 'a'.repeat(40), files: new Map() },
    findings: [],
    inline: [],
    outside: [],
    rules: [],
    decision: { verdict: 'allow', violations: [], mutations: [], monitored_mutations: [], errors: [], policies: [], duration_us: 0 },
    verdict: { conclusion: 'success', pass: true, failOn: 'high', failingFindings: 0, headline: 'no findings' },
    summaryMarkdown,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-summary-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function context(o: { env?: string; ctxFile?: string; dryRun?: boolean } = {}) {
  const writes: string[] = [];
  const ctx: ReporterContext = {
    ci: { provider: 'github', github: { apiUrl: 'https://api.github.com', serverUrl: 'https://github.com', owner: 'o', repo: 'r', headSha: 'a'.repeat(40), fromFork: false, ...(o.ctxFile ? { stepSummaryFile: o.ctxFile } : {}) } },
    dryRun: o.dryRun ?? false,
    log: () => {},
    out: () => {},
    writeFile: (file, data) => {
      writes.push(file);
      writeFileSync(file, data);
    },
    env: (name) => (name === 'GITHUB_STEP_SUMMARY' ? o.env : undefined),
    outputDir: dir,
    timeoutMs: 1000,
  };
  return { ctx, writes };
}

const reporter = createGithubSummaryReporter();

describe('github-summary', () => {
  it('appends to what the step already wrote', async () => {
    const file = join(dir, 'summary.md');
    writeFileSync(file, '## Tests\n\nall green');
    const res = await reporter.report(makeReport('## Warden\n\nno findings'), context({ env: file }).ctx);
    expect(res).toMatchObject({ reporter: 'github-summary', ok: true, posted: 1 });
    expect(readFileSync(file, 'utf8')).toBe('## Tests\n\nall green\n## Warden\n\nno findings\n');
  });

  it('creates the file when absent, preferring $GITHUB_STEP_SUMMARY over the context', async () => {
    const fromEnv = join(dir, 'env.md');
    const fromCtx = join(dir, 'ctx.md');
    const { ctx, writes } = context({ env: fromEnv, ctxFile: fromCtx });
    await reporter.report(makeReport('## Warden'), ctx);
    expect(writes).toEqual([fromEnv]);
    expect(readFileSync(fromEnv, 'utf8')).toBe('## Warden\n');
  });

  it('uses the context file when the env var is unset', async () => {
    const fromCtx = join(dir, 'ctx.md');
    await reporter.report(makeReport('## Warden'), context({ ctxFile: fromCtx }).ctx);
    expect(readFileSync(fromCtx, 'utf8')).toBe('## Warden\n');
  });

  it('keeps the file within 1 MiB, cutting the summary on a UTF-8 boundary with a note', async () => {
    const file = join(dir, 'summary.md');
    const existing = 'e'.repeat(1_000_000);
    writeFileSync(file, existing);
    // Three-byte characters, so a byte cut would land inside one unless it respects boundaries.
    const summary = `## Warden\n\n${'警告'.repeat(40_000)}`;
    const res = await reporter.report(makeReport(summary), context({ env: file }).ctx);
    expect(res.ok).toBe(true);
    expect(res.detail).toMatch(/truncated/);
    const bytes = readFileSync(file);
    expect(bytes.length).toBeLessThanOrEqual(STEP_SUMMARY_BYTES);
    expect(bytes.length).toBeGreaterThan(STEP_SUMMARY_BYTES - 400);
    const text = bytes.toString('utf8');
    expect(text).not.toContain('\uFFFD');
    expect(Buffer.from(text, 'utf8').equals(bytes)).toBe(true);
    expect(text.startsWith(existing)).toBe(true);
    expect(text).toMatch(/truncated: the Warden summary has [\d,]+ bytes and a step summary holds at most 1 MiB/);
  });

  it('fails clearly when no step summary file is set', async () => {
    const res = await reporter.report(makeReport('## Warden'), context().ctx);
    expect(res).toMatchObject({ ok: false, error: expect.stringMatching(/GITHUB_STEP_SUMMARY is not set/) });
  });

  it('fails without writing when the file is already at the limit', async () => {
    const file = join(dir, 'full.md');
    writeFileSync(file, 'x'.repeat(STEP_SUMMARY_BYTES));
    const { ctx, writes } = context({ env: file });
    const res = await reporter.report(makeReport('## Warden'), ctx);
    expect(res).toMatchObject({ ok: false, error: expect.stringMatching(/1 MiB/) });
    expect(writes).toHaveLength(0);
  });

  it('in a dry run writes nothing', async () => {
    const file = join(dir, 'summary.md');
    const { ctx, writes } = context({ env: file, dryRun: true });
    const res = await reporter.report(makeReport('## Warden'), ctx);
    expect(res).toMatchObject({ ok: true, posted: 0, detail: expect.stringMatching(/would append 10 bytes/) });
    expect(writes).toHaveLength(0);
  });
});
