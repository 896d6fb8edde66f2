import { describe, expect, it } from 'vitest';
import {
  BuiltinError,
  createBuiltinContext,
  defaultRegistry,
} from '../../../../src/core/policy/rego/builtins/index.js';
import { ObjectValue, SetValue, parseJson, toJsonText, type Value } from '../../../../src/core/policy/rego/value.js';

const strict = createBuiltinContext({ nowNs: 0n, strictBuiltinErrors: true });
const lax = createBuiltinContext({ nowNs: 0n });

function call(name: string, ...args: Value[]): Value | undefined {
  return defaultRegistry.call(name, args, strict);
}

function j(text: string): Value {
  return parseJson(text);
}

function sprintf(fmt: string, ...args: Value[]): Value | undefined {
  return call('sprintf', fmt, args);
}

function errorOf(fn: () => unknown): BuiltinError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BuiltinError) return e;
    throw e;
  }
  throw new Error('expected a BuiltinError');
}

describe('arithmetic (modelled on OPA arithmetic/bignum and edges cases)', () => {
  it('is exact beyond 64 bits', () => {
    expect(sprintf('%v', call('plus', 18446744073709551617n, 1) as Value)).toBe('18446744073709551618');
    expect(sprintf('%v', call('mul', 18446744073709551617n, 2) as Value)).toBe('36893488147419103234');
    expect(sprintf('%v', call('minus', -18446744073709551617n, 1) as Value)).toBe('-18446744073709551618');
    expect(sprintf('%v', call('plus', j('1e30'), 1) as Value)).toBe('1000000000000000000000000000001');
    expect(sprintf('%v', call('plus', 9223372036854775807n, 1) as Value)).toBe('9223372036854775808');
  });

  it('normalises float results that are integral', () => {
    expect(sprintf('%v', call('plus', 1.5, 2.5) as Value)).toBe('4');
    expect(sprintf('%v', call('plus', 1, 2.5) as Value)).toBe('3.5');
    expect(sprintf('%v', call('mul', 2.5, 2) as Value)).toBe('5');
    expect(sprintf('%v', call('plus', j('10.00'), 5) as Value)).toBe('15');
  });

  it('divides exactly only when the divisor divides', () => {
    expect(call('div', 6, 3)).toBe(2);
    expect(call('div', 1, 4)).toBe(0.25);
    expect(call('div', 0, 5)).toBe(0);
  });

  it('reports divide by zero as eval_builtin_error in strict mode and undefined otherwise', () => {
    const e = errorOf(() => call('div', 1, 0));
    expect(e.code).toBe('eval_builtin_error');
    expect(e.message).toBe('div: divide by zero');
    expect(defaultRegistry.call('div', [1, 0], lax)).toBeUndefined();
  });

  it('takes the sign of the dividend for remainders and accepts integral floats', () => {
    expect(call('rem', -17, 5)).toBe(-2);
    expect(call('rem', 17, -5)).toBe(2);
    expect(call('rem', j('4.0'), 3)).toBe(1);
    expect(call('rem', 10, 18446744073709551616n)).toBe(10);
    expect(call('rem', 18446744073709551617n, 18446744073709551616n)).toBe(1);
    expect(errorOf(() => call('rem', 1.1, 1)).message).toBe('rem: modulo on floating-point number');
  });

  it('rounds half away from zero and keeps big integers in abs', () => {
    expect(call('round', 2.5)).toBe(3);
    expect(call('round', -2.5)).toBe(-3);
    expect(call('round', 2.4)).toBe(2);
    expect(call('abs', -9223372036854775808n)).toBe(9223372036854775808n);
    expect(call('ceil', 1.2)).toBe(2);
    expect(call('floor', -1.2)).toBe(-2);
  });

  it('words minus type errors as OPA does', () => {
    const a = errorOf(() => call('minus', new SetValue([1]), 1));
    expect(a.code).toBe('eval_type_error');
    expect(a.message).toBe('minus: operand 2 must be set but got number');
    expect(errorOf(() => call('minus', 1, new SetValue([1]))).message).toBe('minus: operand 2 must be number but got set');
    expect(call('minus', new SetValue([1, 2]), new SetValue([2]))).toEqual(new SetValue([1]));
  });

  it('compares big integers exactly', () => {
    expect(call('neq', j('28857836529306024611913'), j('28857836529306024611912'))).toBe(true);
    expect(call('lt', 1, 'a')).toBe(true);
  });
});

