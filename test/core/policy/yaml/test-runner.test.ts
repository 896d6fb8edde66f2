import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findYamlTestFiles, renderYamlTestReport, runYamlPolicyTests } from '../../../../src/core/policy/yaml/test-runner.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const clock = { now: () => Date.UTC(2025, 0, 6, 12), monotonic: () => performance.now() };
let tmp: string;

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-yaml-tests-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const POLICY = `
name: no-big-requests
enforcement: strict
rules:
  - name: too-big
    when: { max_tokens: { gt: 8000 } }
    deny: "max_tokens {{ max_tokens }} is over 8000"
  - name: cap
    when: { max_tokens: { gt: 4000 } }
    cap_max_tokens: 4000
`;

describe('runYamlPolicyTests', () => {
  it('passes cases whose verdict, violations, mutations and messages match, and fails the others with reasons', () => {
    write('p/big.yaml', POLICY);
    const file = write(
      'p/big.test.yaml',
      `cases:
  - name: small is allowed
    input: { request: { max_tokens: 100 } }
    expect: allow
  - name: huge is denied
    input: { request: { max_tokens: 9000 } }
    expect: { verdict: deny, violations: [no-big-requests], mutations: [cap_max_tokens], messages: ["9000 is over"] }
  - name: wrong expectation
    input: { request: { max_tokens: 5000 } }
    expect: { verdict: deny, mutations: [] }
`,
    );
    const r = runYamlPolicyTests([file], { clock });
    expect(r.summary).toEqual({ total: 3, passed: 2, failed: 1, errored: 0 });
    expect(r.ok).toBe(false);
    const failed = r.cases[2];
    expect(failed).toMatchObject({ name: 'wrong expectation', status: 'fail', line: 8 });
    expect(failed.message).toBe('verdict allow, expected deny; mutations [cap_max_tokens], expected []');
    expect(renderYamlTestReport(r, false)).toContain(`${file}:8: wrong expectation: FAIL`);
  });

  it('loads the policies a file names, relative to it', () => {
    write('policies/big.yaml', POLICY);
    const file = write('tests/t.test.yaml', 'policies: [../policies]\ncases:\n  - name: denied\n    input: { request: { max_tokens: 10000 } }\n    expect: deny\n');
    expect(runYamlPolicyTests([file], { clock }).ok).toBe(true);
  });

  it('turns a policy load error into an error result for each case', () => {
    write('p/bad.yaml', 'rules:\n  - when: { nope: 1 }\n    deny: true\n');
    const file = write('p/t.test.yaml', 'cases:\n  - name: a\n    expect: allow\n');
    const r = runYamlPolicyTests([file], { clock });
    expect(r.cases[0].status).toBe('error');
    expect(r.cases[0].message).toContain('bad.yaml:2:');
  });

  it('reports an invalid test file as one located error', () => {
    const file = write('p/t.test.yaml', 'cases:\n  - name: a\n    expect: maybe\n');
    const r = runYamlPolicyTests([file], { clock });
    expect(r.cases).toHaveLength(1);
    expect(r.cases[0]).toMatchObject({ status: 'error', line: 3 });
    expect(r.cases[0].message).toContain('policy_test_invalid');
  });

  it('finds *.test.yaml files under directories', () => {
    write('a/x.test.yaml', 'cases: []');
    write('a/b/y.test.yml', 'cases: []');
    write('a/z.yaml', 'rules: []');
    expect(findYamlTestFiles([tmp]).map((f) => path.relative(tmp, f))).toEqual(['a/b/y.test.yml', 'a/x.test.yaml']);
  });

  it('passes the cases shipped with the built-in packs', () => {
    const r = runYamlPolicyTests(findYamlTestFiles([path.join(ROOT, 'policies/request')]), { clock });
    expect(r.cases.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(r.summary.total).toBeGreaterThanOrEqual(8);
  });
});
