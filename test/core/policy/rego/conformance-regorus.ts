// Runs regorus' interpreter cases (../shared/conformance/regorus) the way regorus' YAML harness
// does: want_result is the query's value (bindings, or the expression values), `error` a substring,
// `no_result` undefined, `strict` (default true) strict builtin errors, `skip: true` skipped.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isWardenError, type WardenError } from '../../../../src/core/errors.js';
import { compileModules } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery, type ResultRow } from '../../../../src/core/policy/rego/eval.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';
import { ObjectValue, SetValue, equals, formatValue, fromJson, type Value } from '../../../../src/core/policy/rego/value.js';
import type { CaseResult } from './conformance-runner.js';
import { CONFORMANCE_ROOT, yamlFiles } from './conformance-modules.js';

export const REGORUS_ROOT = join(CONFORMANCE_ROOT, '..', 'regorus');

/**
 * Keys only regorus' own engine understands. Cases using them still run with the key ignored,
 * except the execution-timer cases that expect a timeout from regorus' simulated clock.
 */
export const REGORUS_ONLY_KEYS = ['want_inferred_resource_types', 'time_source', 'execution_timer', 'global_execution_timer'] as const;

/** `#undefined` in an expectation. */
const UNDEFINED = Symbol('undefined');
type Expected = Value | typeof UNDEFINED;

export interface RegorusCase {
  id: string;
  category: string;
  file: string;
  note: string;
  query: string;
  modules: string[];
  data?: unknown;
  /** One evaluation per input (`many!` lists several); empty: one evaluation without input. */
  inputs: unknown[];
  /** Expected results, in order (a `many!` list, or one value). */
  want?: unknown[];
  error?: string;
  noResult: boolean;
  skip: boolean;
  strict: boolean;
  wantPrints?: string[];
  /** Module syntax: regorus runs every file as v0 (`import rego.v1` opts in) except bindings.yaml. */
  regoVersion?: 'v1';
  ignoredKeys: string[];
}

interface YamlCase {
  note?: string;
  query?: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  want_result?: unknown;
  error?: string;
  no_result?: boolean;
  skip?: boolean;
  strict?: boolean;
  want_prints?: string[];
  [key: string]: unknown;
}


function many(v: unknown): unknown[] | undefined {
  if (v instanceof Map) {
    const m: unknown = v.get('many!');
    return Array.isArray(m) && v.size === 1 ? m : undefined;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const m = (v as Record<string, unknown>)['many!'];
    if (Array.isArray(m) && Object.keys(v).length === 1) return m;
  }
  return undefined;
}

/**
 * YAML as regorus' serde_yaml reads it. libyaml accepts a block-level flow sequence whose items are
 * indented less than its key (loop/chained.yaml); the `yaml` package does not, so such a sequence
 * is joined onto its opening line before a second attempt.
 */
function readYaml(text: string, mapAsMap = false): unknown {
  try {
    return parseYaml(text, { intAsBigInt: true, mapAsMap });
  } catch (e) {
    const joined = text.replace(/\[[ \t]*\n([^\]]*?)\n[ \t]*\]/g, (_m, items: string) => `[${items.replace(/\s*\n\s*/g, ' ')}]`);
    if (joined === text) throw e;
    return parseYaml(joined, { intAsBigInt: true, mapAsMap });
  }
}

/**
 * Each case's want_result with YAML's own key types (serde_yaml keeps `1:`, `null:`, `false:` as
 * number, null and boolean keys; a plain JS object would turn them into strings).
 */
function typedWants(text: string): unknown[] {
  const doc = readYaml(text, true);
  const cases = doc instanceof Map ? doc.get('cases') : undefined;
  if (!Array.isArray(cases)) return [];
  return cases.map((c: unknown) => (c instanceof Map ? c.get('want_result') : undefined));
}

/** Every case; ids are `<file without .yaml>/<note>`, made unique with `#n`. */
export function loadRegorusCases(): RegorusCase[] {
  const out: RegorusCase[] = [];
  const seen = new Map<string, number>();
  for (const file of yamlFiles(REGORUS_ROOT)) {
    const rel = relative(REGORUS_ROOT, file);
    const parts = rel.split('/');
    const category = parts.length > 1 ? parts.slice(0, -1).join('/') : 'basic';
    const text = readFileSync(file, 'utf8');
    const doc = readYaml(text) as { cases?: YamlCase[] } | null;
    const wants = typedWants(text);
    for (const [ci, c] of (doc?.cases ?? []).entries()) {
      const note = c.note ?? '';
      const base = `${rel.replace(/\.ya?ml$/, '')}/${note}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const inputs = c.input === undefined ? [] : (many(c.input) ?? [c.input]);
      const typed = wants[ci];
      const want = typed === undefined ? undefined : (many(typed) ?? [typed]);
      out.push({
        id: n === 1 ? base : `${base}#${n}`,
        category,
        file: rel,
        note,
        query: c.query ?? '',
        modules: c.modules ?? [],
        data: c.data,
        inputs,
        want,
        error: c.error,
        noResult: c.no_result === true,
        skip: c.skip === true,
        strict: c.strict !== false,
        wantPrints: c.want_prints,
        regoVersion: rel.endsWith('bindings.yaml') ? 'v1' : undefined,
        ignoredKeys: REGORUS_ONLY_KEYS.filter((k) => c[k] !== undefined),
      });
    }
  }
  return out;
}

