// Compile and eval errors carry, like parse errors, the offending source line with a caret under
// the column in their hint.
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../../src/core/errors.js';
import { compileModules, compilePolicy } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery, evalRule } from '../../../../src/core/policy/rego/eval.js';
import { caretSnippet } from '../../../../src/core/policy/rego/location.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';

function thrown(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
  throw new Error('expected a WardenError');
}

function compileError(text: string, file = 'p.rego'): WardenError {
  return thrown(() => compilePolicy([{ file, text }]));
}

describe('caret snippets on compile errors', () => {
  it('shows the line of an unsafe variable with a caret under it', () => {
    const e = compileError('package a\n\np if {\n  x > 1\n}');
    expect(e.code).toBe('rego_unsafe_var_error');
    expect(e.location).toEqual({ file: 'p.rego', line: 4, col: 3 });
    expect(e.hint).toBe('\n  x > 1\n  ^');
  });

  it('points into the right file when several are compiled together', () => {
    const e = thrown(() =>
      compilePolicy([
        { file: 'lib.rego', text: 'package lib\n\nf(x) := x' },
        { file: 'main.rego', text: 'package main\n\nq := data.lib.f(1, 2, 3)' },
      ]),
    );
    expect(e.code).toBe('rego_type_error');
    expect(e.location?.file).toBe('main.rego');
    expect(e.hint).toBe(`\n${caretSnippet('package main\n\nq := data.lib.f(1, 2, 3)', 3, e.location?.col ?? 0)}`);
    expect(e.hint?.split('\n')[1]).toBe('q := data.lib.f(1, 2, 3)');
  });

  it('keeps tabs in the padding so the caret lines up under a tab-indented column', () => {
    const e = compileError('package a\n\np if {\n\ty := 1\n\tz > y\n}');
    expect(e.message).toBe('var z is unsafe');
    expect(e.hint).toBe('\n\tz > y\n\t^');
  });

  it('marks recursion and undefined functions with the rule line', () => {
    const rec = compileError('package a\n\np if q\nq if p');
    expect(rec.code).toBe('rego_recursion_error');
    expect(rec.hint).toMatch(/^\n(p if q|q if p)\n\^\n1 more compile error: `warden policy check` lists them all$/);
    const undef = compileError('package a\n\np := nosuch.fn(1)');
    expect(undef.code).toBe('rego_type_error');
    expect(undef.hint).toBe(`\np := nosuch.fn(1)\n${' '.repeat((undef.location?.col ?? 1) - 1)}^`);
  });

  it('adds a snippet from compileModules when the caller passes the sources', () => {
    const text = 'package a\np := y';
    const m = parseModule(text, { file: 'm.rego' });
    expect(thrown(() => compileModules([m], { sources: [{ file: 'm.rego', text }] })).hint).toBe('\np := y\n     ^');
    // Without sources there is nothing to quote: location only.
    const bare = thrown(() => compileModules([m]));
    expect(bare.location).toEqual({ file: 'm.rego', line: 2, col: 6 });
    expect(bare.hint).toBeUndefined();
  });

  it('quotes the query text for an unsafe variable in a query', () => {
    const p = compilePolicy([]);
    const e = thrown(() => evalQuery(p, 'x > 1'));
    expect(e.code).toBe('rego_unsafe_var_error');
    expect(e.hint).toBe('\nx > 1\n^');
  });

  it('leaves the parser snippet in place', () => {
    const e = compileError('package a\np := [1,');
    expect(e.code).toBe('rego_parse_error');
    expect(e.hint?.startsWith('\np := [1,')).toBe(true);
  });
});

describe('caret snippets on eval errors', () => {
  it('quotes the rule line of a complete-rule conflict', () => {
    const p = compilePolicy([{ file: 'c.rego', text: 'package c\n\np := 1 if true\np := 2 if true' }]);
    const e = thrown(() => evalRule(p, 'data.c.p'));
    expect(e.code).toBe('eval_conflict_error');
    expect(e.location?.file).toBe('c.rego');
    const line = e.location?.line ?? 0;
    expect([3, 4]).toContain(line);
    expect(e.hint).toBe(`\n${['p := 1 if true', 'p := 2 if true'][line - 3]}\n^`);
  });

  it('quotes the expression of a strict builtin error', () => {
    const text = 'package s\n\np if {\n  x := 1 / 0\n}';
    const p = compilePolicy([{ file: 's.rego', text }]);
    const e = thrown(() => evalQuery(p, 'data.s.p', { strictBuiltinErrors: true }));
    expect(e.code).toBe('eval_builtin_error');
    expect(e.location).toMatchObject({ file: 's.rego', line: 4 });
    expect(e.hint?.split('\n')[1]).toBe('  x := 1 / 0');
    expect(e.hint?.split('\n')[2]).toMatch(/^ *\^$/);
  });

  it('quotes the query when a runaway query hits the step limit there', () => {
    const p = compilePolicy([]);
    const e = thrown(() => evalQuery(p, 'some i in numbers.range(1, 100000)', { maxSteps: 50 }));
    expect(e.code).toBe('eval_limit_error');
    expect(e.hint).toBe('\nsome i in numbers.range(1, 100000)\n^');
    expect(e.format()).toContain('hint: \nsome i in numbers.range');
  });
});
