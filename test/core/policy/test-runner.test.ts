import { describe, expect, it } from 'vitest';
import { formatDuration, renderTestReport, runPolicyTests } from '../../../src/core/policy/test-runner.js';
import { checkPolicySources, formatCheckError } from '../../../src/core/policy/check.js';
import { unifiedDiff } from '../../../src/core/policy/fmt.js';
import { fromJson } from '../../../src/core/policy/rego/value.js';

let t = 0;
const clock = { now: () => 0, monotonic: () => (t += 0.5) };

const sources = [
  {
    file: 'lib_test.rego',
    text: `package lib

allow if input.ok

test_pass if allow with input as {"ok": true}
test_fail if allow with input as {"ok": false}
test_value := 3
test_error if {
	print("about to fail")
	object.get(1, 2, 3)
}
todo_test_later if false
helper(x) := x
test_f(x) := x
`,
  },
];

describe('runPolicyTests', () => {
  it('stops on a rule that conflicts with base data, as opa test does', () => {
    const src = [{ file: 'c.rego', text: 'package c\n\nlimit := 5\ntest_limit if limit == 5\n' }];
    expect(() => runPolicyTests({ sources: src, clock, data: fromJson({ c: { limit: 9 } }) })).toThrow(/conflicting rule for data path c\/limit found/);
    expect(runPolicyTests({ sources: src, clock, data: fromJson({ other: 1 }) }).ok).toBe(true);
  });

  it('classifies tests as pass, fail (undefined or not true), error and skip; functions are not tests', () => {
    const r = runPolicyTests({ sources, clock, strictBuiltinErrors: true });
    const byName = Object.fromEntries(r.tests.map((x) => [x.name, x]));
    expect(Object.keys(byName)).toEqual([
      'data.lib.test_pass',
      'data.lib.test_fail',
      'data.lib.test_value',
      'data.lib.test_error',
      'data.lib.todo_test_later',
    ]);
    expect(byName['data.lib.test_pass'].status).toBe('pass');
    expect(byName['data.lib.test_fail']).toMatchObject({ status: 'fail', message: 'undefined' });
    expect(byName['data.lib.test_value']).toMatchObject({ status: 'fail', message: 'value 3, not true' });
    expect(byName['data.lib.test_error'].status).toBe('error');
    expect(byName['data.lib.test_error'].output).toEqual(['about to fail']);
    expect(byName['data.lib.todo_test_later'].status).toBe('skip');
    expect(r.summary).toEqual({ total: 5, passed: 1, failed: 2, errored: 1, skipped: 1 });
    expect(r.ok).toBe(false);
    expect(byName['data.lib.test_pass'].durationNs).toBe(500_000);
  });

  it('filters with --run as an unanchored RE2 pattern and rejects an invalid one', () => {
    const r = runPolicyTests({ sources, clock, run: 'test_(pass|value)$' });
    expect(r.tests.map((x) => x.name)).toEqual(['data.lib.test_pass', 'data.lib.test_value']);
    expect(() => runPolicyTests({ sources, clock, run: '(' })).toThrow(/--run/);
  });

  it('renders the opa test report with a closing summary line', () => {
    const r = runPolicyTests({ sources, clock, run: 'test_(pass|fail)$' });
    const out = renderTestReport(r, false);
    expect(out).toContain('lib_test.rego:\ndata.lib.test_fail: FAIL (500µs)');
    expect(out).not.toContain('test_pass');
    expect(out.split('\n').slice(-3)).toEqual(['PASS: 1/2', 'FAIL: 1/2', '1 passed, 1 failed']);
    expect(renderTestReport(r, true)).toContain('data.lib.test_pass: PASS (500µs)');
  });

  it('formats durations like Go', () => {
    expect(formatDuration(812)).toBe('812ns');
    expect(formatDuration(41_200)).toBe('41.2µs');
    expect(formatDuration(1_300_000)).toBe('1.3ms');
    expect(formatDuration(2_050_000_000)).toBe('2.05s');
  });
});

describe('checkPolicySources', () => {
  it('reports each file that does not parse and the compile error of the rest', () => {
    const r = checkPolicySources([
      { file: 'a.rego', text: 'package a\np if {\n' },
      { file: 'b.rego', text: 'package b\np if {\n\tx > 1\n}\n' },
    ]);
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(['rego_parse_error', 'rego_unsafe_var_error']);
    expect(formatCheckError(r.errors[1])).toBe('b.rego:3:2: rego_unsafe_var_error: var x is unsafe\n  \tx > 1\n  \t^');
  });

  it('is ok for valid modules', () => {
    expect(checkPolicySources([{ file: 'a.rego', text: 'package a\n\np := 1\n' }])).toMatchObject({ ok: true, errors: [] });
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts and shows removals before additions in a hunk', () => {
    expect(unifiedDiff('f', 'a\n', 'a\n')).toBe('');
    expect(unifiedDiff('f', 'a\nb\nc\n', 'a\nB\nc\n')).toBe('--- f\n+++ f (formatted)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c');
  });
});