describe('aggregates', () => {
  it('counts collections and code points', () => {
    expect(call('count', [1, 2])).toBe(2);
    expect(call('count', 'héllo\u{1F600}')).toBe(6);
    expect(call('count', new SetValue([1]))).toBe(1);
  });

  it('raises OPA type errors for count', () => {
    const e = errorOf(() => call('count', 1));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('count: operand 1 must be one of {array, object, set, string} but got number');
  });

  it('sums and multiplies exactly (aggregates/bignum)', () => {
    expect(sprintf('%v', call('sum', [18446744073709551617n, 1]) as Value)).toBe('18446744073709551618');
    expect(sprintf('%v', call('sum', new SetValue([9223372036854775807n, 1, 2])) as Value)).toBe('9223372036854775810');
    expect(sprintf('%v', call('product', [1.5, 2]) as Value)).toBe('3');
    expect(errorOf(() => call('sum', [1, 'a'])).message).toBe('sum: operand 1 must be array of numbers but got array containing string');
  });

  it('takes max/min in OPA order and is undefined on empty input', () => {
    expect(call('max', [1, 'a', null])).toBe('a');
    expect(call('min', new SetValue([3, 2]))).toBe(2);
    expect(call('max', [])).toBeUndefined();
    expect(call('sort', [3, 'a', 1])).toEqual([1, 3, 'a']);
  });
});

