import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../../src/core/errors.js';
import type { CallTerm, Expr, Module, Term } from '../../../../src/core/policy/rego/ast.js';
import { ruleKind } from '../../../../src/core/policy/rego/ast.js';
import { formatModule } from '../../../../src/core/policy/rego/format.js';
import { parseModule, parseQuery } from '../../../../src/core/policy/rego/parser.js';

const mod = (body: string, v?: 'v0' | 'v1'): Module =>
  parseModule(`package p\n\n${body}\n`, { file: 'p.rego', ...(v ? { regoVersion: v } : {}) });

function parseError(text: string, opts: { regoVersion?: 'v0' | 'v1' | 'auto' } = {}): WardenError {
  try {
    parseModule(text, { file: 'bad.rego', ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    return err as WardenError;
  }
  throw new Error('expected a parse error');
}

/** Renders an infix tree with explicit parentheses. */
function shape(t: Term): string {
  if (t.type === 'call' && t.infix) return `(${t.args.map(shape).join(` ${t.infix} `)})`;
  if (t.type === 'var') return t.name;
  if (t.type === 'number') return t.text;
  if (t.type === 'ref') return t.terms.map((x) => (x.type === 'string' ? x.value : shape(x))).join('.');
  return t.type;
}
const exprTerm = (e: Expr): Term => e.value as Term;

describe('parseModule', () => {
  it('parses ref heads with a variable key and a value', () => {
    const m = mod('a.b[c] := x if {\n\tx := input[c]\n}');
    const h = m.rules[0].head;
    expect(h.ref.terms.map((t) => (t.type === 'var' ? t.name : t.type === 'string' ? t.value : 'term'))).toEqual(['a', 'b', 'c']);
    expect(h.value?.type).toBe('var');
    expect(ruleKind(m.rules[0])).toBe('complete');
  });

  it('classifies contains rules as multi-value and functions by their args', () => {
    const m = mod('deny contains msg if {\n\tmsg := "x"\n}\n\nf(x) := y if y := x + 1');
    expect(ruleKind(m.rules[0])).toBe('multi-value');
    expect(ruleKind(m.rules[1])).toBe('function');
    expect(m.rules[1].inlineBody).toBe(true);
  });

  it('parses else chains with values and bodies', () => {
    const m = mod('r := 1 if {\n\tinput.a\n} else := 2 if {\n\tinput.b\n} else := 3');
    const r = m.rules[0];
    expect(r.else?.head.value).toMatchObject({ type: 'number', text: '2' });
    expect(r.else?.else?.head.value).toMatchObject({ type: 'number', text: '3' });
    expect(r.else?.else?.generatedBody).toBe(true);
  });

  it('parses some k, v in x and every as declarations', () => {
    const m = mod('p if {\n\tsome k, v in input.xs\n\tevery x in v { x > k }\n}');
    const [some, every] = m.rules[0].body;
    expect(some.value.type).toBe('some');
    const sym = (some.value as { symbols: Term[] }).symbols[0] as CallTerm;
    expect(sym.args).toHaveLength(3);
    expect(every.value).toMatchObject({ type: 'every', value: { name: 'x' } });
  });

  it('keeps raw strings verbatim and number literals as written', () => {
    const m = mod('p := [`a\\d+\n"x"`, 18446744073709551617, 1.10, -0.5e-3]');
    const arr = m.rules[0].head.value as { items: Term[] };
    expect(arr.items[0]).toMatchObject({ type: 'string', value: 'a\\d+\n"x"', raw: true });
    expect(arr.items.slice(1).map((t) => (t.type === 'number' ? t.text : ''))).toEqual([
      '18446744073709551617',
      '1.10',
      '-0.5e-3',
    ]);
  });

  it('collects comments and ignores them as syntax', () => {
    const m = mod('# leading\np if { # trailing\n\tinput.x # after\n}');
    expect(m.comments.map((c) => c.text)).toEqual([' leading', ' trailing', ' after']);
    expect(m.rules[0].body).toHaveLength(1);
  });

  it('joins an expression spread over several lines', () => {
    const m = mod('p if {\n\tx := [\n\t\t1,\n\t\t2,\n\t]\n\tcount(\n\t\tx,\n\t) == 2\n}');
    expect(m.rules[0].body).toHaveLength(2);
  });

  it('follows OPA operator precedence', () => {
    const q = parseQuery('x := 1 + 2 * 3 == 7 | 1 & 2');
    expect(shape(exprTerm(q[0]))).toBe('(x := ((1 + (2 * 3)) == (7 | (1 & 2))))');
    expect(shape(exprTerm(parseQuery('a - b - c')[0]))).toBe('((a - b) - c)');
    expect(shape(exprTerm(parseQuery('x in xs == 1')[0]))).toBe('(x in (xs == 1))');
  });

  it('reads {} as an empty object, set() as an empty set and {a | b} as a comprehension', () => {
    const m = mod('a := {}\n\nb := set()\n\nc := {x | x := 1}\n\nd := {1, 2}\n\ne := {"k": 1}');
    expect(m.rules.map((r) => r.head.value?.type)).toEqual(['object', 'set', 'setcompr', 'set', 'object']);
  });

  it('turns _ into distinct generated vars', () => {
    const q = parseQuery('input.a[_] = input.b[_]');
    const call = exprTerm(q[0]) as CallTerm;
    const names = call.args.map((a) => ((a as { terms: Term[] }).terms[2] as { name: string }).name);
    expect(names[0]).not.toBe(names[1]);
  });

  it('parses queries separated by ; or newlines', () => {
    expect(parseQuery('data.x.allow')).toHaveLength(1);
    expect(parseQuery('x := input.a; x > 1')).toHaveLength(2);
    expect(parseQuery('x := input.a\nx > 1')).toHaveLength(2);
  });

  it('detects v0 modules and parses their rule forms', () => {
    const m = parseModule('package x\n\np[x] { x := 1 }\n\nq = 1 { true }\n\nr { true }\n', { file: 'v0.rego' });
    expect(m.regoVersion).toBe('v0');
    expect(m.rules.map(ruleKind)).toEqual(['multi-value', 'complete', 'complete']);
  });

  it('treats v1 keywords as identifiers in v0 unless imported', () => {
    expect(mod('contains(a, b) { a == b }', 'v0').rules[0].head.args).toHaveLength(2);
    expect(() => mod('p { some x in [1] }', 'v0')).toThrow(WardenError);
    expect(() => parseModule('package p\nimport future.keywords.in\np { some x in [1] }', { regoVersion: 'v0' })).not.toThrow();
  });
});

describe('parse errors', () => {
  it('require if and contains in v1', () => {
    expect(parseError('package p\nimport rego.v1\np { true }').message).toMatch(/`if` keyword is required/);
    expect(parseError('package p\np[x] if { x := 1 }\nq[y]', { regoVersion: 'v1' }).message).toMatch(
      /`contains` keyword is required/,
    );
  });

  it('carry code, file:line:col and a caret snippet', () => {
    const err = parseError('package p\n\np if {\n\tx := [1, 2\n}\n');
    expect(err.code).toBe('rego_parse_error');
    expect(err.location).toEqual({ file: 'bad.rego', line: 5, col: 1 });
    expect(err.hint).toContain('}\n^');
    expect(err.format()).toContain('bad.rego:5:1');
  });

  it('point at an unterminated string', () => {
    const err = parseError('package p\np := "abc\n');
    expect(err.location).toMatchObject({ line: 2, col: 6 });
    expect(err.message).toMatch(/non-terminated string/);
  });

  it('reject a missing package, a leading zero and a broken body', () => {
    expect(parseError('p := 1').message).toMatch(/package expected/);
    expect(parseError('package p\np := 01').message).toMatch(/leading zero/);
    expect(parseError('package p\np if { x | }').code).toBe('rego_parse_error');
  });

  it('bound nesting depth with a coded error instead of a crash', () => {
    const deep = `package p\np := ${'['.repeat(20000)}${']'.repeat(20000)}`;
    const err = parseError(deep);
    expect(err.code).toBe('rego_parse_error');
    expect(err.message).toMatch(/recursion depth/);
  });

  it('stay linear on many nested comprehension-like brackets', () => {
    const text = `package p\np := ${'[a | '.repeat(200)}`;
    expect(parseError(text).code).toBe('rego_parse_error');
  });

  it('never throw anything but WardenError on garbage', () => {
    const samples = ['', '\u0000', 'package', 'package p\n{', 'package p\np := {1: }', 'package p\np if not', 'package p\nf(', '`', 'package p\nimport foo.bar'];
    for (const s of samples) {
      try {
        parseModule(s);
      } catch (err) {
        expect(err, JSON.stringify(s)).toBeInstanceOf(WardenError);
      }
    }
  });
});

describe('Rego version detection', () => {
  it("'auto' takes a module that is only valid v0 as v0, and anything valid v1 as v1", () => {
    expect(parseModule('package p\np { true }', { regoVersion: 'auto' }).regoVersion).toBe('v0');
    const both = parseModule('package p\np := 1', { regoVersion: 'auto' });
    expect(both.regoVersion).toBe('v1');
    expect(both.parsesAsV0).toBeUndefined();
  });

  it('marks a module valid in both syntaxes by default (the compiler then checks it as v0)', () => {
    expect(parseModule('package p\np := 1').parsesAsV0).toBe(true);
    expect(parseModule('package p\np := 1 if true').parsesAsV0).toBeUndefined();
    expect(parseModule('package p\nimport rego.v1\np := 1').parsesAsV0).toBeUndefined();
  });

  it('never falls back to v0 for a module importing rego.v1', () => {
    expect(parseError('package p\nimport rego.v1\np { true }', { regoVersion: 'auto' }).message).toMatch(/`if` keyword is required/);
  });

  it('hints at --v0-compatible when a v0 module is parsed as v1', () => {
    const err = parseError('package p\n\np { true }', { regoVersion: 'v1' });
    expect(err.message).toMatch(/`if` keyword is required/);
    expect(err.hint).toBe('\np { true }\n^\nthis module is valid Rego v0: parse it as v0 (warden policy … --v0-compatible)');
  });

  it('hints at dropping --v0-compatible when a v1 module is parsed as v0', () => {
    expect(parseError('package p\n\np if { true }', { regoVersion: 'v0' }).hint).toMatch(/valid Rego v1: parse it as v1 \(drop --v0-compatible\)$/);
  });

  it('quotes the v0 error when the module gets further as v0 than as v1', () => {
    const err = parseError('package p\n\np { every := 1 }\n\nq { x := [1, }', { regoVersion: 'auto' });
    expect(err.location).toMatchObject({ line: 3 });
    expect(err.hint?.split('\n').pop()).toMatch(/^as Rego v0 the module gets further and fails at 5:\d+: .+ \(--v0-compatible parses it as v0 only\)$/);
  });

  it('adds no hint to a plain v1 syntax error', () => {
    const err = parseError('package p\n\np if { x := [1, }', { regoVersion: 'auto' });
    expect(err.hint?.split('\n')).toHaveLength(3);
  });
});

describe('formatModule', () => {
  it('prints canonical v1 text', () => {
    const src = 'package  x\nimport future.keywords.in\np[x]{x:=input.a[_]}\nq = 1 { input.b; 1+2*3 == 7 }\nr := (1 + 2) * 3';
    const out = formatModule(src, { regoVersion: 'v0' });
    expect(out).toBe(
      'package x\n\np contains x if {\n\tx := input.a[_]\n}\n\nq := 1 if {\n\tinput.b\n\t1 + 2 * 3 == 7\n}\n\nr := (1 + 2) * 3\n',
    );
    expect(formatModule(out)).toBe(out);
  });

  it('keeps comments, else chains and inline bodies', () => {
    const src = '# top\npackage x\n\n# about p\np := 1 if input.a # why\n\nf(x) := "a" if {\n\tx > 1 # big\n} else := "b"\n';
    expect(formatModule(src)).toBe(src);
  });

  it('parenthesizes where precedence requires it', () => {
    const out = formatModule('package x\n\np := a - (b - c)\n\nq := [(x | y), 2]\n');
    expect(out).toContain('p := a - (b - c)');
    expect(out).toContain('q := [(x | y), 2]');
    expect(formatModule(out)).toBe(out);
  });
});
