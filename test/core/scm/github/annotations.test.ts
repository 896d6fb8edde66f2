// github-annotations: workflow commands on stdout, escaped per the runner's rules, within GitHub's
// display caps (10 per level per step), with one notice for what did not fit. No token, no API.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Finding, ScanSeverity } from '../../../../src/core/analysis/types.js';
import { createGithubAnnotationsReporter, escapeData, escapeProperty } from '../../../../src/core/scm/github/annotations.js';
import { githubReporters } from '../../../../src/core/scm/github/index.js';
import type { CiReport, ReporterContext } from '../../../../src/core/scm/types.js';

function finding(i: number, over: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'llm-prompt-injection',
    severity: 'medium',
    message: `User input concatenated into a system prompt (${i})`,
    path: 'src/prompt.ts',
    start: { line: i, column: 3 },
    end: { line: i, column: 40 },
    snippet: 'system: base + userInput',
    fingerprint: createHash('sha256').update(`${i}:${over.severity ?? ''}:${over.path ?? ''}`).digest('hex'),
    ...over,
  };
}

function makeReport(inline: Finding[]): CiReport {
  return {
    tool: { name: 'warden', version: '0.1.0' },
    root: '/repo',
    filterMode: 'added',
    diff: { mergeBase: 'b'.repeat(40), head: 'a'.repeat(40), files: new Map() },
    findings: inline,
    inline,
    outside: [],
    rules: [],
    decision: { verdict: 'allow', violations: [], mutations: [], monitored_mutations: [], errors: [], policies: [], duration_us: 0 },
    verdict: { conclusion: 'failure', pass: false, failOn: 'high', failingFindings: 1, headline: 'findings' },
    summaryMarkdown: '## Warden',
  };
}

function context(dryRun = false) {
  const out: string[] = [];
  // No GitHub context and no token: workflow commands need neither.
  const ctx: ReporterContext = {
    ci: { provider: 'local' },
    dryRun,
    log: () => {},
    out: (l) => out.push(l),
    writeFile: () => {},
    env: () => undefined,
    outputDir: '/repo',
    timeoutMs: 1000,
  };
  return { ctx, out };
}

const reporter = createGithubAnnotationsReporter();

describe('github-annotations', () => {
  it('escapes message data and property values per the runner', () => {
    expect(escapeData('100% sure\r\nnext: a,b')).toBe('100%25 sure%0D%0Anext: a,b');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it('writes one workflow command per finding with location, title and escaped message', async () => {
    const { ctx, out } = context();
    const f = finding(7, { path: 'src/we,ird:name.ts', message: 'line one\nline two: 50% of cases', severity: 'high', cwe: ['CWE-77'] });
    const multi = finding(20, { start: { line: 20, column: 1 }, end: { line: 24, column: 2 }, severity: 'info', ruleId: 'note-rule' });
    const res = await reporter.report(makeReport([f, multi]), ctx);
    expect(res).toMatchObject({ reporter: 'github-annotations', ok: true, posted: 2 });
    expect(out).toEqual([
      '::error file=src/we%2Cird%3Aname.ts,line=7,endLine=7,col=3,endColumn=40,title=llm-prompt-injection (high)::line one%0Aline two: 50%25 of cases — CWE-77',
      '::notice file=src/prompt.ts,line=20,endLine=24,title=note-rule (info)::User input concatenated into a system prompt (20)',
    ]);
  });

  it('emits at most 10 per level, most severe first, and one notice for the rest', async () => {
    const { ctx, out } = context();
    const sev = (s: ScanSeverity, n: number, from: number) => Array.from({ length: n }, (_, i) => finding(from + i, { severity: s }));
    const findings = [...sev('high', 8, 100), ...sev('critical', 7, 200), ...sev('medium', 12, 300), ...sev('low', 6, 400), ...sev('info', 6, 500)];
    const res = await reporter.report(makeReport(findings), ctx);
    const level = (l: string) => out.filter((x) => x.startsWith(`::${l} `));
    expect(level('error')).toHaveLength(10);
    // All seven critical findings come before any high one.
    expect(level('error').slice(0, 7).every((x) => x.includes('(critical)'))).toBe(true);
    expect(level('error').slice(7).every((x) => x.includes('(high)'))).toBe(true);
    expect(level('warning')).toHaveLength(10);
    // One notice slot is kept for the overflow line, so GitHub shows it too.
    expect(level('notice')).toHaveLength(10);
    expect(level('notice').slice(0, 6).every((x) => x.includes('(low)'))).toBe(true);
    const overflow = out.at(-1) ?? '';
    // 39 findings, 29 annotated.
    expect(overflow).toMatch(/^::notice title=Warden%3A more findings::10 more findings were not annotated .*all findings are in the summary\.$/);
    expect(res).toMatchObject({ ok: true, posted: 29 });
    expect(out.filter((x) => x.startsWith('::'))).toHaveLength(30);
  });

  it('adds no overflow line when everything fits', async () => {
    const { ctx, out } = context();
    await reporter.report(makeReport(Array.from({ length: 10 }, (_, i) => finding(i + 1, { severity: 'low' }))), ctx);
    expect(out).toHaveLength(10);
    expect(out.every((l) => l.startsWith('::notice file='))).toBe(true);
  });

  it('skips suppressed findings', async () => {
    const { ctx, out } = context();
    await reporter.report(makeReport([finding(1), finding(2, { suppressed: { kind: 'baseline' } })]), ctx);
    expect(out).toHaveLength(1);
  });

  it('in a dry run prints nothing and gives the count', async () => {
    const { ctx, out } = context(true);
    const res = await reporter.report(makeReport([finding(1), finding(2)]), ctx);
    expect(res).toMatchObject({ ok: true, posted: 0, detail: 'dry run: would write 2 annotations' });
    expect(out).toHaveLength(0);
  });
});

describe('githubReporters', () => {
  it('registers the five GitHub reporters under their --reporter names', () => {
    expect(githubReporters.map((r) => r.name).sort()).toEqual(['github-annotations', 'github-check', 'github-review', 'github-status', 'github-summary']);
    expect(githubReporters.every((r) => r.provider === 'github')).toBe(true);
  });
});
