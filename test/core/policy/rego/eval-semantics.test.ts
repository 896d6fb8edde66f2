// Evaluation rules checked against OPA's behaviour: a lone query expression reports false, else
// chains skip undefined values, `every` needs a collection, constant rules stop at one solution,
// and the per-term caches stay correct across policies and for frozen syntax trees.
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../../src/core/errors.js';
import { compilePolicy } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery, evalRule } from '../../../../src/core/policy/rego/eval.js';
import { parseQuery } from '../../../../src/core/policy/rego/parser.js';
import { parseJson, toJsonText, type Value } from '../../../../src/core/policy/rego/value.js';

function policy(text: string) {
  return compilePolicy([{ file: 'p.rego', text }]);
}

function values(text: string, query: string, input?: string): string[] {
  const rows = evalQuery(policy(text), query, input === undefined ? {} : { input: parseJson(input) });
  return rows.map((r) => toJsonText(r.expressions.length === 1 ? r.expressions[0].value : r.expressions.map((e) => e.value)));
}

function rule(text: string, path: string, opts: { input?: string; strict?: boolean } = {}): string | undefined {
  const v = evalRule(policy(text), path, {
    input: opts.input === undefined ? undefined : parseJson(opts.input),
    strictBuiltinErrors: opts.strict,
  });
  return v === undefined ? undefined : toJsonText(v);
}

describe('a lone query expression (opa eval captures its value)', () => {
  const src = 'package a\n\ndefault p := false\nxs := [true, false, true]\nnot_field := input.not.allowed\n';

  it('reports false instead of failing', () => {
    expect(values(src, '1 == 2')).toEqual(['false']);
    expect(values(src, 'false')).toEqual(['false']);
    expect(values(src, 'data.a.p')).toEqual(['false']);
    expect(values(src, 'data.a.not_field', '{"not": {"allowed": false}}')).toEqual(['false']);
    expect(values(src, 'startswith("abc", "x")')).toEqual(['false']);
  });

  it('still fails on false with more than one expression, with iteration, or negated', () => {
    expect(values(src, 'true; 1 == 2')).toEqual([]);
    expect(values(src, 'data.a.xs[i]')).toEqual(['true', 'true']);
    expect(values(src, 'data.a.xs[_]')).toEqual(['true', 'true']);
    expect(values(src, 'not true')).toEqual([]);
  });

  it('is undefined (no rows) when the value is undefined', () => {
    expect(values(src, 'data.a.missing')).toEqual([]);
    expect(values(src, 'input.x')).toEqual([]);
  });

  it('keeps false bindings of assignments and unifications', () => {
    const rows = evalQuery(policy(src), 'x := data.a.p');
    expect(rows.map((r) => r.bindings.x)).toEqual([false]);
  });
});

describe('else chains', () => {
  it('try the next branch when a branch body holds but its value is undefined', () => {
    const src = 'package t\n\nx := data.y if {\n\ttrue\n} else := 2 if {\n\ttrue\n}\n';
    expect(rule(src, 't')).toBe('{"x":2}');
  });

  it('do the same for functions', () => {
    const src = 'package t\n\nf(a) := input.missing if {\n\ta > 0\n} else := "fallback"\n\np := f(1)\n';
    expect(rule(src, 't.p')).toBe('"fallback"');
  });
});

describe('every', () => {
  const src =
    'package t\n\n' +
    'num if every _, _ in 1 { false }\n' +
    'str if every _ in "abc" { false }\n' +
    'nul if every _ in null { false }\n' +
    'empty if every _ in [] { false }\n' +
    'undef if every _ in input.missing { false }\n' +
    'arr if every i, x in [1, 2, 3] { x == i + 1 }\n' +
    'set if every x in {1, 2} { x > 0 }\n' +
    'obj if every k, v in {"a": 1} { k == "a"; v == 1 }\n';

  it('is false over anything but an array, object or set, as in OPA', () => {
    expect(rule(src, 't.num')).toBeUndefined();
    expect(rule(src, 't.str')).toBeUndefined();
    expect(rule(src, 't.nul')).toBeUndefined();
    expect(rule(src, 't.undef')).toBeUndefined();
  });

  it('holds vacuously over an empty collection and checks every element otherwise', () => {
    expect(rule(src, 't.empty')).toBe('true');
    expect(rule(src, 't.arr')).toBe('true');
    expect(rule(src, 't.set')).toBe('true');
    expect(rule(src, 't.obj')).toBe('true');
  });
});

describe('constant rules', () => {
  const src =
    'package t\n\na := [1, "hello"]\n' +
    'b1 if a[_] + 1\n' +
    'b2 := 1 if a[_] + 1\n' +
    'c[null] := true if a[_] + 1\n' +
    'c["k"] := false if a[_] + 1\n' +
    'multi[1]["x"] := 5 if a[_] + 1\n' +
    's contains "only" if a[_] + 1\n' +
    'f[p] := 5 if p := a[_]\n';

  it('stop at their first solution, so a later element cannot raise a strict error', () => {
    expect(rule(src, 't.b1', { strict: true })).toBe('true');
    expect(rule(src, 't.b2', { strict: true })).toBe('1');
    expect(rule(src, 't.c', { strict: true })).toBe('{"k":false,"null":true}');
    expect(rule(src, 't.multi', { strict: true })).toBe('{"1":{"x":5}}');
    expect(rule(src, 't.s', { strict: true })).toBe('["only"]');
  });

  it('but rules whose key or value varies see every solution', () => {
    expect(rule(src, 't.f', { strict: true })).toBe('{"1":5,"hello":5}');
    const e = (() => {
      try {
        rule('package t\n\na := [1, "x"]\nd contains y if y := a[_] + 1\n', 't.d', { strict: true });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(WardenError);
    expect((e as WardenError).code).toBe('eval_type_error');
  });
});

describe('per-term caches', () => {
  it('keep one parsed query correct against two policies', () => {
    const body = parseQuery('x := data.a.p; y := count(data.a.xs)');
    const p1 = policy('package a\np := 1\nxs := [1]');
    const p2 = policy('package a\np := 2\nxs := [1, 2, 3]');
    for (let i = 0; i < 2; i++) {
      expect(evalQuery(p1, body).map((r) => [r.bindings.x, r.bindings.y])).toEqual([[1, 1]]);
      expect(evalQuery(p2, body).map((r) => [r.bindings.x, r.bindings.y])).toEqual([[2, 3]]);
    }
  });

  it('work on a frozen policy (no annotation possible)', () => {
    const p = policy('package a\n\nimport rego.v1\n\nallow if {\n\tsome x in input.xs\n\tx > 2\n}\nn := count(input.xs)\n');
    const seen = new WeakSet<object>();
    const freeze = (x: unknown): void => {
      if (x === null || typeof x !== 'object' || seen.has(x)) return;
      seen.add(x);
      if (x instanceof Map) {
        for (const v of x.values()) freeze(v);
        return;
      }
      for (const v of Object.values(x)) freeze(v);
      Object.freeze(x);
    };
    freeze(p.root);
    freeze(p.modules);
    const input = parseJson('{"xs": [1, 3]}');
    for (let i = 0; i < 2; i++) {
      expect(evalRule(p, 'a.allow', { input })).toBe(true);
      expect(evalRule(p, 'a.n', { input }) as Value).toBe(2);
    }
  });
});
