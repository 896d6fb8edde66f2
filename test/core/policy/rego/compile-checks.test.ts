// OPA's compile-time checks as the compiler reports them: call arity in term position, safety
// (negation, call outputs, closures), local declarations, v1-only checks (input/data shadowing,
// duplicate imports, deprecated builtins) and every error of a stage collected, not just the first.
import { describe, expect, it } from 'vitest';
import type { RegoVersionMode } from '../../../../src/core/policy/rego/ast.js';
import { compileModulesCollect, compilePolicy, displayVarName } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery } from '../../../../src/core/policy/rego/eval.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';
import { toJson } from '../../../../src/core/policy/rego/value.js';

/** `line:col code: message` of every error compiling `text` (one module, p.rego). */
function errors(text: string, regoVersion: RegoVersionMode = 'v1'): string[] {
  const m = parseModule(text, { file: 'p.rego', regoVersion });
  return compileModulesCollect([m]).errors.map((e) => `${e.location?.line}:${e.location?.col} ${e.code}: ${e.message}`);
}

function value(text: string, query: string, regoVersion: RegoVersionMode = 'v1', input?: unknown): unknown {
  const policy = compilePolicy([{ file: 'p.rego', text, regoVersion }]);
  const rows = evalQuery(policy, query, input === undefined ? {} : { input: input as never });
  return rows.length === 0 ? undefined : toJson(rows[0].expressions[0].value);
}

describe('call arity', () => {
  it('rejects a builtin call with an extra argument in term position', () => {
    expect(errors('package a\n\nx := array.concat([2], [3], [4])')).toEqual([
      '3:6 rego_type_error: array.concat: arity mismatch: expected 2 arguments, got 3',
    ]);
    expect(errors('package a\n\np if {\n\ty := abs(1, 2)\n\ty > 0\n}')).toEqual([
      '4:7 rego_type_error: abs: arity mismatch: expected 1 argument, got 2',
    ]);
    expect(errors('package a\n\np if {\n\tcount([count([1], 2)])\n}')).toEqual([
      '4:9 rego_type_error: count: arity mismatch: expected 1 argument, got 2',
    ]);
  });

  it('keeps the output-argument form of a top-level call', () => {
    expect(errors('package a\n\np if {\n\tarray.concat([2], [3], x)\n\tx == [2, 3]\n}')).toEqual([]);
    expect(value('package a\n\np if {\n\tcount([1, 2], 2)\n}', 'data.a.p')).toBe(true);
    expect(value('package a\n\np if {\n\tcount([1, 2], 3)\n}', 'data.a.p')).toBeUndefined();
  });

  it('words a user function arity mismatch as OPA does', () => {
    expect(errors('package a\n\nf(x) := x\n\ny := f(1, 2)')).toEqual(['5:6 rego_type_error: function data.a.f has arity 1, got 2 arguments']);
  });

  it('reports undefined functions, also when called through a rule name', () => {
    expect(errors('package a\n\np if nope(1)\n\nq := 1\n\nr if q(1)')).toEqual([
      '3:6 rego_type_error: undefined function nope',
      '7:6 rego_type_error: undefined function data.a.q',
    ]);
  });
});

describe('safety', () => {
  it('rejects a variable that only appears under not', () => {
    expect(errors('package a\n\nq contains 1\n\np if {\n\tnot q[x]\n}')).toEqual(['6:8 rego_unsafe_var_error: var x is unsafe']);
    expect(errors('package a\n\nq contains 1\n\np if {\n\tnot q[_]\n}')).toEqual(['6:8 rego_unsafe_var_error: var _ is unsafe']);
  });

  it('accepts a negation once its variables are bound elsewhere', () => {
    expect(value('package a\n\nq contains 1\n\np if {\n\tnot q[x]\n\tx = 2\n}', 'data.a.p')).toBe(true);
  });

  it('rejects a call input bound only by the same call output', () => {
    expect(errors('package a\n\nf(x) := x\n\np if {\n\tf(x, x)\n}')).toEqual(['6:4 rego_unsafe_var_error: var x is unsafe']);
  });

  it('binds through a call output argument and through unification', () => {
    expect(value('package a\n\np := [n, m] if {\n\tcount([1, 2], n)\n\t[m, _] = [n, 3]\n}', 'data.a.p')).toEqual([2, 2]);
  });

  it('does not let a closure capture a variable bound only after it', () => {
    expect(errors('package a\n\np if {\n\tx = [y | y := x]\n}')).toEqual(['4:2 rego_unsafe_var_error: var x is unsafe']);
  });

  it('reports each unsafe variable of a body once', () => {
    expect(errors('package a\n\np if {\n\ta > b\n\tb > c\n}')).toEqual([
      '4:2 rego_unsafe_var_error: var a is unsafe',
      '4:6 rego_unsafe_var_error: var b is unsafe',
      '5:6 rego_unsafe_var_error: var c is unsafe',
    ]);
  });
});

