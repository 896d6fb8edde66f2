// The `data` document as OPA builds it: rules at a path are its value; a namespace read whole is
// its base document merged with the rules under it (base wins on a non-object conflict); packages
// without rules are empty objects; base documents are read with numbers spelled as text.
import { describe, expect, it } from 'vitest';
import { compilePolicy, type SourceFile } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery, evalRule } from '../../../../src/core/policy/rego/eval.js';
import { parseJson, toJsonText, type Value } from '../../../../src/core/policy/rego/value.js';

function compile(...texts: string[]) {
  return compilePolicy(texts.map((text, i): SourceFile => ({ file: `m${i}.rego`, text })));
}

function value(texts: string[], path: string, data?: string): string | undefined {
  const v = evalRule(compile(...texts), path, data === undefined ? {} : { data: parseJson(data) });
  return v === undefined ? undefined : toJsonText(v);
}

function bound(texts: string[], query: string, name: string, data?: string): string[] {
  const rows = evalQuery(compile(...texts), query, data === undefined ? {} : { data: parseJson(data) });
  return rows.map((r) => toJsonText(r.bindings[name] as Value));
}

describe('base and virtual documents', () => {
  const conflicts = 'package topdown.conflicts\n\nk := "bar"\n';

  it('reads a rule path as the rule, whatever base data holds there', () => {
    expect(value([conflicts], 'data.topdown.conflicts.k', '{"topdown": {"conflicts": {"k": "foo"}}}')).toBe('"bar"');
  });

  it('lets the base document win a non-object conflict when the namespace is read whole (OPA v1 base/virtual: conflicts)', () => {
    expect(bound([conflicts], 'data.topdown.conflicts = x', 'x', '{"topdown": {"conflicts": {"k": "foo"}}}')).toEqual(['{"k":"foo"}']);
    expect(value([conflicts], 'data.topdown', '{"topdown": {"conflicts": {"k": "foo"}}}')).toBe('{"conflicts":{"k":"foo"}}');
  });

  it('merges objects key by key, recursively, when both hold one', () => {
    const src = 'package a\n\nobj := {"x": 1, "y": {"z": 2}}\nq := 3\n';
    const data = '{"a": {"obj": {"w": 0}, "extra": true}}';
    // The rule path itself is the rule's value; the namespace merges base and rules.
    expect(value([src], 'data.a.obj', data)).toBe('{"x":1,"y":{"z":2}}');
    expect(value([src], 'data.a', data)).toBe('{"extra":true,"obj":{"w":0,"x":1,"y":{"z":2}},"q":3}');
  });

  it('keeps base keys beside rules and reads base-only paths below a namespace', () => {
    const src = 'package a.b\n\np := 1\n';
    const data = '{"a": {"b": {"q": 2}, "c": [10, 20]}}';
    expect(value([src], 'data.a', data)).toBe('{"b":{"p":1,"q":2},"c":[10,20]}');
    expect(value([src], 'data.a.b.q', data)).toBe('2');
    expect(value([src], 'data.a.c.1', data)).toBe('20');
    expect(bound([src], 'data.a.b[k] = v', 'k', data)).toEqual(['"p"', '"q"']);
  });

  it('leaves undefined rules out of the namespace object', () => {
    expect(value(['package a\n\np if false\nq := 1\n'], 'data.a')).toBe('{"q":1}');
  });
});

describe('packages without rules', () => {
  const empty = 'package a.b\n\n# this module is empty\n';

  it('are empty objects (OPA v0 fix1863/is defined)', () => {
    const x = 'package x\n\np := y if {\n\ttrue\n\ty := data.a.b\n}\n';
    expect(value([empty, x], 'data.x.p')).toBe('{}');
    expect(bound([empty, x], 'data = x', 'x')).toEqual(['{"a":{"b":{}},"x":{"p":{}}}']);
    expect(value([empty], 'data.a.b')).toBe('{}');
    expect(value([empty], 'data.a')).toBe('{"b":{}}');
  });

  it('merge with base data at their path', () => {
    expect(value([empty], 'data.a', '{"a": {"b": {"k": 1}, "c": 2}}')).toBe('{"b":{"k":1},"c":2}');
    expect(value([empty], 'data.a.b', '{"a": {"b": {"k": 1}}}')).toBe('{"k":1}');
  });

  it('sit beside sibling packages that have rules', () => {
    expect(value([empty, 'package a.c\n\np := 1\n'], 'data.a')).toBe('{"b":{},"c":{"p":1}}');
  });
});

describe('numbers as keys of base documents', () => {
  const data = '{"1": "hello", "1.2": "world", "test": {"2": 100, "2.2": 200}, "play": {"2": 100}}';

  it('read the key spelled as the number, as OPA storage paths do', () => {
    const src = 'package test\n\na := [data[1], data[1.2], data.test[2], data.test[2.2]]\n';
    expect(value([src], 'data.test.a', data)).toBe('["hello","world",100,200]');
  });

  it('do not convert once a value left data (a local copy indexes as it is)', () => {
    const src = 'package test\n\np := v if {\n\tq := data.play\n\tv := q[2]\n}\n';
    expect(value([src], 'data.test.p', data)).toBeUndefined();
  });

  it('do not convert inside a rule value', () => {
    const src = 'package test\n\nobj := {"2": "two"}\n';
    expect(value([src], 'data.test.obj.2')).toBe('"two"');
    expect(bound([src], 'x := data.test.obj[2]', 'x')).toEqual([]);
  });
});

describe('functions in the data document', () => {
  it('evaluates a function without parameters as a value, and conflicts like a complete rule', () => {
    expect(value(['package t\n\nf() := {"a": 1}\n'], 'data.t.f')).toBe('{"a":1}');
    expect(value(['package t\n\nf() := {"a": 1}\nf() := {"a": 1}\n'], 'data.t.f')).toBe('{"a":1}');
    expect(() => value(['package t\n\nf() := {"a": 1}\nf() := {"b": 2}\n'], 'data.t.f')).toThrow(/multiple outputs/);
    expect(value(['package t\n\nf() := 1\n'], 'data.t')).toBe('{"f":1}');
  });

  it('leaves functions with parameters out of the document', () => {
    expect(value(['package t\n\nf(x) := x\np := f(2)\n'], 'data.t')).toBe('{"p":2}');
    expect(value(['package t\n\nf(x) := x\n'], 'data.t.f')).toBeUndefined();
  });
});

describe('with data', () => {
  it('replaces a rule and a namespace for one expression', () => {
    const a = 'package a\n\np := 1\nq := 2\n';
    const b = 'package b\n\nr := x if x := data.a.p with data.a.p as 10\ns := x if x := data.a with data.a as {"z": 0}\nt := data.a\n';
    expect(value([a, b], 'data.b.r')).toBe('10');
    expect(value([a, b], 'data.b.s')).toBe('{"z":0}');
    expect(value([a, b], 'data.b.t')).toBe('{"p":1,"q":2}');
  });
});
