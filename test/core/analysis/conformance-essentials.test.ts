// ast-grep-essentials through Warden's rule loader and engine (see essentials-runner.ts). A case in
// the expected-pass list that stops passing fails here; UPDATE_CONFORMANCE_EXPECTED=1 rewrites the
// list from the current run. Every case not passing is printed with its reason.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_MISSING } from '../policy/rego/conformance-modules.js';
import { runEssentials } from './essentials-runner.js';

const EXPECTED = join(import.meta.dirname, 'conformance-expected-essentials.json');

describe.skipIf(CONFORMANCE_MISSING)('conformance: ast-grep-essentials', () => {
  const report = runEssentials();
  const passing = report.cases.filter((c) => c.status === 'pass').map((c) => c.id);
  if (process.env.UPDATE_CONFORMANCE_EXPECTED) writeFileSync(EXPECTED, `${JSON.stringify([...passing].sort(), null, 2)}\n`);
  const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as string[];
  const others = report.cases.filter((c) => c.status !== 'pass');
  const lines = [
    `ast-grep-essentials (of ${report.cases.length} cases, ${report.rules} rules loaded): ${passing.length} passed, ${others.filter((c) => c.status === 'fail').length} failed, ${others.filter((c) => c.status === 'skip').length} skipped`,
    ...report.loadErrors.map((e) => `  rule not loaded: ${e}`),
    ...others.map((c) => `  ${c.status} ${c.id}: ${c.detail ?? ''}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  it('loads the suite', () => {
    expect(report.cases.length).toBeGreaterThan(600);
  });

  it('passes every case in the expected-pass list', () => {
    const status = new Map(report.cases.map((c) => [c.id, c]));
    const regressed = expected.filter((id) => status.get(id)?.status !== 'pass').map((id) => `${id}: ${status.get(id)?.detail ?? 'missing'}`);
    expect(regressed).toEqual([]);
  });
});
