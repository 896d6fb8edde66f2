import { describe, expect, it } from 'vitest';
import { renderGitlabCodeQuality } from '../../../../src/core/analysis/outputs/gitlab.js';
import { finding, report, rule } from './fixtures.js';

const SEVERITIES = ['info', 'minor', 'major', 'critical', 'blocker'];

describe('renderGitlabCodeQuality', () => {
  it('emits the Code Quality array GitLab reads: unique fingerprints, mapped severities, path and begin line', () => {
    const same = finding({ path: 'src/x.ts', line: 4 });
    const findings = [
      finding({ path: 'src/x.ts', line: 12, severity: 'critical', end: { line: 14, column: 2 } }),
      finding({ path: 'src/x.ts', line: 2, severity: 'info', ruleId: 'complexity.cyclomatic', message: 'function too complex (14 > 10)' }),
      finding({ path: 'src/y.ts', line: 1, severity: 'low', ruleId: 'user.rule' }),
      finding({ path: 'src/y.ts', line: 2, severity: 'medium', suppressed: { kind: 'inline' } }),
      same,
      { ...same, start: { line: 5, column: 1 }, end: { line: 5, column: 9 } }, // duplicate fingerprint
    ];
    const out = JSON.parse(
      renderGitlabCodeQuality(report(findings, { rules: [rule(), rule({ id: 'complexity.cyclomatic', pack: 'complexity', cwe: undefined, owaspLlm: undefined })] })),
    ) as Array<Record<string, unknown>>;
    expect(Array.isArray(out)).toBe(true);
    expect(out).toHaveLength(5); // the suppressed one is left out
    for (const issue of out) {
      expect(typeof issue.description).toBe('string');
      expect(typeof issue.check_name).toBe('string');
      expect(issue.fingerprint).toMatch(/^[0-9a-f]{32,64}$/);
      expect(SEVERITIES).toContain(issue.severity);
      const loc = issue.location as { path: string; lines: { begin: number } };
      expect(typeof loc.path).toBe('string');
      expect(Number.isInteger(loc.lines.begin)).toBe(true);
    }
    expect(new Set(out.map((i) => i.fingerprint)).size).toBe(out.length);
    const x12 = out.find((i) => (i.location as { lines: { begin: number } }).lines.begin === 12)!;
    expect(x12).toMatchObject({ check_name: 'llm.output-to-eval', severity: 'blocker', categories: ['Security'], location: { path: 'src/x.ts', lines: { begin: 12, end: 14 } } });
    expect(out.find((i) => i.check_name === 'complexity.cyclomatic')).toMatchObject({ severity: 'info', categories: ['Complexity'] });
    expect(out.find((i) => i.check_name === 'user.rule')).toMatchObject({ severity: 'minor', categories: ['Bug Risk'] });
  });

  it('prefixes paths for a scan root below the repository root', () => {
    const out = JSON.parse(renderGitlabCodeQuality(report([finding()]), { pathPrefix: './services/api/' })) as Array<{ location: { path: string } }>;
    expect(out[0].location.path).toBe('services/api/src/app.ts');
  });

  it('is an empty array for a clean scan', () => {
    expect(JSON.parse(renderGitlabCodeQuality(report([])))).toEqual([]);
  });
});
