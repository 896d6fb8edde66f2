import { describe, expect, it } from 'vitest';
import {
  BigDecimal,
  ObjectValue,
  SetValue,
  compare,
  equals,
  formatValue,
  fromJson,
  keyOf,
  parseJson,
  parseNumber,
  toJson,
  toJsonText,
  typeName,
  type Value,
} from '../../../../src/core/policy/rego/value.js';

describe('numbers', () => {
  it('keeps integers beyond 2^53 exact as bigint', () => {
    expect(parseNumber('12345678901234567890')).toBe(12345678901234567890n);
    expect(parseNumber('9007199254740991')).toBe(9007199254740991);
  });

  it('treats integral spellings as integers', () => {
    expect(parseNumber('10.00')).toBe(10);
    expect(parseNumber('1e30')).toBe(10n ** 30n);
    expect(parseNumber('-0')).toBe(0);
    expect(Object.is(parseNumber('-0.0'), 0)).toBe(true);
  });

  it('keeps decimals a double cannot hold as BigDecimal, and short ones as doubles', () => {
    expect(parseNumber('1.5')).toBe(1.5);
    const d = parseNumber('0.1000000000000000000001');
    expect(d).toBeInstanceOf(BigDecimal);
    expect(String(d)).toBe('0.1000000000000000000001');
    expect(compare(d as Value, 0.1)).toBe(1);
  });

  it('rejects text that is not a number', () => {
    expect(parseNumber('1.')).toBeUndefined();
    expect(parseNumber('abc')).toBeUndefined();
  });

  it('compares across representations by value', () => {
    expect(compare(9007199254740991, 9007199254740993n)).toBe(-1);
    expect(compare(1.5, 2n ** 64n)).toBe(-1);
    expect(compare(-(2n ** 64n), -1.5)).toBe(-1);
    expect(equals(parseNumber('1.0') as Value, 1)).toBe(true);
  });
});

describe('ordering', () => {
  it('orders types null < boolean < number < string < array < object < set', () => {
    const vals: Value[] = [new SetValue(), new ObjectValue(), [], 'a', 1, false, null];
    const sorted = [...vals].sort(compare);
    expect(sorted.map(typeName)).toEqual(['null', 'boolean', 'number', 'string', 'array', 'object', 'set']);
  });

  it('orders strings by code point like Go, not by UTF-16 unit', () => {
    expect(compare('\u{1F600}', '\uFF01')).toBe(1);
    expect(compare('a', 'b')).toBe(-1);
    expect(compare('ab', 'a')).toBe(1);
  });

  it('orders arrays element-wise then by length', () => {
    expect(compare([1, 2], [1, 3])).toBe(-1);
    expect(compare([1, 2, 0], [1, 2])).toBe(1);
  });

  it('orders objects over sorted keys, key before value', () => {
    const a = ObjectValue.fromRecord({ a: 2 });
    const b = ObjectValue.fromRecord({ b: 1 });
    expect(compare(a, b)).toBe(-1);
    expect(compare(ObjectValue.fromRecord({ a: 1 }), ObjectValue.fromRecord({ a: 2 }))).toBe(-1);
    expect(compare(ObjectValue.fromRecord({ a: 1 }), ObjectValue.fromRecord({ a: 1, b: 0 }))).toBe(-1);
  });

  it('orders sets by their sorted elements', () => {
    expect(compare(new SetValue([3, 1]), new SetValue([2, 1]))).toBe(1);
  });
});

