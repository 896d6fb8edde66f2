import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../../src/core/errors.js';
import { compilePolicy } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery, evalRule } from '../../../../src/core/policy/rego/eval.js';
import { parseJson, toJsonText, type Value } from '../../../../src/core/policy/rego/value.js';

function policy(text: string) {
  return compilePolicy([{ file: 'p.rego', text }]);
}

function rule(text: string, path: string, input?: string): string | undefined {
  const v = evalRule(policy(text), path, input === undefined ? {} : { input: parseJson(input) });
  return v === undefined ? undefined : toJsonText(v);
}

function errorOf(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('evalQuery', () => {
  it('returns one row per solution with bindings and expression values', () => {
    const rows = evalQuery(policy('package a\nxs := [1, 2, 3]'), 'x := data.a.xs[i]; x > 1');
    expect(rows.map((r) => toJsonText(r.bindings.x as Value))).toEqual(['2', '3']);
    expect(rows[0].bindings.i).toBe(1);
    expect(rows[0].expressions.map((e) => e.value)).toEqual([true, true]);
  });

  it('reports a term expression by its value', () => {
    const rows = evalQuery(policy('package a\np := {"k": 1}'), 'data.a.p');
    expect(toJsonText(rows[0].expressions[0].value)).toBe('{"k":1}');
  });

  it('returns no rows for an undefined query', () => {
    expect(evalQuery(policy('package a'), 'data.a.missing')).toEqual([]);
  });
});

describe('evalRule', () => {
  it('evaluates complete rules, defaults and else chains', () => {
    const src = 'package a\ndefault allow := false\nallow if input.ok\nlevel := "high" if input.n > 10\nelse := "low"';
    expect(rule(src, 'a.allow', '{"ok": true}')).toBe('true');
    expect(rule(src, 'a.allow', '{}')).toBe('false');
    expect(rule(src, 'a.level', '{"n": 11}')).toBe('"high"');
    expect(rule(src, 'a.level', '{"n": 1}')).toBe('"low"');
  });

  it('builds partial sets, partial objects and ref-head objects', () => {
    const src =
      'package a\ndeny contains msg if { some x in input.xs; x > 1; msg := sprintf("%d too big", [x]) }\n' +
      'by_name[n] := u if { some u in input.users; n := u.name }\nlimits.tokens[m] := 100 if some m in ["a", "b"]';
    const input = '{"xs": [1, 2, 3], "users": [{"name": "ann"}]}';
    expect(rule(src, 'a.deny', input)).toBe('["2 too big","3 too big"]');
    expect(rule(src, 'a.by_name', input)).toBe('{"ann":{"name":"ann"}}');
    expect(rule(src, 'a.limits', input)).toBe('{"tokens":{"a":100,"b":100}}');
  });

  it('evaluates functions, every, not and comprehensions', () => {
    const src =
      'package a\nsq(x) := x * x\nall_pos if every x in input.xs { x > 0 }\nnone_neg if not any_neg\nany_neg if { some x in input.xs; x < 0 }\n' +
      'squares := [sq(x) | some x in input.xs]';
    expect(rule(src, 'a.all_pos', '{"xs": [1, 2]}')).toBe('true');
    expect(rule(src, 'a.all_pos', '{"xs": [1, -2]}')).toBeUndefined();
    expect(rule(src, 'a.none_neg', '{"xs": [1]}')).toBe('true');
    expect(rule(src, 'a.squares', '{"xs": [2, 3]}')).toBe('[4,9]');
  });

  it('applies `with` to input, data and functions for one expression only', () => {
    const src =
      'package a\nf(x) := x\ng(x) := 42\np := input.v\nq := x if { x := data.a.p with input.v as 7 }\n' +
      'r := x if { x := f(1) with f as g }\ns := x if { x := count([1]) with count as 9 }';
    expect(rule(src, 'a.q', '{"v": 1}')).toBe('7');
    expect(rule(src, 'a.p', '{"v": 1}')).toBe('1');
    expect(rule(src, 'a.r')).toBe('42');
    expect(rule(src, 'a.s')).toBe('9');
  });

  it('raises eval_conflict_error for complete rules and functions with different values', () => {
    const e = errorOf(() => rule('package a\np := 1\np := 2', 'a.p'));
    expect(e.code).toBe('eval_conflict_error');
    expect(e.location?.file).toBe('p.rego');
    const f = errorOf(() => rule('package a\nf(_) := 1\nf(_) := 2\np := f(0)', 'a.p'));
    expect(f.code).toBe('eval_conflict_error');
    expect(f.message).toMatch(/functions must not produce multiple outputs/);
  });

  it('makes builtin errors undefined by default and located errors in strict mode', () => {
    const p = policy('package a\np := x if {\n  x := 1 / 0\n}');
    expect(evalRule(p, 'a.p')).toBeUndefined();
    const e = errorOf(() => evalRule(p, 'a.p', { strictBuiltinErrors: true }));
    expect(e.code).toBe('eval_builtin_error');
    expect(e.message).toBe('div: divide by zero');
    expect(e.location).toMatchObject({ file: 'p.rego', line: 3 });
  });

  it('sends print output to the sink', () => {
    const lines: string[] = [];
    evalRule(policy('package a\np if { print("n is", input.n, input.missing) }'), 'a.p', { input: parseJson('{"n": 2}'), print: (m) => lines.push(m) });
    expect(lines).toEqual(['n is 2 <undefined>']);
  });

  it('stops a runaway evaluation with eval_limit_error instead of hanging', () => {
    const p = policy('package a\np := count([1 | some a in numbers.range(1, 300); some b in numbers.range(1, 300); some c in numbers.range(1, 300)])');
    const e = errorOf(() => evalRule(p, 'a.p', { maxSteps: 10_000 }));
    expect(e.code).toBe('eval_limit_error');
  });
});
