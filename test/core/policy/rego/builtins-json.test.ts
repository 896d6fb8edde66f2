// json.filter, json.remove and json.patch against OPA's semantics (topdown/json.go and its edit
// tree): exact keys, array elements named by their index as a string, sets addressed by member,
// and patches that fail being undefined rather than errors.
import { describe, expect, it } from 'vitest';
import { ObjectValue, SetValue, equals, formatValue, type Value } from '../../../../src/core/policy/rego/value.js';
import { call, callIn, errorOf, j, lax } from './builtins-helpers.js';

const show = (v: Value | undefined): string | undefined => (v === undefined ? undefined : formatValue(v));

describe('json.filter', () => {
  const obj = j('{"a": 5, "b": {"c": {"d": 6}, "d": 7}, "c": 8}');
  const s = j('{"a": [[1, [7, 8, 9], 2], {"a": 1, "b": 2, "c": 3}]}');
  const t = ObjectValue.fromRecord({ a: new SetValue([1, 2, new SetValue(['x']), new SetValue([8, 9, 10])]) });

  it('keeps the named paths, given as strings or segment arrays, in a set or an array', () => {
    expect(show(call('json.filter', obj, ['a', 'b/c']))).toBe('{"a": 5, "b": {"c": {"d": 6}}}');
    expect(show(call('json.filter', obj, new SetValue(['c', ['b', 'd']])))).toBe('{"b": {"d": 7}, "c": 8}');
    expect(show(call('json.filter', s, ['a/0/1/2', ['a', '0', '2'], 'a/0/1/1']))).toBe('{"a": [[[8, 9], 2]]}');
  });

  it('names array elements only by their index as a string (a number segment keeps nothing)', () => {
    expect(show(call('json.filter', s, [['a', 1]]))).toBe('{"a": []}');
    expect(show(call('json.filter', s, [['a', '1']]))).toBe('{"a": [{"a": 1, "b": 2, "c": 3}]}');
  });

  it('addresses set members by value, filtering inside them', () => {
    expect(show(call('json.filter', t, [['a', 1]]))).toBe('{"a": {1}}');
    expect(show(call('json.filter', t, [['a', new SetValue(['x'])]]))).toBe('{"a": {{"x"}}}');
    expect(show(call('json.filter', t, [['a', new SetValue([8, 9, 10]), 9]]))).toBe('{"a": {{9}}}');
  });

  it('keeps a scalar reached before the path ends, lets a shorter path win, and skips empty paths', () => {
    expect(show(call('json.filter', obj, ['a/x/y']))).toBe('{"a": 5}');
    expect(show(call('json.filter', obj, ['b/c/d', 'b']))).toBe('{"b": {"c": {"d": 6}, "d": 7}}');
    expect(show(call('json.filter', obj, ['', []]))).toBe('{}');
    expect(show(call('json.filter', j('{"1": "s"}'), [[1]]))).toBe('{}');
  });

  it('raises OPA type errors for bad operands', () => {
    expect(errorOf(() => call('json.filter', obj, 'a')).message).toBe('json.filter: operand 2 must be one of {set, array} but got string');
    const e = errorOf(() => call('json.filter', obj, [1]));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('json.filter: operand 2 must be one of {set, array} containing string paths or array of path segments but got number');
    expect(errorOf(() => call('json.filter', [], ['a'])).message).toBe('json.filter: operand 1 must be object but got array');
  });
});

describe('json.remove', () => {
  it('drops the named paths, closing gaps in arrays', () => {
    const o = j('{"a": {"b": {"c": 7, "d": 8}}, "e": 9, "f": [0, 1, 2]}');
    expect(show(call('json.remove', o, ['a/b/c', 'f/1']))).toBe('{"a": {"b": {"d": 8}}, "e": 9, "f": [0, 2]}');
    expect(show(call('json.remove', o, new SetValue([['e'], '/a'])))).toBe('{"f": [0, 1, 2]}');
    expect(show(call('json.remove', o, [['f', 1]]))).toBe(show(o));
  });

  it('removes set members by value', () => {
    const o = ObjectValue.fromRecord({ s: new SetValue(['x', 'y']) });
    expect(show(call('json.remove', o, [['s', 'x']]))).toBe('{"s": {"y"}}');
  });
});