describe('false positives fixed', () => {
  it('keeps a variable declared in a comprehension local to it (no recursion through the rule name)', () => {
    expect(value('package t\n\ndefault a := [5 | some a; a = 5]', 'data.t.a')).toEqual([5]);
  });

  it('lets some/every declarations shadow outer variables inside closures', () => {
    const text =
      'package t\n\nr1 := y if {\n\ty1 := [x | some x in [1, 2, 3]; x >= 2]\n\ty2 := [y | some x, y in [1, 2, 3]; x >= 2]\n\ty := [y1, y2]\n}';
    expect(value(text, 'data.t.r1')).toEqual([[2, 3], [3]]);
  });

  it('binds the iteration vars of a comprehension key', () => {
    expect(value('package t\n\nx := {["Hello", "world"][_]: 1 | true}', 'data.t.x')).toEqual({ Hello: 1, world: 1 });
  });

  it('evaluates a head term in the body when the body needs what it binds', () => {
    expect(value('package t\n\np := xs[i] if {\n\txs := [1, 2]\n\ti > 0\n}', 'data.t.p')).toBe(2);
  });

  it('treats `input := …` in a v0 module as a local that shadows input', () => {
    expect(value('package test\n\nx {\n\tinput := 1\n\tinput > 0\n}', 'data.test.x', 'v0', { a: 1 })).toBe(true);
    expect(value('package test\n\nx {\n\tdata := 1\n\tdata > 0\n}', 'data.test.x', 'v0')).toBe(true);
  });
});

describe('local declarations', () => {
  it('rejects re-declarations in one scope with OPA wording', () => {
    expect(errors('package a\n\np if {\n\tx := 1\n\tx := 2\n}')).toEqual(['5:2 rego_compile_error: var x assigned above']);
    expect(errors('package a\n\np if {\n\tsome x in [1]\n\tx := 2\n}')).toEqual(['5:2 rego_compile_error: var x declared above']);
    expect(errors('package a\n\nf(x) := 1 if {\n\tx := 2\n}')).toEqual(['4:2 rego_compile_error: arg x redeclared']);
  });

  it('rejects := on a variable a plain `some x` declared, as OPA does ("declared above")', () => {
    expect(errors('package a\n\np := x if {\n\tsome x\n\tx := 2\n}')).toEqual(['5:2 rego_compile_error: var x declared above']);
  });

  it('allows the same name to be declared again in a nested scope', () => {
    expect(value('package a\n\np := [x, y] if {\n\tx := 1\n\ty := [x | x := 2][0]\n}', 'data.a.p')).toEqual([1, 2]);
  });

  it('requires bindable terms on the left of :=', () => {
    expect(errors('package a\n\np if {\n\t1 := x\n\tx = 1\n}')).toEqual(['4:2 rego_compile_error: cannot assign to number']);
    expect(errors('package a\n\np if {\n\tinput.x := 1\n}')).toEqual(['4:2 rego_compile_error: cannot assign to ref']);
  });

  it('rejects := under not and a call to a shadowed function name', () => {
    expect(errors('package a\n\np if {\n\tnot x := 1\n}')[0]).toBe('4:2 rego_compile_error: cannot assign vars inside negated expression');
    expect(errors('package a\n\np if {\n\tcount := 1\n\tcount([1])\n}')).toEqual(['5:2 rego_compile_error: called function count shadowed']);
  });
});