/** regorus' process_value: `#undefined`, `set!: [...]` and `object!: [{key, value}]` encodings. */
function expected(v: unknown): Expected {
  if (v === '#undefined') return UNDEFINED;
  if (Array.isArray(v)) return v.map((x) => toValue(expected(x)));
  if (v instanceof Map) {
    if (v.size === 1 && Array.isArray(v.get('set!'))) return new SetValue((v.get('set!') as unknown[]).map((x) => toValue(expected(x))));
    if (v.size === 1 && Array.isArray(v.get('object!'))) {
      const o = new ObjectValue();
      for (const item of v.get('object!') as unknown[]) {
        if (item instanceof Map) o.set(toValue(expected(item.get('key'))), toValue(expected(item.get('value'))));
      }
      return o;
    }
    const o = new ObjectValue();
    for (const [k, x] of v) {
      const val = expected(x);
      if (val !== UNDEFINED) o.set(toValue(expected(k)), val);
    }
    return o;
  }
  if (v !== null && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 1 && keys[0] === 'set!' && Array.isArray(rec['set!'])) {
      return new SetValue((rec['set!'] as unknown[]).map((x) => toValue(expected(x))));
    }
    if (keys.length === 1 && keys[0] === 'object!' && Array.isArray(rec['object!'])) {
      const o = new ObjectValue();
      for (const item of rec['object!'] as Array<Record<string, unknown>>) o.set(toValue(expected(item.key)), toValue(expected(item.value)));
      return o;
    }
    const o = new ObjectValue();
    for (const k of keys) {
      const x = expected(rec[k]);
      if (x !== UNDEFINED) o.set(k, x);
    }
    return o;
  }
  return fromJson(v);
}

function toValue(e: Expected): Value {
  // An undefined element has no Value form; a marker string keeps the mismatch visible.
  return e === UNDEFINED ? '#undefined' : e;
}

/** regorus' push_query_results: one row → its bindings or each expression's value; several → one value per row. */
function pushResults(rows: ResultRow[], out: Value[]): void {
  const bindingsOf = (r: ResultRow): ObjectValue | undefined => {
    const names = Object.keys(r.bindings);
    if (names.length === 0) return undefined;
    return new ObjectValue(names.map((n) => [n, r.bindings[n]] as const));
  };
  if (rows.length === 1) {
    const b = bindingsOf(rows[0]);
    if (b) out.push(b);
    else for (const e of rows[0].expressions) out.push(e.value);
    return;
  }
  for (const r of rows) out.push(bindingsOf(r) ?? r.expressions.map((e) => e.value));
}

function errorText(e: WardenError): string {
  const loc = e.location ? `${e.location.file}:${e.location.line ?? 0}:${e.location.col ?? 0}: ` : '';
  return `${loc}${e.code}: ${e.message}`;
}

const UNDEFINED_FN = /^undefined function (\S+)$/;

const TIMER_SKIP = 'regorus execution timer with a simulated clock (regorus-only keys)';

/**
 * regorus words its errors its own way; OPA's wording is ours. Where an expected message is one of
 * these known regorus phrasings, the case passes when we raise the error OPA raises for it: the code
 * must match, so an unrelated error (a parse error where OPA finds a type error) still fails.
 * Expected texts matching none of these are compared as substrings, as regorus does.
 */
