// Property tests for bad input: random and mutated Rego (OPA's conformance modules with characters
// and tokens deleted, inserted, swapped) must parse and compile to a result or a coded, located
// WardenError — never another exception, never a hang — and random small queries over small data
// must evaluate to rows or a coded WardenError within the step bound.
//
// Runs are seeded (FUZZ_SEED, default fixed) so a failure reproduces; FUZZ_RUNS scales the count.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../../src/core/errors.js';
import { compilePolicy, type CompiledPolicy } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery, evalRule } from '../../../../src/core/policy/rego/eval.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';
import { fromJson } from '../../../../src/core/policy/rego/value.js';
import { CONFORMANCE_MISSING, conformanceModules } from './conformance-modules.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true } as const;

const DATA = fromJson({ a: [1, 2, 3], b: { x: 'y', n: 0 }, s: 'hello', z: null, f: 1.5 });
const INPUT = fromJson({ user: 'alice', roles: ['admin', 'dev'], n: 3, tags: { eu: true } });

type Outcome = 'ok' | `error:${string}`;

/** Runs `fn`; a thrown value must be a WardenError with a code (and a location when `located`). */
function outcome(fn: () => unknown, located: boolean): Outcome {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof WardenError)) {
      throw new Error(`threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
    expect(e.code).toMatch(/^[a-z_]+$/);
    if (located) {
      expect(e.location?.file).toBeTypeOf('string');
      expect(e.location?.line).toBeGreaterThanOrEqual(1);
      expect(e.location?.col).toBeGreaterThanOrEqual(1);
    }
    return `error:${e.code}`;
  }
}

/**
 * Parse, then (when it parsed) compile: both must end in a result or a located WardenError. A
 * policy that compiles is evaluated whole (bounded steps): rows or a coded WardenError.
 */
function checkSource(text: string): Outcome {
  const parsed = outcome(() => parseModule(text, { file: 'fuzz.rego' }), true);
  if (parsed !== 'ok') return parsed;
  let policy: CompiledPolicy | undefined;
  const compiled = outcome(() => (policy = compilePolicy([{ file: 'fuzz.rego', text }])), true);
  if (compiled !== 'ok' || !policy) return compiled;
  const p = policy;
  return outcome(() => evalRule(p, 'data', { input: INPUT, maxSteps: 20_000 }), false);
}

// -----------------------------------------------------------------------------------------------
// Inputs

const modules = conformanceModules('v1')
  .map((m) => m.text)
  .filter((t) => t.length < 4000);

/** Tokens that steer mutations toward the grammar's corners. */
const TOKENS = [
  'package', 'import', 'rego.v1', 'future.keywords', 'if', 'else', 'default', 'contains', 'in', 'some',
  'every', 'not', 'with', 'as', 'data', 'input', ':=', '=', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*',
  '/', '%', '|', '&', '{', '}', '[', ']', '(', ')', ',', ';', ':', '.', '_', '"', '`', '#', '\n', '\t', ' ',
  '0', '1.5e3', '-0', '1e400', '"\\u00e9"', '"\\q"', '`raw`', 'true', 'false', 'null', 'x', 'p', 'f(x)',
  'count', 'sprintf', 'x[_]', '{x | x := 1}', '[x | x := 1]', '{k: v | some k, v in {}}', 'print',
  '\u0000', '\uFFFF', '\uD800', 'é', '\r\n',
];

const rawRego = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((ts) => ts.join(' '));

const rawText = fc.string({ unit: fc.constantFrom(...'package a\n{}[]()|:=;,."`#\\ifx0-_ \t'.split('')), maxLength: 200 });

type Mutation =
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'duplicate'; at: number; len: number }
  | { kind: 'dropToken'; nth: number }
  | { kind: 'swapTokens'; nth: number; other: number };

const position = fc.nat({ max: 1_000_000 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: position, len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })) }),
  fc.record({ kind: fc.constant('swap' as const), at: position, other: position }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('dropToken' as const), nth: position }),
  fc.record({ kind: fc.constant('swapTokens' as const), nth: position, other: position }),
);

/** Splits into word, number, string, operator and whitespace pieces (joined back losslessly). */
function pieces(text: string): string[] {
  return text.match(/"(?:[^"\\\n]|\\.)*"|`[^`]*`|[A-Za-z_][A-Za-z0-9_]*|\d[\d.eE+-]*|:=|==|!=|<=|>=|\s+|./gs) ?? [];
}