describe('json.patch', () => {
  const patch = (doc: string | Value, ops: string): string | undefined =>
    show(call('json.patch', typeof doc === 'string' ? j(doc) : doc, j(ops)));

  it('applies add, remove, replace, move, copy and test', () => {
    expect(patch('{"a": {"foo": 1}}', '[{"op": "add", "path": "/a/bar", "value": 2}, {"op": "replace", "path": "/a/foo", "value": 42}]')).toBe(
      '{"a": {"bar": 2, "foo": 42}}',
    );
    expect(patch('{"a": {"foo": 1}, "b": {}}', '[{"op": "move", "from": "/a/foo", "path": "/b/foo"}]')).toBe('{"a": {}, "b": {"foo": 1}}');
    expect(patch('{"a": {"foo": 1}, "b": {}}', '[{"op": "copy", "from": "/a/foo", "path": "/b/foo"}]')).toBe('{"a": {"foo": 1}, "b": {"foo": 1}}');
    expect(patch('{"arr": [1, 2, 3]}', '[{"op": "add", "path": "/arr/1", "value": "x"}, {"op": "add", "path": "/arr/-", "value": 4}, {"op": "remove", "path": "/arr/0"}]')).toBe(
      '{"arr": ["x", 2, 3, 4]}',
    );
    expect(patch('{"foo/bar": {"baz~": 1}}', '[{"op": "add", "path": "/foo~1bar/baz~0test", "value": 2}]')).toBe('{"foo/bar": {"baz~": 1, "baz~test": 2}}');
    expect(patch('{"a": {"foo": 1}}', '[{"op": "test", "path": "/a/foo", "value": 1}]')).toBe('{"a": {"foo": 1}}');
    expect(patch('{"a": 1}', '[]')).toBe('{"a": 1}');
  });

  it('patches any value, replaces and restores the root, and is undefined once the root is removed', () => {
    expect(patch('"x"', '[{"op": "add", "path": "", "value": [1]}]')).toBe('[1]');
    expect(patch('{"a": 1}', '[{"op": "replace", "path": "", "value": 2}]')).toBe('2');
    expect(patch('{"a": 1}', '[{"op": "remove", "path": ""}]')).toBeUndefined();
    expect(patch('{"a": 1}', '[{"op": "remove", "path": ""}, {"op": "add", "path": "", "value": {"b": 2}}]')).toBe('{"b": 2}');
    expect(patch('{"a": 1}', '[{"op": "remove", "path": ""}, {"op": "add", "path": "/b", "value": 2}]')).toBeUndefined();
  });

  it('addresses set members by value; an added member must equal its key', () => {
    const set = new SetValue(['a', 'b', 'c']);
    expect(patch(set, '[{"op": "add", "path": ["d"], "value": "d"}]')).toBe('{"a", "b", "c", "d"}');
    expect(patch(set, '[{"op": "remove", "path": ["b"]}]')).toBe('{"a", "c"}');
    expect(patch(set, '[{"op": "move", "from": ["a"], "path": ["a"]}]')).toBe('{"a", "b", "c"}');
    expect(patch(set, '[{"op": "replace", "path": ["a"], "value": "z"}]')).toBeUndefined();
    expect(patch(set, '[{"op": "remove", "path": ["z"]}]')).toBeUndefined();
  });

  it('reaches into set members, replacing the member it changes', () => {
    const member = j('{"a": [1]}');
    const target = new SetValue([member]);
    const copied = call('json.patch', target, [ObjectValue.fromRecord({ op: 'copy', from: [member, 'a', 0], path: [member, 'a', '-'] })]);
    expect(equals(copied as Value, new SetValue([j('{"a": [1, 1]}')]))).toBe(true);
    const m2 = j('{"a": [1, 2]}');
    const tested = call('json.patch', new SetValue([m2]), [ObjectValue.fromRecord({ op: 'test', path: [m2, 'a', 1], value: 2 })]);
    expect(equals(tested as Value, new SetValue([m2]))).toBe(true);
    // Removing 2 changes the member, so the add that follows no longer finds it.
    expect(call('json.patch', new SetValue([m2]), [ObjectValue.fromRecord({ op: 'replace', path: [m2, 'a', 1], value: 9 })])).toBeUndefined();
  });

  it('takes array indices as integers or decimal strings without leading zeros', () => {
    expect(patch('[1, 2]', '[{"op": "remove", "path": [1]}]')).toBe('[1]');
    expect(patch('[1, 2]', '[{"op": "remove", "path": "/1"}]')).toBe('[1]');
    expect(patch('[1, 2]', '[{"op": "remove", "path": [-1]}]')).toBeUndefined();
    expect(patch('[1, 2]', '[{"op": "remove", "path": [999999999999999999999999999999999999]}]')).toBeUndefined();
    expect(patch('[1, 2]', '[{"op": "remove", "path": "/01"}]')).toBeUndefined();
    expect(patch('[1, 2]', '[{"op": "remove", "path": "/-"}]')).toBeUndefined();
    expect(patch('[1, 2]', '[{"op": "remove", "path": [0.5]}]')).toBeUndefined();
    expect(patch('[1, 2]', '[{"op": "add", "path": "/3", "value": 0}]')).toBeUndefined();
    expect(patch('[1, 2]', '[{"op": "add", "path": "/2", "value": 0}]')).toBe('[1, 2, 0]');
  });

  it('matches object keys exactly', () => {
    const o = new ObjectValue([[1, 'num']]);
    expect(show(call('json.patch', o, [ObjectValue.fromRecord({ op: 'remove', path: [1] })]))).toBe('{}');
    expect(show(call('json.patch', o, j('[{"op": "remove", "path": "/1"}]')))).toBeUndefined();
  });

  it('is undefined, not an error, for malformed patches and ones that do not apply', () => {
    for (const ops of [
      '[{"path": "/a", "value": 1}]',
      '[{"op": "add", "value": 1}]',
      '[{"op": "add", "path": "/a"}]',
      '[{"op": "move", "path": "/a"}]',
      '[{"op": 1, "path": {}, "value": 1}]',
      '[{"op": "add", "path": 7, "value": 1}]',
      '[{"op": "frobnicate", "path": "/a"}]',
      '[1]',
      '[{"op": "test", "path": "/a", "value": 2}]',
      '[{"op": "remove", "path": "/missing"}]',
      '[{"op": "add", "path": "/x/y", "value": 1}]',
    ]) {
      expect(patch('{"a": 1}', ops), ops).toBeUndefined();
    }
    expect(patch('{"a": {"b": 1}}', '[{"op": "move", "from": "/a", "path": "/a/c"}]')).toBeUndefined();
    expect(callIn(lax, 'json.patch', j('{"a": 1}'), j('[{"op": "remove", "path": "/zz"}]'))).toBeUndefined();
  });

  it('leaves its input untouched and type-checks the patch list', () => {
    const original = j('{"a": [1, 2, 3]}');
    expect(call('json.patch', original, j('[{"op": "remove", "path": "/a/0"}, {"op": "remove", "path": "/missing"}]'))).toBeUndefined();
    expect(show(original)).toBe('{"a": [1, 2, 3]}');
    const e = errorOf(() => call('json.patch', original, j('{}')));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('json.patch: operand 2 must be array but got object');
  });
});
