// `policy check`'s core: every parse error (one per file) and every error of the compiler's first
// failing stage, each printed as `file:line:col: code: message` with the source line and a caret.
import { describe, expect, it } from 'vitest';
import { checkPolicySources, formatCheckError } from '../../../../src/core/policy/check.js';

describe('checkPolicySources', () => {
  it('reports every unsafe variable across files, with snippets', () => {
    const r = checkPolicySources([
      { file: 'a.rego', text: 'package a\n\np if {\n\tx > 1\n\ty > 2\n}\n' },
      { file: 'b.rego', text: 'package b\n\nq := z\n' },
    ]);
    expect(r.ok).toBe(false);
    expect(r.errors.map(formatCheckError)).toEqual([
      'a.rego:4:2: rego_unsafe_var_error: var x is unsafe\n  \tx > 1\n  \t^',
      'a.rego:5:2: rego_unsafe_var_error: var y is unsafe\n  \ty > 2\n  \t^',
      'b.rego:3:6: rego_unsafe_var_error: var z is unsafe\n  q := z\n       ^',
    ]);
  });

  it('reports a parse error per file and still compiles the files that parse', () => {
    const r = checkPolicySources([
      { file: 'bad.rego', text: 'package bad\n\np if {\n' },
      { file: 'ok.rego', text: 'package ok\n\nq if {\n\tnot r[w]\n}\n\nr contains 1\n' },
    ]);
    expect(r.errors.map((e) => `${e.location?.file}:${e.location?.line} ${e.code}`)).toEqual([
      'bad.rego:4 rego_parse_error',
      'ok.rego:4 rego_unsafe_var_error',
    ]);
    expect(r.errors[1].snippet).toBe('\tnot r[w]\n\t      ^');
  });

  it('drops undefined-function errors for functions a file that failed to parse may define', () => {
    const r = checkPolicySources([
      { file: 'lib.rego', text: 'package lib\n\nf(x) := x if {\n' },
      { file: 'main.rego', text: 'package main\n\np := data.lib.f(1)\n\nq := nosuch(1)\n' },
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([expect.any(String), 'undefined function nosuch']);
    expect(r.errors[0].code).toBe('rego_parse_error');
  });

  it('applies the v1 checks to v1 modules and v0 rules with --v0-compatible', () => {
    const text = 'package a\n\ninput := 1\n\np := any([true])\n';
    const v1 = checkPolicySources([{ file: 'a.rego', text }]);
    expect(v1.errors.map((e) => e.message)).toEqual(['rules must not shadow input (use a different rule name)']);
    expect(checkPolicySources([{ file: 'a.rego', text }], { regoVersion: 'v0' }).ok).toBe(true);
  });

  it('compiles a v0-only module as v0 without the flag, and hints when v0 gets further', () => {
    expect(checkPolicySources([{ file: 'old.rego', text: 'package old\n\np { input.x }\n' }]).ok).toBe(true);
    const r = checkPolicySources([{ file: 'old.rego', text: 'package old\n\np { every := 1 }\n\nq { x := [1, }\n' }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].location?.line).toBe(3);
    expect(r.errors[0].hint).toMatch(/^as Rego v0 the module gets further and fails at 5:\d+: /);
    expect(formatCheckError(r.errors[0]).split('\n')).toHaveLength(4);
  });

  it('is clean for a valid policy', () => {
    const r = checkPolicySources([{ file: 'a.rego', text: 'package a\n\ndefault allow := false\n\nallow if input.user == "alice"\n' }]);
    expect(r).toEqual({ files: ['a.rego'], errors: [], ok: true });
  });
});
