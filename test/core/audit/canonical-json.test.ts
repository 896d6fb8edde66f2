import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/audit/canonical-json.js';

describe('canonicalJson', () => {
  it('matches the RFC 8785 §3.2.2 example byte for byte', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units, not by code points (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
      '</script>': 'Browser Challenge',
    };
    const keys = Object.keys(JSON.parse(canonicalJson(input)) as object);
    // Integer-like keys come first in JS objects, so compare the serialised order instead.
    const text = canonicalJson(input);
    const order = ['\\r', '1', '</script>', '\u0080', 'ö', '€', '😀', '\ufb33'].map((k) => text.indexOf(`"${k}":`));
    expect(order.every((pos) => pos >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16 order although its code point is larger.
    expect(text.indexOf('😀')).toBeLessThan(text.indexOf('\ufb33'));
    expect(keys).toHaveLength(8);
  });

  it('writes numbers in ECMAScript shortest form', () => {
    expect(canonicalJson([1e21, 1e20, 0.1, -0, 0, 1e-7, 5e-324, 1.7976931348623157e308, -1.5, 100, 0.000001])).toBe(
      '[1e+21,100000000000000000000,0.1,0,0,1e-7,5e-324,1.7976931348623157e+308,-1.5,100,0.000001]',
    );
    expect(canonicalJson(0.1 + 0.2)).toBe('0.30000000000000004');
  });

  it('escapes strings as JCS prescribes: short escapes, lowercase \\u00xx for other controls, nothing else', () => {
    expect(canonicalJson('\u0000\u0001\u001f\b\t\n\f\r"\\/\u007f\u2028é😀')).toBe(
      '"\\u0000\\u0001\\u001f\\b\\t\\n\\f\\r\\"\\\\/\u007f\u2028é😀"',
    );
  });

  it('uses no whitespace and recurses into nested structures', () => {
    expect(canonicalJson({ b: [1, { d: null, c: true }], a: 'x', e: {} })).toBe('{"a":"x","b":[1,{"c":true,"d":null}],"e":{}}');
  });

  it('omits undefined object members like JSON.stringify and honours toJSON', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}');
  });

  it('rejects values JSON cannot represent instead of rewriting them', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/NaN/);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(/\$\.a is Infinity/);
    expect(() => canonicalJson([Number.NEGATIVE_INFINITY])).toThrow(/-Infinity/);
    expect(() => canonicalJson([1, undefined])).toThrow(/\$\[1\] is undefined/);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 10n })).toThrow(/bigint/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson('\ud800')).toThrow(/lone surrogate/);
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow(/lone surrogate/);
    expect(() => canonicalJson({ m: new Map([['a', 1]]) })).toThrow(/\$\.m is a Map/);
    expect(canonicalJson(Object.assign(Object.create(null) as object, { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });

  it('rejects cycles but accepts the same object twice', () => {
    const shared = { x: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/circular/);
  });

  it('is stable under key insertion order', () => {
    expect(canonicalJson({ z: 1, a: { y: 2, b: 3 } })).toBe(canonicalJson({ a: { b: 3, y: 2 }, z: 1 }));
  });
});
