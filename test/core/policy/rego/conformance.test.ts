// OPA's v1 conformance suite through compile + eval. A case in conformance-expected.json that stops
// passing fails here; a passing case missing from the list is printed so the list can grow
// (UPDATE_CONFORMANCE_EXPECTED=1 rewrites the list from the current run).
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, loadCases, runConformance, writeReport } from './conformance-runner.js';

const EXPECTED_PATH = join(import.meta.dirname, 'conformance-expected.json');
const REPORT_PATH = join(tmpdir(), 'warden-rego-conformance.json');

describe('OPA conformance (v1)', () => {
  const cases = loadCases('v1');
  const report = runConformance(cases);
  writeReport(report, REPORT_PATH);
  const status = new Map(report.results.map((r) => [r.id, r]));
  const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as string[];
  const passing = report.results.filter((r) => r.status === 'pass').map((r) => r.id);

  if (process.env.UPDATE_CONFORMANCE_EXPECTED) {
    writeFileSync(EXPECTED_PATH, `${JSON.stringify([...passing].sort(), null, 2)}\n`);
  }
  const listed = new Set(expected);
  const newlyPassing = passing.filter((id) => !listed.has(id));
  process.stdout.write(`${formatReport(report)}\nreport: ${REPORT_PATH}\n`);
  if (newlyPassing.length) {
    process.stdout.write(`${newlyPassing.length} passing cases are not in conformance-expected.json:\n  ${newlyPassing.join('\n  ')}\n`);
  }

  it('finds the OPA cases', () => {
    expect(cases.length).toBeGreaterThan(700);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('passes every case in the expected-pass list', () => {
    const regressions = expected
      .map((id) => status.get(id))
      .filter((r) => r !== undefined && r.status !== 'pass')
      .map((r) => `${r?.id}: ${r?.status}: ${r?.detail ?? ''}`);
    expect(regressions).toEqual([]);
  });

  it('lists only cases that exist in the suite', () => {
    expect(expected.filter((id) => !status.has(id))).toEqual([]);
  });

  it('never crashes the engine (no case ends in a non-coded exception)', () => {
    const crashes = report.results.filter((r) => r.status === 'error').map((r) => `${r.id}: ${r.detail ?? ''}`);
    expect(crashes).toEqual([]);
  });
});
