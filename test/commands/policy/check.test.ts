// Runs the built CLI on `warden policy check` (every error, with snippets) and the --v0-compatible
// flag of check, eval, test and fmt.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCliSync } from '../../helpers/cli.js';


let tmp: string;
let home: string;

function cli(args: string[]) {
  return runCliSync(args, { home, cwd: tmp });
}

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

// Valid Rego v0 and not valid v1 (no `if`, partial set without `contains`).
const V0 = `package legacy

import future.keywords.in

deny[msg] {
	input.n > 3
	msg := "too big"
}

allow { "alice" in input.users }
`;

// Valid in both syntaxes: v1 rejects a rule named input and the deprecated any(); v0 allows both.
const AMBIGUOUS = `package amb

input := 1

p := any([true])
`;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/commands/policy/check.js'))) {
    throw new Error('dist/ is missing the policy commands: build first (npx tsc -p tsconfig.build.json)');
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-policy-check-'));
  home = path.join(tmp, 'home');
  write('v0/legacy.rego', V0);
  write('v0/legacy_test.rego', 'package legacy\n\ntest_deny { deny["too big"] with input as {"n": 5} }\n');
  write('amb/amb.rego', AMBIGUOUS);
  write('multi/a.rego', 'package a\n\np if {\n\tx > 1\n\ty > 2\n}\n');
  write('multi/b.rego', 'package b\n\nq := array.concat([1], [2], [3])\n');
  write('multi/c.rego', 'package c\n\nr if {\n\tnot s[z]\n}\n\ns contains 1\n');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('warden policy check', () => {
  it('reports every error of the failing stage as file:line:col: code: message with a caret snippet', () => {
    write('multi2/a.rego', 'package a\n\np if {\n\tx > 1\n\ty > 2\n}\n');
    write('multi2/c.rego', 'package c\n\nr if {\n\tnot s[z]\n}\n\ns contains 1\n');
    const r = cli(['policy', 'check', 'multi2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      [
        `${path.join('multi2', 'a.rego')}:4:2: rego_unsafe_var_error: var x is unsafe`,
        '  \tx > 1',
        '  \t^',
        `${path.join('multi2', 'a.rego')}:5:2: rego_unsafe_var_error: var y is unsafe`,
        '  \ty > 2',
        '  \t^',
        `${path.join('multi2', 'c.rego')}:4:8: rego_unsafe_var_error: var z is unsafe`,
        '  \tnot s[z]',
        '  \t      ^',
        '3 error(s)',
      ].join('\n'),
    );
  });

  it('reports a call with too many arguments in term position before safety problems (OPA stage order)', () => {
    const r = cli(['policy', 'check', 'multi', '--json']);
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout) as { errors: Array<{ code: string; message: string; location: { file: string } }> };
    expect(body.errors.map((e) => [e.location.file, e.code, e.message])).toEqual([
      [path.join('multi', 'b.rego'), 'rego_type_error', 'array.concat: arity mismatch: expected 2 arguments, got 3'],
    ]);
  });

  it('compiles a v0-only module as v0 without the flag', () => {
    const r = cli(['policy', 'check', 'v0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('2 file(s) checked, no errors');
  });

  it('applies the v1 checks to a module valid in both syntaxes, and not with --v0-compatible', () => {
    const v1 = cli(['policy', 'check', 'amb']);
    expect(v1.code).toBe(2);
    expect(v1.stderr).toContain(`${path.join('amb', 'amb.rego')}:3:1: rego_compile_error: rules must not shadow input (use a different rule name)`);
    const v0 = cli(['policy', 'check', '--v0-compatible', 'amb']);
    expect(v0.code).toBe(0);
  });

  it('hints at dropping --v0-compatible for a v1 module', () => {
    write('v1only/p.rego', 'package p\n\nallow if input.ok\n');
    const r = cli(['policy', 'check', '--v0-compatible', 'v1only']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hint: this module is valid Rego v1: parse it as v1 (drop --v0-compatible)');
  });

  it('documents the flag and the detection in --help', () => {
    const r = cli(['policy', 'check', '--help']);
    expect(r.stdout).toContain('--v0-compatible');
    expect(r.stdout).toContain('rego.v1 and is valid v0 is compiled as v0 instead of failing.');
    for (const cmd of ['eval', 'test', 'fmt']) expect(cli(['policy', cmd, '--help']).stdout).toContain('--v0-compatible');
  });
});

describe('--v0-compatible on eval, test and fmt', () => {
  it('eval: the ambiguous module evaluates as v0 with the flag and fails v1 checks without it', () => {
    const v0 = cli(['policy', 'eval', '--v0-compatible', '-d', 'amb', '--format', 'values', 'data.amb.p']);
    expect(v0.code).toBe(0);
    expect(v0.stdout.trim()).toBe('true');
    const v1 = cli(['policy', 'eval', '-d', 'amb', 'data.amb.p']);
    expect(v1.code).toBe(2);
    expect(v1.stderr).toContain('rules must not shadow input');
  });

  it('test: runs v0 tests with and without the flag', () => {
    for (const args of [['policy', 'test', 'v0'], ['policy', 'test', '--v0-compatible', 'v0']]) {
      const r = cli(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('PASS: 1/1');
    }
  });

  it('fmt: reads v0 with the flag (output is v1)', () => {
    const r = cli(['policy', 'fmt', '--v0-compatible', path.join('v0', 'legacy.rego')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deny contains msg if {');
    const bad = cli(['policy', 'fmt', '--v0-compatible', '--check', 'v1only']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('drop --v0-compatible');
  });
});