describe('arrays, sets, objects', () => {
  it('slices with clamped bounds', () => {
    expect(call('array.slice', [1, 2, 3, 4], 1, 3)).toEqual([2, 3]);
    expect(call('array.slice', [1, 2, 3], -1, 10)).toEqual([1, 2, 3]);
    expect(call('array.slice', [1, 2, 3], 2, 1)).toEqual([]);
    expect(call('array.slice', [1, 2, 3], -5, 0)).toEqual([]);
    expect(call('array.slice', [], -5, 1)).toEqual([]);
    expect(call('array.concat', [1], [2])).toEqual([1, 2]);
    expect(call('array.reverse', [1, 2])).toEqual([2, 1]);
  });

  it('takes integer slice indices only (OPA IntOperand), undefined outside strict mode', () => {
    const e = errorOf(() => call('array.slice', [5], 1.1, 2));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('array.slice: operand 2 must be integer number but got floating-point number');
    expect(errorOf(() => call('array.slice', [5], 1, 2.1)).message).toBe('array.slice: operand 3 must be integer number but got floating-point number');
    expect(errorOf(() => call('array.slice', [5], '1', 2)).message).toBe('array.slice: operand 2 must be number but got string');
    expect(defaultRegistry.call('array.slice', [[5], 1.1, 2], lax)).toBeUndefined();
  });

  it('intersects and unites sets of sets', () => {
    const ss = new SetValue([new SetValue([1, 2]), new SetValue([2, 3])]);
    expect(call('intersection', ss)).toEqual(new SetValue([2]));
    expect(call('union', ss)).toEqual(new SetValue([1, 2, 3]));
  });

  it('gets by key or path with a default', () => {
    const o = j('{"a":{"b":[10,20]}}');
    expect(call('object.get', o, ['a', 'b', 1], 'd')).toBe(20);
    expect(call('object.get', o, 'x', 'd')).toBe('d');
    expect(call('object.get', o, [], 'd')).toBe(o);
  });

  it('merges recursively with the right side winning', () => {
    const r = call('object.union', j('{"a":{"b":1,"c":2},"d":1}'), j('{"a":{"b":3},"d":{"x":1}}')) as Value;
    expect(toJsonText(r)).toBe('{"a":{"b":3,"c":2},"d":{"x":1}}');
  });

  it('removes and filters keys given as a set, array or object', () => {
    const o = j('{"a":1,"b":{"c":3},"d":4}');
    expect(toJsonText(call('object.remove', o, new SetValue(['b', 'd'])) as Value)).toBe('{"a":1}');
    expect(toJsonText(call('object.remove', o, j('{"b":1,"d":""}')) as Value)).toBe('{"a":1}');
    expect(toJsonText(call('object.filter', o, ['a', 'd']) as Value)).toBe('{"a":1,"d":4}');
    expect(errorOf(() => call('object.remove', j('{"a":1}'), 'a')).message).toBe(
      'object.remove: operand 2 must be one of {object, set, array} but got string',
    );
    expect(errorOf(() => call('object.filter', null, new SetValue(['a']))).message).toBe(
      'object.filter: operand 1 must be object but got null',
    );
  });

  it('checks subsets recursively', () => {
    const sup = j('{"a":"b","c":{"x":[10,15,20,25],"y":"z"}}');
    expect(call('object.subset', sup, j('{"c":{"x":[15,20]}}'))).toBe(true);
    expect(call('object.subset', sup, j('{"c":{"x":[15,25]}}'))).toBe(false);
    expect(call('object.subset', [1, 2, 3], new SetValue([3, 1]))).toBe(true);
  });

  it('filters and removes JSON paths', () => {
    const o = j('{"a":{"b":{"c":7,"d":8}},"e":9,"f":[0,1,2]}');
    expect(toJsonText(call('json.filter', o, ['a/b/c', 'f/2']) as Value)).toBe('{"a":{"b":{"c":7}},"f":[2]}');
    expect(toJsonText(call('json.remove', o, ['a/b/c', ['f', '0']]) as Value)).toBe('{"a":{"b":{"d":8}},"e":9,"f":[1,2]}');
    // OPA names array elements by their index as a string: a numeric segment matches nothing.
    expect(toJsonText(call('json.remove', o, [['f', 0]]) as Value)).toBe(toJsonText(o));
  });

  it('applies JSON patches (RFC 6902)', () => {
    const patch = (doc: string, ops: string) => {
      const r = call('json.patch', j(doc), j(ops));
      return r === undefined ? undefined : toJsonText(r);
    };
    expect(patch('{"a":{"foo":1}}', '[{"op":"add","path":"/a/bar","value":2}]')).toBe('{"a":{"bar":2,"foo":1}}');
    expect(patch('{"a":{"foo":1,"bar":2}}', '[{"op":"remove","path":"/a/bar"}]')).toBe('{"a":{"foo":1}}');
    expect(patch('{"a":{"foo":1},"b":{}}', '[{"op":"move","from":"/a/foo","path":"/b/foo"}]')).toBe('{"a":{},"b":{"foo":1}}');
    expect(patch('{"a":{"foo":1},"b":{}}', '[{"op":"copy","from":"/a/foo","path":"/b/foo"}]')).toBe('{"a":{"foo":1},"b":{"foo":1}}');
    expect(patch('{"arr":[1,2,3]}', '[{"op":"add","path":"/arr/1","value":"x"},{"op":"add","path":"/arr/-","value":9}]')).toBe(
      '{"arr":[1,"x",2,3,9]}',
    );
    expect(patch('{"a":1}', '[{"op":"replace","path":"/a","value":42}]')).toBe('{"a":42}');
    // A patch that does not apply is undefined in OPA, even with strict builtin errors.
    expect(patch('{"a":1}', '[{"op":"test","path":"/a","value":2}]')).toBeUndefined();
    expect(defaultRegistry.call('json.patch', [j('{"a":1}'), j('[{"op":"remove","path":"/zz"}]')], lax)).toBeUndefined();
  });
});

