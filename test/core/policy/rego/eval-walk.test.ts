// The `walk` relation: one solution per node of a value, as [path, value] with the path an array,
// the value itself first at path [], then depth first with object keys and set elements in order.
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery, evalRule } from '../../../../src/core/policy/rego/eval.js';
import { parseJson, toJsonText, type Value } from '../../../../src/core/policy/rego/value.js';

function policy(text: string) {
  return compilePolicy([{ file: 'w.rego', text }]);
}

function rule(text: string, path: string, opts: { input?: string; data?: string } = {}): string | undefined {
  const v = evalRule(policy(text), path, {
    input: opts.input === undefined ? undefined : parseJson(opts.input),
    data: opts.data === undefined ? undefined : parseJson(opts.data),
  });
  return v === undefined ? undefined : toJsonText(v);
}

describe('walk', () => {
  it('yields every node with its path, the root first, depth first in key order', () => {
    const src = 'package w\n\nimport rego.v1\n\npairs := [pair | walk(input, pair)]\n';
    expect(rule(src, 'w.pairs', { input: '{"b": [1, {"c": 2}], "a": true}' })).toBe(
      '[[[],{"a":true,"b":[1,{"c":2}]}],[["a"],true],[["b"],[1,{"c":2}]],[["b",0],1],[["b",1],{"c":2}],[["b",1,"c"],2]]',
    );
  });

  it('destructures the pair, with patterns in the path', () => {
    const src =
      'package w\n\nimport rego.v1\n\n' +
      'leaves contains [path, v] if {\n\twalk(input, [path, v])\n\tis_number(v)\n}\n' +
      'under_b contains i if walk(input, [["b", i], _])\n';
    const input = '{"b": [1, {"c": 2}], "a": true}';
    expect(rule(src, 'w.leaves', { input })).toBe('[[["b",0],1],[["b",1,"c"],2]]');
    expect(rule(src, 'w.under_b', { input })).toBe('[0,1]');
  });

  it('matches object patterns against the value (regorus walk-loop-index-destructuring)', () => {
    const src = 'package test\n\nresult := [[section, role, members] |\n\twalk(data.doc, [[section, role], {"members": members}])\n]\n';
    const data = '{"doc": {"team": {"ops": {"members": ["alice"]}, "dev": {"members": ["bob"]}}}}';
    expect(rule(src, 'test.result', { data })).toBe('[["team","dev",["bob"]],["team","ops",["alice"]]]');
  });

  it('walks sets with each element as its own key', () => {
    const src = 'package w\n\nimport rego.v1\n\npaths := [p | walk({"s": {"x", "y"}}, [p, _])]\n';
    expect(rule(src, 'w.paths')).toBe('[[],["s"],["s","x"],["s","y"]]');
  });

  it('iterates when its value is assigned or used as a term', () => {
    const src =
      'package w\n\nimport rego.v1\n\n' +
      'assigned := [p | [p, v] := walk([7, 8]); v == 8]\n' +
      'counted := count([x | x := walk({"a": {"b": 1}})])\n';
    expect(rule(src, 'w.assigned')).toBe('[[1]]');
    expect(rule(src, 'w.counted')).toBe('3');
  });

  it('gives one row per node in a query, with the bindings of the output pattern', () => {
    const p = policy('package w\n');
    const rows = evalQuery(p, 'walk(input, [path, 2])', { input: parseJson('{"a": 2, "b": [2, 3]}') });
    expect(rows.map((r) => toJsonText(r.bindings.path as Value))).toEqual(['["a"]', '["b",0]']);
    expect(evalQuery(p, 'walk(input)', { input: parseJson('[1]') })).toHaveLength(2);
  });

  it('counts its steps against the evaluation budget', () => {
    const src = 'package w\n\nimport rego.v1\n\nn := count([1 | walk(numbers.range(1, 5000), _)])\n';
    expect(rule(src, 'w.n')).toBe('5001');
    expect(() => evalRule(policy(src), 'w.n', { maxSteps: 1000 })).toThrow(/exceeded 1000 steps/);
  });
});
