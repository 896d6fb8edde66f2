import { describe, expect, it } from 'vitest';
import { SCAN_JSON_VERSION, renderJson, toScanJson } from '../../../../src/core/analysis/outputs/json.js';
import type { Finding } from '../../../../src/core/analysis/types.js';
import { finding, report, rule } from './fixtures.js';

describe('renderJson', () => {
  const findings: Finding[] = [
    finding({ path: 'src/b.ts', line: 2 }),
    finding({ path: 'src/a.ts', line: 9, severity: 'low', fix: 'safe()' }),
    finding({ path: 'src/a.ts', line: 1, severity: 'critical', cwe: ['CWE-798'] }),
    finding({ path: 'src/a.ts', line: 5, severity: 'medium', suppressed: { kind: 'baseline', justification: 'b.json' } }),
  ];

  it('is deterministic: the same findings in any order give the same text, sorted by path and position', () => {
    const a = renderJson(report(findings));
    const b = renderJson(report([...findings].reverse()));
    expect(a).toBe(b);
    const doc = JSON.parse(a) as ReturnType<typeof toScanJson>;
    expect(doc.findings.map((f) => `${f.path}:${f.start.line}`)).toEqual(['src/a.ts:1', 'src/a.ts:5', 'src/a.ts:9', 'src/b.ts:2']);
  });

  it('has the documented top-level fields and derives counts from the findings (suppressed excluded)', () => {
    const doc = toScanJson(report(findings, { skipped: [{ path: 'z.bin', reason: 'binary file' }] }));
    expect(Object.keys(doc)).toEqual(['version', 'tool', 'root', 'summary', 'findings', 'skipped', 'rules']);
    expect(doc.version).toBe(SCAN_JSON_VERSION);
    expect(doc.summary).toEqual({
      files: 12,
      findings: 3,
      suppressed: 1,
      skipped: 1,
      bySeverity: { info: 0, low: 1, medium: 0, high: 1, critical: 1 },
      byRule: { 'llm.output-to-eval': 3 },
      durationMs: 1234,
      cached: 0,
    });
    expect(doc.findings[0]).toEqual({
      ruleId: 'llm.output-to-eval',
      severity: 'critical',
      message: 'LLM output reaches eval()',
      path: 'src/a.ts',
      start: { line: 1, column: 5 },
      end: { line: 1, column: 25 },
      snippet: 'eval(completion.text)',
      fingerprint: findings[2].fingerprint,
      cwe: ['CWE-798'],
    });
    expect(doc.findings[1].suppressed).toEqual({ kind: 'baseline', justification: 'b.json' });
    expect(doc.findings[2].fix).toBe('safe()');
    expect(doc.rules[0]).toMatchObject({ id: 'llm.output-to-eval', pack: 'llm', cwe: ['CWE-94'] });
  });

  it('does not leak fields outside the contract', () => {
    const extra = { ...finding(), internalCacheKey: 'abc' } as Finding;
    const rules = [{ ...rule(), compiled: { big: true } }];
    const text = renderJson(report([extra], { rules }));
    expect(text).not.toContain('internalCacheKey');
    expect(text).not.toContain('compiled');
  });
});