describe('strings', () => {
  it('formats Go verbs like sprintf in OPA', () => {
    expect(sprintf('%s', 123456789123456789123n)).toBe('123456789123456789123');
    expect(sprintf('%s', j('1208925819614629174706175'))).toBe('1208925819614629174706175');
    expect(sprintf('%d items, %s', 3, 'ok')).toBe('3 items, ok');
    expect(sprintf('%s', 5)).toBe('%!s(int=5)');
    expect(sprintf('%q', 'a"b')).toBe('"a\\"b"');
    expect(sprintf('%x %X', 255, 'hi')).toBe('ff 6869');
    expect(sprintf('%f|%.2f|%8.3f|%-6d|%06d', 1.5, 3.14159, 2.5, 42, -42)).toBe('1.500000|3.14|   2.500|42    |-00042');
    expect(sprintf('%v %v %v', ObjectValue.fromRecord({ a: [1, 'x'] }), new SetValue([2, 1]), true)).toBe('{"a": [1, "x"]} {1, 2} true');
    expect(sprintf('%t', true)).toBe('%!t(string=true)');
    expect(sprintf('100%%')).toBe('100%');
    expect(sprintf('%d %d', 1)).toBe('1 %!d(MISSING)');
    expect(sprintf('%d', 1, 'x')).toBe('1%!(EXTRA string=x)');
    expect(sprintf('%v %v %v', 0.00001, 1234567.5, 0.5)).toBe('1e-05 1.2345675e+06 0.5');
    expect(sprintf('%e', 1234.5678)).toBe('1.234568e+03');
  });

  it('works in code points for index and substring', () => {
    expect(call('indexof', '😀abc', 'b')).toBe(2);
    expect(call('indexof_n', 'abab', 'ab')).toEqual([0, 2]);
    expect(call('substring', 'héllo', 1, 3)).toBe('éll');
    expect(call('substring', 'abc', 1, -1)).toBe('bc');
    expect(call('substring', 'abc', 5, 1)).toBe('');
    expect(call('indexof', '', ',')).toBe(-1);
    expect(call('indexof', 'Hello world', 'hel')).toBe(-1);
  });

  it('words concat type errors as OPA does, the separator checked first', () => {
    expect(errorOf(() => call('concat', ',', null)).message).toBe('concat: operand 2 must be one of {set, array} but got null');
    expect(errorOf(() => call('concat', ',', ['a', 1])).message).toBe('concat: operand 2 must be array of strings but got array containing number');
    expect(errorOf(() => call('concat', ',', new SetValue([true]))).message).toBe('concat: operand 2 must be set of strings but got set containing boolean');
    expect(errorOf(() => call('concat', 1, null)).message).toBe('concat: operand 1 must be string but got number');
    expect(errorOf(() => call('concat', ',', 'ab')).code).toBe('eval_type_error');
  });

  it('refuses an empty search string in indexof and indexof_n (eval_builtin_error, undefined when lax)', () => {
    for (const name of ['indexof', 'indexof_n']) {
      const e = errorOf(() => call(name, '', ''));
      expect(e.code).toBe('eval_builtin_error');
      expect(e.message).toBe(`${name}: empty search character`);
      expect(defaultRegistry.call(name, ['abc', ''], lax)).toBeUndefined();
    }
  });

  it('formats integers in bases 2, 8, 10 and 16, truncating floats toward zero', () => {
    expect(call('format_int', -10.765, 2)).toBe('-1010');
    expect(call('format_int', -10.0, 8)).toBe('-12');
    expect(call('format_int', -10.999999999, 10)).toBe('-10');
    expect(call('format_int', 10.9, 16)).toBe('a');
    expect(call('format_int', j('123456789012345678901234567890'), 16)).toBe('18ee90ff6c373e0ee4e3f0ad2');
    const e = errorOf(() => call('format_int', 10, 3));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('format_int: operand 2 must be one of {2, 8, 10, 16}');
    expect(errorOf(() => call('format_int', '10', 2)).message).toBe('format_int: operand 1 must be number but got string');
  });

  it('implements the trim family with Go cutset semantics', () => {
    expect(call('trim', '  xx hi xx  ', ' x')).toBe('hi');
    expect(call('trim_left', 'aab', 'a')).toBe('b');
    expect(call('trim_suffix', 'file.rego', '.rego')).toBe('file');
    expect(call('trim_space', ' \t hi\n')).toBe('hi');
  });

  it('splits, replaces and counts', () => {
    expect(call('split', 'a.b', '.')).toEqual(['a', 'b']);
    expect(call('strings.split_n', 'a.b.c.d', '.', -2)).toEqual(['c', 'd']);
    expect(errorOf(() => call('strings.split_n', 'a.b', '.', 1.5)).code).toBe('eval_type_error');
    expect(call('strings.replace_n', ObjectValue.fromRecord({ a: 'b', b: 'c' }), 'ab')).toBe('bc');
    expect(call('strings.count', 'cheese', 'e')).toBe(3);
    expect(call('strings.count', 'five', '')).toBe(5);
    expect(call('concat', '-', new SetValue(['b', 'a']))).toBe('a-b');
    expect(call('format_int', 255, 16)).toBe('ff');
    expect(call('strings.reverse', 'ab😀')).toBe('😀ba');
  });

  it('matches any prefix/suffix and reports element type errors', () => {
    expect(call('strings.any_prefix_match', ['foo/bar', 'x'], 'foo')).toBe(true);
    expect(call('strings.any_suffix_match', 'file.txt', new SetValue(['.rego', '.txt']))).toBe(true);
    expect(errorOf(() => call('strings.any_prefix_match', [1], 'a')).message).toBe(
      'strings.any_prefix_match: operand 1 must be array of strings but got array containing number',
    );
    expect(errorOf(() => call('strings.any_suffix_match', 'a', 1)).message).toBe(
      'strings.any_suffix_match: operand 2 must be one of {string, set, array} but got number',
    );
  });
});

