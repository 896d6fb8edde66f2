import { describe, expect, it } from 'vitest';
import { checkDataConflicts, evaluatePolicyQuery, renderEvalJson, renderEvalPretty, renderEvalValues } from '../../../src/core/policy/query.js';
import { compilePolicy } from '../../../src/core/policy/rego/compile.js';
import { fromJson } from '../../../src/core/policy/rego/value.js';

const sources = [{ file: 'p.rego', text: 'package p\n\nxs := [1, 2, 3]\nbig := 12345678901234567890\n' }];

describe('evaluatePolicyQuery', () => {
  it('fills each expression text from the query source', () => {
    const { rows, defined } = evaluatePolicyQuery({ sources, query: 'x := data.p.xs[_]; x > 2', nowNs: 0n });
    expect(defined).toBe(true);
    expect(rows).toHaveLength(1);
    expect(rows[0].expressions.map((e) => e.text).sort()).toEqual(['x := data.p.xs[_]', 'x > 2']);
    expect(rows[0].bindings).toEqual({ x: 3 });
  });

  it('is undefined (no rows) when nothing matches', () => {
    expect(evaluatePolicyQuery({ sources, query: 'data.p.nope', nowNs: 0n }).defined).toBe(false);
  });

  it('passes input through', () => {
    const r = evaluatePolicyQuery({ sources, query: 'input.a', input: fromJson({ a: 'v' }), nowNs: 0n });
    expect(r.rows[0].expressions[0].value).toBe('v');
  });
});

describe('rules against base data (OPA path-conflict check)', () => {
  const conflicting = [{ file: 't.rego', text: 'package test\n\nrule1 = 6\n' }];

  it('refuses a rule whose path holds base data, as opa eval does', () => {
    const run = () => evaluatePolicyQuery({ sources: conflicting, data: fromJson({ test: { rule1: 0 } }), query: 'data.test.rule1', nowNs: 0n });
    expect(run).toThrow(expect.objectContaining({ code: 'rego_compile_error', message: 'conflicting rule for data path test/rule1 found' }));
    try {
      run();
    } catch (e) {
      expect((e as { location?: unknown }).location).toMatchObject({ file: 't.rego', line: 3 });
    }
  });

  it('refuses a rule under base data that is not an object, and allows one beside or under an object', () => {
    const p = compilePolicy([{ file: 'a.rego', text: 'package a.b\n\np := 1\n' }]);
    expect(() => checkDataConflicts(p, fromJson({ a: [1] }))).toThrow(/conflicting rule for data path a\/b\/p found/);
    expect(() => checkDataConflicts(p, fromJson({ a: { b: 'x' } }))).toThrow(/a\/b\/p/);
    expect(() => checkDataConflicts(p, fromJson({ a: { b: { q: 1 }, c: 2 } }))).not.toThrow();
    expect(() => checkDataConflicts(p, fromJson({}))).not.toThrow();
    expect(() => checkDataConflicts(p, undefined)).not.toThrow();
    expect(evaluatePolicyQuery({ sources: [{ file: 'a.rego', text: 'package a.b\n\np := 1\n' }], data: fromJson({ a: { b: { q: 1 } } }), query: 'data.a.b', nowNs: 0n }).rows[0].expressions[0].value).toEqual(
      fromJson({ p: 1, q: 1 }),
    );
  });
});

describe('renderers', () => {
  it('json: OPA shape, bindings left out when empty, exact numbers, {} when undefined', () => {
    const { rows } = evaluatePolicyQuery({ sources, query: 'data.p.big', nowNs: 0n });
    const text = renderEvalJson(rows);
    expect(text).toContain('"value": 12345678901234567890');
    expect(JSON.parse(text)).toEqual({
      result: [{ expressions: [{ value: 12345678901234567890, text: 'data.p.big', location: { row: 1, col: 1 } }] }],
    });
    expect(renderEvalJson([])).toBe('{}');
  });

  it('values: one compact JSON document per row', () => {
    const { rows } = evaluatePolicyQuery({ sources, query: 'data.p.xs[_]', nowNs: 0n });
    expect(renderEvalValues(rows)).toBe('1\n2\n3');
  });

  it('pretty: the bare value for a simple query, name: value rows otherwise', () => {
    expect(renderEvalPretty(evaluatePolicyQuery({ sources, query: 'data.p.xs', nowNs: 0n }).rows)).toBe('[\n  1,\n  2,\n  3\n]');
    expect(renderEvalPretty(evaluatePolicyQuery({ sources, query: 'x := data.p.xs[0]', nowNs: 0n }).rows)).toBe('x: 1');
    expect(renderEvalPretty([])).toBe('undefined');
  });
});
