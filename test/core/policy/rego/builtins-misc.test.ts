import { describe, expect, it } from 'vitest';
import { call, callIn, errorOf, j } from './builtins-helpers.js';
import { createBuiltinContext } from '../../../../src/core/policy/rego/builtins/index.js';
import { walkPairs } from '../../../../src/core/policy/rego/builtins/misc.js';
import { ObjectValue, SetValue, toJsonText } from '../../../../src/core/policy/rego/value.js';

const sorted = (v: unknown): unknown => (v instanceof SetValue ? v.values() : v);

describe('uuid.parse (google/uuid parsing, OPA field map)', () => {
  const parse = (s: string): unknown => {
    const v = call('uuid.parse', s);
    return v === undefined ? undefined : JSON.parse(toJsonText(v));
  };

  it('decodes time, node, MAC bits and clock sequence of version 1', () => {
    expect(parse('b01d0062-a116-11ee-822b-7ab0b9e5e0c0')).toEqual({
      clocksequence: 555,
      macvariables: 'local:unicast',
      nodeid: '7a-b0-b9-e5-e0-c0',
      time: 1703282931110717000,
      variant: 'RFC4122',
      version: 1,
    });
    expect(parse('b700c334-a128-11ee-bfff-7ab0b9e5e0c0')).toMatchObject({ clocksequence: 16383, time: 1703290673610834000 });
  });

  it('adds the DCE id and domain of version 2', () => {
    expect(parse('000003e8-a129-21ee-ae00-325096b39f47')).toEqual({
      clocksequence: 11776,
      domain: 'Person',
      id: 1000,
      macvariables: 'local:unicast',
      nodeid: '32-50-96-b3-9f-47',
      time: 1703290796079613600,
      variant: 'RFC4122',
      version: 2,
    });
    expect(parse('000003e8-a129-21ee-ae02-325096b39f47')).toMatchObject({ domain: 'Org' });
    expect(parse('000003e8-a129-21ee-ae07-335096b39f47')).toMatchObject({ domain: 'Domain7', macvariables: 'local:multicast' });
  });

  it('gives only version and variant for other versions (v6 and v7 carry no time in OPA)', () => {
    expect(parse('c6db027c-615c-3b4d-959e-1a917747ca5a')).toEqual({ variant: 'RFC4122', version: 3 });
    expect(parse('1EC9414C-232A-6B00-B3C8-9E6BDECED846')).toEqual({ variant: 'RFC4122', version: 6 });
    expect(parse('017F22E2-79B0-7CC3-98C4-DC0C0C07398F')).toEqual({ variant: 'RFC4122', version: 7 });
    expect(parse('00000000-0000-0000-c000-000000000000')).toEqual({ variant: 'Microsoft', version: 0 });
    expect(parse('00000000-0000-0000-0000-000000000000')).toEqual({ variant: 'Reserved', version: 0 });
    expect(parse('00000000-0000-0000-e000-000000000000')).toEqual({ variant: 'Future', version: 0 });
  });

  it('accepts the braced, urn and 32-digit forms', () => {
    const want = { variant: 'RFC4122', version: 4 };
    expect(parse('{a6342df8-7801-469c-b3f3-c5317a0ebdaa}')).toEqual(want);
    expect(parse('URN:uuid:a6342df8-7801-469c-b3f3-c5317a0ebdaa')).toEqual(want);
    expect(parse('a6342df87801469cb3f3c5317a0ebdaa')).toEqual(want);
    expect(parse(callIn(createBuiltinContext({ nowNs: 0n, seed: 3 }), 'uuid.rfc4122', 'k') as string)).toEqual(want);
  });

  it('is undefined for an unparsable string and a type error for a non-string', () => {
    for (const s of ['not-valid', 'a6342df8-7801-469c-b3f3-c5317a0ebdaz', 'a6342df8x7801-469c-b3f3-c5317a0ebdaa', 'urn:uuix:a6342df8-7801-469c-b3f3-c5317a0ebdaa', '']) {
      expect(call('uuid.parse', s), s).toBeUndefined();
    }
    const e = errorOf(() => call('uuid.parse', 42));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('uuid.parse: operand 1 must be string but got number');
  });
});

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