describe('types, casts, encoding', () => {
  it('names types and answers is_* with false for other types', () => {
    expect(call('type_name', new SetValue())).toBe('set');
    expect(call('is_number', 12345678901234567890n)).toBe(true);
    expect(call('is_string', 1)).toBe(false);
  });

  it('parses numbers exactly', () => {
    expect(call('to_number', '12345678901234567890')).toBe(12345678901234567890n);
    expect(call('to_number', '-1.5')).toBe(-1.5);
    expect(call('to_number', true)).toBe(1);
    expect(call('to_number', null)).toBe(0);
    expect(errorOf(() => call('to_number', 'x')).code).toBe('eval_builtin_error');
  });

  it('encodes and decodes base64, base64url, hex and urlquery', () => {
    expect(call('base64.encode', 'hello')).toBe('aGVsbG8=');
    expect(call('base64.decode', 'aGVsbG8=')).toBe('hello');
    expect(call('base64.is_valid', 'aGVsbG8')).toBe(false);
    expect(call('base64url.encode', '??>')).toBe('Pz8-');
    expect(call('base64url.encode_no_pad', 'a')).toBe('YQ');
    expect(call('hex.encode', 'hi')).toBe('6869');
    expect(call('urlquery.encode', 'a b&c')).toBe('a+b%26c');
    expect(call('urlquery.decode', 'a+b%26c')).toBe('a b&c');
    expect(call('urlquery.encode_object', j('{"b":["1","2"],"a":"x y"}'))).toBe('a=x+y&b=1&b=2');
    expect(toJsonText(call('urlquery.decode_object', 'a=1&a=2&b=') as Value)).toBe('{"a":["1","2"],"b":[""]}');
  });

  it('marshals JSON exactly and unmarshals YAML', () => {
    expect(call('json.marshal', ObjectValue.fromRecord({ b: 12345678901234567890n, a: new SetValue([2, 1]) }))).toBe(
      '{"a":[1,2],"b":12345678901234567890}',
    );
    expect(call('json.unmarshal', '{"x":[1,2]}')).toEqual(j('{"x":[1,2]}'));
    expect(call('json.is_valid', '{')).toBe(false);
    expect(toJsonText(call('yaml.unmarshal', 'a: 1\nb: [x, y]\n') as Value)).toBe('{"a":1,"b":["x","y"]}');
    expect(call('yaml.is_valid', 'a: [')).toBe(false);
    expect(call('yaml.marshal', ObjectValue.fromRecord({ a: 1 }))).toBe('a: 1\n');
  });
});

describe('registry', () => {
  it('rejects a wrong arity with eval_type_error', () => {
    expect(errorOf(() => call('count', 1, 2)).code).toBe('eval_type_error');
  });

  it('makes builtin errors undefined outside strict mode', () => {
    expect(defaultRegistry.call('count', [1], lax)).toBeUndefined();
  });

  it('declares a signature for every builtin', () => {
    // OPA's nullary builtins take no operands; every other builtin declares at least one.
    const nullary = new Set(['opa.runtime', 'time.now_ns']);
    for (const name of defaultRegistry.names()) {
      const def = defaultRegistry.get(name);
      expect(def?.result, name).toBeDefined();
      if (!nullary.has(name)) expect(def?.args.length, name).toBeGreaterThan(0);
    }
  });
});