describe('sets and objects with composite keys', () => {
  it('finds equal composite values regardless of construction order', () => {
    const s = new SetValue();
    s.add(ObjectValue.fromRecord({ a: 1, b: [1, 2] }));
    const other = new ObjectValue([
      ['b', [1, 2]],
      ['a', 1],
    ]);
    expect(s.has(other)).toBe(true);
    expect(s.add(other)).toBe(false);
    expect(s.size).toBe(1);
  });

  it('never confuses a string with a number or a composite key', () => {
    const o = new ObjectValue();
    o.set(1, 'number');
    o.set('1', 'string');
    o.set([1], 'array');
    o.set(new SetValue([1]), 'set');
    expect(o.size).toBe(4);
    expect(o.get('1')).toBe('string');
    expect(o.get(new SetValue([1]))).toBe('set');
    expect(keyOf('\u0001[n1;]')).not.toBe(keyOf([1]));
  });

  it('treats big integers as equal keys by value', () => {
    const s = new SetValue([12345678901234567890n]);
    expect(s.has(parseNumber('12345678901234567890') as Value)).toBe(true);
  });

  it('iterates in sorted order', () => {
    expect(new SetValue([3, 'a', 1, null]).values()).toEqual([null, 1, 3, 'a']);
    expect(ObjectValue.fromRecord({ b: 1, a: 2 }).keys()).toEqual(['a', 'b']);
  });

  it('compares structurally for equality', () => {
    expect(equals(new SetValue([[1], [2]]), new SetValue([[2], [1]]))).toBe(true);
    expect(equals([1, 2], [1, 2])).toBe(true);
    expect(equals([1, 2], [2, 1])).toBe(false);
    expect(equals(ObjectValue.fromRecord({ a: 1 }), ObjectValue.fromRecord({ a: 1, b: 2 }))).toBe(false);
  });
});

describe('JSON', () => {
  it('round-trips big integers and decimals exactly through text', () => {
    const text = '{"big":12345678901234567890,"dec":0.1000000000000000000001,"f":1.5,"n":-3}';
    const v = parseJson(text);
    expect((v as ObjectValue).get('big')).toBe(12345678901234567890n);
    expect(toJsonText(v)).toBe(text);
  });

  it('writes sets as sorted arrays and sorts object keys', () => {
    const v = ObjectValue.fromRecord({ z: new SetValue(['b', 'a']), a: null });
    expect(toJsonText(v)).toBe('{"a":null,"z":["a","b"]}');
    expect(toJson(v)).toEqual({ a: null, z: ['a', 'b'] });
  });

  it('converts plain JS data and rejects malformed text', () => {
    const v = fromJson({ a: [1, 'x', true, null, 2.5] });
    expect(toJson(v)).toEqual({ a: [1, 'x', true, null, 2.5] });
    expect(() => parseJson('{"a":}')).toThrow(/offset/);
    expect(() => parseJson('[1,]')).toThrow();
    expect(parseJson('"\\u00e9\\n"')).toBe('é\n');
  });

  it('writes non-string object keys as their compact JSON text, as OPA does', () => {
    expect(toJsonText(new ObjectValue([[3, 4]]))).toBe('{"3":4}');
    expect(toJson(new ObjectValue([[3, 4]]))).toEqual({ '3': 4 });
    const entries: Array<[Value, Value]> = [
      [[1, 'a'], 1],
      [new SetValue([2, 1]), 2],
      [ObjectValue.fromRecord({ k: null }), 3],
      [true, 4],
      [null, 5],
      [12345678901234567890n, 6],
    ];
    const composite = new ObjectValue(entries);
    expect(toJsonText(composite)).toBe(
      '{"12345678901234567890":6,"[1,\\"a\\"]":1,"[1,2]":2,"null":5,"true":4,"{\\"k\\":null}":3}',
    );
    expect(toJson(composite)).toEqual({
      '12345678901234567890': 6,
      '[1,"a"]': 1,
      '[1,2]': 2,
      null: 5,
      true: 4,
      '{"k":null}': 3,
    });
    // Go's encoder escapes <, > and & in the key text; the key itself is then a plain string.
    expect(toJsonText(new ObjectValue([[['<&>'], 1]]))).toBe('{"[\\"\\\\u003c\\\\u0026\\\\u003e\\"]":1}');
    // Keys that collide once written keep the later key's value in OPA's order (strings after numbers).
    expect(toJsonText(new ObjectValue([['1', 'b'], [1, 'a']]))).toBe('{"1":"b"}');
    // Indented output writes the key text compactly.
    expect(toJsonText(new ObjectValue([[[1, 2], true]]), 2)).toBe('{\n  "[1,2]": true\n}');
  });

  it('indents on request', () => {
    expect(toJsonText([1, ObjectValue.fromRecord({ a: [] })], 2)).toBe('[\n  1,\n  {\n    "a": []\n  }\n]');
  });
});

describe('formatValue', () => {
  it('prints terms as OPA does', () => {
    expect(formatValue(new SetValue())).toBe('set()');
    expect(formatValue(new SetValue([2, 1]))).toBe('{1, 2}');
    expect(formatValue(ObjectValue.fromRecord({ a: [1, 'x'] }))).toBe('{"a": [1, "x"]}');
  });
});
