// Runs the built CLI (`node bin/run.js policy ...`) on Rego policies written into temp dirs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCliSync } from '../helpers/cli.js';


let tmp: string;
let home: string;

function cli(args: string[], stdin?: string) {
  return runCliSync(args, { home, cwd: tmp, input: stdin });
}

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const POLICY = `package example

default allow := false

allow if input.user in data.users.admins

big := 12345678901234567890

deny contains msg if {
	input.n > 3
	msg := sprintf("n too big: %d", [input.n])
}
`;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/commands/policy/eval.js'))) {
    throw new Error('dist/ is missing the policy commands: build first (npx tsc -p tsconfig.build.json)');
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-policy-'));
  home = path.join(tmp, 'home');
  write('p/example.rego', POLICY);
  write('p/users/data.json', '{"admins": ["alice"]}');
  write('p/.hidden/broken.rego', 'this is not rego(');
  write('input.json', '{"user": "alice", "n": 5}');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('warden policy eval', () => {
  it('prints OPA result JSON for a query with input from a file and data from a directory', () => {
    const r = cli(['policy', 'eval', '-d', 'p', '-i', 'input.json', 'data.example.allow']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      result: [{ expressions: [{ value: true, text: 'data.example.allow', location: { row: 1, col: 1 } }] }],
    });
  });

  it('reads input from stdin with --input - and reports bindings', () => {
    const r = cli(['policy', 'eval', '-d', 'p', '--input', '-', 'x := data.example.deny[_]'], '{"n": 7}');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.result).toHaveLength(1);
    expect(body.result[0].bindings).toEqual({ x: 'n too big: 7' });
    expect(body.result[0].expressions[0].text).toBe('x := data.example.deny[_]');
  });

  it('writes numbers beyond 2^53 exactly', () => {
    const r = cli(['policy', 'eval', '-d', 'p', 'data.example.big']);
    expect(r.stdout).toContain('"value": 12345678901234567890');
    const j = cli(['policy', 'eval', '-d', 'p', '--json', 'data.example.big']);
    expect(j.stdout).toContain('"value": 12345678901234567890');
  });

  it('omits result when the query is undefined, and --fail turns that into exit 1', () => {
    const plain = cli(['policy', 'eval', '-d', 'p', 'data.example.nope']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual({});
    const failing = cli(['policy', 'eval', '-d', 'p', '--fail', 'data.example.nope']);
    expect(failing.code).toBe(1);
    const defined = cli(['policy', 'eval', '-d', 'p', '-i', 'input.json', '--fail', 'data.example.allow']);
    expect(defined.code).toBe(0);
  });

  it('--fail-defined exits 1 when there is a result', () => {
    expect(cli(['policy', 'eval', '-d', 'p', '-i', 'input.json', '--fail-defined', 'data.example.deny[_]']).code).toBe(1);
    expect(cli(['policy', 'eval', '-d', 'p', '--fail-defined', 'data.example.nope']).code).toBe(0);
  });

  it('--format values prints just the values, --format pretty a readable view', () => {
    const v = cli(['policy', 'eval', '-d', 'p', '-i', 'input.json', '--format', 'values', 'data.example.deny']);
    expect(v.stdout.trim()).toBe('["n too big: 5"]');
    const p = cli(['policy', 'eval', '--format', 'pretty', 'x := [1, 2][_]']);
    expect(p.stdout.trim()).toBe('x: 1\n\nx: 2');
    const u = cli(['policy', 'eval', '--format', 'pretty', 'data.nothing']);
    expect(u.stdout.trim()).toBe('undefined');
  });

  it('names a missing -d path as a usage error (exit 2)', () => {
    const r = cli(['policy', 'eval', '-d', 'missing-dir', 'data.x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('warden: path_not_found: missing-dir');
  });

  it('reports invalid input JSON and a query syntax error with exit 2', () => {
    write('bad.json', '{"a": ');
    expect(cli(['policy', 'eval', '-i', 'bad.json', 'input']).stderr).toContain('policy_input_invalid');
    const q = cli(['policy', 'eval', 'x := ']);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain('rego_parse_error');
  });
});

describe('warden policy test', () => {
  beforeAll(() => {
    write(
      't/lib.rego',
      `package lib

allow if input.role == "admin"

c := 1 if input.x
c := 2 if input.x
`,
    );
    write(
      't/lib_test.rego',
      `package lib

test_admin_allowed if allow with input as {"role": "admin"}

test_guest_denied if not allow with input as {"role": "guest"}
`,
    );
    write(
      'bad/lib_test.rego',
      `package lib

test_admin_allowed if allow with input as {"role": "admin"}

test_guest_allowed if {
	print("checking guest")
	allow with input as {"role": "guest"}
}

test_conflict if c == 1 with input as {"x": true}
`,
    );
    write('bad/lib.rego', fs.readFileSync(path.join(tmp, 't/lib.rego'), 'utf8'));
  });

  it('passes when every test passes and lists them with -v', () => {
    const r = cli(['policy', 'test', 't', '-v']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/data\.lib\.test_admin_allowed: PASS \(\d/);
    expect(r.stdout).toMatch(/data\.lib\.test_guest_denied: PASS/);
    expect(r.stdout).toContain('PASS: 2/2');
    expect(r.stdout).toContain('2 passed, 0 failed');
  });

  it('hides passing tests without -v', () => {
    const r = cli(['policy', 'test', 't']);
    expect(r.stdout).not.toContain('test_admin_allowed');
    expect(r.stdout).toContain('2 passed, 0 failed');
  });

  it('reports failures and errors, with print output, and exits 2', () => {
    const r = cli(['policy', 'test', 'bad']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/data\.lib\.test_guest_allowed: FAIL/);
    expect(r.stdout).toContain('checking guest');
    expect(r.stdout).toMatch(/data\.lib\.test_conflict: ERROR/);
    expect(r.stdout).toContain('eval_conflict_error');
    expect(r.stdout).toContain('PASS: 1/3');
    expect(r.stdout).toContain('1 passed, 2 failed');
  });

  it('--run selects tests by regular expression; --json returns each result', () => {
    const r = cli(['policy', 'test', 'bad', '--run', 'admin', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.summary).toEqual({ total: 1, passed: 1, failed: 0, errored: 0, skipped: 0 });
    expect(body.tests[0]).toMatchObject({ name: 'data.lib.test_admin_allowed', status: 'pass' });
  });
});

describe('warden policy fmt', () => {
  const UGLY = 'package x\nallow   if {   input.a == 1\n}\n';

  it('prints the formatted text of one file', () => {
    const f = write('fmt1/a.rego', UGLY);
    const r = cli(['policy', 'fmt', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('package x\n\nallow if {\n\tinput.a == 1\n}\n');
  });

  it('--check lists files that would change and exits 1; --write fixes them; then --check is clean', () => {
    const a = write('fmt2/a.rego', UGLY);
    write('fmt2/b.rego', 'package y\n\np := 1\n');
    const check = cli(['policy', 'fmt', '--check', 'fmt2']);
    expect(check.code).toBe(1);
    expect(check.stdout.trim()).toBe(path.join('fmt2', 'a.rego'));
    const w = cli(['policy', 'fmt', '--write', 'fmt2']);
    expect(w.code).toBe(0);
    expect(fs.readFileSync(a, 'utf8')).toBe('package x\n\nallow if {\n\tinput.a == 1\n}\n');
    expect(fs.readdirSync(path.join(tmp, 'fmt2')).sort()).toEqual(['a.rego', 'b.rego']);
    const again = cli(['policy', 'fmt', '--check', 'fmt2']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
  });

  it('--diff prints a unified diff', () => {
    write('fmt3/a.rego', UGLY);
    const r = cli(['policy', 'fmt', '--diff', 'fmt3']);
    expect(r.stdout).toContain('-allow   if {   input.a == 1');
    expect(r.stdout).toContain('+\tinput.a == 1');
    expect(r.stdout).toMatch(/^@@ -1,3 \+1,5 @@$/m);
  });

  it('reports a file that does not parse with exit 2', () => {
    const f = write('fmt4/bad.rego', 'package x\nallow if {\n');
    const r = cli(['policy', 'fmt', '--check', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rego_parse_error');
  });
});

describe('warden policy check', () => {
  it('is clean (exit 0) for valid policies', () => {
    const r = cli(['policy', 'check', 'p', 't']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no errors');
  });

  it('reports a syntax error and an unsafe variable with file:line:col and exits 2', () => {
    write('chk/syntax.rego', 'package d\n\nallow if {\n\tinput.a ==\n');
    write('chk/unsafe.rego', 'package c\n\nallow if {\n\tx > 1\n}\n');
    const r = cli(['policy', 'check', 'chk']);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('chk'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${path.join('chk', 'syntax.rego').replace(/\./g, '\\.')}:\\d+:\\d+: rego_parse_error: `));
    expect(lines[1]).toBe(`${path.join('chk', 'unsafe.rego')}:4:2: rego_unsafe_var_error: var x is unsafe`);
    // The source line and a caret under the column follow each error.
    expect(r.stderr).toContain(`${lines[1]}\n  \tx > 1\n  \t^\n`);
  });

  it('returns the errors as data with --json', () => {
    const r = cli(['policy', 'check', path.join('chk', 'unsafe.rego'), '--json']);
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout);
    expect(body.ok).toBe(false);
    expect(body.errors).toEqual([
      {
        code: 'rego_unsafe_var_error',
        message: 'var x is unsafe',
        location: { file: path.join('chk', 'unsafe.rego'), line: 4, col: 2 },
        snippet: '\tx > 1\n\t^',
      },
    ]);
  });
});