export const REGORUS_WORDING: ReadonlyArray<{ pattern: RegExp; codes: readonly string[]; why: string }> = [
  { pattern: /expects \d+ arguments?$/, codes: ['rego_type_error'], why: 'arity: OPA reports it at compile time' },
  {
    pattern: /(expects (array|numeric|string|set|object) argument|requires [a-z/]+ argument|expects `ns` to be|expects 3rd element of `ns`|expects array\/set of strings|expects base to be one of)/,
    codes: ['eval_type_error'],
    why: 'operand type: OPA says "operand N must be T but got U"',
  },
  {
    pattern: /(invalid `[a-z]+` in default value|unexpected keyword `in`|expecting `\)`|expecting EOF|rule must have a body|unary - can only be used with numeric literals|invalid whitespace between \. and identifier|import path must begin with one of|unterminated string|unexpected keyword `import`)/,
    codes: ['rego_parse_error'],
    why: 'syntax: OPA raises rego_parse_error',
  },
  { pattern: /could not find function/, codes: ['rego_type_error'], why: 'OPA: "undefined function"' },
  { pattern: /recursion detected/, codes: ['rego_recursion_error'], why: 'OPA: "rule … is recursive"' },
  {
    pattern: /(rule conflicts with the following rule|rules (should|must) not produce multiple outputs|generated multiple times)/,
    codes: ['eval_conflict_error'],
    why: 'OPA: eval_conflict_error',
  },
  { pattern: /used before definition/, codes: ['rego_unsafe_var_error', 'rego_compile_error'], why: 'OPA: unsafe var / compile error' },
  { pattern: /assignment operator := requires left-hand side to have bindable variables/, codes: ['rego_compile_error'], why: 'OPA: "cannot assign to number"' },
  { pattern: /could not parse string as number/, codes: ['eval_builtin_error'], why: 'OPA quotes strconv.ParseFloat' },
  { pattern: /(cannot be shadowed|shadows previous import)/, codes: ['rego_compile_error'], why: 'OPA: rego_compile_error' },
];

/** The known regorus phrasing `expected` matches, if any. */
export function regorusWording(expected: string): (typeof REGORUS_WORDING)[number] | undefined {
  return REGORUS_WORDING.find((w) => w.pattern.test(expected));
}

/** Errors only regorus' `__target__` extension raises: its registry, effects and schema checks. */
const TARGET_ERROR = /target|effect|Type mismatch|schema|expected string literal/;
const TARGET_SKIP = 'regorus-only __target__ extension (Azure Policy targets and effect schemas), not part of Rego';

/** Runs one case. Never throws: engine bugs surface as status `error`. */
export function runRegorusCase(c: RegorusCase, disagreements: Record<string, string> = {}, nowNs = 1_700_000_000_000_000_000n): CaseResult {
  const res = (status: CaseResult['status'], detail?: string): CaseResult => ({ id: c.id, category: c.category, status, ...(detail ? { detail } : {}) });
  if (disagreements[c.id] !== undefined) return res('skip', 'regorus disagrees with OPA (conformance-regorus-disagreements.json)');
  if (c.skip) return res('skip', 'marked skip: true in regorus');
  if (c.file.startsWith('target/') && c.error !== undefined && TARGET_ERROR.test(c.error)) return res('skip', TARGET_SKIP);
  if (c.error !== undefined && (c.ignoredKeys.includes('execution_timer') || c.ignoredKeys.includes('global_execution_timer'))) {
    return res('skip', TIMER_SKIP);
  }
  const prints: string[] = [];
  try {
    const modules = c.modules.map((text, i) => parseModule(text, { file: `rego_${i}`, regoVersion: c.regoVersion }));
    const policy = compileModules(modules);
    const data = c.data === undefined || c.data === null ? undefined : fromJson(c.data);
    const results: Value[] = [];
    const inputs: Array<Value | undefined> = c.inputs.length ? c.inputs.map((i) => fromJson(i)) : [undefined];
    for (const input of inputs) {
      const rows = evalQuery(policy, c.query, { input, data, strictBuiltinErrors: c.strict, nowNs, print: (m) => prints.push(m) });
      pushResults(rows, results);
    }
    if (c.error !== undefined) return res('fail', `expected error containing "${c.error}", got ${results.length} results`);
    const want = c.noResult ? [] : (c.want ?? []).map(expected).filter((x) => x !== UNDEFINED);
    if (!c.noResult && c.want === undefined) return res('fail', 'case has no expectation');
    const got = results;
    const same = got.length === want.length && got.every((v, i) => equals(v, want[i] as Value));
    if (!same) return res('fail', `want ${want.map((v) => formatValue(v as Value)).join(' | ')}\n got ${got.map(formatValue).join(' | ')}`);
    if (c.wantPrints && (c.wantPrints.length !== prints.length || c.wantPrints.some((p, i) => p !== prints[i]))) {
      return res('fail', `want prints ${JSON.stringify(c.wantPrints)}\n got ${JSON.stringify(prints)}`);
    }
    return res('pass');
  } catch (e) {
    if (!isWardenError(e)) return res('error', `crash: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    const m = UNDEFINED_FN.exec(e.message);
    if (e.code === 'rego_type_error' && m && !m[1].startsWith('data.')) return res('skip', `builtin ${m[1]} not implemented`);
    const text = errorText(e);
    if (c.error === undefined) return res('fail', `unexpected error: ${text}`);
    if (text.includes(c.error)) return res('pass');
    const w = regorusWording(c.error);
    if (w && w.codes.includes(e.code)) return res('pass', `${e.code} (regorus words it "${c.error}"; ${w.why})`);
    return res('fail', `want error containing "${c.error}", got ${text}`);
  }
}
