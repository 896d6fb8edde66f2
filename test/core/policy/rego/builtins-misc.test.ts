import { describe, expect, it } from 'vitest';
import { call, callIn, errorOf, j } from './builtins-helpers.js';
import { createBuiltinContext } from '../../../../src/core/policy/rego/builtins/index.js';
import { walkPairs } from '../../../../src/core/policy/rego/builtins/misc.js';
import { ObjectValue, SetValue, toJsonText } from '../../../../src/core/policy/rego/value.js';

const sorted = (v: unknown): unknown => (v instanceof SetValue ? v.values() : v);

describe('uuid and rand (stable within a query)', () => {
  it('returns the same v4 UUID for the same input within a query', () => {
    const ctx = createBuiltinContext({ nowNs: 0n, seed: 7 });
    const a = callIn(ctx, 'uuid.rfc4122', 'x') as string;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(callIn(ctx, 'uuid.rfc4122', 'x')).toBe(a);
    expect(callIn(ctx, 'uuid.rfc4122', 'y')).not.toBe(a);
  });

  it('draws rand.intn from the query seed, stable per (str, n)', () => {
    const ctx = createBuiltinContext({ nowNs: 0n, seed: 7 });
    const a = callIn(ctx, 'rand.intn', 'k', 100) as number;
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(100);
    expect(callIn(ctx, 'rand.intn', 'k', 100)).toBe(a);
    expect(callIn(ctx, 'rand.intn', 'k', -100)).toBe(a);
    expect(callIn(ctx, 'rand.intn', 'k', 0)).toBe(0);
    const again = createBuiltinContext({ nowNs: 0n, seed: 7 });
    expect(callIn(again, 'rand.intn', 'k', 100)).toBe(a);
    expect(errorOf(() => call('rand.intn', 'k', 1.5)).message).toBe('rand.intn: operand 2 must be integer number but got floating-point number');
  });
});

describe('numbers.range', () => {
  it('counts up or down inclusively', () => {
    expect(call('numbers.range', 1, 4)).toEqual([1, 2, 3, 4]);
    expect(call('numbers.range', 2, -1)).toEqual([2, 1, 0, -1]);
    expect(call('numbers.range', 3, 3)).toEqual([3]);
    expect(call('numbers.range_step', 0, 10, 3)).toEqual([0, 3, 6, 9]);
    expect(call('numbers.range_step', 10, 0, 5)).toEqual([10, 5, 0]);
  });

  it('rejects non-integers, bad steps and unbounded ranges', () => {
    expect(errorOf(() => call('numbers.range', 1.5, 3)).message).toBe('numbers.range: operand 1 must be integer number but got floating-point number');
    expect(errorOf(() => call('numbers.range', 'a', 3)).message).toBe('numbers.range: operand 1 must be number but got string');
    expect(errorOf(() => call('numbers.range_step', 0, 10, 0)).message).toBe('numbers.range_step: step must be a positive number above zero');
    expect(errorOf(() => call('numbers.range', 0, 1e12)).code).toBe('eval_builtin_error');
  });
});

describe('graph', () => {
  const g = j('{"a": ["b"], "b": ["c"], "c": [], "d": ["a", "x"], "e": ["e"]}');

  it('collects nodes reachable from the initial ones that are in the graph', () => {
    expect(sorted(call('graph.reachable', g, ['a']))).toEqual(['a', 'b', 'c']);
    expect(sorted(call('graph.reachable', g, new SetValue(['d'])))).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted(call('graph.reachable', g, ['zzz']))).toEqual([]);
    expect(errorOf(() => call('graph.reachable', g, 'a')).message).toBe('graph.reachable: operand 2 must be {array, set} but got string');
    expect(errorOf(() => call('graph.reachable', [], ['a'])).message).toBe('graph.reachable: operand 1 must be object but got array');
  });

  it('lists paths until a leaf, a node outside the graph or a cycle', () => {
    expect(sorted(call('graph.reachable_paths', g, ['a']))).toEqual([['a', 'b', 'c']]);
    expect(toJsonText(call('graph.reachable_paths', g, ['d']) as SetValue)).toBe('[["d"],["d","a","b","c"]]');
    expect(sorted(call('graph.reachable_paths', g, ['e']))).toEqual([['e', 'e']]);
    expect(sorted(call('graph.reachable_paths', g, ['c']))).toEqual([['c']]);
  });
});

describe('walk (pure part)', () => {
  it('enumerates every node with its path, depth first in key order', () => {
    const pairs = walkPairs(j('{"b": [1], "a": 2}'));
    expect(pairs.map(([p, v]) => `${toJsonText(p as never)}=${toJsonText(v)}`)).toEqual([
      '[]={"a":2,"b":[1]}',
      '["a"]=2',
      '["b"]=[1]',
      '["b",0]=1',
    ]);
  });
});

describe('opa.runtime and trace', () => {
  it('returns the context runtime object or an empty object', () => {
    expect(call('opa.runtime')).toEqual(new ObjectValue());
    const rt = ObjectValue.fromRecord({ version: '1.0.0' });
    expect(callIn(createBuiltinContext({ nowNs: 0n, runtime: rt }), 'opa.runtime')).toBe(rt);
  });

  it('succeeds and records the message when a sink exists', () => {
    const notes: string[] = [];
    expect(callIn(createBuiltinContext({ nowNs: 0n, trace: (m) => notes.push(m) }), 'trace', 'hello')).toBe(true);
    expect(notes).toEqual(['hello']);
    expect(call('trace', 'no sink')).toBe(true);
    expect(errorOf(() => call('trace', 1)).message).toBe('trace: operand 1 must be string but got number');
  });
});
