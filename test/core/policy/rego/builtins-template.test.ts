// strings.render_template: Go's text/template over the variables as OPA decodes them. The first
// cases are OPA's own (v1/test/cases/testdata/v1/rendertemplate); the rest pin Go's semantics.
import { describe, expect, it } from 'vitest';
import { TEMPLATE_MAX_DEPTH, TEMPLATE_MAX_STEPS } from '../../../../src/core/policy/rego/builtins/go-template.js';
import { compileModules } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery } from '../../../../src/core/policy/rego/eval.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';
import { ObjectValue, SetValue, type Value } from '../../../../src/core/policy/rego/value.js';
import { call, callIn, errorOf, j, lax } from './builtins-helpers.js';

const render = (tpl: string, vars = '{}'): Value | undefined => call('strings.render_template', tpl, j(vars));
const failure = (tpl: string, vars = '{}'): string => errorOf(() => render(tpl, vars)).message;

describe('strings.render_template (OPA cases)', () => {
  it('renders strings, numbers, ranges and missing keys as OPA does', () => {
    expect(render('{{.test}}', '{"test": "hello world"}')).toBe('hello world');
    expect(render('{{.test}}', '{"test": 2023}')).toBe('2023');
    expect(render('{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}', '{"hellonames": ["rohan", "john doe"]}')).toBe(
      'hello rohan,hello john doe',
    );
    expect(render('{{.testvarnotprovided}}', '{"test": "hello world"}')).toBe('<undefined>');
    expect(render('test {{.foo}} {{.bar}} {{.baz}}', '{"baz": 1}')).toBe('test <undefined> <undefined> 1');
  });

  it('works from Rego', () => {
    const policy = compileModules([parseModule('package t\np := strings.render_template("{{.greeting}}, {{.name}}!", {"greeting": "hi", "name": input.who})\n', { file: 't.rego' })]);
    const rows = evalQuery(policy, 'x = data.t.p', { input: ObjectValue.fromRecord({ who: 'ann' }) });
    expect(rows.map((r) => r.bindings.x)).toEqual(['hi, ann!']);
  });
});

