// OPA's v1 and v0 conformance suites and regorus' interpreter cases through compile + eval. Each
// suite has its own expected-pass list: a listed case that stops passing fails here; a passing
// case missing from the list is printed so the list can grow (UPDATE_CONFORMANCE_EXPECTED=1
// rewrites every list from the current run). regorus cases whose expectation contradicts OPA are
// listed with the reason in conformance-regorus-disagreements.json and kept out of the counts.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegorusCases, runRegorusCase } from './conformance-regorus.js';
import { formatReport, loadCases, runConformance, summarize, writeReport, type ConformanceReport } from './conformance-runner.js';
import { CONFORMANCE_MISSING } from './conformance-modules.js';

const here = import.meta.dirname;
const DISAGREEMENTS_PATH = join(here, 'conformance-regorus-disagreements.json');

interface Suite {
  name: string;
  expectedFile: string;
  reportFile: string;
  minCases: number;
  run: () => { report: ConformanceReport; ids: string[] };
}

const disagreements = JSON.parse(readFileSync(DISAGREEMENTS_PATH, 'utf8')) as Record<string, string>;

const suites: Suite[] = [
  {
    name: 'opa v1',
    expectedFile: 'conformance-expected.json',
    reportFile: 'warden-rego-conformance.json',
    minCases: 700,
    run: () => {
      const cases = loadCases('v1');
      return { report: runConformance(cases), ids: cases.map((c) => c.id) };
    },
  },
  {
    name: 'opa v0',
    expectedFile: 'conformance-expected-v0.json',
    reportFile: 'warden-rego-conformance-v0.json',
    minCases: 5,
    run: () => {
      const cases = loadCases('v0');
      return { report: runConformance(cases), ids: cases.map((c) => c.id) };
    },
  },
  {
    name: 'regorus',
    expectedFile: 'conformance-expected-regorus.json',
    reportFile: 'warden-rego-conformance-regorus.json',
    minCases: 600,
    run: () => {
      const cases = loadRegorusCases();
      return { report: summarize(cases.map((c) => runRegorusCase(c, disagreements))), ids: cases.map((c) => c.id) };
    },
  },
];

for (const suite of suites) {
  // Skipped only where ../shared/conformance is absent outside CI (see CONFORMANCE_MISSING).
  describe.skipIf(CONFORMANCE_MISSING)(`conformance: ${suite.name}`, () => {
    const { report, ids } = suite.run();
    const reportPath = join(tmpdir(), suite.reportFile);
    writeReport(report, reportPath);
    const expectedPath = join(here, suite.expectedFile);
    const status = new Map(report.results.map((r) => [r.id, r]));
    const passing = report.results.filter((r) => r.status === 'pass').map((r) => r.id);
    if (process.env.UPDATE_CONFORMANCE_EXPECTED) {
      writeFileSync(expectedPath, `${JSON.stringify([...passing].sort(), null, 2)}\n`);
    }
    const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as string[];
    const listed = new Set(expected);
    const newlyPassing = passing.filter((id) => !listed.has(id));
    process.stdout.write(`${formatReport(report, suite.name)}\nreport: ${reportPath}\n`);
    const wording = report.results.filter((r) => r.status === 'fail' && r.detail?.startsWith('want error containing')).length;
    if (wording) process.stdout.write(`${suite.name}: ${wording} of the failures raise an error whose text differs from the expected substring\n`);
    const byCode = report.results.filter((r) => r.status === 'pass' && r.detail?.includes('regorus words it')).length;
    if (byCode) process.stdout.write(`${suite.name}: ${byCode} passing error cases matched on OPA's error code, regorus' own wording aside (REGORUS_WORDING)\n`);
    if (newlyPassing.length) {
      process.stdout.write(`${newlyPassing.length} passing cases are not in ${suite.expectedFile}:\n  ${newlyPassing.join('\n  ')}\n`);
    }

    it('finds the cases, with unique ids', () => {
      expect(ids.length).toBeGreaterThanOrEqual(suite.minCases);
      expect(new Set(ids).size).toBe(ids.length);
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

    if (suite.name === 'regorus') {
      it('lists only existing cases as disagreements, each with a reason', () => {
        const known = new Set(ids);
        expect(Object.keys(disagreements).filter((id) => !known.has(id))).toEqual([]);
        expect(Object.entries(disagreements).filter(([, why]) => why.trim().length < 10)).toEqual([]);
      });
    }
  });
}
