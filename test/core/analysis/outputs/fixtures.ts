// Findings and reports built directly (fingerprints are the engine's job; here they are just ids).
import { createHash } from 'node:crypto';
import type { Finding, RuleMeta, ScanReport, ScanSeverity } from '../../../../src/core/analysis/types.js';
import { SCAN_SEVERITIES } from '../../../../src/core/analysis/types.js';

export function fp(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

export function finding(over: Partial<Finding> & { ruleId?: string; path?: string; line?: number } = {}): Finding {
  const { line = 1, ...rest } = over;
  const ruleId = over.ruleId ?? 'llm.output-to-eval';
  const path = over.path ?? 'src/app.ts';
  return {
    ruleId,
    severity: 'high',
    message: 'LLM output reaches eval()',
    path,
    start: { line, column: 5 },
    end: { line, column: 25 },
    snippet: 'eval(completion.text)',
    fingerprint: fp(`${ruleId}|${path}|${line}|${over.snippet ?? ''}|${over.message ?? ''}`),
    ...rest,
  };
}

export function rule(over: Partial<RuleMeta> = {}): RuleMeta {
  return {
    id: 'llm.output-to-eval',
    message: 'LLM output reaches eval()',
    severity: 'high',
    language: 'typescript',
    note: 'Model output is untrusted input. **Never** pass it to `eval`; parse it as data instead.',
    cwe: ['CWE-94'],
    owaspLlm: ['LLM05:2025 Improper Output Handling'],
    confidence: 'high',
    references: ['https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/'],
    pack: 'llm',
    source: 'policies/rules/typescript/llm.yml',
    ...over,
  };
}

export function report(findings: Finding[], over: Partial<ScanReport> = {}): ScanReport {
  const bySeverity = Object.fromEntries(SCAN_SEVERITIES.map((s) => [s, 0])) as Record<ScanSeverity, number>;
  const byRule: Record<string, number> = {};
  for (const f of findings) {
    if (f.suppressed) continue;
    bySeverity[f.severity]++;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  }
  return {
    root: '/work/repo',
    findings,
    skipped: [],
    rules: [rule()],
    summary: { files: 12, bySeverity, byRule, durationMs: 1234, cached: 0 },
    ...over,
  };
}
