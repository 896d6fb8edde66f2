import { describe, expect, it } from 'vitest';
import { isWardenError } from '../../../../src/core/errors.js';
import { formatModule } from '../../../../src/core/policy/rego/format.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';
import { CONFORMANCE_MISSING, conformanceModules, type ConformanceModule } from './conformance-modules.js';

// Measured: 976/976 v1 modules and 14/14 v0 modules parse. The floor leaves no room to regress.
const MIN_PARSE_RATE = 1.0;

function tryParse(m: ConformanceModule, v: 'v0' | 'v1'): string | undefined {
  try {
    parseModule(m.text, { file: 'test.rego', regoVersion: v });
    return undefined;
  } catch (err) {
    if (!isWardenError(err)) throw err;
    return `${m.id}: ${err.message}`;
  }
}

// Skipped only where ../shared/conformance is absent outside CI (see CONFORMANCE_MISSING).
describe.skipIf(CONFORMANCE_MISSING).each(['v1', 'v0'] as const)('OPA conformance modules (%s)', (version) => {
  const modules = conformanceModules(version);

  it('finds the conformance modules', () => {
    expect(modules.length).toBeGreaterThan(version === 'v1' ? 900 : 10);
  });

  it(`parses at least ${MIN_PARSE_RATE * 100}% of the modules`, () => {
    const failures = modules
      .filter((m) => m.wantErrorCode !== 'rego_parse_error')
      .map((m) => tryParse(m, version))
      .filter((x): x is string => x !== undefined);
    const rate = 1 - failures.length / modules.length;
    expect(rate, failures.slice(0, 10).join('\n')).toBeGreaterThanOrEqual(MIN_PARSE_RATE);
  });

  it('rejects every module whose case wants rego_parse_error', () => {
    for (const m of modules.filter((x) => x.wantErrorCode === 'rego_parse_error')) {
      expect(tryParse(m, version), m.id).toBeDefined();
    }
  });

  it('formats every module idempotently, and the output parses as v1', () => {
    for (const m of modules) {
      const once = formatModule(m.text, { regoVersion: version });
      expect(formatModule(once, { regoVersion: 'v1' }), m.id).toBe(once);
    }
  });
});

describe.skipIf(CONFORMANCE_MISSING)('OPA conformance modules already in opa fmt form', () => {
  it('are mostly left unchanged by formatModule', () => {
    const modules = conformanceModules('v1');
    const same = modules.filter((m) => formatModule(m.text, { regoVersion: 'v1' }) === m.text).length;
    // Measured 915/976; the rest are not opa-fmt'd in the suite or use multi-line array grouping.
    expect(same / modules.length).toBeGreaterThanOrEqual(0.93);
  });
});
