import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../../src/core/errors.js';
import { compilePolicy, findNode } from '../../../../src/core/policy/rego/compile.js';

function compileError(text: string): WardenError {
  try {
    compilePolicy([{ file: 'p.rego', text }]);
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
  throw new Error('expected a compile error');
}

describe('compilePolicy', () => {
  it('indexes complete, partial set, ref-head and function rules by data path', () => {
    const p = compilePolicy([
      { file: 'a.rego', text: 'package a.b\np := 1\nq contains 1\nr.s[x] := 1 if { x := "k" }\nf(x) := x' },
    ]);
    expect(findNode(p, ['data', 'a', 'b', 'p'])?.rules[0].kind).toBe('complete');
    expect(findNode(p, ['data', 'a', 'b', 'q'])?.rules[0].kind).toBe('multi-value');
    expect(findNode(p, ['data', 'a', 'b', 'r', 's'])?.rules[0].keyTerms).toHaveLength(1);
    expect(findNode(p, ['data', 'a', 'b', 'f'])?.arity).toBe(1);
  });

  it('reports an unsafe variable with its code, file, line and column', () => {
    const e = compileError('package a\np if {\n  x > 1\n}');
    expect(e.code).toBe('rego_unsafe_var_error');
    expect(e.message).toBe('var x is unsafe');
    expect(e.location).toEqual({ file: 'p.rego', line: 3, col: 3 });
  });

  it('reports an unsafe head variable', () => {
    expect(compileError('package a\np := y if { true }').code).toBe('rego_unsafe_var_error');
  });

  it('reorders a body so variables are bound before they are read', () => {
    expect(() => compilePolicy([{ file: 'p.rego', text: 'package a\np if {\n  x > 1\n  x = 2\n}' }])).not.toThrow();
  });

  it('rejects a := of a variable already referenced above, as OPA does', () => {
    const e = compileError('package a\np if {\n  x > 1\n  x := 2\n}');
    expect(e.code).toBe('rego_compile_error');
    expect(e.message).toBe('var x referenced above');
    expect(e.location).toEqual({ file: 'p.rego', line: 4, col: 3 });
  });

  it('rejects recursion between rules', () => {
    const e = compileError('package a\np if q\nq if p');
    expect(e.code).toBe('rego_recursion_error');
    expect(e.message).toMatch(/data\.a\.(p|q) is recursive/);
  });

  it('rejects a builtin called with the wrong number of arguments', () => {
    const e = compileError('package a\np if count(1, 2, 3)');
    expect(e.code).toBe('rego_type_error');
    expect(e.message).toMatch(/count: arity mismatch/);
  });

  it('rejects a call to an undefined function', () => {
    const e = compileError('package a\np if nope(1)');
    expect(e.code).toBe('rego_type_error');
    expect(e.message).toBe('undefined function nope');
  });

  it('resolves imports of data and input', () => {
    const p = compilePolicy([
      { file: 'lib.rego', text: 'package lib\nf(x) := x + 1' },
      { file: 'a.rego', text: 'package a\nimport data.lib\nimport input.user as u\np := lib.f(u.n)' },
    ]);
    expect(findNode(p, ['data', 'a', 'p'])?.rules).toHaveLength(1);
  });
});