describe('strings.render_template (Go text/template semantics)', () => {
  it('prints values the way fmt prints the decoded JSON', () => {
    expect(render('{{.}}', '{"a": {"b": null}, "c": 1.5, "d": [1, "x", true]}')).toBe('map[a:map[b:<nil>] c:1.5 d:[1 x true]]');
    expect(render('{{.n}} {{.big}}', '{"n": 1.0e3, "big": 123456789012345678901234567890}')).toBe('1000 123456789012345678901234567890');
    expect(render('{{.z}}|{{.a.b}}|{{.a.missing.deeper}}', '{"z": null, "a": {"b": false}}')).toBe('<undefined>|false|<undefined>');
    expect(render('{{1.5}} {{1e6}} {{0x1F}} {{0o17}} {{1_000}} {{\'a\'}} {{-3}} {{"q\\tx"}} {{`raw`}} {{true}}')).toBe('1.5 1e+06 31 15 1000 97 -3 q\tx raw true');
  });

  it('trims around {{- and -}} and drops comments', () => {
    expect(render('a  {{- .x -}}  b {{/* gone */}}c {{- /* gone too */ -}} d', '{"x": "X"}')).toBe('aXb cd');
  });

  it('branches with if / else if / else on Go truth (json.Number is a string kind: "0" is true)', () => {
    const t = '{{if .a}}A{{else if .b}}B{{else}}C{{end}}';
    expect(render(t, '{"a": 1, "b": 1}')).toBe('A');
    expect(render(t, '{"a": "", "b": [0]}')).toBe('B');
    expect(render(t, '{"a": {}, "b": []}')).toBe('C');
    expect(render('{{if .zero}}truthy{{end}}', '{"zero": 0}')).toBe('truthy');
    expect(render('{{with .u}}{{.name}}{{else}}nobody{{end}}|{{with .v}}{{.}}{{else with .w}}w={{.}}{{end}}', '{"u": {"name": "ann"}, "w": 2}')).toBe('ann|w=2');
  });

  it('ranges over arrays, maps in key order and integers, with else, break and continue', () => {
    expect(render('{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', '{"b": 2, "a": 1}')).toBe('a=1;b=2;');
    expect(render('{{range .}}{{.}}{{end}}', '{"b": 2, "a": 1}')).toBe('12');
    expect(render('{{range 3}}{{.}}{{end}}|{{range .e}}x{{else}}empty{{end}}|{{range .missing}}x{{else}}none{{end}}', '{"e": []}')).toBe('012|empty|none');
    expect(render('{{range .a}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}|{{range .a}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', '{"a": ["a", "b", "c"]}')).toBe('a|ac');
    expect(render('{{range $i, $e := .a}}{{$i}}:{{$e}} {{end}}', '{"a": ["x", "y"]}')).toBe('0:x 1:y ');
  });

  it('declares and assigns variables with Go scoping', () => {
    expect(render('{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}')).toBe('2');
    expect(render('{{$.a}}{{range .l}}{{$.a}}{{.}}{{end}}', '{"a": "A", "l": [1, 2]}')).toBe('AA1A2');
    expect(failure('{{if true}}{{$y := 3}}{{end}}{{$y}}')).toBe('strings.render_template: template: template:1: undefined variable "$y"');
  });

  it('defines and calls templates, including blocks', () => {
    expect(render('{{define "T"}}<{{.}}>{{end}}{{template "T" .x}}{{block "B" .y}}[{{.}}]{{end}}{{template "B" "z"}}', '{"x": "X", "y": "Y"}')).toBe('<X>[Y][z]');
  });

  it('provides the builtin functions', () => {
    expect(render('{{len .s}} {{len .a}} {{index .a 1}} {{index .m "k"}} {{index .m "none"}} {{slice .s 1 3}} {{index .s 0}}', '{"s": "héllo", "a": [7, 8], "m": {"k": "v"}}')).toBe(
      '6 2 8 v <undefined> é 104',
    );
    expect(render('{{and 1 0 2}} {{or 0 "" .x}} {{not .x}} {{and .x .y}} {{or .none}}', '{"x": "yes", "y": 0}')).toBe('0 yes false 0 <undefined>');
    expect(render('{{print 1 2 "a" 3}} {{print .n .n}} {{println "x" 1}}{{print .missing}}', '{"n": 3}')).toBe('1 2a3 33 x 1\n<nil>');
    expect(render('{{printf "%05.1f|%d|%s|%v|%q" 3.14159 42 .s .m .s}} {{printf "%d" .n}} {{printf "%s %t" .missing true}}', '{"s": "str", "m": {"b": 1}, "n": 5}')).toBe(
      '003.1|42|str|map[b:1]|"str" %!d(json.Number=5) %!s(<nil>) true',
    );
    expect(render('{{html .h}} {{js .h}} {{urlquery .h}}', `{"h": "<a href='x'>&\\" ="}`)).toBe(
      `&lt;a href=&#39;x&#39;&gt;&amp;&#34; = \\u003Ca href\\u003D\\'x\\'\\u003E\\u0026\\" \\u003D %3Ca+href%3D%27x%27%3E%26%22+%3D`,
    );
    expect(render('{{eq .s "a" "b"}} {{ne 1 2}} {{lt "a" "b"}} {{le 2 2}} {{gt 1.5 2.5}} {{ge .s .s}}', '{"s": "b"}')).toBe('true true true true false true');
    expect(render('{{.x | printf "%q"}} {{"abc" | len}} {{(index .m "k").z}} {{.m.k.z | print "z="}}', '{"x": "q", "m": {"k": {"z": 9}}}')).toBe('"q" 3 9 z=9');
  });

  it('compares json.Number as a string kind: eq with an int constant is an incompatible comparison', () => {
    expect(render('{{eq .n "5"}} {{eq .missing "x"}}', '{"n": 5}')).toBe('true false');
    expect(failure('{{eq .n 5}}', '{"n": 5}')).toBe(
      'strings.render_template: template: template:1:2: executing "template" at <eq .n 5>: error calling eq: incompatible types for comparison',
    );
    expect(failure('{{lt .n 2}}', '{"n": 1}')).toContain('error calling lt: incompatible types for comparison');
  });

  it('reports parse errors as eval_builtin_error with Go texts', () => {
    const e = errorOf(() => render('{{nope}}'));
    expect(e.code).toBe('eval_builtin_error');
    expect(e.message).toBe('strings.render_template: template: template:1: function "nope" not defined');
    expect(failure('x\n{{.x')).toBe('strings.render_template: template: template:2: unclosed action');
    expect(failure('{{if}}{{end}}')).toBe('strings.render_template: template: template:1: missing value for if');
    expect(failure('{{end}}')).toBe('strings.render_template: template: template:1: unexpected {{end}}');
    expect(failure('{{if true}}x')).toBe('strings.render_template: template: template:1: unexpected EOF in if');
    expect(failure('{{break}}')).toBe('strings.render_template: template: template:1: {{break}} outside {{range}}');
    expect(failure('{{print"a"}}')).toBe('strings.render_template: template: template:1: unexpected "\\"a\\"" in operand');
  });

  it('reports execution errors with the location and command, undefined outside strict mode', () => {
    expect(failure('{{.a.b}}', '{"a": null}')).toBe(
      'strings.render_template: template: template:1:2: executing "template" at <.a.b>: nil pointer evaluating interface {}.b',
    );
    expect(failure('ab\n  {{index .a 5}}', '{"a": [1]}')).toBe(
      'strings.render_template: template: template:2:4: executing "template" at <index .a 5>: error calling index: index out of range: 5',
    );
    expect(failure('{{.s.x}}', '{"s": "str"}')).toContain("can't evaluate field x in type interface {}");
    expect(failure('{{template "none"}}')).toContain('template "none" not defined');
    expect(failure('{{range .s}}{{end}}', '{"s": "str"}')).toContain("range can't iterate over str");
    expect(callIn(lax, 'strings.render_template', '{{nope}}', new ObjectValue())).toBeUndefined();
  });

  it('bounds recursion and work', () => {
    expect(failure('{{define "R"}}{{template "R" .}}{{end}}{{template "R" 1}}')).toContain(`exceeded maximum template depth (${TEMPLATE_MAX_DEPTH})`);
    expect(failure('{{range 100000000}}{{end}}')).toContain(`template execution exceeds ${TEMPLATE_MAX_STEPS} steps`);
  });

  it('rejects variables that are not JSON (sets, non-string keys) and checks operand types', () => {
    expect(errorOf(() => call('strings.render_template', '{{.}}', ObjectValue.fromRecord({ s: new SetValue([1]) }))).message).toBe(
      "strings.render_template: invalid character '1' looking for beginning of object key string",
    );
    expect(errorOf(() => call('strings.render_template', '{{.}}', new ObjectValue([[1, 'x']]))).code).toBe('eval_builtin_error');
    const e = errorOf(() => call('strings.render_template', '{{.}}', ['x']));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('strings.render_template: operand 2 must be object but got array');
    expect(errorOf(() => call('strings.render_template', 1, new ObjectValue())).message).toBe(
      'strings.render_template: operand 1 must be string but got number',
    );
  });
});