describe('v1 checks', () => {
  it('rejects rules, variables and arguments that shadow input or data', () => {
    expect(errors('package a\n\ninput := 1\n\ndata := 2')).toEqual([
      '3:1 rego_compile_error: rules must not shadow input (use a different rule name)',
      '5:1 rego_compile_error: rules must not shadow data (use a different rule name)',
    ]);
    expect(errors('package a\n\np if {\n\tinput := 1\n\tinput > 0\n}')).toEqual([
      '4:2 rego_compile_error: variables must not shadow input (use a different variable name)',
    ]);
    expect(errors('package a\n\nf(data) := 1')).toEqual(['3:3 rego_compile_error: args must not shadow data (use a different variable name)']);
  });

  it('allows a rule named input or data in v0 (it lives at data.<pkg>.input)', () => {
    expect(value('package test\n\ninput = 1', 'data.test.input', 'v0')).toBe(1);
    expect(errors('package test\n\nf(input) = 1', 'v0')).toEqual(['3:3 rego_compile_error: args must not shadow input (use a different variable name)']);
  });

  it('rejects imports that shadow each other', () => {
    expect(errors('package a\n\nimport data.x\nimport data.y.x\n\np := x')).toEqual(['4:1 rego_compile_error: import must not shadow import data.x']);
    expect(errors('package a\n\nimport rego.v1\nimport rego.v1', 'v0')).toEqual(['4:1 rego_compile_error: import must not shadow import rego.v1']);
    expect(errors('package a\n\nimport data.x\nimport data.y.x\n\np = x', 'v0')).toEqual([]);
  });

  it('rejects deprecated builtins in v1 and in v0 modules that import rego.v1, not in plain v0', () => {
    expect(errors('package a\n\np := any([true])\n\nq := cast_array({1})')).toEqual([
      '3:6 rego_type_error: deprecated built-in function calls in expression: any',
      '5:6 rego_type_error: deprecated built-in function calls in expression: cast_array',
    ]);
    expect(errors('package a\nimport rego.v1\n\np if re_match("a", "a")', 'v0')).toEqual([
      '4:6 rego_type_error: deprecated built-in function calls in expression: re_match',
    ]);
    expect(value('package a\n\np = any([true])', 'data.a.p', 'v0')).toBe(true);
  });

  it('does not flag a user function that happens to share a deprecated name', () => {
    expect(value('package a\n\nany(xs) := true in xs\n\np := any([false, true])', 'data.a.p')).toBe(true);
  });

  it('applies v0 checks to a module detected as valid in both syntaxes (parseModule default)', () => {
    const m = parseModule('package a\n\ninput := 1', { file: 'p.rego' });
    expect(m.parsesAsV0).toBe(true);
    expect(compileModulesCollect([m]).errors).toEqual([]);
    expect(parseModule('package a\n\ninput := 1', { file: 'p.rego', regoVersion: 'auto' }).parsesAsV0).toBeUndefined();
  });
});

describe('rule conflicts and recursion', () => {
  it('reports conflicting kinds, arities and multiple defaults', () => {
    expect(errors('package a\n\np := 1\n\np contains 2')).toEqual(['3:1 rego_type_error: conflicting rules data.a.p found']);
    expect(errors('package a\n\nf(x) := 1\n\nf(x, y) := 2')).toEqual(['3:1 rego_type_error: conflicting rules data.a.f found']);
    expect(errors('package a\n\ndefault p := 1\n\ndefault p := 2')).toEqual([
      '1:1 rego_type_error: multiple default rules data.a.p found at p.rego:3, p.rego:5',
    ]);
  });

  it('reports every rule on a cycle', () => {
    expect(errors('package a\n\np if q\n\nq if p')).toEqual([
      '3:1 rego_recursion_error: rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.p',
      '5:1 rego_recursion_error: rule data.a.q is recursive: data.a.q -> data.a.p -> data.a.q',
    ]);
  });
});

describe('error collection', () => {
  it('collects every error of the first failing stage, across modules, with snippets', () => {
    const a = 'package a\n\np if {\n\tx > 1\n}';
    const b = 'package b\n\nq if {\n\tnot r[y]\n}\n\nr contains 1';
    const res = compileModulesCollect(
      [parseModule(a, { file: 'a.rego', regoVersion: 'v1' }), parseModule(b, { file: 'b.rego', regoVersion: 'v1' })],
      { sources: [{ file: 'a.rego', text: a }, { file: 'b.rego', text: b }] },
    );
    expect(res.policy).toBeUndefined();
    expect(res.errors.map((e) => [e.location?.file, e.message, e.hint])).toEqual([
      ['a.rego', 'var x is unsafe', '\n\tx > 1\n\t^'],
      ['b.rego', 'var y is unsafe', '\n\tnot r[y]\n\t      ^'],
    ]);
  });

  it('stops at the first failing stage (declarations before safety)', () => {
    expect(errors('package a\n\np if {\n\tx := 1\n\tx := 2\n\ty > 0\n}')).toEqual(['5:2 rego_compile_error: var x assigned above']);
  });

  it('shows the written name of a renamed variable', () => {
    expect(displayVarName('x$12')).toBe('x');
    expect(displayVarName('$3')).toBe('_');
    expect(displayVarName('plain')).toBe('plain');
  });
});