function mutate(text: string, m: Mutation): string {
  const n = Math.max(1, text.length);
  switch (m.kind) {
    case 'delete': {
      const at = m.at % n;
      return text.slice(0, at) + text.slice(at + m.len);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'swap': {
      const a = m.at % n;
      const b = m.other % n;
      const cs = [...text];
      if (a < cs.length && b < cs.length) [cs[a], cs[b]] = [cs[b], cs[a]];
      return cs.join('');
    }
    case 'duplicate': {
      const at = m.at % n;
      return text.slice(0, at) + text.slice(at, at + m.len) + text.slice(at);
    }
    case 'dropToken': {
      const ps = pieces(text);
      ps.splice(m.nth % Math.max(1, ps.length), 1);
      return ps.join('');
    }
    case 'swapTokens': {
      const ps = pieces(text);
      if (ps.length > 1) {
        const a = m.nth % ps.length;
        const b = m.other % ps.length;
        [ps[a], ps[b]] = [ps[b], ps[a]];
      }
      return ps.join('');
    }
  }
}

const mutatedModule = fc
  .tuple(fc.nat({ max: Math.max(0, modules.length - 1) }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([i, ms]) => ms.reduce((t, m) => mutate(t, m), modules[i] ?? 'package a\n'));

// -----------------------------------------------------------------------------------------------
// Queries over small data

const POLICY = `package lib
import rego.v1
double(x) := x * 2
roles contains r if some r in input.roles
p := count(data.a)
q[k] := v if some k, v in data.b
`;

const scalar = fc.oneof(
  fc.constantFrom('0', '1', '-1', '2.5', '1e3', '"a"', '"hello"', '""', 'true', 'false', 'null', '{}', '[]', 'set()'),
  fc.integer({ min: -5, max: 5 }).map(String),
);
const ref = fc.constantFrom(
  'data.a', 'data.a[0]', 'data.a[_]', 'data.b', 'data.b.x', 'data.b[k]', 'data.s', 'data.z', 'data.f', 'data.missing',
  'input', 'input.user', 'input.roles[i]', 'input.n', 'input.tags', 'data.lib.p', 'data.lib.q', 'data.lib.roles',
  'x', 'y', 'i', 'k',
);

const term: fc.Arbitrary<string> = fc.letrec<{ t: string }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    ref,
    fc.tuple(tie('t'), fc.constantFrom('+', '-', '*', '/', '%', '&', '|'), tie('t')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.array(tie('t'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
    fc.array(tie('t'), { minLength: 1, maxLength: 3 }).map((xs) => `{${xs.join(', ')}}`),
    fc.tuple(tie('t'), tie('t')).map(([a, b]) => `{${a}: ${b}}`),
    fc
      .tuple(
        fc.constantFrom('count', 'sum', 'max', 'sort', 'concat', 'startswith', 'sprintf', 'object.get', 'data.lib.double', 'to_number', 'is_string', 'array.slice', 'numbers.range', 'split', 'upper'),
        fc.array(tie('t'), { maxLength: 3 }),
      )
      .map(([f, args]) => `${f}(${args.join(', ')})`),
    fc.tuple(tie('t'), ref).map(([a, r]) => `[${a} | some x in ${r}]`),
    fc.tuple(tie('t'), ref).map(([a, r]) => `{${a} | some x in ${r}}`),
  ),
})).t;

const expr = fc.oneof(
  term,
  fc.tuple(fc.constantFrom('x', 'y', 'k', '[x, y]'), fc.constantFrom(':=', '='), term).map(([v, op, t]) => `${v} ${op} ${t}`),
  fc.tuple(term, fc.constantFrom('==', '!=', '<', '>=', 'in'), term).map(([a, op, b]) => `${a} ${op} ${b}`),
  fc.tuple(fc.constantFrom('x', 'k, x'), ref).map(([v, r]) => `some ${v} in ${r}`),
  term.map((t) => `not ${t}`),
  fc.tuple(ref, term).map(([r, t]) => `every x in ${r} { x != ${t} }`),
  fc.tuple(term, term).map(([t, v]) => `${t} with input.n as ${v}`),
);

const query = fc.array(expr, { minLength: 1, maxLength: 4 }).map((es) => es.join('; '));

// -----------------------------------------------------------------------------------------------

describe('fuzzing the Rego front end', () => {
  // The mutation corpus is OPA's conformance modules: skipped only where they are absent outside CI.
  it.skipIf(CONFORMANCE_MISSING)('finds conformance modules to mutate', () => {
    expect(modules.length).toBeGreaterThan(500);
  });

  it('returns or throws a located WardenError for random token soup', () => {
    fc.assert(
      fc.property(rawRego, (text) => {
        checkSource(text);
        checkSource(`package fuzz\n${text}`);
      }),
      params,
    );
  }, 30_000);

  it('returns or throws a located WardenError for random characters', () => {
    fc.assert(
      fc.property(rawText, (text) => {
        checkSource(text);
      }),
      params,
    );
  }, 30_000);

  it.skipIf(CONFORMANCE_MISSING)('returns or throws a located WardenError for mutated conformance modules', () => {
    fc.assert(
      fc.property(mutatedModule, (text) => {
        checkSource(text);
      }),
      params,
    );
  }, 30_000);

  // Found by the mutator: the compiler lets these through (OPA rejects them as unsafe at compile
  // time); the evaluator still answers with a coded, located rego_unsafe_var_error, not a crash.
  it.each([
    ['an unknown name under not', 'package g\n\np if {\n\tnot datadata.a[[0]]\n}'],
    ['an unknown name under not with a with', 'package g\n\np if {\n\tnot withdata.ex.d with data.a.b as 1\n}'],
    ['an output var also used as an input', 'package g\n\np := 4 if {\n\tmax({1, 2, 3, x}, x)\n}'],
  ])('answers %s with a coded error at compile or eval time', (_name, text) => {
    expect(checkSource(text)).toBe('error:rego_unsafe_var_error');
  });

  it('keeps deep nesting a coded error instead of a stack overflow', () => {
    for (const open of ['[', '{', '(', 'not ', '-']) {
      const text = `package a\np := ${open.repeat(5000)}1`;
      expect(checkSource(text)).toMatch(/^error:rego_/);
    }
  });
});

describe('fuzzing the Rego evaluator', () => {
  const policy: CompiledPolicy = compilePolicy([{ file: 'lib.rego', text: POLICY }]);

  it('returns rows or throws a coded WardenError for random queries', () => {
    let answered = 0;
    fc.assert(
      fc.property(query, fc.boolean(), (q, strict) => {
        const r = outcome(() => {
          const rows = evalQuery(policy, q, { data: DATA, input: INPUT, strictBuiltinErrors: strict, maxSteps: 20_000 });
          expect(Array.isArray(rows)).toBe(true);
        }, false);
        if (r === 'ok') answered++;
      }),
      params,
    );
    // The generator is useful only if a fair share of its queries are valid.
    expect(answered).toBeGreaterThan(RUNS / 10);
  }, 30_000);
});
